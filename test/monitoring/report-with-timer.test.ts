// A family's report and a check-in's timer can reach the case in the same workflow task (the worker
// was away, or busy, while both came). The report wins: the check-in stays answered, as the family's
// page said. Time-skipping server, real PostgreSQL and SMTP; the worker is stopped while the timer
// fires and the report waits, so that both arrive together when it starts again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, caseInMonitoring, reportWithExpiry, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
beforeAll(async () => {
  // No workflow cache: a stopped worker's sticky queue would keep the task, which the time-skipping
  // server never hands to the next worker.
  t = await startCaseTestEnv({ maxCachedWorkflows: 0 });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => t?.teardown());

describe('a report that comes with a timer', () => {
  it("stays answered when the report and the check-in's expiry reach the case in the same workflow task, and no reminder follows it", async () => {
    const { caseId } = await caseInMonitoring(t, 'HKU');
    const c = (await t.actions.status(caseId)).monitoring!.checkins[0]!;
    await expect(reportWithExpiry(t, caseId)).resolves.toMatchObject({ checkinId: c.id, tier: 'none' });
    const s = await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state !== 'open', 'the check-in settled');
    expect(s.monitoring!.checkins[0]).toMatchObject({ state: 'answered', tier: 'none' });
    const row = await t.database.db.selectFrom('checkins').select('state').where('case_id', '=', caseId).where('checkin_id', '=', c.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('answered');
  });
});
