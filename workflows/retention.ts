// The vault's retention sweep: a Temporal Schedule (worker/retention-schedule.ts) starts it once a
// day; it shreds the files of every case that ended more than VAULT_RETENTION_DAYS ago. It asks
// with its own clock, so that the time-skipping test server can move a year on.
import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/index.ts';

const { expiredCases, shredCase } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function retentionSweep(): Promise<{ shredded: string[] }> {
  const now = Date.now();
  const cases = await expiredCases(now);
  for (const caseId of cases) await shredCase({ caseId, nowMs: now });
  return { shredded: cases };
}
