// A history the chaos suite recorded (200 cases, seed 16, workers killed with SIGKILL): a family's
// check-in report (an Update) arrived in the same workflow task as a reminder's timer, and a worker
// that had just started (nothing cached) took that task. It wrote the reminder's email before the
// Update's acceptance; replaying, the SDK's core delivers Updates first and meets the acceptance
// where the email is, so the case's workflow task fails on every worker (TMPRL1100) and the case
// stops. The history is valid and this workflow's code deterministic: it is Temporal's bug in how
// core splits a cold start's history into activations (temporalio/sdk-python#1591, a fix under way
// in sdk-core), present in @temporalio/worker 1.24.0, the newest. These tests expect exactly that
// failure, so an SDK upgrade that fixes it makes them fail: then move the history to histories/.
// What ops do with such a case meanwhile: README, "A case whose workflow task keeps failing"
// (casectl case repair, whose reset point for this history the second test checks).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createDataConverter, parseKeysEnv } from '../../codec/keys.ts';
import { createCaseRepairs, workerReplayer } from '../../client/repair.ts';
import { workflowBundle } from '../harness/temporal.ts';
import { decodeHistory } from './history-file.ts';

// The chaos run's own throwaway key: the history holds only the run's generated cases.
const keyring = parseKeysEnv('chaos:g//JvMYZIc5xyLOn55K5Uzge6K6PO4k17kBCFGqCphg=');

describe('a history recorded on a cold start with an Update (Temporal core bug)', () => {
  it('fails to replay with the Update machine nondeterminism at the reminder email, as it did on the workers', async () => {
    const history = decodeHistory(readFileSync(new URL('./upstream/cold-start-update-order.json', import.meta.url), 'utf8'));
    const replay = Worker.runReplayHistory(
      { workflowBundle: await workflowBundle(new URL('../../workflows/index.ts', import.meta.url)), dataConverter: createDataConverter(keyring) },
      history,
      'replay-cold-start-update-order',
    );
    await expect(replay).rejects.toThrow(/Update machine does not handle this event: HistoryEvent\(id: 417, ActivityTaskScheduled\)/);
  });

  it('is repaired by a reset to the task that wrote the misordered commands (416, before 417), with the four Updates after it (two check-in reports among them) reapplied', { timeout: 120_000 }, async () => {
    const history = decodeHistory(readFileSync(new URL('./upstream/cold-start-update-order.json', import.meta.url), 'utf8'));
    // The case's workflow as Temporal describes it while it is stuck: running, its task failing.
    const handle = { describe: async () => ({ runId: 'stuck-run', status: { name: 'RUNNING' }, raw: {} }), fetchHistory: async () => history };
    const client = { workflow: { getHandle: () => handle } } as unknown as Client;
    const repairs = createCaseRepairs({ client, replay: workerReplayer(createDataConverter(keyring)) });
    // One build (the chaos run's workers') wrote the misordered task and all after it: the same code
    // wrote what it cannot replay, so a worker of that build would reset it itself (worker/repair-sweep.ts).
    expect(await repairs.diagnose('c0b4973d60a69')).toEqual({
      caseId: 'c0b4973d60a69',
      stuck: true,
      runId: 'stuck-run',
      resetEventId: 416,
      updatesAfter: 4,
      writtenBy: ['@temporalio/worker@1.24.0+e40b1171bb17d616bd19c060e88b5e328a829b407e44d2c07f6278b9d6040a79'],
    });
  });
});
