// local/temporal-server.ts on its own server (not the project's shared one, which other files
// use meanwhile): what it registers, a crash (SIGKILL) and a restart on the same databases, and a
// stop that leaves no database behind.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { startTemporalServer, type TemporalServer } from '../../local/temporal-server.ts';
import { caseSearchAttributes } from '../../domain/search-attributes.ts';

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

  it('stop() drops both databases', async () => {
    const names = Object.values(server!.databases);
    await connection.close();
    await server!.stop();
    server = undefined;
    expect(await databasesNamed(names)).toEqual([]);
  });
});
