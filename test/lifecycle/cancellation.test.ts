// Cancelling at any stage: the family and every hospital that has the packet are told, the
// records say why and by whom, and no timer or reminder fires afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';
import type { Stage } from '../../domain/case.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'MAD', name: 'Hospital Madrid', email: 'intl@mad.test', language: 'es', timezone: 'Europe/Madrid' });
});
afterAll(async () => t?.teardown());

/** Drives a fresh case to `stage` through real actions. */
async function caseIn(stage: Stage): Promise<string> {
  const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  if (stage === 'records') return caseId;
  await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report' });
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  if (stage === 'translation') return caseId;
  await t.submitApproved(caseId, ['MAD'], actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'hospital_review' && s.submissions[0]?.status === 'pending');
  if (stage === 'hospital_review') return caseId;
  if (stage === 'navigation') {
    await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'declined', reason: 'not eligible' });
    await t.waitForStatus(caseId, (s) => s.stage === 'navigation');
    return caseId;
  }
  await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'MAD', decision: 'accepted' });
  await t.waitForStatus(caseId, (s) => s.stage === 'admission');
  const admissionAt = new Date((await t.env.currentTimeMs()) + 10 * 86400_000).toISOString();
  await t.actions.act(caseId, 'planAdmission', { actor, hospitalCode: 'MAD', admissionAt });
  if (stage === 'admission') return caseId;
  await t.actions.act(caseId, 'confirmAdmission', { actor });
  await t.waitForStatus(caseId, (s) => s.stage === 'monitoring');
  await t.actions.act(caseId, 'recordInfusion', { actor, at: new Date(await t.env.currentTimeMs()).toISOString() });
  if (stage === 'monitoring') return caseId;
  await t.actions.act(caseId, 'endMonitoring', { actor });
  await t.waitForStatus(caseId, (s) => s.stage === 'follow_up');
  return caseId;
}

describe('cancellation', () => {
  it.each(['records', 'translation', 'hospital_review', 'navigation', 'admission', 'monitoring', 'follow_up'] as Stage[])(
    'in %s: tells everyone concerned, records why and by whom, and nothing fires later',
    async (stage) => {
      const caseId = await caseIn(stage);
      const s = await t.actions.act(caseId, 'cancelCase', { actor: 'ana@care.test', reason: 'family withdrew' });
      expect(s.stage).toBe('cancelled');
      expect(s.cancelled).toMatchObject({ reason: 'family withdrew', by: 'ana@care.test', fromStage: stage });

      const kinds = async () => (await t.actions.emails(caseId)).map((e) => e.kind);
      const hospitalHadPacket = !['records', 'translation'].includes(stage);
      await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'case_cancelled_coordinator');
      const afterCancel = await kinds();
      expect(afterCancel).toContain('case_cancelled_family');
      expect(afterCancel.includes('case_cancelled_hospital')).toBe(hospitalHadPacket);

      // Months later, still nothing new: no reminder, no follow-up, no escalation.
      await t.env.sleep('120 days');
      expect(await kinds()).toEqual(afterCancel);

      const row = await t.database.db.selectFrom('cases').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ stage: 'cancelled', close_reason: 'family withdrew' });
      const entry = (await t.actions.timeline(caseId)).find((e) => e.kind === 'case_cancelled');
      expect(entry).toMatchObject({ actor: 'ana@care.test', summary: `Case cancelled in ${stage}: family withdrew` });
      expect(await t.client.workflow.getHandle(`case-${caseId}`).result()).toMatchObject({ stage: 'cancelled' });

      // A cancelled case refuses every further action.
      await expect(t.actions.act(caseId, 'cancelCase', { actor, reason: 'again' })).rejects.toThrow(/closed|cancelled/);
    },
  );
});
