// Scenario 1, case throughput: cases opened and driven by scripted coordinator actions through the
// action layer, from inquiry to admission, by `concurrency` coordinators at once for `seconds`
// (closed loop: each starts the next case as soon as one reaches admission). Baseline, same server,
// same concurrency, same driver: a case-shaped bare workflow taking the same Updates in the same
// order, one no-op activity each (bench/workflows.ts caseShapedWorkflow). The former baseline, a
// workflow that runs one no-op activity, is measured too, as context.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DOCUMENT_TYPES } from '../../domain/case.ts';
import { bareClient, caseClient, type BenchContext } from '../context.ts';
import { benchActions, bareDoors, benchCase, driveToAdmission, Watcher } from '../drive.ts';
import { measurePhase, perUnit, type PhaseMeasure } from '../phase.ts';
import { row, type ScenarioReport } from '../report.ts';
import { inParallel, percentile } from '../stats.ts';
import { startWorker, type StartWorkerOptions } from '../workers.ts';
import { noopWorkflow } from '../workflows.ts';

const { EventType } = proto.temporal.api.enums.v1;

export interface ThroughputOptions {
  /** How long each side keeps starting work. */
  seconds: number;
  /** Coordinators (or baseline clients) working at once. */
  concurrency: number;
  /** Documents each case needs (1 to 5 of the standard list). */
  documents: number;
  /** Cases (bare: five times as many workflows) run before measuring. */
  warmup: number;
}

export const throughputDefaults: ThroughputOptions = { seconds: 40, concurrency: 16, documents: 5, warmup: 4 };

interface LoopResult {
  latencies: number[];
  /** Completions per second in the steady window. */
  rate: number;
  /** The steady window: from the moment every lane has finished once to the end of the run. */
  windowSeconds: number;
  windowCompletions: number;
  note?: string;
}

/**
 * Runs `lanes` loops that each call `once(i)` until `seconds` have passed. The rate counts the
 * completions between the lanes' first round (the ramp) and the deadline: with per-item latencies
 * of seconds, counting from the start would understate the rate and counting the drain would
 * overstate it.
 */
async function closedLoop(seconds: number, lanes: number, once: (i: number) => Promise<void>): Promise<LoopResult> {
  const latencies: number[] = [];
  const done: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let next = 0;
  await inParallel(lanes, lanes, async () => {
    while (performance.now() < deadline) {
      const i = next++;
      const s = performance.now();
      await once(i);
      const e = performance.now();
      latencies.push(e - s);
      done.push(e);
    }
  });
  done.sort((a, b) => a - b);
  const from = done[lanes - 1];
  const inWindow = from === undefined ? 0 : done.filter((t) => t > from && t <= deadline).length;
  if (from === undefined || inWindow < lanes) {
    const elapsed = ((done[done.length - 1] ?? performance.now()) - t0) / 1000;
    return { latencies, rate: done.length / elapsed, windowSeconds: elapsed, windowCompletions: done.length, note: 'the run was too short for a steady window: the rate counts the whole run, ramp and drain included' };
  }
  const windowSeconds = (deadline - from) / 1000;
  return { latencies, rate: inWindow / windowSeconds, windowSeconds, windowCompletions: inWindow };
}

interface HistoryShape {
  events: number;
  workflowTasks: number;
  activities: number;
}

/** Mean history events, completed workflow tasks and scheduled activities over the workflows named (NaN for none). */
async function historyShape(client: Client, workflowIds: readonly string[]): Promise<HistoryShape> {
  const shapes = await Promise.all(
    workflowIds.map(async (id) => {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const count = (type: number) => events.filter((e) => e.eventType === type).length;
      return { events: events.length, workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) };
    }),
  );
  const meanOf = (k: keyof HistoryShape) => (shapes.length ? shapes.reduce((a, x) => a + x[k], 0) / shapes.length : Number.NaN);
  return { events: meanOf('events'), workflowTasks: meanOf('workflowTasks'), activities: meanOf('activities') };
}

const fmtShape = (x: HistoryShape) => `${x.events.toFixed(0)}, ${x.workflowTasks.toFixed(0)}, ${x.activities.toFixed(0)}`;

export async function runThroughput(ctx: BenchContext, opts: ThroughputOptions): Promise<ScenarioReport> {
  const documents = DOCUMENT_TYPES.slice(0, Math.max(1, Math.min(opts.documents, DOCUMENT_TYPES.length)));
  const taskQueue = `bench-throughput-${ctx.runId}`;
  const hospital = `TP${ctx.runId}`;
  const actions = await benchActions(caseClient(ctx), ctx.db, taskQueue, hospital);
  const watcher = new Watcher(ctx.db);
  const d = { actions, watcher, hospital };
  const context: Record<string, string | number> = {};

  /** One side: its worker, `warmups` runs of `warmup`, then `once` in the closed loop, measured. */
  const side = async (worker: StartWorkerOptions, warmups: number, warmup: (i: number) => Promise<unknown>, once: (i: number) => Promise<unknown>) => {
    ctx.log(`throughput: ${worker.label} for ${opts.seconds} s, ${opts.concurrency} at once`);
    const handle = await startWorker(ctx, worker);
    try {
      await inParallel(warmups, opts.concurrency, warmup);
      const { result, m } = await measurePhase(ctx, handle, () => closedLoop(opts.seconds, opts.concurrency, async (i) => void (await once(i))));
      return { ...result, measure: m };
    } finally {
      await handle.stop();
    }
  };

  // ---- the service ----
  const caseIds: string[] = [];
  let caseSide: LoopResult & { measure: PhaseMeasure };
  try {
    caseSide = await side(
      { kind: 'case', taskQueue, label: 'throughput-case' },
      opts.warmup,
      (i) => driveToAdmission(d, benchCase(ctx.runId, 'tpw', i, documents)),
      async (i) => caseIds.push(await driveToAdmission(d, benchCase(ctx.runId, 'tp', i, documents))),
    );
  } finally {
    watcher.stop();
  }
  const cases = caseSide.latencies.length;
  const casesPerSecond = caseSide.rate;
  let stageChanges = 0;
  for (let i = 0; i < caseIds.length; i += 1000) {
    const r = await ctx.db
      .selectFrom('timeline')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('kind', '=', 'stage_changed')
      .where('case_id', 'in', caseIds.slice(i, i + 1000))
      .executeTakeFirstOrThrow();
    stageChanges += Number(r.n);
  }
  const caseShape = await historyShape(caseClient(ctx), caseIds.slice(0, 3).map((id) => `case-${id}`));
  const bare = bareClient(ctx);

  // ---- bare Temporal: the same Updates in the same order ----
  const shapedQueue = `bench-throughput-shaped-${ctx.runId}`;
  const shaped = { ...bareDoors(bare, shapedQueue, `bench-shaped-${ctx.runId}`), hospital };
  const shapedIds: string[] = [];
  const shapedSide = await side(
    { kind: 'bare', taskQueue: shapedQueue, label: 'throughput-shaped' },
    opts.warmup,
    (i) => driveToAdmission(shaped, benchCase(ctx.runId, 'tsw', i, documents)),
    async (i) => shapedIds.push(await driveToAdmission(shaped, benchCase(ctx.runId, 'ts', i, documents))),
  );
  const shapedPerSecond = shapedSide.rate;
  const shapedShape = await historyShape(bare, shapedIds.slice(0, 3));

  // ---- bare Temporal: one no-op activity (the former baseline) ----
  const bareQueue = `bench-throughput-bare-${ctx.runId}`;
  const runBare = (id: string) => bare.workflow.execute(noopWorkflow, { taskQueue: bareQueue, workflowId: id });
  const bareSide = await side(
    { kind: 'bare', taskQueue: bareQueue, label: 'throughput-bare' },
    opts.warmup * 5,
    (i) => runBare(`bench-noop-${ctx.runId}-w${i}`),
    (i) => runBare(`bench-noop-${ctx.runId}-${i}`),
  );
  const bareWorkflows = bareSide.latencies.length;
  const barePerSecond = bareSide.rate;
  const bareShape = await historyShape(bare, [`bench-noop-${ctx.runId}-0`]);
  ctx.log('throughput: terminating the case-shaped bare workflows');
  await inParallel(shapedIds.length, 32, (i) => bare.workflow.getHandle(shapedIds[i]!).terminate('benchmark over').catch(() => undefined));

  Object.assign(
    context,
    {
      'cases completed (inquiry → admission), in the steady window': `${cases}, ${caseSide.windowCompletions} in ${caseSide.windowSeconds.toFixed(1)} s`,
      'case-shaped bare workflows completed, in the steady window': `${shapedSide.latencies.length}, ${shapedSide.windowCompletions} in ${shapedSide.windowSeconds.toFixed(1)} s`,
      'one-activity bare workflows completed, in the steady window': `${bareWorkflows}, ${bareSide.windowCompletions} in ${bareSide.windowSeconds.toFixed(1)} s`,
      'stage changes per case': cases ? stageChanges / cases : Number.NaN,
      'case latency p50 / p99 (s), inquiry → admission': `${(percentile(caseSide.latencies, 50) / 1000).toFixed(2)} / ${(percentile(caseSide.latencies, 99) / 1000).toFixed(2)}`,
      'case-shaped bare workflow latency p50 / p99 (s)': `${(percentile(shapedSide.latencies, 50) / 1000).toFixed(2)} / ${(percentile(shapedSide.latencies, 99) / 1000).toFixed(2)}`,
      'one-activity bare workflow latency p50 / p99 (ms)': `${percentile(bareSide.latencies, 50).toFixed(0)} / ${percentile(bareSide.latencies, 99).toFixed(0)}`,
      // From the histories of the first cases (and workflows) run, read after the phase.
      'history events, workflow tasks, activities per case': fmtShape(caseShape),
      'history events, workflow tasks, activities per case-shaped bare workflow': fmtShape(shapedShape),
      'history events, workflow tasks, activities per one-activity bare workflow': fmtShape(bareShape),
    },
    perUnit('service', caseSide.measure, cases, 'case'),
    perUnit('case-shaped bare', shapedSide.measure, shapedSide.latencies.length, 'workflow'),
    perUnit('one-activity bare', bareSide.measure, bareWorkflows, 'workflow'),
  );

  const ratio = casesPerSecond / shapedPerSecond;
  return {
    scenario: 'throughput',
    title: 'cases from inquiry to admission, driven through the action layer, as fast as the server takes them',
    baseline:
      'a case-shaped bare workflow (bench/workflows.ts caseShapedWorkflow) driven by the same driver: the same Updates in the same order, one no-op activity each; same worker options, same concurrency. Context: a bare workflow running one no-op activity (noopWorkflow)',
    params: { seconds: opts.seconds, concurrency: opts.concurrency, documents: documents.length },
    rows: [
      row('cases/s vs case-shaped bare workflows/s', '1/s', casesPerSecond, shapedPerSecond, { text: '≥ 0.7×', met: ratio >= 0.7 }),
      row('cases/s vs one-activity bare workflows/s', '1/s', casesPerSecond, barePerSecond),
      row('history events/s vs case-shaped bare', '1/s', casesPerSecond * caseShape.events, shapedPerSecond * shapedShape.events),
    ],
    context,
    notes: (
      [
        ['service', caseSide],
        ['case-shaped bare', shapedSide],
        ['one-activity bare', bareSide],
      ] as const
    ).flatMap(([side, r]) => (r.note ? [`${side}: ${r.note}`] : [])),
  };
}
