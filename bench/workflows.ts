// Bare-Temporal baselines for the benchmarks (bench/README in BENCHMARKS.md): the least a workflow
// can do for each thing a case does, run by a worker configured like the case worker. This module
// is a workflowsPath of its own: deterministic, no I/O.
import { condition, defineQuery, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

/** Which email a bare workflow sends: the size of a check-in request, or of a CRS alert to the treating team. */
export type BareEmail = 'checkin' | 'alert';

export interface BareActivities {
  /** Does nothing. */
  noop(): Promise<void>;
  /** Sends one email (a check-in request unless `kind` says otherwise) through a pooled nodemailer transport. */
  sendEmail(input: { id: string; kind?: BareEmail }): Promise<void>;
}

const { noop, sendEmail } = proxyActivities<BareActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export const BARE_TASK_QUEUE_PREFIX = 'bench-bare';

/** The bare Update: answered at once, nothing recorded. */
export const ping = defineUpdate<{ ok: true }, [{ n: number }]>('ping');
export const bareStatus = defineQuery<string>('bareStatus');
/** The bare report that raises an alert: answered at once, its email sent after, as a case escalates a report. */
export const bareAlert = defineUpdate<{ ok: true }, [{ n: number }]>('bareAlert');
/** A case's action without the case: the action's name and arguments, as the action layer sends them. */
export const bareAction = defineUpdate<{ ok: true }, [{ action: string; args: unknown }]>('bareAction');

/** The former throughput baseline, kept as context: one workflow, one no-op activity. */
export async function noopWorkflow(): Promise<void> {
  await noop();
}

/**
 * Throughput baseline: a case's shape without its work. It takes the Updates a case takes, in the
 * order the benchmark's driver sends them (bench/drive.ts drives both), each running one no-op
 * activity before it answers, and stays open as a case in admission does. It also answers the bare
 * Update, the coordinator scenario's baseline.
 */
export async function caseShapedWorkflow(): Promise<void> {
  setHandler(ping, () => ({ ok: true }) as const);
  setHandler(bareAction, async () => {
    await noop();
    return { ok: true } as const;
  });
  await condition(() => false, '30 days');
}

/** At-rest baseline: one pending timer, like a case between two check-ins, and a query. */
export async function restingWorkflow(): Promise<void> {
  setHandler(bareStatus, () => 'resting');
  await sleep('30 days');
}

/**
 * Burst baseline: a timer due at `dueAt` (epoch ms), then one email, then it waits (a month at
 * most) while answering the bare Update, as a case answers check-in reports, and sending an alert
 * email for each bareAlert, as a case escalates an alarming report.
 */
export async function burstWorkflow(input: { id: string; dueAt: number }): Promise<void> {
  let alerts = 0;
  setHandler(bareStatus, () => 'waiting');
  setHandler(ping, () => ({ ok: true }) as const);
  setHandler(bareAlert, () => {
    alerts++;
    return { ok: true } as const;
  });
  const wait = input.dueAt - Date.now();
  if (wait > 0) await sleep(wait);
  await sendEmail({ id: input.id });
  while (await condition(() => alerts > 0, '30 days')) {
    alerts--;
    await sendEmail({ id: input.id, kind: 'alert' });
  }
}
