// Scenario 1, case throughput: cases opened and driven by scripted coordinator actions through the
// action layer, from inquiry to admission, by `concurrency` coordinators at once for `seconds`
// (closed loop: each starts the next case as soon as one reaches admission). Baseline, same server,
// same concurrency: a bare workflow that runs one no-op activity, started and awaited.
import { randomBytes } from 'node:crypto';
import { createCaseActions } from '../../client/actions.ts';
import { DOCUMENT_TYPES } from '../../domain/case.ts';
import { bareClient, caseClient, type BenchContext } from '../context.ts';
import { addBenchHospital, benchCase, driveToAdmission, Watcher } from '../drive.ts';
import { measurePhase, perUnit, type PhaseMeasure } from '../phase.ts';
import { row, type ScenarioReport } from '../report.ts';
import { inParallel, percentile } from '../stats.ts';
import { startWorker } from '../workers.ts';
import { noopWorkflow } from '../workflows.ts';
import { createIdentifiers } from '../../common/identifiers.ts';

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

export async function runThroughput(ctx: BenchContext, opts: ThroughputOptions): Promise<ScenarioReport> {
  const documents = DOCUMENT_TYPES.slice(0, Math.max(1, Math.min(opts.documents, DOCUMENT_TYPES.length)));
  const taskQueue = `bench-throughput-${ctx.runId}`;
  const hospital = `TP${ctx.runId}`;
  const actions = createCaseActions({ client: caseClient(ctx), db: ctx.db, taskQueue , identifiers: createIdentifiers(randomBytes(32)) });
  const watcher = new Watcher(ctx.db);
  await addBenchHospital(actions, hospital);
  const d = { actions, watcher, hospital };
  const context: Record<string, string | number> = {};

  // ---- the service ----
  ctx.log(`throughput: cases for ${opts.seconds} s, ${opts.concurrency} at once`);
  const caseIds: string[] = [];
  let caseSide: LoopResult;
  let caseMeasure: PhaseMeasure;
  const caseWorker = await startWorker(ctx, { kind: 'case', taskQueue, label: 'throughput-case' });
  try {
    await inParallel(opts.warmup, opts.concurrency, (i) => driveToAdmission(d, benchCase(ctx.runId, 'tpw', i, documents)));
    const { result, m } = await measurePhase(ctx, caseWorker, () =>
      closedLoop(opts.seconds, opts.concurrency, async (i) => {
        caseIds.push(await driveToAdmission(d, benchCase(ctx.runId, 'tp', i, documents)));
      }),
    );
    caseSide = result;
    caseMeasure = m;
  } finally {
    watcher.stop();
    await caseWorker.stop();
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
  const sample = caseIds.slice(0, 3);
  const client = caseClient(ctx);
  const caseEvents = sample.length ? (await Promise.all(sample.map(async (id) => (await client.workflow.getHandle(`case-${id}`).fetchHistory()).events?.length ?? 0))).reduce((a, b) => a + b, 0) / sample.length : Number.NaN;

  // ---- bare Temporal ----
  ctx.log(`throughput: bare workflows for ${opts.seconds} s, ${opts.concurrency} at once`);
  const bareQueue = `bench-throughput-bare-${ctx.runId}`;
  const bare = bareClient(ctx);
  const runBare = (id: string) => bare.workflow.execute(noopWorkflow, { taskQueue: bareQueue, workflowId: id });
  const bareWorker = await startWorker(ctx, { kind: 'bare', taskQueue: bareQueue, label: 'throughput-bare' });
  let bareSide: LoopResult;
  let bareMeasure: PhaseMeasure;
  try {
    await inParallel(opts.warmup * 5, opts.concurrency, (i) => runBare(`bench-noop-${ctx.runId}-w${i}`));
    const { result, m } = await measurePhase(ctx, bareWorker, () => closedLoop(opts.seconds, opts.concurrency, (i) => runBare(`bench-noop-${ctx.runId}-${i}`)));
    bareSide = result;
    bareMeasure = m;
  } finally {
    await bareWorker.stop();
  }
  const bareWorkflows = bareSide.latencies.length;
  const barePerSecond = bareSide.rate;
  const bareEvents = (await bare.workflow.getHandle(`bench-noop-${ctx.runId}-0`).fetchHistory()).events?.length ?? Number.NaN;

  Object.assign(
    context,
    {
      'cases completed (inquiry → admission), in the steady window': `${cases}, ${caseSide.windowCompletions} in ${caseSide.windowSeconds.toFixed(1)} s`,
      'bare workflows completed, in the steady window': `${bareWorkflows}, ${bareSide.windowCompletions} in ${bareSide.windowSeconds.toFixed(1)} s`,
      'stage changes per case': cases ? stageChanges / cases : Number.NaN,
      'case latency p50 / p99 (s), inquiry → admission': `${(percentile(caseSide.latencies, 50) / 1000).toFixed(2)} / ${(percentile(caseSide.latencies, 99) / 1000).toFixed(2)}`,
      'bare workflow latency p50 / p99 (ms)': `${percentile(bareSide.latencies, 50).toFixed(0)} / ${percentile(bareSide.latencies, 99).toFixed(0)}`,
      'history events per case / per bare workflow': `${caseEvents.toFixed(0)} / ${bareEvents}`,
    },
    perUnit('service', caseMeasure, cases, 'case'),
    perUnit('bare', bareMeasure, bareWorkflows, 'workflow'),
  );

  const ratio = casesPerSecond / barePerSecond;
  return {
    scenario: 'throughput',
    title: 'cases from inquiry to admission, driven through the action layer, as fast as the server takes them',
    baseline: 'a bare workflow running one no-op activity (bench/workflows.ts noopWorkflow), same worker options, same concurrency',
    params: { seconds: opts.seconds, concurrency: opts.concurrency, documents: documents.length },
    rows: [
      row('cases/s vs bare workflows/s', '1/s', casesPerSecond, barePerSecond, { text: '≥ 0.5×', met: ratio >= 0.5 }),
      row('stage changes/s vs bare workflow completions/s', '1/s', (stageChanges / Math.max(1, cases)) * casesPerSecond, barePerSecond),
      row('history events/s', '1/s', casesPerSecond * caseEvents, barePerSecond * bareEvents),
    ],
    context,
    notes: [caseSide.note, bareSide.note].filter((n): n is string => n !== undefined),
  };
}
