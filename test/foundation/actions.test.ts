// Every action of domain/actions.ts has its handler and its doors: an Update handler in the case
// workflow, a route in the JSON API, a form or button in the console and a casectl command. Adding
// an action to the registry without one of them fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { actionNames, actionSummary, staffActions } from '../../domain/actions.ts';
import { FORMS } from '../../client/http/console/forms.ts';
import { ACTION_COMMANDS, buildProgram } from '../../client/casectl.ts';
import { actionUpdates, caseWorkflowId } from '../../workflows/messages.ts';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
beforeAll(async () => {
  t = await startCaseTestEnv();
});
afterAll(async () => t?.teardown());

describe('every action', () => {
  it('has an Update handler in the case workflow: arguments that do not parse are refused by it, not unknown', async () => {
    const { caseId } = await t.actions.openCase(sampleCase(), 'coordinator@care.test');
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    const handle = t.client.workflow.getHandle(caseWorkflowId(caseId));
    for (const name of actionNames()) {
      const err = await handle.executeUpdate(actionUpdates[name] as never, { args: [{ not: 'an argument' }] as never }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause, name).toMatchObject({ type: 'InputError' });
    }
  });

  it('a staff action has a console form (an alert is acknowledged with its own button) and a casectl command with its summary', () => {
    expect([...Object.keys(FORMS), 'acknowledgeAlert'].sort()).toEqual([...staffActions()].sort());
    const program = buildProgram();
    const find = (path: string): Command | undefined => path.split(' ').reduce<Command | undefined>((cmd, name) => cmd?.commands.find((c) => c.name() === name), program);
    for (const name of staffActions()) {
      const command = find(ACTION_COMMANDS[name]);
      expect(command, `casectl ${ACTION_COMMANDS[name]} for ${name}`).toBeDefined();
      expect(command!.description()).toContain(actionSummary(name));
    }
  });
});
