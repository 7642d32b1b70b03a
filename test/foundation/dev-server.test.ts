import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, NativeConnection } from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { connectToDevServer, workflowBundle } from '../harness/temporal.ts';
import { CaseStageKey } from '../../domain/search-attributes.ts';

let client: Client;
let connection: Connection;
beforeAll(async () => {
  ({ client, connection } = await connectToDevServer());
});
afterAll(async () => connection?.close());

describe('shared dev server', () => {
  it('lists a started workflow through the visibility API by a custom search attribute', async () => {
    const marker = `harness-${Date.now()}`;
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: inject('temporalAddress') }),
      taskQueue: marker,
      workflowBundle: await workflowBundle(new URL('../fixtures/workflows.ts', import.meta.url)),
      activities: { stamp: async () => 'never' },
    });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start('sleepThenStamp', {
        taskQueue: marker,
        workflowId: marker,
        args: [{ days: 1, label: 'x' }],
        typedSearchAttributes: [{ key: CaseStageKey, value: marker }],
      });
      // Visibility is eventually consistent: poll until the list answers.
      let ids: string[] = [];
      for (let i = 0; i < 100 && ids.length === 0; i++) {
        ids = [];
        for await (const wf of client.workflow.list({ query: `CaseStage = '${marker}'` })) ids.push(wf.workflowId);
        if (ids.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ids).toEqual([marker]);
      await handle.terminate('test done');
    });
  });
});
