// Calling a case's workflow, for reads and actions alike: its handle, and what Temporal's errors mean
// to a person (no such case, refused by the case's state, bad arguments).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isCaseId } from '../domain/case.ts';
import { InputError } from '../domain/validation.ts';
import * as msg from '../workflows/messages.ts';
import type { caseWorkflow } from '../workflows/case.ts';

/** The case does not exist (HTTP 404). */
export class CaseNotFoundError extends Error {
  constructor(caseId: string) {
    // An id that cannot be one is not repeated back: it may hold anything a person typed.
    super(isCaseId(caseId) ? `case ${caseId} does not exist` : 'no case has that id (a case id is letters, digits, - and _)');
    this.name = 'CaseNotFoundError';
  }
}

/** The case's state refuses the action (HTTP 409); the message says why. */
export class ActionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionRefusedError';
  }
}


export function caseCalls(client: Client) {
  const handle = (caseId: string) => client.workflow.getHandle<typeof caseWorkflow>(msg.caseWorkflowId(caseId));

  async function translateErrors<T>(caseId: string, run: () => Promise<T>): Promise<T> {
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // An Update to a case whose workflow has finished: the case exists but is over.
        const over = await handle(caseId).query(msg.caseStatus).catch(() => undefined);
        if (over) throw new ActionRefusedError(`the case is ${over.stage}`);
        throw new CaseNotFoundError(caseId);
      }
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === 'InputError') throw new InputError((err.cause.details?.[0] as InputError['fields']) ?? [{ field: '', message: err.cause.message }]);
        throw new ActionRefusedError(err.cause.message);
      }
      throw err;
    }
  }

  return { handle, translateErrors };
}
