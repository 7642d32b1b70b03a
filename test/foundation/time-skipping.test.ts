import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, workflowBundle } from '../harness/temporal.ts';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

describe('time-skipping test server', () => {
  it('runs a workflow that sleeps 14 days and then calls an activity, in seconds', async () => {
    const stamped: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'harness',
      workflowBundle: await workflowBundle(new URL('../fixtures/workflows.ts', import.meta.url)),
      activities: { stamp: async ({ label }: { label: string }) => (stamped.push(label), `stamped ${label}`) },
    });
    const startedAt = Date.now();
    const serverStart = await env.currentTimeMs();
    const result = await worker.runUntil(
      env.client.workflow.execute('sleepThenStamp', { taskQueue: 'harness', workflowId: `sleepy-${Date.now()}`, args: [{ days: 14, label: 'day-14' }] }),
    );
    expect(result).toBe('stamped day-14');
    expect(stamped).toEqual(['day-14']);
    // Server time moved on by at least 14 days, while the wall clock moved by seconds.
    expect((await env.currentTimeMs()) - serverStart).toBeGreaterThanOrEqual(14 * 24 * 3600 * 1000);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
  });
});
