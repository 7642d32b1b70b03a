// The benchmarks (npm run bench, bench/) run in miniature: every scenario through the same code
// with a handful of cases, against the suite's shared dev server, a test database and the bench's
// SMTP sink (test/bench/smoke.ts), each worker in its own process as in a real run. Asserts that
// each report has its rows, with positive figures and a ratio to the baseline. Not a measurement:
// the sizes are far too small for the numbers to mean anything. test/production/bench-smoke.test.ts
// runs the burst with its reports and alerts, and the coordinator scenario, on temporal-server on
// PostgreSQL (what `npm run bench -- --temporal postgres` starts).
import { describe, expect, it } from 'vitest';
import { runThroughput } from '../../bench/scenarios/throughput.ts';
import { runEmail } from '../../bench/scenarios/email.ts';
import { burstDefaults, runBurst } from '../../bench/scenarios/burst.ts';
import { runCoordinator } from '../../bench/scenarios/coordinator.ts';
import { runRest } from '../../bench/scenarios/rest.ts';
import { runUpload } from '../../bench/scenarios/upload.ts';
import { expectAlertBurst, expectCoordinator, expectRows, SCENARIO_TIMEOUT, tinyAlertBurst, tinyCoordinator, useSmokeContext } from './smoke.ts';

const smoke = useSmokeContext();

// Concurrently: each scenario has its own task queues, hospital and cases; together they take about as
// long as the slowest (rest: six worker processes one after another).
describe.concurrent('benchmark scenarios, in miniature', () => {
  it('throughput: cases inquiry → admission against a case-shaped bare workflow and a one-activity one', async () => {
    const report = await runThroughput(smoke.ctx, { seconds: 1.5, concurrency: 2, documents: 1, warmup: 1 });
    expectRows(report, ['cases/s vs case-shaped bare workflows/s', 'cases/s vs one-activity bare workflows/s', 'history events/s vs case-shaped bare']);
    expect(report.rows[0]!.target).toBe('≥ 0.7×');
    expect(report.context['stage changes per case']).toBe(4);
    // One document: the driver's four Updates (receiveDocument, submitToHospitals, approveSharing,
    // recordDecision), each a no-op activity on the bare side; one activity for the one-activity workflow.
    expect(report.context['history events, workflow tasks, activities per case-shaped bare workflow']).toMatch(/^\d+, \d+, 4$/);
    expect(report.context['history events, workflow tasks, activities per one-activity bare workflow']).toMatch(/^\d+, \d+, 1$/);
    expect(report.context['history events, workflow tasks, activities per case']).toMatch(/^\d+, \d+, \d+$/);
  }, SCENARIO_TIMEOUT);

  it('coordinator: actions through the action layer against a bare Update', async () => {
    expectCoordinator(await runCoordinator(smoke.ctx, tinyCoordinator));
  }, SCENARIO_TIMEOUT);

  it('email: sendEmail with its Postgres record against raw pooled nodemailer', async () => {
    const report = await runEmail(smoke.ctx, { emails: 8, concurrency: 2, warmup: 2 });
    expectRows(report, ['emails/s', 'latency per email p50', 'latency per email p99']);
    expect(report.context['accepted by the sink / sent']).toBe('20 / 20');
  }, SCENARIO_TIMEOUT);

  it('burst, check-in reports and alerts: due → email, POST /checkin against a bare Update, report → alert email', async () => {
    expectAlertBurst(await runBurst(smoke.ctx, { ...burstDefaults, ...tinyAlertBurst }));
  }, SCENARIO_TIMEOUT);

  it('upload: a file through the records page into the vault against a plain copy and a plain multipart server', async () => {
    const report = await runUpload(smoke.ctx, { megabytes: 2, rounds: 1, worker: false });
    expectRows(report, ['upload MiB/s vs plain stream copy', 'upload MiB/s vs plain multipart server (no vault)', 'plain multipart server MiB/s vs plain stream copy', 'HTTP server RSS peak during the upload vs before it']);
  }, SCENARIO_TIMEOUT);

  it('rest: worker memory and idle CPU for open cases in monitoring, default and small cache', async () => {
    const report = await runRest(smoke.ctx, { levels: [3], smallCache: 2, idleSeconds: 0.5, concurrency: 3, settleSeconds: 0.1 });
    expectRows(
      report,
      [/^worker RSS per open case, default cache/, 'workflow heap per open case, default cache', 'worker RSS per open case, cache 2', 'workflow heap per open case, cache 2', /^worker RSS at 3 open, default cache/, 'worker RSS at 3 open, cache 2', 'worker RSS at 10,000 open, default cache (projected from the slopes)', 'worker RSS at 10,000 open, cache 2 (projected from the slopes)', /^worker CPU idle at 3 open, default cache/, 'worker CPU idle at 3 open, cache 2'],
      // With three cases, RSS and (now that a case costs ~130 KiB) the heap wander more than they
      // grow, and so may a projection from their slopes; with a cache of two, nothing need grow.
      { mayBeZeroOrLess: /per open case|cache 2$|projected/ },
    );
  }, SCENARIO_TIMEOUT);
});
