// Creating and dropping whole databases through a role that may (CREATEDB): the test databases
// (test/harness/postgres.ts) and the Temporal server's own (local/temporal-server.ts).
import pg from 'pg';

/** `adminUrl` with another database name in its path. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/** `name` is the caller's own (letters, digits, underscores), never input from outside. */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (a) => a.query(`CREATE DATABASE ${name}`));
}

/** Drops the database, ending the sessions still connected to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (a) => {
    // FORCE cannot end an autovacuum worker that happens to be in the database (it is the
    // superuser's, error 42501), and such a worker is done within moments: try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '42501' || attempt === 10) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  });
}
