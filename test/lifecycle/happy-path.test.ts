// A case from inquiry to closed on the time-skipping server, with the real database and SMTP:
// what the family, hospital and translator receive, what the case reports, what Postgres keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';
import { toLocal } from '../../domain/time.ts';

let t: CaseTestEnv;
beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'HKU', name: 'Queen Mary International Department', email: 'intl@hospital-hk.test', language: 'en', timezone: 'Asia/Hong_Kong' });
});
afterAll(async () => t?.teardown());

const to = (address: string) => (m: { to?: unknown }) => JSON.stringify(m.to).includes(address);
const FAMILY = 'lucia.family@example.org';
const actor = 'coordinator@care.test';

describe('case lifecycle, happy path', () => {
  it('carries a case from inquiry to closed, emailing each party in its language', async () => {
    const { caseId, created } = await t.actions.openCase(sampleCase({ patientRef: 'P-1042' }), actor);
    expect(created).toBe(true);
    expect(caseId).toMatch(/^c[0-9a-f]{12}$/);

    // Acknowledgement, in Spanish, listing the documents.
    const [ack] = await t.smtp.waitFor(1, to(FAMILY));
    expect(ack!.headers.get('x-email-kind')).toBe('case_opened');
    expect(ack!.text).toContain(caseId);
    expect(ack!.html).toContain('lang="es"');

    // Opening the same patient again is the same case, and no second acknowledgement.
    expect(await t.actions.openCase(sampleCase({ patientRef: 'P-1042' }), actor)).toEqual({ caseId, created: false });

    let s = await t.waitForStatus(caseId, (x) => x.stage === 'records', 'records');
    expect(s.waitingFor).toMatchObject({ from: 'family', what: 'documents: medical_report, scans, pathology, biomarkers, treatment_history' });

    for (const d of ['medical_report', 'scans', 'pathology', 'biomarkers']) await t.actions.act(caseId, 'receiveDocument', { actor, documentType: d, language: 'es' });
    s = await t.actions.act(caseId, 'waiveDocument', { actor, documentType: 'treatment_history', reason: 'summarised in the medical report' });
    expect(s.documents.treatment_history).toMatchObject({ status: 'waived', waiveReason: 'summarised in the medical report' });

    s = await t.waitForStatus(caseId, (x) => x.stage === 'translation', 'translation');
    expect(s.waitingFor).toEqual({ what: 'hospitals to submit to (casectl hospital submit)', from: 'coordinator' });
    await t.actions.submit(caseId, ['HKU'], actor);

    // Nothing goes to the hospital before the family approves: they are asked, in Spanish, with their link.
    s = await t.waitForStatus(caseId, (x) => x.waitingFor.from === 'family', "the family's approval");
    expect(s.waitingFor.what).toBe("the family's approval to share the case with HKU");
    const [ask] = await t.smtp.waitFor(1, (m) => to(FAMILY)(m) && m.headers.get('x-email-kind') === 'sharing_request');
    expect(ask!.html).toContain('lang="es"');
    expect(ask!.text).toContain('Queen Mary International Department');
    expect(ask!.text).toMatch(/http:\/\/care\.test\/upload\//);
    s = await t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'HKU' });
    expect(s.submissions[0]).toMatchObject({ hospitalCode: 'HKU', sharingApproved: true });

    // Spanish documents for an English-speaking hospital: four translation tasks.
    const tasks = await t.smtp.waitFor(4, to('translator@care.test'));
    expect(tasks.map((m) => m.headers.get('x-email-kind'))).toEqual(Array(4).fill('translation_task'));
    s = await t.waitForStatus(caseId, (x) => x.waitingFor.from === 'translator', 'waiting for translator');
    expect(s.waitingFor.what).toBe('translations: medical_report, scans, pathology, biomarkers');
    for (const d of ['medical_report', 'scans', 'pathology', 'biomarkers']) await t.actions.act(caseId, 'completeTranslation', { actor, documentType: d });

    // The packet reaches the hospital, in English.
    const [packet] = await t.smtp.waitFor(1, to('intl@hospital-hk.test'));
    expect(packet!.headers.get('x-email-kind')).toBe('hospital_submission');
    expect(packet!.text).toContain('P-1042');
    s = await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review' && x.submissions[0]?.status === 'pending', 'hospital review');
    expect(s.waitingFor).toMatchObject({ what: 'decisions from HKU', from: 'hospital' });

    // The only acceptance chooses the hospital by itself.
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'HKU', decision: 'accepted' });
    s = await t.waitForStatus(caseId, (x) => x.stage === 'admission', 'admission');
    expect(s.chosenHospital).toBe('HKU');
    await t.smtp.waitFor(1, (m) => m.headers.get('x-email-kind') === 'hospital_accepted_family');

    // Admission in 10 days: the plan now, reminders 7 days and 1 day before at 10:00 Madrid time.
    const admissionAt = new Date((await t.env.currentTimeMs()) + 10 * 86400_000).toISOString();
    await t.actions.act(caseId, 'planAdmission', { actor, hospitalCode: 'HKU', admissionAt, contact: 'Ms Chan, +852 5555 0101', notes: 'Bring the original pathology slides' });
    const [plan] = await t.smtp.waitFor(1, (m) => m.headers.get('x-email-kind') === 'admission_plan');
    expect(plan!.text).toContain('Ms Chan');
    await t.env.sleep('228 hours');
    await t.smtp.waitFor(2, (m) => m.headers.get('x-email-kind') === 'admission_reminder');
    const reminders = await t.database.db.selectFrom('timeline').select(['at', 'summary']).where('case_id', '=', caseId).where('summary', 'like', '%admission_reminder%').orderBy('at').execute();
    expect(reminders).toHaveLength(2);
    for (const r of reminders) expect(toLocal(r.at.getTime(), 'Europe/Madrid')).toMatchObject({ hour: 10, minute: 0 });

    await t.actions.act(caseId, 'confirmAdmission', { actor });
    await t.waitForStatus(caseId, (x) => x.stage === 'monitoring', 'monitoring');
    const infusionAt = new Date(await t.env.currentTimeMs()).toISOString();
    await t.actions.act(caseId, 'recordInfusion', { actor, at: infusionAt });
    await t.actions.act(caseId, 'endMonitoring', { actor });
    s = await t.waitForStatus(caseId, (x) => x.stage === 'follow_up', 'follow_up');
    expect(s.waitingFor).toMatchObject({ what: 'day 28 follow-up contact', from: 'nobody' });

    await t.env.sleep('28 days');
    await t.smtp.waitFor(1, (m) => m.headers.get('x-email-kind') === 'follow_up_request');
    s = await t.waitForStatus(caseId, (x) => x.waitingFor.from === 'coordinator', 'follow-up outcome');
    expect(s.waitingFor.what).toBe('outcome of the day 28 follow-up');
    await t.actions.act(caseId, 'recordFollowUp', { actor, outcome: 'In remission, back home, walking daily' });
    await t.env.sleep('62 days');
    await t.smtp.waitFor(2, (m) => m.headers.get('x-email-kind') === 'follow_up_request');
    await t.waitForStatus(caseId, (x) => x.waitingFor.what === 'outcome of the day 90 follow-up');
    await t.actions.act(caseId, 'recordFollowUp', { actor, outcome: 'Complete response on PET-CT' });

    s = await t.waitForStatus(caseId, (x) => x.stage === 'closed', 'closed');
    expect(s.followUps).toEqual([
      expect.objectContaining({ day: 28, outcome: 'In remission, back home, walking daily' }),
      expect.objectContaining({ day: 90, outcome: 'Complete response on PET-CT' }),
    ]);
    const [summary] = await t.smtp.waitFor(1, (m) => m.headers.get('x-email-kind') === 'case_closed');
    expect(summary!.text).toContain('Complete response on PET-CT');

    // One acknowledgement only, every email recorded as sent, and the case row closed.
    expect(t.smtp.messages.filter((m) => m.headers.get('x-email-kind') === 'case_opened')).toHaveLength(1);
    const emails = await t.actions.emails(caseId);
    expect(emails.every((e) => e.status === 'sent')).toBe(true);
    expect(emails.length).toBe(t.smtp.messages.length);
    const row = await t.database.db.selectFrom('cases').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stage: 'closed', chosen_hospital: 'HKU', close_reason: 'follow-up complete' });

    // The timeline tells the story in order, with the actor of each action.
    const timeline = await t.actions.timeline(caseId);
    const stages = timeline.filter((e) => e.kind === 'stage_changed').map((e) => e.summary);
    expect(stages).toEqual([
      'Stage inquiry → records',
      'Stage records → translation',
      'Stage translation → hospital_review',
      'Stage hospital_review → admission',
      'Stage admission → monitoring',
      'Stage monitoring → follow_up',
      'Stage follow_up → closed',
    ]);
    expect(timeline.find((e) => e.kind === 'sharing_approved')).toMatchObject({ actor, summary: 'Sharing with HKU approved' });
    expect(timeline.find((e) => e.kind === 'hospital_decision')).toMatchObject({ actor, summary: 'HKU: accepted' });
    expect(timeline.filter((e) => e.kind === 'document_received')).toHaveLength(4);
    const admission = await t.database.db.selectFrom('admissions').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(admission.infusion_at?.toISOString()).toBe(infusionAt);
    expect(admission.confirmed_at).not.toBeNull();
  });
});
