// Every message a client can send to a case workflow, in one place: the workflow registers
// handlers for these, and casectl, the HTTP server and tests send them. Each action of
// domain/actions.ts is an Update of the same name (validated before it enters history, answered once
// durably applied), its argument type the action's schema's.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { actionNames, type ActionInput, type ActionName } from '../domain/actions.ts';
import type { CaseStatus } from '../domain/case.ts';
import type { CheckinOutcome, ClinicalOutcome } from '../domain/monitoring.ts';

export const TASK_QUEUE = 'cases';
export const caseWorkflowId = (caseId: string): string => `case-${caseId}`;

/** What each action answers: the case's status after it, but for a check-in report and an observation. */
export type ActionResult<A extends ActionName> = A extends 'submitCheckin' ? CheckinOutcome : A extends 'recordClinical' ? ClinicalOutcome : CaseStatus;

export type ActionUpdate<A extends ActionName> = UpdateDefinition<ActionResult<A>, [ActionInput<A>], A>;

/** The Update of each action, by the action's name. */
export const actionUpdates = Object.fromEntries(actionNames().map((name) => [name, defineUpdate(name)])) as { readonly [A in ActionName]: ActionUpdate<A> };

export const caseStatus = defineQuery<CaseStatus>('caseStatus');
