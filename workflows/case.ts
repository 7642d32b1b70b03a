// One durable workflow per case, from inquiry to closed. It decides; activities do the I/O.
//
//   case-run.ts       the case's state and effects (records, emails, alerts, deadlines, the Web UI)
//   case-handlers.ts  the Update handler of every action (domain/actions.ts), validated before
//                     anything enters history by the case's rules (domain/case-rules.ts)
//   case-stages.ts    the stages in order, and cancellation
//   monitoring.ts     the post-infusion monitoring stage
import { CancellationScope, allHandlersFinished, condition, isCancellation, patched } from '@temporalio/workflow';
import type { CaseInput, CaseStatus } from '../domain/case.ts';
import { startCaseRun } from './case-run.ts';
import { registerHandlers } from './case-handlers.ts';
import { caseStages } from './case-stages.ts';
import { PATCHES } from './patches.ts';

export async function caseWorkflow(input: CaseInput): Promise<CaseStatus> {
  const run = startCaseRun(input);
  // Everything that can wait runs in this scope, so cancelling the case stops every timer at once.
  const mainScope = new CancellationScope();
  registerHandlers(run, mainScope);
  const { lifecycle, cancel } = caseStages(run);
  try {
    await mainScope.run(lifecycle);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(cancel);
  }
  await condition(allHandlersFinished);
  // An email a background step started (a hospital's reminder, an alert) is sent, not abandoned.
  if (patched(PATCHES.effectsBeforeClose)) await condition(() => run.idle() && allHandlersFinished());
  return run.status();
}
