// The family's approval before anything goes to a hospital (workflows/case-stages.ts
// familyApproval) on the time-skipping server: asked once, reminded after 2 days, the coordinator
// alerted after 4; nothing translated or sent before; each hospital approved on its own; what is
// refused; a cancel while the case waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
const DAY = 86_400_000;
beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'MAD', name: 'Hospital Madrid', email: 'intl@mad.test', language: 'es', timezone: 'Europe/Madrid' });
  await t.actions.addHospital({ code: 'HKU', name: 'Queen Mary International Department', email: 'intl@hku.test', language: 'en', timezone: 'Asia/Hong_Kong' });
});
afterAll(async () => t?.teardown());

const kinds = async (caseId: string) => (await t.actions.emails(caseId)).map((e) => e.kind);
const ofKind = (caseId: string, kind: string) => (m: { headers: Map<string, unknown> }) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === kind;

/** A case with its report received (in Spanish), submitted to `codes`: the family has been asked. */
async function chosen(codes: string[]): Promise<string> {
  const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'es' });
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  await t.actions.submit(caseId, codes, actor);
  await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'family', "the family's approval");
  await t.smtp.waitFor(1, ofKind(caseId, 'sharing_request'));
  return caseId;
}

describe("the family's approval to share the case", () => {
  it('asks the family once, reminds them after 2 days, alerts the coordinator after 4, and sends nothing to a hospital before they approve it', async () => {
    const caseId = await chosen(['MAD', 'HKU']);
    let s = await t.actions.status(caseId);
    expect(s.waitingFor).toMatchObject({ what: "the family's approval to share the case with MAD, HKU", from: 'family' });
    expect(Date.parse(s.waitingFor.until!) - (await t.env.currentTimeMs())).toBeGreaterThan(1.99 * DAY);
    // The case's row says so too (the console's and the API's lists read it).
    const row = await t.database.db.selectFrom('cases').select('waiting_for').where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row.waiting_for).toMatchObject({ what: "the family's approval to share the case with MAD, HKU", from: 'family' });
    expect((await t.actions.timeline(caseId)).find((e) => e.kind === 'sharing_requested')).toMatchObject({ summary: 'Family asked to approve sharing with MAD, HKU' });

    // Asked once, naming both hospitals, in their language, with their link.
    const [ask] = t.smtp.messages.filter(ofKind(caseId, 'sharing_request'));
    expect(JSON.stringify(ask!.to)).toContain('lucia.family@example.org');
    expect(ask!.html).toContain('lang="es"');
    expect(ask!.text).toContain('Hospital Madrid');
    expect(ask!.text).toContain('Queen Mary International Department');
    expect(ask!.text).toMatch(/http:\/\/care\.test\/upload\//);
    await t.env.sleep('1 day');
    expect(await kinds(caseId)).toEqual(['case_opened', 'sharing_request']);

    // Day 2: one reminder, and the case now waits until the alert.
    await t.env.sleep('1 day');
    await t.smtp.waitFor(2, ofKind(caseId, 'sharing_request'));
    expect(await kinds(caseId)).toEqual(['case_opened', 'sharing_request', 'sharing_request']);
    // The mail server has the reminder a moment before the workflow hears it went and moves its deadline on.
    const now = await t.env.currentTimeMs();
    s = await t.waitForStatus(caseId, (x) => Date.parse(x.waitingFor.until!) - now > 1.99 * DAY, 'the deadline moved on to the alert');
    expect(s.alerts).toEqual([]);

    // One of the two approved: the case keeps waiting for the other.
    s = await t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'MAD' });
    expect(s.waitingFor).toMatchObject({ what: "the family's approval to share the case with HKU", from: 'family' });
    expect(s.submissions.map((x) => [x.hospitalCode, x.status, x.sharingApproved ?? false])).toEqual([['MAD', 'to_send', true], ['HKU', 'to_send', false]]);

    // Day 4: an alert, and the coordinator is emailed about the hospital still waiting.
    await t.env.sleep('2 days');
    s = await t.waitForStatus(caseId, (x) => x.alerts.length === 1, 'the alert');
    expect(s.alerts[0]).toMatchObject({ kind: 'sharing_not_approved', message: 'The family has not approved sharing with HKU' });
    const [stalled] = await t.smtp.waitFor(1, ofKind(caseId, 'sharing_stalled'));
    expect(JSON.stringify(stalled!.to)).toContain('coordinator@care.test');
    expect(stalled!.text).toContain('with HKU,');
    expect(stalled!.text).not.toContain('MAD');
    expect(s.waitingFor).toMatchObject({ what: "the family's approval to share the case with HKU", from: 'family' });

    // Nothing went to the translator or to either hospital.
    await t.env.sleep('3 days');
    expect(await kinds(caseId)).toEqual(['case_opened', 'sharing_request', 'sharing_request', 'sharing_stalled']);
    s = await t.actions.status(caseId);
    expect(s.stage).toBe('translation');
    expect(s.documents.medical_report!.translation).not.toBe('pending');
    expect(s.submissions.every((x) => x.status === 'to_send' && x.submittedAt === undefined)).toBe(true);
    expect(await t.database.db.selectFrom('submissions').select('hospital_code').where('case_id', '=', caseId).execute()).toEqual([]);

    // The second approval lets the case go on: the report is translated for HKU, then both packets go.
    await t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'HKU' });
    s = await t.waitForStatus(caseId, (x) => x.waitingFor.from === 'translator', 'the translation');
    expect(s.waitingFor.what).toBe('translations: medical_report');
    await t.actions.act(caseId, 'completeTranslation', { actor, documentType: 'medical_report' });
    await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review' && x.submissions.every((y) => y.status === 'pending'), 'hospital review');
    await t.smtp.waitFor(2, ofKind(caseId, 'hospital_submission'));
    const timeline = (await t.actions.timeline(caseId)).map((e) => e.kind);
    expect(timeline.filter((k) => k === 'sharing_approved')).toHaveLength(2);
    expect(timeline.filter((k) => k === 'translation_requested')).toHaveLength(1);
    expect((await kinds(caseId)).filter((k) => k === 'sharing_request')).toHaveLength(2);
    await t.endCase(caseId);
  });

  it('refuses an approval for a hospital not chosen or already approved, and records each approval once', async () => {
    const caseId = await chosen(['MAD']);
    await expect(t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'HKU' })).rejects.toThrow('HKU is not among the hospitals chosen for this case');
    await t.actions.act(caseId, 'approveSharing', { actor: 'family', hospitalCode: 'MAD' });
    await expect(t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'MAD' })).rejects.toThrow('sharing with MAD is already approved');
    // Spanish documents for a Spanish hospital: no translation, the packet goes at once.
    await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review' && x.submissions[0]?.status === 'pending', 'hospital review');
    await expect(t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'MAD' })).rejects.toThrow('sharing with MAD is already approved');
    const approvals = (await t.actions.timeline(caseId)).filter((e) => e.kind === 'sharing_approved');
    expect(approvals).toEqual([expect.objectContaining({ actor: 'family', summary: 'Sharing with MAD approved' })]);
    await expect.poll(() => kinds(caseId)).toEqual(['case_opened', 'sharing_request', 'hospital_submission']);
    await t.endCase(caseId);
  });

  it("stops sharing while the family's consent is withdrawn (approvals refused, a second round held back) and goes on when they give it again", async () => {
    const caseId = await chosen(['MAD']);
    let s = await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'withdrawn' });
    expect(s.consentWithdrawn).toBe(true);
    expect(s.alerts).toEqual([expect.objectContaining({ kind: 'consent_withdrawn' })]);
    expect(s.waitingFor).toMatchObject({ from: 'family', what: expect.stringMatching(/^the family's consent to process their records, withdrawn/) });
    const [told] = await t.smtp.waitFor(1, ofKind(caseId, 'consent_withdrawn'));
    expect(JSON.stringify(told!.to)).toContain('coordinator@care.test');
    await expect(t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'MAD' })).rejects.toThrow('the family has withdrawn their consent');
    // Taken once: the same news again changes nothing.
    s = await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'withdrawn' });
    expect(s.alerts).toHaveLength(1);

    await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'given' });
    await t.actions.act(caseId, 'approveSharing', { actor: 'family', hospitalCode: 'MAD' });
    await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review' && x.submissions[0]?.status === 'pending', 'hospital review');
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'more_info', documents: ['scans'] });
    await t.waitForStatus(caseId, (x) => x.stage === 'records', 'records again');

    // Withdrawn again before the scans come: the hospital that asked for them gets nothing more.
    await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'withdrawn' });
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'scans', language: 'es' });
    s = await t.waitForStatus(caseId, (x) => x.stage === 'translation', 'translation');
    expect(s.waitingFor).toMatchObject({ from: 'family', what: expect.stringMatching(/^the family's consent/) });
    await t.env.sleep('5 days');
    expect((await kinds(caseId)).filter((k) => k === 'hospital_submission')).toHaveLength(1);

    await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'given' });
    await t.smtp.waitFor(2, ofKind(caseId, 'hospital_submission'));
    s = await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review' && x.submissions[0]?.round === 2, 'round 2');
    expect(s.submissions[0]).toMatchObject({ status: 'pending', round: 2 });
    expect((await t.actions.timeline(caseId)).filter((e) => e.kind === 'consent_given')).toHaveLength(2);
    await t.endCase(caseId);
  });

  it('waits for the review of each file told to it, and tells the coordinator; a review takes it off, whatever it finds', async () => {
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report', 'scans'] }), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    const [a, b] = ['0f8e2a40-1b2c-4d3e-8f40-000000000001', '0f8e2a40-1b2c-4d3e-8f40-000000000002'];
    let s = await t.actions.filesUploaded(caseId, [a, b], 'family');
    expect(s.filesToReview).toEqual([a, b]);
    expect(s.waitingFor).toEqual({ from: 'coordinator', what: 'review of 2 uploaded files (casectl docs list), then documents: medical_report, scans' });
    const [mail] = await t.smtp.waitFor(1, ofKind(caseId, 'files_to_review'));
    expect(mail!.subject).toBe(`[${caseId}] 2 files to review`);
    // Told again (a retried request): nothing more.
    s = await t.actions.filesUploaded(caseId, [a, b], 'family');
    expect((await kinds(caseId)).filter((k) => k === 'files_to_review')).toHaveLength(1);

    s = await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', fileId: a });
    expect(s.filesToReview).toEqual([b]);
    expect(s.documents.medical_report!.status).toBe('received');
    // The second file was the same report again: rejected, and the case waits for the family alone.
    s = await t.actions.act(caseId, 'requestDocument', { actor, documentType: 'scans', reason: 'This is the report again, not the scans.', fileId: b });
    expect(s.filesToReview).toBeUndefined();
    expect(s.waitingFor).toMatchObject({ from: 'family', what: 'documents: scans' });
    expect((await t.actions.timeline(caseId)).map((e) => e.kind)).toEqual(expect.arrayContaining(['files_uploaded', 'document_received', 'document_requested']));
    await t.endCase(caseId);
  });

  it('ends cleanly when cancelled while waiting: the family and coordinator told, no hospital, nothing fires later', async () => {
    const caseId = await chosen(['MAD']);
    const s = await t.actions.act(caseId, 'cancelCase', { actor: 'ana@care.test', reason: 'family withdrew' });
    expect(s.stage).toBe('cancelled');
    expect(s.cancelled).toMatchObject({ fromStage: 'translation', by: 'ana@care.test' });
    expect(s.waitingFor).toEqual({ what: 'nothing', from: 'nobody' });
    await t.smtp.waitFor(1, ofKind(caseId, 'case_cancelled_coordinator'));
    expect(await t.client.workflow.getHandle(`case-${caseId}`).result()).toMatchObject({ stage: 'cancelled' });
    const afterCancel = await kinds(caseId);
    expect(afterCancel).toEqual(['case_opened', 'sharing_request', 'case_cancelled_family', 'case_cancelled_coordinator']);

    await t.env.sleep('10 days');
    expect(await kinds(caseId)).toEqual(afterCancel);
    expect((await t.actions.status(caseId)).alerts).toEqual([]);
    await expect(t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'MAD' })).rejects.toThrow(/cancelled/);
  });
});
