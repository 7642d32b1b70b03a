// Post-infusion monitoring on the time-skipping server with the real database and SMTP: the
// check-in protocol over the 14-day window, triage and grading, and escalation to humans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { startCaseTestEnv, caseInMonitoring, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
const TEAM = 'intl@hku.test';
const COORDINATOR = 'coordinator@care.test';
const FAMILY = 'lucia.family@example.org';

beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: TEAM, language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => t?.teardown());

const ofCase = (caseId: string, kind?: string, to?: string) => (m: ParsedMail) =>
  m.headers.get('x-case-id') === caseId && (!kind || m.headers.get('x-email-kind') === kind) && (!to || JSON.stringify(m.to).includes(to));
const mails = (caseId: string, kind?: string, to?: string) => t.smtp.messages.filter(ofCase(caseId, kind, to));
const well = (takenAt: string) => ({ temperature: { value: 36.8, unit: 'c' }, takenAt, admitted: false, symptoms: {} });
const fever = (takenAt: string, value = 38.4) => ({ temperature: { value, unit: 'c' }, takenAt, admitted: false, symptoms: { chills: true } });

const infused = (hospital = 'HKU') => caseInMonitoring(t, hospital);

/** Sleeps until check-in `id` is open and returns its status. */
async function openCheckin(caseId: string, id: number) {
  const s = await t.actions.status(caseId);
  const c = s.monitoring!.checkins.find((x) => x.id === id)!;
  const wait = Date.parse(c.dueAt) - (await t.env.currentTimeMs());
  if (wait > 0) await t.env.sleep(wait + 1000);
  return (await t.waitForStatus(caseId, (x) => x.monitoring!.checkins.find((y) => y.id === id)!.state === 'open', `check-in ${id} open`)).monitoring!.checkins.find((y) => y.id === id)!;
}

const local = async () => new Date((await t.env.currentTimeMs()) + 0).toISOString();

describe('monitoring', () => {
  it('runs the whole window with every check-in answered, then hands off to follow-up with a summary', async () => {
    const { caseId, status } = await infused();
    const m = status.monitoring!;
    expect(m.protocol).toMatchObject({ name: 'default', windowDays: 14, feverThresholdC: 38, team: { email: TEAM, phone24h: '+852 5555 0100' } });
    // Twice a day on days 0-7, once a day on days 8-14 (day 0 only after the infusion).
    expect(m.checkins.filter((c) => c.day === 3)).toHaveLength(2);
    expect(m.checkins.filter((c) => c.day === 10)).toHaveLength(1);
    expect(m.checkins.at(-1)!.day).toBe(14);

    for (const c of m.checkins) {
      await openCheckin(caseId, c.id);
      const outcome = await t.actions.submitCheckin(caseId, c.id, well(await local()));
      expect(outcome).toMatchObject({ checkinId: c.id, tier: 'none', teamPhone: '+852 5555 0100' });
    }
    expect(mails(caseId, 'checkin_request', FAMILY)).toHaveLength(m.checkins.length);
    await t.env.sleep(Date.parse(m.windowEndsAt) - (await t.env.currentTimeMs()) + 1000);
    const s = await t.waitForStatus(caseId, (x) => x.stage === 'follow_up', 'follow_up');
    expect(s.monitoring).toMatchObject({ highestCrsGrade: 0, highestIcansGrade: 0, feverDays: 0 });
    expect(s.alerts).toEqual([]);

    const [toCoordinator] = await t.smtp.waitFor(1, ofCase(caseId, 'monitoring_handoff_coordinator', COORDINATOR));
    await t.smtp.waitFor(1, ofCase(caseId, 'monitoring_handoff_team', TEAM));
    expect(toCoordinator!.text).toContain(String(m.checkins.length));
    expect(mails(caseId, 'checkin_reminder')).toEqual([]);
    const rows = await t.database.db.selectFrom('checkins').select(['state', 'tier']).where('case_id', '=', caseId).execute();
    expect(rows).toHaveLength(m.checkins.length);
    expect(rows.every((r) => r.state === 'answered' && r.tier === 'none')).toBe(true);
    await t.endCase(caseId);
  });

  it('a fever on day 2 reaches the treating team and the coordinator at once', async () => {
    const { caseId, status } = await infused();
    const day2 = status.monitoring!.checkins.find((c) => c.day === 2)!;
    await openCheckin(caseId, day2.id);
    const outcome = await t.actions.submitCheckin(caseId, day2.id, fever(await local()));
    expect(outcome.tier).toBe('contact_team');
    expect(outcome.reasons[0]).toMatch(/fever 38\.4 °C/);
    const [team] = await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', TEAM));
    await t.smtp.waitFor(1, ofCase(caseId, 'alert_coordinator', COORDINATOR));
    expect(team!.text).toContain('38.4');
    const s = await t.actions.status(caseId);
    // The earlier, unanswered check-ins raised their own alerts; this report raised one more.
    const reportAlerts = s.alerts.filter((a) => a.kind === 'checkin_report');
    expect(reportAlerts).toEqual([expect.objectContaining({ kind: 'checkin_report', tier: 'contact_team', message: 'Day 2 check-in: contact team' })]);
    const alertRow = await t.database.db.selectFrom('alerts').selectAll().where('case_id', '=', caseId).where('alert_id', '=', reportAlerts[0]!.id).executeTakeFirstOrThrow();
    expect(alertRow).toMatchObject({ kind: 'checkin_report', tier: 'contact_team', acknowledged_at: null });
    // contact_team is told once, not repeated.
    await t.env.sleep('1 hour');
    expect(mails(caseId, 'alert_team')).toHaveLength(1);
    // Nobody has acknowledged it: the case is not cancelled over it, and monitoring goes on.
    await expect(t.actions.act(caseId, 'cancelCase', { actor: 'coordinator@care.test', reason: 'family went home' })).rejects.toThrow(/cannot be cancelled while \d+ clinical alerts are not acknowledged \(.*a\d+: Day 2 check-in: contact team\): acknowledge them first/);
    expect((await t.actions.status(caseId)).stage).toBe('monitoring');
    await t.endCase(caseId);
  });

  it('repeats an urgent alert until someone acknowledges it, then stops', async () => {
    const { caseId, status } = await infused();
    const c = status.monitoring!.checkins[1]!;
    await openCheckin(caseId, c.id);
    const outcome = await t.actions.submitCheckin(caseId, c.id, { ...well(await local()), symptoms: { breathingDifficulty: true } });
    expect(outcome.tier).toBe('urgent');
    await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', TEAM));
    await t.env.sleep('31 minutes');
    const repeated = await t.smtp.waitFor(3, ofCase(caseId, 'alert_team', TEAM));
    expect(repeated[2]!.subject).toContain('3');
    expect(mails(caseId, 'alert_coordinator')).toHaveLength(3);
    const alert = (await t.actions.status(caseId)).alerts.find((a) => a.kind === 'checkin_report')!;
    expect(alert.tier).toBe('urgent');
    await t.actions.act(caseId, 'acknowledgeAlert', { actor: 'dr.chan@hku.test', alertId: alert.id });
    await t.env.sleep('2 hours');
    expect(mails(caseId, 'alert_team')).toHaveLength(3);
    const timeline = await t.actions.timeline(caseId);
    expect(timeline.find((e) => e.kind === 'alert_acknowledged')).toMatchObject({ actor: 'dr.chan@hku.test' });
    await t.endCase(caseId);
  });

  it('grades a clinical observation with a vasopressor as critical and escalates until acknowledged', async () => {
    const { caseId } = await infused();
    const outcome = await t.actions.recordClinical(caseId, { temperatureC: 39.1, hypotension: 'vasopressors', vasopressors: ['norepinephrine'] }, 'dr.chan@hku.test');
    expect(outcome).toMatchObject({ crs: { grade: 3 }, icans: { grade: 0 }, tier: 'critical', alertId: 'a1' });
    await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', TEAM));
    await t.env.sleep('16 minutes');
    await t.smtp.waitFor(2, ofCase(caseId, 'alert_team', TEAM));
    await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: 'a1' });
    const s = await t.actions.status(caseId);
    expect(s.monitoring).toMatchObject({ highestCrsGrade: 3, highestIcansGrade: 0 });
    const obs = await t.database.db.selectFrom('observations').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(obs).toMatchObject({ crs_grade: 3, icans_grade: 0, tier: 'critical', actor: 'dr.chan@hku.test' });
    // Bad input names the field and changes nothing.
    await expect(t.actions.recordClinical(caseId, { temperatureC: 60 }, actor)).rejects.toThrow(/temperatureC/);
    expect(await t.database.db.selectFrom('observations').select('id').where('case_id', '=', caseId).execute()).toHaveLength(1);
    await t.endCase(caseId);
  });

  it('climbs the ladder for a missed check-in: reminder, coordinator, treating team; then marks it missed', async () => {
    const { caseId, status } = await infused();
    const c = status.monitoring!.checkins[0]!;
    await openCheckin(caseId, c.id);
    await t.env.sleep('61 minutes');
    await t.smtp.waitFor(1, ofCase(caseId, 'checkin_reminder', FAMILY));
    expect(mails(caseId, 'checkin_missed_coordinator')).toEqual([]);
    // Postgres shows the reminder too, before any later step writes the check-in again.
    await expect.poll(async () => (await t.database.db.selectFrom('checkins').select('escalation').where('case_id', '=', caseId).where('checkin_id', '=', c.id).executeTakeFirst())?.escalation).toBe('reminder');
    await t.env.sleep('60 minutes');
    await t.smtp.waitFor(1, ofCase(caseId, 'checkin_missed_coordinator', COORDINATOR));
    let s = await t.actions.status(caseId);
    expect(s.alerts[0]).toMatchObject({ kind: 'checkin_missed' });
    expect(mails(caseId, 'checkin_missed_team')).toEqual([]);
    await t.env.sleep('120 minutes');
    await t.smtp.waitFor(1, ofCase(caseId, 'checkin_missed_team', TEAM));
    s = await t.actions.status(caseId);
    expect(s.monitoring!.checkins[0]).toMatchObject({ state: 'open', escalation: 'team' });
    await t.env.sleep(Date.parse(c.expiresAt) - (await t.env.currentTimeMs()) + 1000);
    s = await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state === 'missed', 'missed');
    // A late answer is refused: the link has closed with the next check-in.
    await expect(t.actions.submitCheckin(caseId, c.id, well(await local()))).rejects.toThrow('this check-in is closed');
    await t.endCase(caseId);
  });

  it('re-escalates when fever is reported on more than 3 separate days', async () => {
    const { caseId, status } = await infused();
    const firstOfDay = (day: number) => status.monitoring!.checkins.find((c) => c.day === day)!;
    for (const day of [1, 2, 3]) {
      await openCheckin(caseId, firstOfDay(day).id);
      expect((await t.actions.submitCheckin(caseId, firstOfDay(day).id, fever(await local()))).tier).toBe('contact_team');
    }
    await openCheckin(caseId, firstOfDay(4).id);
    const outcome = await t.actions.submitCheckin(caseId, firstOfDay(4).id, fever(await local()));
    expect(outcome.tier).toBe('urgent');
    const s = await t.actions.status(caseId);
    expect(s.monitoring!.feverDays).toBe(4);
    expect(s.alerts.find((a) => a.kind === 'fever_days')).toMatchObject({ tier: 'urgent', message: 'Fever reported on 4 days' });
    for (const a of s.alerts) await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: a.id });
    await t.endCase(caseId);
  });

  it("uses the hospital's protocol, and a running case keeps the protocol it started with", async () => {
    await t.actions.addHospital({ code: 'BCN', name: 'Hospital Barcelona', email: 'team@bcn.test', language: 'en', timezone: 'Europe/Madrid', phone: '+34 93 000 0000' });
    await t.actions.setProtocol({ name: 'bcn-cart', hospitalCode: 'BCN', protocol: { feverThresholdC: 37.5, team: { name: 'BCN CAR-T unit', email: 'cart@bcn.test', phone24h: '+34 93 111 1111' } } });
    const { caseId, status } = await infused('BCN');
    expect(status.monitoring!.protocol).toMatchObject({ name: 'bcn-cart', feverThresholdC: 37.5, team: { phone24h: '+34 93 111 1111' } });
    // The centre changes its protocol: this case carries on with the one it started with.
    await t.actions.setProtocol({ name: 'bcn-cart', hospitalCode: 'BCN', protocol: { feverThresholdC: 38.0 } });
    const c = status.monitoring!.checkins[0]!;
    await openCheckin(caseId, c.id);
    const outcome = await t.actions.submitCheckin(caseId, c.id, { ...well(await local()), temperature: { value: 37.6, unit: 'c' } });
    expect(outcome).toMatchObject({ tier: 'contact_team', teamPhone: '+34 93 111 1111' });
    await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', 'cart@bcn.test'));
    await t.endCase(caseId);
  });
});
