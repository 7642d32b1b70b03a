// A family's report and a check-in's timer can reach the case in the same workflow task (the worker
// was away, or busy, while both came). The report wins: the check-in stays answered, as the family's
// page said. Time-skipping server, real PostgreSQL and SMTP; the worker is stopped while the timer
// fires and the report waits, so that both arrive together when it starts again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, caseInMonitoring, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
beforeAll(async () => {
  // No workflow cache: a stopped worker's sticky queue would keep the task, which the time-skipping
  // server never hands to the next worker.
  t = await startCaseTestEnv({ maxCachedWorkflows: 0 });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => t?.teardown());

async function openFirstCheckin(caseId: string) {
  const s = await t.actions.status(caseId);
  const c = s.monitoring!.checkins[0]!;
  const wait = Date.parse(c.dueAt) - (await t.env.currentTimeMs());
  if (wait > 0) await t.env.sleep(wait + 1000);
  await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state === 'open', 'check-in open');
  return c;
}

describe('a report that comes with a timer', () => {
  it("stays answered when the report and the check-in's expiry reach the case in the same workflow task, and no reminder follows it", async () => {
    const { caseId } = await caseInMonitoring(t, 'HKU');
    const c = await openFirstCheckin(caseId);
    // Every escalation step has run; two seconds before the check-in expires the worker stops.
    await t.env.sleep(Date.parse(c.expiresAt) - (await t.env.currentTimeMs()) - 2000);
    await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.escalation === 'team', 'the last escalation');
    let sent: Promise<unknown> | undefined;
    await t.pauseWorker(async () => {
      // With nobody to take the workflow task, the expiry's timer fires and the family's report waits beside it.
      await t.env.sleep(3000);
      sent = t.actions.submitCheckin(caseId, c.id, { temperature: { value: 36.8, unit: 'c' }, takenAt: new Date((await t.env.currentTimeMs()) - 60_000).toISOString(), admitted: false, symptoms: {} });
      await new Promise((r) => setTimeout(r, 1000));
    });
    await expect(sent).resolves.toMatchObject({ checkinId: c.id, tier: 'none' });
    const s = await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state !== 'open', 'the check-in settled');
    expect(s.monitoring!.checkins[0]).toMatchObject({ state: 'answered', tier: 'none' });
    const row = await t.database.db.selectFrom('checkins').select('state').where('case_id', '=', caseId).where('checkin_id', '=', c.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('answered');
  });
});
