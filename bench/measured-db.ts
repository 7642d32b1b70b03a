// db/connect.ts's pool, plus a count of the queries it ran and their summed duration (Kysely's
// log hook), so a scenario can say how many queries, and how much database time, a case costs.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/connect.ts';

export interface QueryCounters {
  queries: number;
  ms: number;
}

export function measuredDb(url: string, counters: QueryCounters, opts: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log(event) {
      counters.queries++;
      counters.ms += event.queryDurationMillis;
    },
  });
}
