// Drives real cases through the action layer (client/actions.ts) on a running case worker, the
// way a coordinator would: documents, submission, decision, admission. For end-to-end files that
// need cases in given stages on the shared dev server.
import { randomBytes } from 'node:crypto';
import type { CaseActions } from '../../client/actions.ts';
import type { CaseStatus, Stage } from '../../domain/case.ts';

export const ACTOR = 'coordinator.ops@care.test';
export const DOCUMENTS = ['medical_report', 'scans', 'pathology', 'biomarkers', 'treatment_history'];

export interface FamilyInput {
  name: string;
  email: string;
  language: string;
  timeZone: string;
}

/** A case file: a random patient reference unless given. */
export function caseFile(opts: { patientRef?: string; diagnosis?: string; family?: Partial<FamilyInput>; settings?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    patientRef: opts.patientRef ?? `P-${randomBytes(4).toString('hex')}`,
    diagnosis: opts.diagnosis ?? 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
    therapy: 'CD19 CAR-T',
    family: { name: 'Ana Ops', email: `family-${randomBytes(3).toString('hex')}@example.org`, language: 'en', timeZone: 'UTC', ...opts.family },
    ...(opts.settings ? { settings: opts.settings } : {}),
  };
}

/** Polls the case's status query until `pred` holds (the workflow moves on asynchronously). */
export async function waitForStatus(actions: CaseActions, caseId: string, pred: (s: CaseStatus) => boolean, what: string, timeoutMs = 30_000): Promise<CaseStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: CaseStatus | undefined;
  for (;;) {
    try {
      last = await actions.status(caseId);
      if (pred(last)) return last;
    } catch (err) {
      if (!/does not exist|not found/i.test((err as Error).message)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`case ${caseId} never reached ${what}; last status: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const inStage = (stage: Stage) => (s: CaseStatus) => s.stage === stage;

/** Opens a case and waits for it to ask for records. */
export async function openCase(actions: CaseActions, file: Record<string, unknown>): Promise<string> {
  const { caseId } = await actions.openCase(file, ACTOR);
  await waitForStatus(actions, caseId, inStage('records'), 'records');
  return caseId;
}

/** Waits for the case's status to satisfy `pred`; `what` names it in the failure. */
export type StatusWait = (pred: (s: CaseStatus) => boolean, what: string) => Promise<CaseStatus>;

/** The case waits for the family's approval to share it with the hospitals chosen (workflows/case-stages.ts familyApproval). */
export const awaitingApproval = (s: CaseStatus) => s.stage === 'translation' && s.waitingFor.from === 'family';

/**
 * Submits the case to `codes` and gives the family's approval to share it with each of them that
 * was not approved before (a hospital that declined and is chosen again keeps its approval), as
 * the real process does: once the case has asked the family (sharing_request), by `approver`
 * (default: the coordinator recording it, as `casectl hospital approve` does). Resolves with the
 * status after the last approval.
 */
export async function submitApproved(
  actions: CaseActions,
  caseId: string,
  codes: string[],
  opts: { actor?: string; approver?: string; wait?: StatusWait } = {},
): Promise<CaseStatus> {
  const actor = opts.actor ?? ACTOR;
  const wait = opts.wait ?? ((pred, what) => waitForStatus(actions, caseId, pred, what));
  const submitted = await actions.submit(caseId, codes, actor);
  const toApprove = codes.filter((code) => !submitted.submissions.find((x) => x.hospitalCode === code)?.sharingApproved);
  if (toApprove.length === 0) return submitted;
  await wait(awaitingApproval, `the family's approval to share the case with ${toApprove.join(', ')}`);
  let status = submitted;
  for (const hospitalCode of toApprove) status = await actions.act(caseId, 'approveSharing', { actor: opts.approver ?? actor, hospitalCode });
  return status;
}

/** Every document received (in `language`), then submitted to `hospital`: hospital review. */
export async function toHospitalReview(actions: CaseActions, caseId: string, hospital: string, language = 'en'): Promise<CaseStatus> {
  for (const documentType of DOCUMENTS) await actions.act(caseId, 'receiveDocument', { actor: ACTOR, documentType, language });
  await waitForStatus(actions, caseId, inStage('translation'), 'all documents in');
  await submitApproved(actions, caseId, [hospital]);
  return waitForStatus(actions, caseId, (s) => s.stage === 'hospital_review' && s.submissions.some((x) => x.status === 'pending'), 'hospital review');
}

/** Accepted by `hospital`, admission planned and confirmed: monitoring, waiting for the infusion. */
export async function toMonitoring(actions: CaseActions, caseId: string, hospital: string, language = 'en'): Promise<CaseStatus> {
  await toHospitalReview(actions, caseId, hospital, language);
  await actions.act(caseId, 'recordDecision', { actor: ACTOR, hospitalCode: hospital, decision: 'accepted' });
  await waitForStatus(actions, caseId, inStage('admission'), 'admission');
  await actions.act(caseId, 'planAdmission', { actor: ACTOR, hospitalCode: hospital, admissionAt: new Date(Date.now() + 86_400_000).toISOString() });
  await actions.act(caseId, 'confirmAdmission', { actor: ACTOR });
  return waitForStatus(actions, caseId, inStage('monitoring'), 'monitoring');
}
