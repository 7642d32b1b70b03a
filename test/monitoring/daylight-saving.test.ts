// A check-in window that crosses Europe's spring daylight-saving change, on the time-skipping
// server: the emails go out at the same local hour before and after the change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, caseInMonitoring, type CaseTestEnv } from '../harness/case-env.ts';
import { toLocal } from '../../domain/time.ts';

let t: CaseTestEnv;
beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'MAD', name: 'Hospital Madrid', email: 'team@mad.test', language: 'en', timezone: 'Europe/Madrid', phone: '+34 91 000 0000' });
});
afterAll(async () => t?.teardown());

describe('check-ins across a daylight-saving change', () => {
  it('are sent at 09:00 and 21:00 Madrid time on both sides of 28 March 2027', async () => {
    // Move the server's clock to just before the change, then run a case to monitoring.
    const target = Date.parse('2027-03-26T12:00:00Z');
    await t.env.sleep(target - (await t.env.currentTimeMs()));
    const { caseId } = await caseInMonitoring(t, 'MAD');

    // Four days of check-ins (unanswered: the ladder runs too), across the change.
    await t.env.sleep('4 days');
    await t.smtp.waitFor(8, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'checkin_request');
    const sent = await t.database.db
      .selectFrom('timeline')
      .select(['at'])
      .where('case_id', '=', caseId)
      .where('summary', '=', 'Email sent: checkin_request to family')
      .orderBy('at')
      .execute();
    const local = sent.map((r) => toLocal(r.at.getTime(), 'Europe/Madrid'));
    expect(local.map((l) => `${l.month}-${l.day} ${l.hour}:${String(l.minute).padStart(2, '0')}`)).toEqual([
      '3-26 21:00', '3-27 9:00', '3-27 21:00', '3-28 9:00', '3-28 21:00', '3-29 9:00', '3-29 21:00', '3-30 9:00',
    ]);
    // In UTC the hour moved by one: the local hour did not.
    expect(sent[1]!.at.toISOString().slice(0, 16)).toBe('2027-03-27T08:00');
    expect(sent[5]!.at.toISOString().slice(0, 16)).toBe('2027-03-29T07:00');
    await t.endCase(caseId);
  });
});
