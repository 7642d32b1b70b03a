// What the case does for the hospitals' and the translator's own doors (their pages are tested with
// the HTTP server): each submission and reminder carries the hospital's packet link for its round,
// each translation email the translator's link; a packet opened is told apart from one never
// opened; a request for more documents reaches the family at once; a translation sent back is
// awaited again; a packet locked after wrong codes alerts the coordinator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'MAD', name: 'Hospital Madrid', email: 'intl@mad.test', language: 'es', timezone: 'Europe/Madrid' });
  await t.actions.addHospital({ code: 'HKU', name: 'Queen Mary International Department', email: 'intl@hku.test', language: 'en', timezone: 'Asia/Hong_Kong' });
});
afterAll(async () => t?.teardown());

const ofKind = (caseId: string, kind: string) => (m: { headers: Map<string, unknown> }) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === kind;
const tokenIn = (mail: ParsedMail, door: string) => new RegExp(`http://care\\.test/${door}/([A-Za-z0-9_.-]+)`).exec(mail.text ?? '')?.[1];

/** A case whose Spanish report went to `codes`, approved by the family: in review. */
async function inReview(codes: string[]): Promise<string> {
  const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'es' });
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  await t.submitApproved(caseId, codes, actor);
  return caseId;
}

describe("the hospitals' packets", () => {
  it('links each hospital to its own round, tells an opened packet from an unopened one, and gives the next round a new link', async () => {
    const caseId = await inReview(['MAD']);
    await t.waitForStatus(caseId, (s) => s.stage === 'hospital_review' && s.submissions[0]?.status === 'pending', 'review');
    const [mail] = await t.smtp.waitFor(1, ofKind(caseId, 'hospital_submission'));
    const now = await t.env.currentTimeMs();
    const first = t.links.verifyPacket(tokenIn(mail!, 'packet')!, now);
    expect(first).toMatchObject({ ok: true, caseId, hospitalCode: 'MAD', round: 1 });
    // Open past the escalation (14 days) and a grace period, not for ever.
    expect(t.links.verifyPacket(tokenIn(mail!, 'packet')!, now + 27 * 86_400_000).ok).toBe(true);
    expect(t.links.verifyPacket(tokenIn(mail!, 'packet')!, now + 29 * 86_400_000).ok).toBe(false);
    expect(mail!.text).not.toMatch(/canal seguro/);

    let s = await t.actions.status(caseId);
    expect(s.waitingFor.what).toBe('decisions from MAD');
    s = await t.actions.act(caseId, 'packetOpened', { actor: 'hospital:MAD', hospitalCode: 'MAD', round: 1 });
    expect(s.waitingFor.what).toBe('decisions from MAD (packet opened)');
    await t.actions.act(caseId, 'packetOpened', { actor: 'hospital:MAD', hospitalCode: 'MAD', round: 1 });
    expect((await t.actions.timeline(caseId)).filter((e) => e.kind === 'packet_opened')).toEqual([expect.objectContaining({ actor: 'hospital:MAD', summary: 'MAD opened its packet (round 1)' })]);
    await expect(t.actions.act(caseId, 'packetOpened', { actor: 'hospital:HKU', hospitalCode: 'HKU', round: 1 })).rejects.toThrow('HKU has not been sent this case');

    // The reminder carries the same round's link.
    await t.env.sleep('7 days');
    const [reminder] = await t.smtp.waitFor(1, ofKind(caseId, 'hospital_reminder'));
    expect(t.links.verifyPacket(tokenIn(reminder!, 'packet')!, await t.env.currentTimeMs())).toMatchObject({ ok: true, hospitalCode: 'MAD', round: 1 });

    // More information: the family is asked at once, with their records link; the next round has its own packet link.
    await t.actions.act(caseId, 'recordDecision', { actor: 'hospital:MAD', hospitalCode: 'MAD', decision: 'more_info', documents: ['biomarkers'] });
    const [ask] = await t.smtp.waitFor(1, ofKind(caseId, 'more_info_family'));
    expect(JSON.stringify(ask!.to)).toContain('lucia.family@example.org');
    expect(ask!.subject).toContain('Hospital Madrid');
    expect(tokenIn(ask!, 'upload')).toBeDefined();
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'biomarkers', language: 'es' });
    await t.smtp.waitFor(2, ofKind(caseId, 'hospital_submission'));
    const second = t.smtp.messages.filter(ofKind(caseId, 'hospital_submission'))[1]!;
    expect(t.links.verifyPacket(tokenIn(second, 'packet')!, await t.env.currentTimeMs())).toMatchObject({ ok: true, round: 2 });
    s = await t.waitForStatus(caseId, (x) => x.submissions[0]?.round === 2 && x.submissions[0].status === 'pending', 'round 2');
    expect(s.submissions[0]!.openedAt).toBeUndefined();
    await expect(t.actions.act(caseId, 'packetOpened', { actor: 'hospital:MAD', hospitalCode: 'MAD', round: 1 })).rejects.toThrow('round 1 of MAD\'s packet is superseded by round 2');
    await t.endCase(caseId);
  });

  it('alerts the coordinator when a packet link is locked after wrong codes', async () => {
    const caseId = await inReview(['MAD']);
    await t.waitForStatus(caseId, (s) => s.submissions[0]?.status === 'pending', 'review');
    const s = await t.actions.act(caseId, 'packetLocked', { actor: 'hospital:MAD', hospitalCode: 'MAD', round: 1 });
    expect(s.alerts).toEqual([expect.objectContaining({ kind: 'packet_locked' })]);
    const [mail] = await t.smtp.waitFor(1, ofKind(caseId, 'packet_locked'));
    expect(mail!.subject).toBe(`[${caseId}] A hospital's link to the case is locked`);
    expect(mail!.text).toContain('Hospital Madrid');
    await t.endCase(caseId);
  });
});

describe("the translator's link", () => {
  it('comes with each request and chase, and a translation sent back is awaited again before the packets go', async () => {
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report', 'pathology'] }), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'es' });
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'pathology', language: 'es' });
    await t.waitForStatus(caseId, (s) => s.stage === 'translation');
    await t.submitApproved(caseId, ['HKU'], actor);
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'translator', 'the translations');
    const [task] = await t.smtp.waitFor(2, ofKind(caseId, 'translation_task'));
    expect(t.links.verifyTranslation(tokenIn(task!, 'translation')!, await t.env.currentTimeMs())).toMatchObject({ ok: true, caseId, documentType: 'medical_report', languages: ['en'] });
    expect((await t.actions.status(caseId)).documents.medical_report).toMatchObject({ translation: 'pending', translateInto: ['en'] });

    await t.env.sleep('3 days');
    const [chase] = await t.smtp.waitFor(2, ofKind(caseId, 'translation_chase'));
    expect(t.links.verifyTranslation(tokenIn(chase!, 'translation')!, await t.env.currentTimeMs())).toMatchObject({ ok: true, languages: ['en'] });

    // The report done, then sent back while the pathology is still awaited: the packet waits for both.
    await t.actions.act(caseId, 'completeTranslation', { actor: 'translator', documentType: 'medical_report' });
    await expect(t.actions.act(caseId, 'rejectTranslation', { actor, documentType: 'scans', reason: 'x' })).rejects.toThrow(/not on this case's document list/);
    let s = await t.actions.act(caseId, 'rejectTranslation', { actor, documentType: 'medical_report', reason: 'The second page is not translated.' });
    expect(s.documents.medical_report!.translation).toBe('pending');
    const [back] = await t.smtp.waitFor(1, ofKind(caseId, 'translation_rejected'));
    expect(back!.text).toContain('The second page is not translated.');
    expect(t.links.verifyTranslation(tokenIn(back!, 'translation')!, await t.env.currentTimeMs())).toMatchObject({ ok: true, documentType: 'medical_report', languages: ['en'] });
    // Sent back again while awaited (another language's file): the translator is told again.
    await t.actions.act(caseId, 'rejectTranslation', { actor, documentType: 'medical_report', reason: 'The table on page 4 too.' });
    await t.smtp.waitFor(2, ofKind(caseId, 'translation_rejected'));

    await t.actions.act(caseId, 'completeTranslation', { actor: 'translator', documentType: 'pathology' });
    s = await t.waitForStatus(caseId, (x) => x.waitingFor.what === 'translations: medical_report', 'the report again');
    expect(s.stage).toBe('translation');
    await t.env.sleep('1 day');
    expect(t.smtp.messages.filter(ofKind(caseId, 'hospital_submission'))).toEqual([]);
    await t.actions.act(caseId, 'completeTranslation', { actor: 'translator', documentType: 'medical_report' });
    await t.smtp.waitFor(1, ofKind(caseId, 'hospital_submission'));
    await t.endCase(caseId);
  });
});
