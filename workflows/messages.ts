// Every message a client can send to a case workflow, in one place: the workflow registers
// handlers for these, and casectl, the HTTP server and tests send them. Each coordinator action
// is an Update (validated before it enters history, answered once durably applied).
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CaseStatus, Decision } from '../domain/case.ts';
import type { CheckinOutcome, ClinicalOutcome } from '../domain/monitoring.ts';

export const TASK_QUEUE = 'cases';
export const caseWorkflowId = (caseId: string): string => `case-${caseId}`;

/** Who did it: a signed-in user's email or a CLI user; recorded in the case timeline. */
export interface Actor {
  actor: string;
}

export const receiveDocument = defineUpdate<CaseStatus, [Actor & { documentType: string; language?: string }]>('receiveDocument');
export const waiveDocument = defineUpdate<CaseStatus, [Actor & { documentType: string; reason: string }]>('waiveDocument');
export const completeTranslation = defineUpdate<CaseStatus, [Actor & { documentType: string }]>('completeTranslation');
export const submitToHospitals = defineUpdate<CaseStatus, [Actor & { hospitals: { code: string; language: string }[] }]>('submitToHospitals');
export const recordDecision = defineUpdate<CaseStatus, [Actor & { hospitalCode: string; decision: Decision; reason?: string; documents?: string[] }]>('recordDecision');
export const chooseHospital = defineUpdate<CaseStatus, [Actor & { hospitalCode: string }]>('chooseHospital');
export const planAdmission = defineUpdate<CaseStatus, [Actor & { hospitalCode: string; admissionAt: string; contact?: string; notes?: string }]>('planAdmission');
export const confirmAdmission = defineUpdate<CaseStatus, [Actor]>('confirmAdmission');
export const recordInfusion = defineUpdate<CaseStatus, [Actor & { at: string }]>('recordInfusion');
export const endMonitoring = defineUpdate<CaseStatus, [Actor]>('endMonitoring');
export const recordFollowUp = defineUpdate<CaseStatus, [Actor & { outcome: string }]>('recordFollowUp');
export const closeCase = defineUpdate<CaseStatus, [Actor & { reason: string }]>('closeCase');
export const cancelCase = defineUpdate<CaseStatus, [Actor & { reason: string }]>('cancelCase');
export const acknowledgeAlert = defineUpdate<CaseStatus, [Actor & { alertId: string }]>('acknowledgeAlert');

/** A family's check-in report, from the signed link's page. Answered once it is durably recorded. */
export const submitCheckin = defineUpdate<CheckinOutcome, [{ checkinId: number; report: unknown }]>('submitCheckin');
/** A clinical observation from the treating team (the grading contract's JSON). */
export const recordClinical = defineUpdate<ClinicalOutcome, [Actor & { observation: unknown }]>('recordClinical');

export const caseStatus = defineQuery<CaseStatus>('caseStatus');
