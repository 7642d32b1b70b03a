// The daily retention sweep (workflows/retention.ts) as a Temporal Schedule, one per task queue:
// made by the worker when it starts if it does not exist yet, so a deployment needs no extra step.
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';

export const retentionScheduleId = (taskQueue: string): string => `vault-retention-${taskQueue}`;

export async function ensureRetentionSchedule(opts: { connection: NativeConnection; namespace: string; taskQueue: string; dataConverter?: DataConverter }): Promise<'created' | 'exists'> {
  const client = new Client({ connection: opts.connection, namespace: opts.namespace, ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}) });
  try {
    await client.schedule.create({
      scheduleId: retentionScheduleId(opts.taskQueue),
      spec: { intervals: [{ every: '1 day' }] },
      // A sweep still running when the next is due (a large backlog): the next waits for a day.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: { type: 'startWorkflow', workflowType: 'retentionSweep', workflowId: `retention-sweep-${opts.taskQueue}`, taskQueue: opts.taskQueue, args: [] },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
