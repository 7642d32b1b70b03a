// local/temporal-server.ts on its own server (not the project's shared one, which other files
// use meanwhile): what it registers, a crash (SIGKILL) and a restart on the same databases, a
// workflow whose task keeps failing listed under TemporalReportedProblems (the dynamic config's
// threshold), and a stop that leaves no database behind.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startTemporalServer, type TemporalServer } from '../../local/temporal-server.ts';
import { caseSearchAttributes } from '../../domain/search-attributes.ts';
import { workflowBundle } from '../harness/temporal.ts';

const choice = inject('postgres');
const adminUrl = choice.kind === 'server' ? choice.adminUrl : '';
let server: TemporalServer | undefined;
let connection: Connection;
let client: Client;

async function databasesNamed(names: string[]): Promise<string[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
    return rows.map((r) => r.datname).sort();
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  server = await startTemporalServer({ adminUrl });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

describe('a Temporal server on PostgreSQL', () => {
  it('serves the namespace, with the case search attributes registered', async () => {
    expect((await connection.workflowService.getSystemInfo({})).serverVersion).toBe('1.32.0');
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: server!.namespace });
    expect(Object.keys(customAttributes ?? {}).sort()).toEqual(caseSearchAttributes.map((k) => k.name).sort());
    expect(await databasesNamed(Object.values(server!.databases))).toEqual(Object.values(server!.databases).sort());
  });

  it('keeps a running workflow through a crash: after SIGKILL and a restart it is still there, and listed', async () => {
    const workflowId = `crash-${randomBytes(4).toString('hex')}`;
    // No worker polls this queue: the workflow stays running, which is all this needs.
    const handle = await client.workflow.start('noWorkerNeeded', { taskQueue: `idle-${workflowId}`, workflowId });
    await server!.kill('SIGKILL');
    expect(server!.running()).toBe(false);
    await server!.restart();
    expect(server!.running()).toBe(true);
    // The same client, whose connection went down with the server and came back.
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const listed: string[] = [];
    for (let i = 0; i < 40 && !listed.length; i++) {
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'` })) listed.push(wf.workflowId);
      if (!listed.length) await new Promise((r) => setTimeout(r, 250));
    }
    expect(listed).toEqual([workflowId]);
    await handle.terminate('test over');
  });

  it('lists a workflow whose workflow task keeps failing under TemporalReportedProblems, after 3 failures in a row', async () => {
    const workflowId = `failing-${randomBytes(4).toString('hex')}`;
    const workerConnection = await NativeConnection.connect({ address: server!.address });
    try {
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: server!.namespace,
        taskQueue: workflowId,
        workflowBundle: await workflowBundle(new URL('../fixtures/failing-task.ts', import.meta.url)),
      });
      await worker.runUntil(async () => {
        const started = Date.now();
        // The SDK reports a failed task on its first attempt only and lets the later attempts time
        // out (they stay out of the history), so the 2nd and 3rd problems are timeouts: with the
        // default 10 s task timeout the workflow is listed after about 20 s, with 2 s after about 4.
        const handle = await client.workflow.start('failsEveryTask', { taskQueue: workflowId, workflowId, workflowTaskTimeout: '2 seconds' });
        // The query the worker's repair sweep and the Web UI's task-failures view ask.
        const query = "ExecutionStatus = 'Running' AND TemporalReportedProblems IN ('category=WorkflowTaskFailed', 'category=WorkflowTaskTimedOut')";
        const listed: string[] = [];
        while (!listed.length && Date.now() - started < 45_000) {
          for await (const wf of client.workflow.list({ query })) listed.push(wf.workflowId);
          if (!listed.length) await new Promise((r) => setTimeout(r, 250));
        }
        const { raw, searchAttributes } = await handle.describe();
        console.log(`[temporal-server] the failing workflow listed under TemporalReportedProblems after ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(searchAttributes.TemporalReportedProblems)}`);
        expect(listed).toEqual([workflowId]);
        // Not after the first failure: the threshold is 3 (deploy/temporal/dynamicconfig.yaml), so the
        // task has failed or timed out at least 3 times, and the next attempt is the 4th or later.
        expect(raw.pendingWorkflowTask?.attempt).toBeGreaterThanOrEqual(4);
        await handle.terminate('test over');
      });
    } finally {
      await workerConnection.close();
    }
  }, 60_000);

  it('stop() drops both databases', async () => {
    const names = Object.values(server!.databases);
    await connection.close();
    await server!.stop();
    server = undefined;
    expect(await databasesNamed(names)).toEqual([]);
  });
});
