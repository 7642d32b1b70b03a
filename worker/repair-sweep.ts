// The worker's repair sweep: it finds the cases of its task queue whose workflow task keeps failing
// and resets each, as `casectl case repair` would (client/repair.ts), where its own build wrote every
// task it cannot replay. That is the SDK's cold-start bug (README, "A case whose workflow task keeps
// failing"): the same code wrote what it cannot read back, and a reset takes the same steps again.
// It does not wait for a person because a stuck case in the CRS window sends no check-in and raises
// no missed-check-in alert: nothing would tell anyone until someone looked.
//
// A case stuck after a change of code (tasks written by another build: a deploy without a patch) is
// left for a person and logged once per run: resetting it would hide the defect that needs fixing.
//
// Temporal lists such cases under the `TemporalReportedProblems` search attribute once their tasks
// failed or timed out several times in a row (deploy/temporal/dynamicconfig.yaml and the dev
// server's flags in local/temporal-binaries.ts turn it on); the Web UI's task-failures view reads the
// same list.
import type { Client } from '@temporalio/client';
import type { Logger, MetricMeter } from '@temporalio/common';
import { NotRepairableError, type CaseRepairs, type Diagnosis, type Repaired } from '../client/repair.ts';

const CASE_WORKFLOW_ID = /^case-(c[0-9a-f]{12})$/;

export interface RepairSweepOptions {
  client: Client;
  repairs: CaseRepairs;
  taskQueue: string;
  /** The worker's build id (`worker.options.buildId`): only what it wrote is its to repair. */
  buildId: string;
  /** Who the reset's reason names, e.g. the worker's identity. */
  by: string;
  logger: Logger;
  metricMeter?: MetricMeter;
  /** Between the end of one sweep and the start of the next. Default 30 s. */
  everyMs?: number;
}

/** What one sweep did: cases reset, and cases left (with why) that are stuck or failing. */
type Why = 'no-reset-helps' | 'other-build';

export interface SweepOutcome {
  repaired: Repaired[];
  left: { caseId: string; runId: string; why: Why }[];
}

export function casesWithFailingTasks(taskQueue: string): string {
  return (
    `WorkflowType = 'caseWorkflow' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND ` +
    `TemporalReportedProblems IN ('category=WorkflowTaskFailed', 'category=WorkflowTaskTimedOut')`
  );
}

export function createRepairSweep(opts: RepairSweepOptions) {
  const { client, repairs, taskQueue, buildId, by, logger } = opts;
  const counter = opts.metricMeter?.createCounter('case_repair_sweep', 'cases', 'Stuck cases the worker reset (outcome=repaired) or left for a person (outcome=left)');
  // Runs logged as left to a person, each once. Those another build wrote are not replayed again
  // at every sweep (only a person's repair, which makes a new run, changes them); those whose tasks
  // fail or time out for another reason are looked at again, as they may recover or get stuck.
  const leftRuns = new Map<string, Why>();

  function leave(d: { caseId: string; runId: string }, why: Why, left: SweepOutcome['left']): void {
    left.push({ caseId: d.caseId, runId: d.runId, why });
    if (leftRuns.has(d.runId)) return;
    leftRuns.set(d.runId, why);
    counter?.add(1, { outcome: 'left' });
    // no-reset-helps: the history replays with this code, so the task fails or times out for
    // another reason (`casectl case repair --dry-run` and the worker's log say which). other-build:
    // a change of code without a patch; `casectl case repair` once it is understood.
    logger.error('Case left stuck for a person', { caseId: d.caseId, runId: d.runId, kind: why });
  }

  /** One pass over the listed cases. */
  async function sweep(): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { repaired: [], left: [] };
    for await (const execution of client.workflow.list({ query: casesWithFailingTasks(taskQueue) })) {
      const caseId = CASE_WORKFLOW_ID.exec(execution.workflowId)?.[1];
      if (!caseId) continue;
      if (leftRuns.get(execution.runId) === 'other-build') {
        leave({ caseId, runId: execution.runId }, 'other-build', outcome.left);
        continue;
      }
      let d: Diagnosis;
      try {
        d = await repairs.diagnose(caseId);
      } catch (err) {
        if (!(err instanceof NotRepairableError)) throw err;
        leave({ caseId, runId: execution.runId }, 'no-reset-helps', outcome.left);
        continue;
      }
      // Not stuck (its tasks complete again, or it has ended since it was listed): nothing to do.
      if (!d.stuck) continue;
      if (d.writtenBy.some((id) => id !== buildId)) {
        leave(d, 'other-build', outcome.left);
        continue;
      }
      const repaired = await repairs.reset(d, by);
      outcome.repaired.push(repaired);
      counter?.add(1, { outcome: 'repaired' });
      logger.warn('Stuck case reset to the last workflow task that replays', { caseId, runId: repaired.newRunId, size: repaired.updatesAfter });
    }
    return outcome;
  }

  /** Sweeps every `everyMs` until `signal` aborts; resolves once the last sweep has ended. */
  async function run(signal: AbortSignal): Promise<void> {
    const every = opts.everyMs ?? 30_000;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, every);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (signal.aborted) return;
      try {
        await sweep();
      } catch (err) {
        // Temporal away or restarting: the next sweep tries again.
        logger.warn('Repair sweep failed, trying again at the next one', { error: err });
      }
    }
  }

  return { sweep, run };
}
