// The lifecycle's other paths on the time-skipping server: stalled records, a hospital asking
// for more, every hospital declining, refused actions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';
import { ActionRefusedError } from '../../client/case-calls.ts';
import { InputError } from '../../domain/validation.ts';
import { documentLabel } from '../../activities/email-templates.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
const kind = (k: string) => (m: { headers: Map<string, unknown> }) => m.headers.get('x-email-kind') === k;

beforeAll(async () => {
  t = await startCaseTestEnv();
  for (const [code, language] of [['MAD', 'es'], ['BCN', 'es'], ['SHA', 'zh']] as const) {
    await t.actions.addHospital({ code, name: `Hospital ${code}`, email: `intl@${code.toLowerCase()}.test`, language, timezone: 'Europe/Madrid' });
  }
});
afterAll(async () => t?.teardown());

async function openAt(stage: 'records' | 'hospital_review', documents = ['medical_report', 'pathology']) {
  const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: documents }), actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  if (stage === 'records') return caseId;
  for (const d of documents) await t.actions.act(caseId, 'receiveDocument', { actor, documentType: d });
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  return caseId;
}

const emailsOf = async (caseId: string) => (await t.actions.emails(caseId)).map((e) => e.kind);

describe('records', () => {
  it('reminds the family on days 3, 7 and 14 with exactly what is missing, then alerts the coordinator', async () => {
    const caseId = await openAt('records', ['medical_report', 'scans', 'pathology']);
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'scans' });
    let s = await t.actions.status(caseId);
    expect(Date.parse(s.waitingFor.until!) - (await t.env.currentTimeMs())).toBeGreaterThan(2.9 * 86400_000);

    await t.env.sleep('3 days');
    const [first] = await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('records_reminder')(m));
    expect(await emailsOf(caseId)).toEqual(['case_opened', 'records_reminder']);
    // Exactly what is missing, in the family's language.
    expect(first!.text).toContain(documentLabel('pathology', 'es'));
    expect(first!.text).toContain(documentLabel('medical_report', 'es'));
    expect(first!.text).not.toContain(documentLabel('scans', 'es'));

    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'pathology' });
    await t.env.sleep('4 days');
    await t.smtp.waitFor(2, (m) => m.headers.get('x-case-id') === caseId && kind('records_reminder')(m));
    await t.env.sleep('7 days');
    await t.smtp.waitFor(3, (m) => m.headers.get('x-case-id') === caseId && kind('records_reminder')(m));
    s = await t.actions.status(caseId);
    expect(await emailsOf(caseId)).toEqual(['case_opened', 'records_reminder', 'records_reminder', 'records_reminder']);
    expect(s.alerts).toEqual([]);

    await t.env.sleep('7 days');
    s = await t.waitForStatus(caseId, (x) => x.alerts.length === 1, 'the stalled alert');
    expect(s.alerts[0]).toMatchObject({ kind: 'records_stalled', id: 'a1' });
    await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('records_stalled')(m));
    expect(await emailsOf(caseId)).toEqual(['case_opened', 'records_reminder', 'records_reminder', 'records_reminder', 'records_stalled']);
    const stalled = t.smtp.messages.find((m) => m.headers.get('x-case-id') === caseId && kind('records_stalled')(m))!;
    expect(JSON.stringify(stalled.to)).toContain('coordinator@care.test');

    // The last document ends the stage and nothing more is sent.
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report' });
    await t.waitForStatus(caseId, (x) => x.stage === 'translation');
    await t.env.sleep('30 days');
    expect((await emailsOf(caseId)).filter((k) => k.startsWith('records'))).toHaveLength(4);
    await t.endCase(caseId);
  });
});

describe('hospital review', () => {
  it('reopens records for exactly what a hospital asks, then resubmits to it', async () => {
    const caseId = await openAt('hospital_review');
    await t.submitApproved(caseId, ['MAD', 'BCN'], actor);
    await t.waitForStatus(caseId, (s) => s.submissions.every((x) => x.status === 'pending'));
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'more_info', documents: ['biomarkers'] });
    let s = await t.waitForStatus(caseId, (x) => x.stage === 'records');
    expect(s.waitingFor.what).toBe('documents: biomarkers');
    expect(s.submissions.find((x) => x.hospitalCode === 'BCN')?.status).toBe('pending');

    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'biomarkers' });
    s = await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review' && x.submissions.find((y) => y.hospitalCode === 'MAD')?.status === 'pending');
    expect(s.submissions.find((x) => x.hospitalCode === 'MAD')).toMatchObject({ round: 2, status: 'pending' });
    const packets = await t.smtp.waitFor(2, (m) => m.headers.get('x-case-id') === caseId && kind('hospital_submission')(m) && JSON.stringify(m.to).includes('intl@mad.test'));
    expect(packets[1]!.text).toContain(documentLabel('biomarkers', 'es'));
    // MAD has the case already: the family was asked about it once, with BCN, not again for round 2.
    expect((await emailsOf(caseId)).filter((k) => k === 'sharing_request')).toHaveLength(1);
    expect((await t.actions.timeline(caseId)).filter((e) => e.kind === 'sharing_approved').map((e) => e.summary)).toEqual(['Sharing with MAD approved', 'Sharing with BCN approved']);

    // Two acceptances: the coordinator chooses.
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'accepted' });
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'BCN', decision: 'accepted' });
    s = await t.waitForStatus(caseId, (x) => x.waitingFor.from === 'coordinator');
    expect(s.waitingFor.what).toBe('choice of hospital among MAD, BCN');
    await expect(t.actions.act(caseId, 'chooseHospital', { actor, hospitalCode: 'SHA' })).rejects.toThrow(/SHA has not accepted this case/);
    await t.actions.act(caseId, 'chooseHospital', { actor, hospitalCode: 'BCN' });
    s = await t.waitForStatus(caseId, (x) => x.stage === 'admission');
    expect(s.chosenHospital).toBe('BCN');
    const rows = await t.database.db.selectFrom('submissions').selectAll().where('case_id', '=', caseId).orderBy('hospital_code').orderBy('round').execute();
    expect(rows.map((r) => [r.hospital_code, r.round, r.decision])).toEqual([['BCN', 1, 'accepted'], ['MAD', 1, 'more_info'], ['MAD', 2, 'accepted']]);
    await t.endCase(caseId);
  });

  it('reminds a silent hospital and then alerts the coordinator', async () => {
    const caseId = await openAt('hospital_review');
    await t.submitApproved(caseId, ['MAD'], actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'hospital_review');
    await t.env.sleep('7 days');
    await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('hospital_reminder')(m));
    await t.env.sleep('7 days');
    const s = await t.waitForStatus(caseId, (x) => x.alerts.length === 1);
    expect(s.alerts[0]).toMatchObject({ kind: 'hospital_silent' });
    await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('hospital_silent')(m));
    await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: 'a1' });
    expect((await t.actions.status(caseId)).alerts[0]).toMatchObject({ acknowledgedBy: actor });
    await t.endCase(caseId);
  });

  it('when every hospital declines, asks the coordinator to navigate, tells the family, and resubmits', async () => {
    const caseId = await openAt('hospital_review');
    await t.submitApproved(caseId, ['MAD', 'BCN'], actor);
    await t.waitForStatus(caseId, (s) => s.submissions.every((x) => x.status === 'pending'));
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'declined', reason: 'CD19-negative relapse' });
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'BCN', decision: 'declined', reason: 'No capacity this quarter' });
    let s = await t.waitForStatus(caseId, (x) => x.stage === 'navigation');
    expect(s.waitingFor.from).toBe('coordinator');
    const family = await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('all_declined_family')(m));
    expect(family[0]!.html).toContain('lang="es"');
    await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('navigation_needed')(m));

    // A new hospital, with a new language: the family approves it, then translation, then review again.
    await t.submitApproved(caseId, ['SHA'], actor);
    const asked = await t.smtp.waitFor(2, (m) => m.headers.get('x-case-id') === caseId && kind('sharing_request')(m));
    expect(asked[1]!.text).toContain('Hospital SHA');
    expect(asked[1]!.text).not.toContain('Hospital MAD');
    s = await t.waitForStatus(caseId, (x) => x.stage === 'translation' && x.waitingFor.from === 'translator');
    for (const d of ['medical_report', 'pathology']) await t.actions.act(caseId, 'completeTranslation', { actor, documentType: d });
    s = await t.waitForStatus(caseId, (x) => x.stage === 'hospital_review');
    await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('hospital_submission')(m) && JSON.stringify(m.to).includes('intl@sha.test'));
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'SHA', decision: 'declined', reason: 'Not eligible' });
    await t.waitForStatus(caseId, (x) => x.stage === 'navigation');
    s = await t.actions.act(caseId, 'closeCase', { actor, reason: 'Family chose a clinical trial at home' });
    expect(s.stage).toBe('closed');
    const row = await t.database.db.selectFrom('cases').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stage: 'closed', close_reason: 'Family chose a clinical trial at home' });
    await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && kind('case_closed')(m));
  });
});

describe('refused actions', () => {
  it('refuses what does not fit the case, says why, and leaves no trace', async () => {
    const caseId = await openAt('records', ['medical_report', 'pathology']);
    // The stage change and the acknowledgement email are written just after the case reports the stage.
    let before = await t.actions.timeline(caseId);
    for (let i = 0; i < 200 && !(before.some((e) => e.kind === 'stage_changed') && before.some((e) => e.kind === 'email_sent')); i++) {
      await new Promise((r) => setTimeout(r, 50));
      before = await t.actions.timeline(caseId);
    }
    // A refused Update never enters history: count the accepted ones.
    const acceptedUpdates = async () =>
      (await t.client.workflow.getHandle(`case-${caseId}`).fetchHistory()).events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    const acceptedBefore = await acceptedUpdates();

    await expect(t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'genome_map' })).rejects.toThrow(
      new ActionRefusedError("genome_map is not on this case's document list (medical_report, pathology)"),
    );
    await expect(t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'accepted' })).rejects.toThrow('MAD has not been sent this case');
    await expect(t.actions.act(caseId, 'recordInfusion', { actor, at: new Date().toISOString() })).rejects.toThrow('Recording the infusion is not possible while the case is in records');
    await expect(t.actions.act(caseId, 'confirmAdmission', { actor })).rejects.toBeInstanceOf(ActionRefusedError);
    await expect(t.actions.submit(caseId, ['NOPE'], actor)).rejects.toThrow('hospitalCode: no hospital with code NOPE');
    const bad = await t.actions.act(caseId, 'waiveDocument', { actor, documentType: 'pathology', reason: '' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InputError);
    expect((bad as InputError).fields).toEqual([{ field: 'reason', message: 'is required' }]);
    await expect(t.actions.status('c000000000000')).rejects.toThrow('case c000000000000 does not exist');

    expect(await t.actions.timeline(caseId)).toEqual(before);
    expect(await acceptedUpdates()).toBe(acceptedBefore);

    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'pathology' });
    await expect(t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'pathology' })).rejects.toThrow('pathology is already received');
    await t.endCase(caseId);
  });
});
