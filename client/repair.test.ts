// How a repair finds its reset point, on made-up histories and a replayer that fails every history
// holding a given event (as the real code fails on the first misordered command): the latest task
// before it, in about log2(tasks) replays; and when a case is not stuck, or a reset would not help.
// The real replay, reset and worker: test/e2e/repair.test.ts.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { createCaseRepairs, type Replayer } from './repair.ts';

const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const CASE = 'c0123456789ab';

/** A case's history: started, then `tasks` workflow tasks each scheduling an activity, then `end`. */
function history(tasks: number, end: (id: () => number) => HistoryEvent[] = () => []): HistoryEvent[] {
  let n = 0;
  const id = () => ++n;
  const events: HistoryEvent[] = [{ eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED }];
  for (let t = 0; t < tasks; t++) {
    for (const eventType of [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]) {
      events.push({ eventId: id() as never, eventType });
    }
  }
  return [...events, ...end(id)];
}

const failedTask = (cause = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR) => (id: () => number): HistoryEvent[] => [
  { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED },
  { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED },
  { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, workflowTaskFailedEventAttributes: { cause } },
];

function repairsOf(events: HistoryEvent[], opts: { attempt?: number; badEventId?: number } = {}) {
  const replays: number[] = [];
  // Replays fail from the misordered command on: a history holding it does not replay.
  const replay: Replayer = async function* (_workflowId, histories) {
    for await (const h of histories) {
      const last = Number(h.events!.at(-1)!.eventId);
      replays.push(last);
      yield opts.badEventId === undefined || last < opts.badEventId;
    }
  };
  const handle = {
    describe: async () => ({ runId: 'run-1', status: { name: 'RUNNING' }, raw: { pendingWorkflowTask: opts.attempt ? { attempt: opts.attempt } : null } }),
    fetchHistory: async () => ({ events }),
  };
  const client = { workflow: { getHandle: () => handle } } as unknown as Client;
  return { repairs: createCaseRepairs({ client, replay }), replays };
}

describe('case repair: the reset point', () => {
  it('is the latest completed task before the first event that does not replay, wherever that is, in about log2(tasks) replays', async () => {
    const tasks = 40;
    const events = history(tasks, failedTask());
    const commands = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => Number(e.eventId));
    for (const bad of commands) {
      const { repairs, replays } = repairsOf(events, { badEventId: bad });
      const diagnosis = await repairs.diagnose(CASE);
      // Each task's command comes right after its completion.
      // No build recorded on these made-up tasks: '' (no build's), which a worker's sweep leaves alone.
      expect(diagnosis).toEqual({ caseId: CASE, stuck: true, runId: 'run-1', resetEventId: bad - 1, updatesAfter: 0, writtenBy: [''] });
      expect(replays[0]).toBe(events.length);
      expect(replays.length - 1).toBeLessThanOrEqual(Math.ceil(Math.log2(tasks + 1)));
    }
  });

  it('counts each Update after it once, admitted and accepted alike', async () => {
    const events = history(3, (id) => [
      { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, workflowExecutionUpdateAdmittedEventAttributes: { request: { meta: { updateId: 'u1' } } } },
      { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: 'u1' } },
      { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: 'u2' } },
      ...failedTask()(id),
    ]);
    const { repairs } = repairsOf(events, { badEventId: 8 });
    expect(await repairs.diagnose(CASE)).toMatchObject({ stuck: true, resetEventId: 4, updatesAfter: 2 });
  });

  it('is looked for when the failing task is seen only in its attempts (it timed out first), and not at all when tasks complete', async () => {
    const timedOut = history(3, (id) => [
      { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED },
      { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED },
      { eventId: id() as never, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT },
    ]);
    expect(await repairsOf(timedOut, { attempt: 3, badEventId: 12 }).repairs.diagnose(CASE)).toMatchObject({ stuck: true, resetEventId: 8 });
    const healthy = repairsOf(timedOut, { attempt: 1, badEventId: 12 });
    expect(await healthy.repairs.diagnose(CASE)).toEqual({ caseId: CASE, stuck: false, runId: 'run-1', why: 'its workflow tasks complete' });
    expect(healthy.replays).toEqual([]);
  });

  it('is not looked for right after a reset: the task the reset failed is not a stuck one', async () => {
    const reset = repairsOf(history(3, failedTask(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW)));
    expect(await reset.repairs.diagnose(CASE)).toMatchObject({ stuck: false });
    expect(reset.replays).toEqual([]);
  });

  it('refuses a reset that would not help: a history that replays whole, or whose first task does not', async () => {
    await expect(repairsOf(history(3, failedTask())).repairs.diagnose(CASE)).rejects.toThrow(/keeps failing, but its history replays with this code: a reset would not help.*nothing was changed$/);
    await expect(repairsOf(history(3, failedTask()), { badEventId: 2 }).repairs.diagnose(CASE)).rejects.toThrow(/not even the first workflow task of case c0123456789ab replays.*nothing was changed$/);
  });
});
