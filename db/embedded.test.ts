// The embedded Postgres must keep concurrent connections apart: the worker's activities, the HTTP
// server and casectl share it through pools, and the socket server funnels them all onto one
// PGlite session (db/pglite-socket-fix.ts). Lanes of parameterised queries, some inside
// transactions as the case activities run them, over two pools; every answer must be the caller's.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';

let embedded: EmbeddedPostgres;
let pools: pg.Pool[];

beforeAll(async () => {
  embedded = await startEmbeddedPostgres();
  pools = [0, 1].map(() => new pg.Pool({ connectionString: embedded.url, max: 8, query_timeout: 10_000 }));
  await pools[0]!.query('create table t (id serial primary key, v text, w int)');
});

afterAll(async () => {
  for (const p of pools ?? []) await p.end();
  await embedded?.stop();
});

it('answers each of many concurrent connections with its own result', async () => {
  const perLane = 150;
  const wrong: string[] = [];
  const lane = async (pool: pg.Pool, k: number) => {
    for (let i = 0; i < perLane; i++) {
      if (k % 3 === 0) {
        const r = await pool.query('select $1::int + 1 as n', [i]);
        if (r.rows[0]?.n !== i + 1) wrong.push(`lane ${k}: ${i} + 1 came back as ${r.rows[0]?.n}`);
      } else if (k % 3 === 1) {
        const r = await pool.query('select $1::text || $2::text as s', [`lane${k}-`, String(i)]);
        if (r.rows[0]?.s !== `lane${k}-${i}`) wrong.push(`lane ${k}: got ${r.rows[0]?.s}`);
      } else {
        const c = await pool.connect();
        try {
          await c.query('begin');
          await c.query('insert into t (v, w) values ($1, $2)', [`lane${k}`, i]);
          await c.query('commit');
        } finally {
          c.release();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 12 }, (_, k) => lane(pools[k % 2]!, k)));
  expect(wrong).toEqual([]);
  const rows = await pools[1]!.query<{ v: string; n: string }>('select v, count(*) as n from t group by v order by v');
  expect(rows.rows).toEqual([2, 5, 8, 11].map((k) => ({ v: `lane${k}`, n: String(perLane) })).sort((a, b) => a.v.localeCompare(b.v)));
});

it('keeps serving after a query fails mid-exchange', async () => {
  await expect(pools[0]!.query('select $1::int as n', ['not a number'])).rejects.toThrow(/invalid input syntax/);
  const r = await Promise.all([pools[0]!.query('select 1 as n'), pools[1]!.query('select $1::int as n', [2])]);
  expect(r.map((x) => x.rows[0]?.n)).toEqual([1, 2]);
});
