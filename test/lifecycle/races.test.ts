// What a coordinator does while the case is busy with an effect (a slow email, a slow write) is
// never lost: each stage acts on what arrived meanwhile, the projection in Postgres ends with the
// state the workflow reports, and no action writes about a case before the case's own row exists.
// Time-skipping server, real PostgreSQL and SMTP; an activity interceptor holds chosen activities
// until the test lets them go, as a slow mail server or database would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { caseAwaitingInfusion, openFirstCheckin, startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';

/** Activities held until released, by activity type and email kind (`sendEmail:admission_plan`) or type. */
const held = new Map<string, { entered: PromiseWithResolvers<void>; release: PromiseWithResolvers<void> }>();
function hold(what: string) {
  const gate = { entered: Promise.withResolvers<void>(), release: Promise.withResolvers<void>() };
  held.set(what, gate);
  return { entered: gate.entered.promise, release: () => gate.release.resolve() };
}
const gates: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const kind = (input.args[0] as { kind?: string } | undefined)?.kind;
      const gate = held.get(`${ctx.info.activityType}:${kind}`) ?? held.get(ctx.info.activityType);
      if (gate && ctx.info.attempt === 1) {
        gate.entered.resolve();
        await gate.release.promise;
      }
      return next(input);
    },
  },
});

beforeAll(async () => {
  t = await startCaseTestEnv({ interceptors: { activity: [gates] } });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => t?.teardown());

const mails = (caseId: string, kind: string) => t.smtp.messages.filter((m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === kind);

describe('while the case is busy', () => {
  it('sends the admission plan when the plan and the confirmation both arrive during the acceptance email', async () => {
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'en' });
    await t.waitForStatus(caseId, (s) => s.stage === 'translation');
    await t.submitApproved(caseId, ['HKU'], actor);
    await t.waitForStatus(caseId, (s) => s.submissions[0]?.status === 'pending');
    const gate = hold('sendEmail:hospital_accepted_family');
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'HKU', decision: 'accepted' });
    await gate.entered;
    const admissionAt = new Date((await t.env.currentTimeMs()) + 3 * 86400_000).toISOString();
    await t.actions.act(caseId, 'planAdmission', { actor, hospitalCode: 'HKU', admissionAt, contact: 'Ms Chan' });
    await t.actions.act(caseId, 'confirmAdmission', { actor });
    gate.release();
    await t.waitForStatus(caseId, (s) => s.stage === 'monitoring');
    const [plan] = await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'admission_plan');
    expect(plan!.text).toContain('Ms Chan');
  });

  it('keeps a translation done in Postgres when its "requested" write comes after the translator finished', async () => {
    // Spanish documents for an English-speaking hospital: both need translating.
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report', 'pathology'] }), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    for (const documentType of ['medical_report', 'pathology']) await t.actions.act(caseId, 'receiveDocument', { actor, documentType, language: 'es' });
    await t.waitForStatus(caseId, (s) => s.stage === 'translation');
    const gate = hold('sendEmail:translation_task');
    await t.submitApproved(caseId, ['HKU'], actor);
    await gate.entered;
    // The first task email is slow; the translator finishes the second document before its request is recorded.
    const s = await t.waitForStatus(caseId, (x) => x.documents.pathology?.translation === 'pending', 'translations pending');
    expect(s.documents.medical_report!.translation).toBe('pending');
    await t.actions.act(caseId, 'completeTranslation', { actor, documentType: 'pathology' });
    gate.release();
    await t.waitForStatus(caseId, (x) => mails(caseId, 'translation_task').length === 2 || x.documents.pathology?.translation === 'done', 'both tasks sent');
    await t.smtp.waitFor(2, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'translation_task');
    await t.actions.act(caseId, 'completeTranslation', { actor, documentType: 'medical_report' });
    await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review');
    const rows = await t.database.db.selectFrom('documents').select(['document_type', 'status', 'translation']).where('case_id', '=', caseId).orderBy('document_type').execute();
    expect(rows).toEqual([
      { document_type: 'medical_report', status: 'received', translation: 'done' },
      { document_type: 'pathology', status: 'received', translation: 'done' },
    ]);
  });

  it('applies an action sent before the case row is written only once the row exists', async () => {
    const gate = hold('recordCaseOpened');
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report', 'scans'] }), actor);
    await gate.entered;
    const acted = t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'scans', language: 'en' });
    // Let the action reach the workflow before the row is written.
    await new Promise((r) => setTimeout(r, 500));
    gate.release();
    await acted;
    const s = await t.waitForStatus(caseId, (x) => x.stage === 'records');
    expect(s.alerts).toEqual([]);
    const row = await t.database.db.selectFrom('documents').select('status').where('case_id', '=', caseId).where('document_type', '=', 'scans').executeTakeFirstOrThrow();
    expect(row.status).toBe('received');
    const history = await t.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
    const failed = history.events?.filter((e) => e.activityTaskFailedEventAttributes || (e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.attempt) > 1));
    expect(failed).toEqual([]);
  });

  it("takes a clinician's observation and an early end sent while the window's protocol is still being read", async () => {
    const caseId = await caseAwaitingInfusion(t, 'HKU');
    const gate = hold('resolveProtocol');
    await t.actions.act(caseId, 'recordInfusion', { actor, at: new Date(await t.env.currentTimeMs()).toISOString() });
    await gate.entered;
    const observed = t.actions.recordClinical(caseId, { temperatureC: 39.1, vasopressors: ['norepinephrine'] }, 'dr@hku.test');
    const ended = t.actions.act(caseId, 'endMonitoring', { actor });
    await new Promise((r) => setTimeout(r, 500));
    gate.release();
    expect(await observed).toMatchObject({ crs: { grade: 3 }, tier: 'critical', alertId: expect.any(String) });
    await ended;
    const s = await t.waitForStatus(caseId, (x) => x.stage === 'follow_up', 'follow-up');
    expect(s.alerts.filter((a) => a.kind === 'clinical')).toHaveLength(1);
    const row = await t.database.db.selectFrom('observations').select(['crs_grade', 'tier']).where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toEqual({ crs_grade: 3, tier: 'critical' });
  });

  it("keeps a check-in's reminder in Postgres when the case is cancelled while the reminder's email is going out", async () => {
    const caseId = await caseAwaitingInfusion(t, 'HKU');
    await t.actions.act(caseId, 'recordInfusion', { actor, at: new Date(await t.env.currentTimeMs()).toISOString() });
    await t.waitForStatus(caseId, (x) => (x.monitoring?.checkins.length ?? 0) > 0, 'the check-in schedule');
    const first = await openFirstCheckin(t, caseId);
    const gate = hold('sendEmail:checkin_reminder');
    // Just past the reminder's time (due + 60 min; the check-in opened a second after it was due):
    // while the held email runs, the test server moves time no further but in real time.
    await t.env.sleep('60 minutes');
    await gate.entered;
    const s = await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.escalation === 'reminder', 'the reminder under way');
    expect(s.alerts).toEqual([]);
    await t.actions.act(caseId, 'cancelCase', { actor, reason: 'the family went home' });
    gate.release();
    const end = await t.waitForStatus(caseId, (x) => x.stage === 'cancelled', 'cancelled');
    const row = await t.database.db.selectFrom('checkins').select(['state', 'escalation']).where('case_id', '=', caseId).where('checkin_id', '=', first.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: end.monitoring!.checkins[0]!.state, escalation: 'reminder' });
  });

  it('refuses an observation before the infusion is recorded, naming why', async () => {
    const caseId = await caseAwaitingInfusion(t, 'HKU');
    await expect(t.actions.recordClinical(caseId, { temperatureC: 38.5 }, 'dr@hku.test')).rejects.toThrow(/record the infusion first/);
  });

});
