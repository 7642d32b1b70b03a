// The benchmarks (npm run bench, bench/) run in miniature: every scenario through the same code
// with a handful of cases, against the suite's shared dev server, a test database and the bench's
// SMTP sink, each worker in its own process as in a real run. Asserts that each report has its
// rows, with positive figures and a ratio to the baseline. Not a measurement: the sizes are far too
// small for the numbers to mean anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildBundles, createContext, type BenchContext } from '../../bench/context.ts';
import { startBenchSmtp, type BenchSmtp } from '../../bench/smtp-sink.ts';
import type { ScenarioReport } from '../../bench/report.ts';
import { runThroughput } from '../../bench/scenarios/throughput.ts';
import { runEmail } from '../../bench/scenarios/email.ts';
import { burstDefaults, runBurst } from '../../bench/scenarios/burst.ts';
import { runRest } from '../../bench/scenarios/rest.ts';
import { runUpload } from '../../bench/scenarios/upload.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';

let database: TestDatabase;
let smtp: BenchSmtp;
let ctx: BenchContext;
let tmpDir: string;

beforeAll(async () => {
  tmpDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const [db, sink, bundles] = await Promise.all([createTestDatabase(), startBenchSmtp(), buildBundles(join(tmpDir, 'bundles'))]);
  database = db;
  smtp = sink;
  ctx = await createContext({ temporalAddress: inject('temporalAddress'), databaseUrl: database.url, db: database.db, smtp, tmpDir, bundles, ...(process.env.BENCH_SMOKE_LOG ? { log: (l: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${l}`) } : {}) });
});

afterAll(async () => {
  await ctx?.connection.close();
  await smtp?.stop();
  await database?.close();
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});

/** Every expected row is there, once, with a figure, a baseline and a ratio that are finite and positive. */
function expectRows(report: ScenarioReport, metrics: (string | RegExp)[], opts: { mayBeZeroOrLess?: RegExp } = {}) {
  expect(report.rows.map((r) => r.metric)).toHaveLength(metrics.length);
  metrics.forEach((m, i) => {
    const r = report.rows[i]!;
    if (typeof m === 'string') expect(r.metric).toBe(m);
    else expect(r.metric).toMatch(m);
    const loose = opts.mayBeZeroOrLess?.test(r.metric) ?? false;
    for (const v of loose ? [r.value, r.baseline] : [r.value, r.baseline, r.ratio]) {
      expect(Number.isFinite(v), `${r.metric}: ${v}`).toBe(true);
      if (!loose) expect(v, r.metric).toBeGreaterThan(0);
    }
  });
  expect(report.notes.filter((n) => /only \d+ of \d+|after the due time|accepted \d+ of/.test(n))).toEqual([]);
}

// Concurrently: each scenario has its own task queues, hospital and cases; together they take about as
// long as the slowest (rest: six worker processes one after another). Each starts worker processes,
// which take far longer on a loaded machine than the default time limit allows.
const SCENARIO_TIMEOUT = 240_000;

describe.concurrent('benchmark scenarios, in miniature', () => {
  it('throughput: cases inquiry → admission against a case-shaped bare workflow and a one-activity one', async () => {
    const report = await runThroughput(ctx, { seconds: 1.5, concurrency: 2, documents: 1, warmup: 1 });
    expectRows(report, ['cases/s vs case-shaped bare workflows/s', 'cases/s vs one-activity bare workflows/s', 'history events/s vs case-shaped bare']);
    expect(report.rows[0]!.target).toBe('≥ 0.7×');
    expect(report.context['stage changes per case']).toBe(4);
    // One document: the driver's four Updates (receiveDocument, submitToHospitals, approveSharing,
    // recordDecision), each a no-op activity on the bare side; one activity for the one-activity workflow.
    expect(report.context['history events, workflow tasks, activities per case-shaped bare workflow']).toMatch(/^\d+, \d+, 4$/);
    expect(report.context['history events, workflow tasks, activities per one-activity bare workflow']).toMatch(/^\d+, \d+, 1$/);
    expect(report.context['history events, workflow tasks, activities per case']).toMatch(/^\d+, \d+, \d+$/);
  }, SCENARIO_TIMEOUT);

  it('email: sendEmail with its Postgres record against raw pooled nodemailer', async () => {
    const report = await runEmail(ctx, { emails: 8, concurrency: 2, warmup: 2 });
    expectRows(report, ['emails/s', 'latency per email p50', 'latency per email p99']);
    expect(report.context['accepted by the sink / sent']).toBe('20 / 20');
  }, SCENARIO_TIMEOUT);

  it('burst and check-in reports: due → email, and POST /checkin against a bare Update', async () => {
    const [burst, checkin] = await runBurst(ctx, { ...burstDefaults, cases: 3, reports: true, rate: 5, duration: 1, concurrency: 3, due: 'immediate', timeoutSeconds: 30 });
    expectRows(burst!, ['due → email accepted p50', 'due → email accepted p99', 'due → email accepted max']);
    expect(burst!.rows[2]!.met).toBe(true);
    expectRows(checkin!, ['POST /checkin end to end p50', 'POST /checkin end to end p99']);
    expect(checkin!.context['responses: service']).toMatch(/^200×\d+$/);
    expect(checkin!.context['responses: bare']).toMatch(/^200×\d+$/);
  }, SCENARIO_TIMEOUT);

  it('upload: a file through the records page into the vault against a plain copy and a plain multipart server', async () => {
    const report = await runUpload(ctx, { megabytes: 2, rounds: 1, worker: false });
    expectRows(report, ['upload MiB/s vs plain stream copy', 'upload MiB/s vs plain multipart server (no vault)', 'plain multipart server MiB/s vs plain stream copy', 'HTTP server RSS peak during the upload vs before it']);
  }, SCENARIO_TIMEOUT);

  it('rest: worker memory and idle CPU for open cases in monitoring, default and small cache', async () => {
    const report = await runRest(ctx, { levels: [3], smallCache: 2, idleSeconds: 0.5, concurrency: 3, settleSeconds: 0.1 });
    expectRows(
      report,
      [/^worker RSS per open case, default cache/, 'workflow heap per open case, default cache', 'worker RSS per open case, cache 2', 'workflow heap per open case, cache 2', /^worker RSS at 3 open, default cache/, 'worker RSS at 3 open, cache 2', 'worker RSS at 10,000 open, default cache (projected from the slopes)', 'worker RSS at 10,000 open, cache 2 (projected from the slopes)', /^worker CPU idle at 3 open, default cache/, 'worker CPU idle at 3 open, cache 2'],
      // With three cases, RSS and (now that a case costs ~130 KiB) the heap wander more than they
      // grow, and so may a projection from their slopes; with a cache of two, nothing need grow.
      { mayBeZeroOrLess: /per open case|cache 2$|projected/ },
    );
  }, SCENARIO_TIMEOUT);
});
