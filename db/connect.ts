// The one way the project talks to Postgres: kysely over the `pg` driver, whatever serves it
// (a Postgres server, a testcontainer, or embedded PGlite on a loopback port).
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export function connect(url: string, opts: { max?: number } = {}): Db {
  // A server that does not answer fails a request in seconds (answered 503), not after TCP's minutes.
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 5_000 });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor may one that loses its connection while checked out (pg emits 'error' on it with no
  // listener then): its query fails with the error, and the pool drops it on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
