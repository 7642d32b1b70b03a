// Records case histories for the replay test (npm run record-histories). Run it when a workflow
// change ships, and keep the old files: every history a released version produced must still
// replay on the current code, or running cases would break.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHistory } from './history-file.ts';
import { startCaseTestEnv, sampleCase, caseInMonitoring, reportWithExpiry, type CaseTestEnv } from '../harness/case-env.ts';
import { fixtureKeyring } from './fixture-keys.ts';

const version = process.env.HISTORY_VERSION ?? 'v1';
let t: CaseTestEnv;
const actor = 'recorder@care.test';
beforeAll(async () => {
  t = await startCaseTestEnv({ keyring: fixtureKeyring() });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'team@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
  await t.actions.addHospital({ code: 'MAD', name: 'Hospital Madrid', email: 'team@mad.test', language: 'es', timezone: 'Europe/Madrid', phone: '+34 91 555 01 23' });
});
afterAll(async () => t?.teardown());

async function save(name: string, caseId: string) {
  const history = await t.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
  writeFileSync(new URL(`./histories/${version}-${name}.json`, import.meta.url), encodeHistory(history));
}

describe('record histories', () => {
  it('records a case from inquiry to closed, through monitoring with reports, alerts and a clinical observation', async () => {
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report', 'pathology'] }), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    await t.env.sleep('3 days');
    // From v5: the report comes as a file in the vault, reviewed and accepted.
    const file = '5e0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';
    await t.actions.filesUploaded(caseId, [file], 'family');
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'es', fileId: file });
    await t.actions.act(caseId, 'waiveDocument', { actor, documentType: 'pathology', reason: 'in the report' });
    await t.waitForStatus(caseId, (s) => s.stage === 'translation');
    await t.actions.submit(caseId, ['HKU', 'MAD'], actor);
    // The family's approval: reminded after 2 days, MAD approved, the coordinator alerted after 4, then HKU.
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'family');
    await t.env.sleep('2 days');
    await t.smtp.waitFor(2, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'sharing_request');
    await t.actions.act(caseId, 'approveSharing', { actor: 'family', hospitalCode: 'MAD' });
    await t.env.sleep('2 days');
    await t.waitForStatus(caseId, (s) => s.alerts.some((a) => a.kind === 'sharing_not_approved'));
    await t.actions.act(caseId, 'approveSharing', { actor, hospitalCode: 'HKU' });
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'translator');
    await t.actions.act(caseId, 'completeTranslation', { actor, documentType: 'medical_report' });
    await t.waitForStatus(caseId, (s) => s.submissions.every((x) => x.status === 'pending'));
    // From v6: MAD opens its packet, HKU's link is locked, the translation is sent back and done again.
    await t.actions.act(caseId, 'packetOpened', { actor: 'hospital:MAD', hospitalCode: 'MAD', round: 1 });
    await t.actions.act(caseId, 'packetLocked', { actor: 'hospital:HKU', hospitalCode: 'HKU', round: 1 });
    await t.actions.act(caseId, 'rejectTranslation', { actor, documentType: 'medical_report', reason: 'page 2 missing' });
    await t.actions.act(caseId, 'completeTranslation', { actor: 'translator', documentType: 'medical_report' });
    await t.actions.act(caseId, 'recordDecision', { actor: 'hospital:MAD', hospitalCode: 'MAD', decision: 'more_info', documents: ['biomarkers'] });
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    // From v5: the family withdraws their consent before the biomarkers come, and gives it again a day later.
    await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'withdrawn' });
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'biomarkers', language: 'es' });
    await t.waitForStatus(caseId, (s) => s.stage === 'translation');
    await t.env.sleep('1 day');
    await t.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'given' });
    await t.waitForStatus(caseId, (s) => s.stage === 'hospital_review' && s.submissions.every((x) => x.status === 'pending'));
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'HKU', decision: 'accepted' });
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'accepted' });
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'coordinator');
    await t.actions.act(caseId, 'chooseHospital', { actor, hospitalCode: 'HKU' });
    await t.waitForStatus(caseId, (s) => s.stage === 'admission');
    await t.actions.act(caseId, 'planAdmission', { actor, hospitalCode: 'HKU', admissionAt: new Date((await t.env.currentTimeMs()) + 9 * 86400_000).toISOString() });
    await t.env.sleep('8 days');
    await t.actions.act(caseId, 'confirmAdmission', { actor });
    await t.waitForStatus(caseId, (s) => s.stage === 'monitoring');
    await t.actions.act(caseId, 'recordInfusion', { actor, at: new Date(await t.env.currentTimeMs()).toISOString() });
    const m = (await t.waitForStatus(caseId, (s) => s.monitoring !== undefined)).monitoring!;
    for (const [i, c] of m.checkins.slice(0, 4).entries()) {
      await t.env.sleep(Date.parse(c.dueAt) - (await t.env.currentTimeMs()) + 60_000);
      await t.waitForStatus(caseId, (s) => s.monitoring!.checkins[i]!.state === 'open');
      if (i === 1) continue; // one unanswered: the ladder runs
      const fever = i === 2;
      await t.actions.submitCheckin(caseId, c.id, {
        temperature: { value: fever ? 38.7 : 36.9, unit: 'c' },
        takenAt: new Date(await t.env.currentTimeMs()).toISOString(),
        admitted: false,
        symptoms: { breathingDifficulty: fever },
      });
    }
    await t.actions.recordClinical(caseId, { temperatureC: 38.9, hypotension: 'fluids_only' }, 'dr@hku.test');
    await t.env.sleep('20 minutes');
    for (const a of (await t.actions.status(caseId)).alerts) await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: a.id });
    await t.env.sleep('15 days');
    await t.waitForStatus(caseId, (s) => s.stage === 'follow_up');
    await t.env.sleep('14 days');
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'coordinator');
    await t.actions.act(caseId, 'recordFollowUp', { actor, outcome: 'well' });
    await t.env.sleep('62 days');
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'coordinator');
    await t.actions.act(caseId, 'recordFollowUp', { actor, outcome: 'remission' });
    await t.waitForStatus(caseId, (s) => s.stage === 'closed');
    await save('closed-after-follow-up', caseId);
  });

  it('records a case where every hospital declines, closed from navigation, and one cancelled in monitoring', async () => {
    const declined = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
    await t.waitForStatus(declined.caseId, (s) => s.stage === 'records');
    await t.actions.act(declined.caseId, 'receiveDocument', { actor, documentType: 'medical_report' });
    await t.waitForStatus(declined.caseId, (s) => s.stage === 'translation');
    await t.submitApproved(declined.caseId, ['MAD'], actor);
    await t.waitForStatus(declined.caseId, (s) => s.submissions[0]?.status === 'pending');
    await t.env.sleep('15 days');
    await t.actions.act(declined.caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'declined', reason: 'not eligible' });
    await t.waitForStatus(declined.caseId, (s) => s.stage === 'navigation');
    // Another hospital chosen from navigation: the family is asked again, about it alone.
    await t.submitApproved(declined.caseId, ['HKU'], actor);
    await t.waitForStatus(declined.caseId, (s) => s.waitingFor.from === 'translator');
    await t.actions.act(declined.caseId, 'completeTranslation', { actor, documentType: 'medical_report' });
    await t.waitForStatus(declined.caseId, (s) => s.submissions.find((x) => x.hospitalCode === 'HKU')?.status === 'pending');
    await t.actions.act(declined.caseId, 'recordDecision', { actor, hospitalCode: 'HKU', decision: 'declined', reason: 'no bed' });
    await t.waitForStatus(declined.caseId, (s) => s.stage === 'navigation' && s.submissions.every((x) => x.status === 'declined'));
    await t.actions.act(declined.caseId, 'closeCase', { actor, reason: 'trial at home' });
    await save('closed-from-navigation', declined.caseId);

    const cancelled = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
    await t.waitForStatus(cancelled.caseId, (s) => s.stage === 'records');
    await t.actions.act(cancelled.caseId, 'receiveDocument', { actor, documentType: 'medical_report' });
    await t.waitForStatus(cancelled.caseId, (s) => s.stage === 'translation');
    await t.submitApproved(cancelled.caseId, ['MAD'], actor);
    await t.waitForStatus(cancelled.caseId, (s) => s.submissions[0]?.status === 'pending');
    await t.actions.act(cancelled.caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'accepted' });
    await t.waitForStatus(cancelled.caseId, (s) => s.stage === 'admission');
    await t.actions.act(cancelled.caseId, 'planAdmission', { actor, hospitalCode: 'MAD', admissionAt: new Date((await t.env.currentTimeMs()) + 3600_000).toISOString() });
    await t.actions.act(cancelled.caseId, 'confirmAdmission', { actor });
    await t.waitForStatus(cancelled.caseId, (s) => s.stage === 'monitoring');
    await t.actions.act(cancelled.caseId, 'recordInfusion', { actor, at: new Date(await t.env.currentTimeMs()).toISOString() });
    await t.env.sleep('1 day');
    // The day's unanswered check-ins raised alerts: acknowledged first, as a case is not cancelled over them (from v8).
    const s = await t.endCase(cancelled.caseId);
    expect(s.stage).toBe('cancelled');
    await save('cancelled-in-monitoring', cancelled.caseId);
  });

  it("records a case cancelled while it waits for the family's approval", async () => {
    const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report' });
    await t.waitForStatus(caseId, (s) => s.stage === 'translation');
    await t.actions.submit(caseId, ['MAD', 'HKU'], actor);
    await t.waitForStatus(caseId, (s) => s.waitingFor.from === 'family');
    await t.actions.act(caseId, 'approveSharing', { actor: 'family', hospitalCode: 'MAD' });
    await t.env.sleep('3 days');
    await t.smtp.waitFor(2, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'sharing_request');
    expect((await t.actions.act(caseId, 'cancelCase', { actor, reason: 'family withdrew' })).stage).toBe('cancelled');
    await t.client.workflow.getHandle(`case-${caseId}`).result();
    await save('cancelled-awaiting-approval', caseId);
  });

  it("records a check-in answered in the same workflow task as its expiry's timer (from v7)", async () => {
    // Its own worker with no cache: a stopped worker's sticky queue would keep the task (test/monitoring/report-with-timer.test.ts).
    const own = await startCaseTestEnv({ keyring: fixtureKeyring(), maxCachedWorkflows: 0 });
    try {
      await own.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'team@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
      const { caseId } = await caseInMonitoring(own, 'HKU');
      await reportWithExpiry(own, caseId);
      await own.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state === 'answered');
      expect((await own.endCase(caseId)).stage).toBe('cancelled');
      const history = await own.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
      writeFileSync(new URL(`./histories/${version}-answered-with-expiry.json`, import.meta.url), encodeHistory(history));
    } finally {
      await own.teardown();
    }
  });
});
