// Coordinator latency: a coordinator's action → its answer, through the action layer casectl and
// the API call (client/actions.ts act: the arguments parsed, one Temporal Update with the case's
// encrypted payloads, the case's status back), `coordinators` at once in a closed loop. The cases
// wait in records for five documents, and the coordinators do what that stage asks of them: record
// three documents as they arrive (receiveDocument) and waive one the hospital does not need
// (waiveDocument). The fifth stays missing, so each answer is the action's own work and not the
// start of the next stage. The actions go round the cases, so that the ones in flight are on
// different cases whenever there are more cases than coordinators.
// Baseline, same server, same concurrency, same number: the bare Update (bench/workflows.ts ping,
// answered at once) on as many case-shaped bare workflows.
import { DOCUMENT_TYPES } from '../../domain/case.ts';
import { bareClient, caseClient, type BenchContext } from '../context.ts';
import { benchActions, ACTOR, benchCase, Watcher } from '../drive.ts';
import { measurePhase, perUnit, type PhaseMeasure } from '../phase.ts';
import { row, type ScenarioReport } from '../report.ts';
import { inParallel, percentile } from '../stats.ts';
import { startWorker } from '../workers.ts';
import { caseShapedWorkflow, ping } from '../workflows.ts';

export interface CoordinatorOptions {
  /** Actions each side takes (the case side needs a case for every four). */
  actions: number;
  /** Coordinators (bare: clients) acting at once. */
  coordinators: number;
  /** Cases opened at once while setting up. */
  setupConcurrency: number;
}

export const coordinatorDefaults: CoordinatorOptions = { actions: 400, coordinators: 16, setupConcurrency: 16 };
export const coordinatorFull: CoordinatorOptions = { ...coordinatorDefaults, actions: 2000 };

/** The records stage's actions on one case, in order; DOCUMENT_TYPES[4] stays missing. */
const STEPS = [
  { action: 'receiveDocument', documentType: DOCUMENT_TYPES[0] },
  { action: 'receiveDocument', documentType: DOCUMENT_TYPES[1] },
  { action: 'receiveDocument', documentType: DOCUMENT_TYPES[2] },
  { action: 'waiveDocument', documentType: DOCUMENT_TYPES[3] },
] as const;

interface Side {
  latencies: number[];
  seconds: number;
  measure: PhaseMeasure;
}

/** Runs `act(k)` for k < count, `lanes` at once, each lane taking the next as soon as its last answered. */
async function timedLoop(count: number, lanes: number, act: (k: number) => Promise<unknown>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await inParallel(count, lanes, async (k) => {
    const s = performance.now();
    await act(k);
    latencies.push(performance.now() - s);
  });
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

export async function runCoordinator(ctx: BenchContext, opts: CoordinatorOptions): Promise<ScenarioReport> {
  const taskQueue = `bench-coordinator-${ctx.runId}`;
  const bareQueue = `bench-coordinator-bare-${ctx.runId}`;
  const hospital = `CO${ctx.runId}`;
  const client = caseClient(ctx);
  const bare = bareClient(ctx);
  const actions = await benchActions(client, ctx.db, taskQueue, hospital);
  const count = opts.actions;
  const cases = Math.ceil(count / STEPS.length);
  const caseIds: string[] = new Array(cases);

  // ---- the service ----
  let service: Side;
  const watcher = new Watcher(ctx.db);
  const worker = await startWorker(ctx, { kind: 'case', taskQueue, label: 'coordinator-case' });
  try {
    ctx.log(`coordinator: opening ${cases} cases, waiting in records`);
    await inParallel(cases, opts.setupConcurrency, async (i) => {
      const { caseId } = await actions.openCase(benchCase(ctx.runId, 'co', i, DOCUMENT_TYPES), ACTOR);
      await watcher.stage(caseId, 'records');
      caseIds[i] = caseId;
    });
    ctx.log(`coordinator: ${count} actions, ${opts.coordinators} coordinators at once`);
    const { result, m } = await measurePhase(ctx, worker, () =>
      timedLoop(count, opts.coordinators, (k) => {
        const caseId = caseIds[k % cases]!;
        const step = STEPS[Math.floor(k / cases)]!;
        return step.action === 'receiveDocument'
          ? actions.act(caseId, 'receiveDocument', { actor: ACTOR, documentType: step.documentType, language: 'en' })
          : actions.act(caseId, 'waiveDocument', { actor: ACTOR, documentType: step.documentType, reason: 'not needed by the hospital' });
      }),
    );
    service = { ...result, measure: m };
  } finally {
    watcher.stop();
    await worker.stop();
  }

  // ---- bare Temporal ----
  let bareSide: Side;
  const bareIds: string[] = [];
  const bareWorker = await startWorker(ctx, { kind: 'bare', taskQueue: bareQueue, label: 'coordinator-bare' });
  try {
    await inParallel(cases, opts.setupConcurrency, async (i) => {
      bareIds[i] = `bench-coordinator-${ctx.runId}-${i}`;
      await bare.workflow.start(caseShapedWorkflow, { taskQueue: bareQueue, workflowId: bareIds[i] });
    });
    const { result, m } = await measurePhase(ctx, bareWorker, () =>
      timedLoop(count, opts.coordinators, (k) => bare.workflow.getHandle(bareIds[k % cases]!).executeUpdate(ping, { args: [{ n: k }] })),
    );
    bareSide = { ...result, measure: m };
  } finally {
    await bareWorker.stop();
  }
  ctx.log('coordinator: terminating the cases and bare workflows');
  await inParallel(cases, 32, (i) => client.workflow.getHandle(`case-${caseIds[i]}`).terminate('benchmark over').catch(() => undefined));
  await inParallel(cases, 32, (i) => bare.workflow.getHandle(bareIds[i]!).terminate('benchmark over').catch(() => undefined));

  const p99 = percentile(service.latencies, 99);
  const bareP99 = percentile(bareSide.latencies, 99);
  const max = (xs: number[]) => Math.max(...xs);
  return {
    scenario: 'coordinator',
    title: `coordinators' actions on cases in records (receiveDocument ×3, waiveDocument ×1 a case) through the action layer, ${opts.coordinators} at once, closed loop`,
    baseline: `the bare Update (bench/workflows.ts ping, answered at once) on ${cases} case-shaped bare workflows, ${opts.coordinators} clients at once, closed loop`,
    params: { actions: count, coordinators: opts.coordinators, cases },
    rows: [
      row('action → answer p50', 'ms', percentile(service.latencies, 50), percentile(bareSide.latencies, 50)),
      row('action → answer p99', 'ms', p99, bareP99, { text: 'p99 ≤ 2× bare Update', met: p99 <= 2 * bareP99 }),
      row('action → answer max', 'ms', max(service.latencies), max(bareSide.latencies)),
    ],
    context: {
      'actions answered, per second: service / bare': `${service.latencies.length}, ${(service.latencies.length / service.seconds).toFixed(1)} / ${bareSide.latencies.length}, ${(bareSide.latencies.length / bareSide.seconds).toFixed(1)}`,
      ...perUnit('service', service.measure, service.latencies.length, 'action'),
      ...perUnit('bare', bareSide.measure, bareSide.latencies.length, 'Update'),
    },
    notes: [],
  };
}
