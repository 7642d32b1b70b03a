// `node bench/pglite-check.ts [--fixed]`: does the embedded Postgres (db/embedded.ts) keep
// concurrent connections apart? 20 lanes over two `pg` pools run parameterised queries, a third of
// them inside transactions (as the case activities do), for 5 s against a fresh in-memory
// instance. Prints how many queries failed or came back wrong, and whether the server stalled.
// With --fixed, bench/pglite-fix.ts is applied first. Exit code 1 when anything went wrong.
import pg from 'pg';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { fixPgliteSocketQueue } from './pglite-fix.ts';

const fixed = process.argv.includes('--fixed');
if (fixed) fixPgliteSocketQueue();
const e = await startEmbeddedPostgres();
const pools = [0, 1].map(() => new pg.Pool({ connectionString: e.url, max: 10 }));
await pools[0]!.query('create table t (id serial primary key, v text, w int)');

let done = 0;
let failed = 0;
let wrong = 0;
const messages = new Map<string, number>();
const deadline = Date.now() + 5000;

async function lane(pool: pg.Pool, k: number): Promise<void> {
  while (Date.now() < deadline) {
    const i = done++;
    try {
      if (k % 3 === 0) {
        const r = await pool.query('select $1::int + 1 as n', [i]);
        if (r.rows[0]?.n !== i + 1) wrong++;
      } else if (k % 3 === 1) {
        const r = await pool.query('select $1::text || $2::text as s', ['a', String(i)]);
        if (r.rows[0]?.s !== `a${i}`) wrong++;
      } else {
        const c = await pool.connect();
        try {
          await c.query('begin');
          await c.query('insert into t (v, w) values ($1, $2)', ['x'.repeat(500), i]);
          await c.query('commit');
        } finally {
          c.release();
        }
      }
    } catch (err) {
      failed++;
      const m = (err as Error).message.replace(/\d+/g, 'N');
      messages.set(m, (messages.get(m) ?? 0) + 1);
    }
  }
}

let last = -1;
let stalled = false;
const running = Promise.all(Array.from({ length: 20 }, (_, k) => lane(pools[k % 2]!, k)));
const outcome = await Promise.race([
  running.then(() => 'finished'),
  new Promise<string>((resolve) => {
    const timer = setInterval(() => {
      if (done === last) {
        stalled = true;
        clearInterval(timer);
        resolve('stalled');
      }
      last = done;
    }, 3000);
    void running.then(() => clearInterval(timer));
  }),
]);
console.log(JSON.stringify({ fixed, outcome, queries: done, failed, wrong, messages: Object.fromEntries(messages) }, null, 2));
if (!stalled) {
  for (const p of pools) await p.end();
  await e.stop();
}
process.exit(failed || wrong || stalled ? 1 : 0);
