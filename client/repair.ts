// Repairing a case whose workflow task keeps failing because its history no longer replays (README,
// "A case whose workflow task keeps failing"; test/replay/upstream.test.ts for the SDK bug that
// does it): the case's workflow is reset to the latest workflow task that the worker's code replays,
// and the Updates after it are reapplied, so that the case takes those steps again from there.
// `casectl case repair` is its door for people; the worker's repair sweep (worker/repair-sweep.ts)
// takes it itself where its own build wrote what it cannot replay.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { isCaseId } from '../domain/case.ts';
import { caseWorkflowId } from '../workflows/messages.ts';
import { CaseNotFoundError } from './case-calls.ts';

type History = proto.temporal.api.history.v1.IHistory;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type ResetRequest = proto.temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest;
const ResetRequest = proto.temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest;
const { EventType, ResetReapplyType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

/**
 * Replays histories of one workflow in turn with the worker's workflow code and payload codec, and
 * says of each whether it replayed (false: a nondeterminism error). The next history is read only
 * once the previous one's answer has been taken, so that what is replayed next can depend on it.
 */
export type Replayer = (workflowId: string, histories: AsyncIterable<History>) => AsyncIterable<boolean>;

/** Where a stuck case would be reset to, and what comes back with it. */
export interface ResetPlan {
  caseId: string;
  stuck: true;
  /** The run whose workflow task keeps failing. */
  runId: string;
  /** The WorkflowTaskCompleted event reset to: the latest one whose history up to it replays. */
  resetEventId: number;
  /** Updates accepted (or admitted) after it: the reset reapplies them. */
  updatesAfter: number;
  /**
   * The build ids of the workers that completed the workflow task it ends (whose commands do not
   * replay) and those after it. A worker's build id names its workflow code (the SDK derives it
   * from the bundle), so where it is the replaying worker's own, the code did not change: the same
   * code wrote what it cannot replay, which is the SDK's bug, not a deploy without a patch.
   */
  writtenBy: string[];
}

export type Diagnosis = { caseId: string; stuck: false; runId: string; why: string } | ResetPlan;

export interface Repaired extends ResetPlan {
  newRunId: string;
}

/**
 * Failures the server records itself when an event raced a completion or a reset ended the task:
 * the next attempt takes the task. (Right after a repair, the new run's last workflow task is the
 * one its reset failed.)
 */
const SERVER_FAILURES: ReadonlySet<number> = new Set([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
]);

const eventId = (e: HistoryEvent): number => Number(e.eventId);

/** Whether the last workflow task the history records an end of was failed by a worker. */
function lastTaskFailed(events: HistoryEvent[]): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED || e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) return false;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) return !SERVER_FAILURES.has(e.workflowTaskFailedEventAttributes?.cause ?? 0);
  }
  return false;
}

/** The Updates after `afterId` by their ids: an Update admitted then accepted is one. */
function updatesAfter(events: HistoryEvent[], afterId: number): number {
  const ids = new Set<string>();
  for (const e of events) {
    if (eventId(e) <= afterId) continue;
    const id = e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? e.workflowExecutionUpdateAdmittedEventAttributes?.request?.meta?.updateId;
    if (id) ids.add(id);
  }
  return ids.size;
}

/**
 * The distinct build ids of the workers that completed the tasks from `fromId` on, in order: the
 * task completed there wrote the commands that do not replay. A task whose build is not recorded
 * counts as '' (no build's).
 */
function buildIdsFrom(events: HistoryEvent[], fromId: number): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    if (eventId(e) < fromId || e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) continue;
    const done = e.workflowTaskCompletedEventAttributes;
    ids.add(done?.deploymentVersion?.buildId || done?.workerVersion?.buildId || '');
  }
  return [...ids];
}

export class NotRepairableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotRepairableError';
  }
}

/**
 * The latest WorkflowTaskCompleted event whose history up to it replays; 'replays' when the whole
 * history does (its failing task is not a replay failure), 'none' when not even the first task does.
 *
 * Binary search, not a scan backwards from the end: a history that replays up to an event replays up
 * to every earlier one (a replay checks each task's commands in order, and the last task's commands
 * are not checked), so the events that replay are a prefix. And the misordered task is not always
 * near the end: the worker that wrote it keeps the case in its cache and completes its later tasks
 * without replaying until a worker that just started takes one (the history of
 * test/replay/upstream.test.ts has 17 tasks after its misordered one, of 77). Each replay costs the
 * length of the history; the search needs about log2(tasks) of them, a scan one per task since.
 */
async function resetPoint(replay: Replayer, workflowId: string, events: HistoryEvent[]): Promise<number | 'replays' | 'none'> {
  const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map(eventId);
  const upTo = (id: number): History => ({ events: events.filter((e) => eventId(e) <= id) });
  let lo = 0;
  let hi = completed.length - 1;
  let probe = -1;
  let best = -1;
  // First the whole history, as a worker replays it; then the search, each probe chosen by the answers so far.
  async function* histories(): AsyncGenerator<History> {
    yield { events };
    while (lo <= hi) {
      probe = (lo + hi) >> 1;
      yield upTo(completed[probe]!);
    }
  }
  let whole: boolean | undefined;
  for await (const clean of replay(workflowId, histories())) {
    if (whole === undefined) {
      whole = clean;
      if (clean) return 'replays';
    } else if (clean) {
      best = probe;
      lo = probe + 1;
    } else {
      hi = probe - 1;
    }
  }
  return best < 0 ? 'none' : completed[best]!;
}

export function createCaseRepairs({ client, replay }: { client: Client; replay: Replayer }) {
  /** Whether the case's workflow task keeps failing, and if so where a reset would take it. Changes nothing. */
  async function diagnose(caseId: string): Promise<Diagnosis> {
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    const workflowId = caseWorkflowId(caseId);
    const described = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch((err: unknown) => Promise.reject(err instanceof WorkflowNotFoundError ? new CaseNotFoundError(caseId) : err));
    const { runId } = described;
    if (described.status.name !== 'RUNNING') return { caseId, stuck: false, runId, why: `its workflow has ended (${described.status.name.toLowerCase()})` };
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    // A task that failed before a worker was killed, and failed again on the next worker, is written
    // once as timed out: later attempts are not in the history, only in its pending task's attempt.
    const failing = lastTaskFailed(events) || (described.raw.pendingWorkflowTask?.attempt ?? 0) > 1;
    if (!failing) return { caseId, stuck: false, runId, why: 'its workflow tasks complete' };
    const at = await resetPoint(replay, workflowId, events);
    if (at === 'replays') {
      throw new NotRepairableError(`the workflow task of case ${caseId} keeps failing, but its history replays with this code: a reset would not help (the worker's log says why it fails); nothing was changed`);
    }
    if (at === 'none') throw new NotRepairableError(`not even the first workflow task of case ${caseId} replays with this code: there is nothing to reset to; nothing was changed`);
    return { caseId, stuck: true, runId, resetEventId: at, updatesAfter: updatesAfter(events, at), writtenBy: buildIdsFrom(events, at) };
  }

  /**
   * Resets the stuck run to the plan's event, reapplying what came after it; answers the new run.
   * `by` says who asked, for the reason the history keeps: a staff account or a worker, never
   * anything of the case.
   */
  async function reset(plan: ResetPlan, by: string): Promise<Repaired> {
    const request: Omit<ResetRequest, 'workflowTaskFinishEventId'> & { workflowTaskFinishEventId: number } = {
      namespace: client.options.namespace,
      // The run that was examined: should another repair (a person's or a worker's sweep) have reset
      // it meanwhile, this one asks the same of the same run, with the same request id, and the
      // server answers with the run it made.
      workflowExecution: { workflowId: caseWorkflowId(plan.caseId), runId: plan.runId },
      reason: `${by}: the workflow task failed on replay; reset to event ${plan.resetEventId}`,
      workflowTaskFinishEventId: plan.resetEventId,
      requestId: `case-repair-${plan.runId}-${plan.resetEventId}`,
      // Explicitly all (signals and Updates): the deprecated field's documented default is signals
      // only, and the Updates after the reset point are the actions staff and families took.
      resetReapplyType: ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
      resetReapplyExcludeTypes: [],
      identity: client.options.identity,
    };
    // fromObject makes the event id the int64 the message's typings ask for.
    const { runId } = await client.workflowService.resetWorkflowExecution(ResetRequest.fromObject(request));
    return { ...plan, newRunId: runId };
  }

  return { diagnose, reset };
}

export type CaseRepairs = ReturnType<typeof createCaseRepairs>;

/**
 * The replayer of the worker's own code: the case workflows bundled as every worker bundles them,
 * and its payload codec. The worker's package (a native module) and webpack are loaded only here,
 * so that other commands do not pay for them, and a case that is not stuck never bundles.
 */
export function workerReplayer(dataConverter: DataConverter, workflowBundle?: WorkflowBundleWithSourceMap): Replayer {
  // Bundled on the first replay and kept: a caller may replay many cases (the chaos checks do). A
  // worker passes the bundle it runs.
  let bundled: Promise<WorkflowBundleWithSourceMap> | undefined = workflowBundle && Promise.resolve(workflowBundle);
  return async function* replay(workflowId, histories) {
    const [{ DefaultLogger, ReplayError, Runtime, Worker, makeTelemetryFilterString }, { bundleCaseWorkflows }] = await Promise.all([import('@temporalio/worker'), import('../worker/bundle.ts')]);
    // Replaying a history that does not replay is the point here: Core's warnings about it would
    // break the command's output (one line on stderr, only on an error). A process that has its
    // Runtime already (casectl run in-process by a test or the fuzz suite) keeps it.
    if (!Runtime._instance) {
      Runtime.install({ logger: new DefaultLogger('ERROR', () => {}), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
    }
    const bundle = await (bundled ??= bundleCaseWorkflows());
    async function* named() {
      for await (const history of histories) yield { history, workflowId };
    }
    for await (const { error } of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter }, named())) {
      if (error instanceof ReplayError) {
        // Not nondeterminism: the code failed a task, or the payloads do not decode. Its message may
        // quote what the workflow failed on, so it is not repeated.
        throw new NotRepairableError('replaying the case failed for another reason than nondeterminism (are PAYLOAD_KEYS the worker\'s?); nothing was changed');
      }
      yield error === undefined;
    }
  };
}
