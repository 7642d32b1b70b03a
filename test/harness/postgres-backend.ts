// Which Postgres the tests use: DATABASE_URL when set (CI: a real server), else a testcontainer
// when a Docker engine answers, else embedded PGlite (each test file then starts its own).
import { existsSync } from 'node:fs';

export type PostgresChoice = { kind: 'server'; adminUrl: string } | { kind: 'pglite' };

export async function choosePostgres(): Promise<{ backend: string; choice: PostgresChoice; stop(): Promise<void> }> {
  const noop = async () => {};
  if (process.env.DATABASE_URL) {
    return { backend: 'DATABASE_URL (a database per test file)', choice: { kind: 'server', adminUrl: process.env.DATABASE_URL }, stop: noop };
  }
  if (process.env.DOCKER_HOST || existsSync('/var/run/docker.sock')) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:17-alpine').start();
      return {
        backend: `testcontainers ${container.getHost()}:${container.getPort()} (a database per test file)`,
        choice: { kind: 'server', adminUrl: container.getConnectionUri() },
        stop: async () => void (await container.stop()),
      };
    } catch (err) {
      console.log(`[test harness] no usable Docker engine (${(err as Error).message.split('\n')[0]}); using PGlite`);
    }
  }
  return { backend: 'embedded PGlite (one in-memory instance per test file)', choice: { kind: 'pglite' }, stop: noop };
}
