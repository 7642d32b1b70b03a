// The whole service for an end-to-end test file: a migrated database, an SMTP sink, the case worker
// and the HTTP server (console, API, check-in pages) on the shared dev server, each on its own task
// queue, plus a client and the action layer for driving cases directly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config.ts';
import { createDataConverter, loadKeyring } from '../../codec/keys.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { startHttpServer, type RunningHttpServer } from '../../client/http/main.ts';
import type { HttpLogEntry } from '../../client/http/server.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { startSmtpSink, type SmtpSink } from './smtp.ts';

export interface Service {
  database: TestDatabase;
  sink: SmtpSink;
  worker: RunningWorker;
  http: RunningHttpServer;
  client: Client;
  actions: CaseActions;
  taskQueue: string;
  /** DATA_DIR of this service: casectl run against it needs it too. */
  dataDir: string;
  /** Terminates the cases named, then stops everything. */
  stop(caseIds?: string[]): Promise<void>;
}

/** `env` holds the secrets (PAYLOAD_KEYS, CHECKIN_LINK_SECRET, ADMIN_*); `config` any other settings. */
export async function startService(opts: { name: string; env: NodeJS.ProcessEnv; config?: Record<string, string>; log?: (e: HttpLogEntry) => void }): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), `${opts.name}-`));
  const [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const temporalAddress = inject('temporalAddress');
  const taskQueue = `${opts.name}-${Math.random().toString(36).slice(2, 8)}`;
  const base = {
    TEMPORAL_ADDRESS: temporalAddress,
    TASK_QUEUE: taskQueue,
    SMTP_URL: sink.url,
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    COORDINATOR_EMAIL: 'coordinator@care.test',
    TRANSLATOR_EMAIL: 'translator@care.test',
    MAIL_FROM: 'Care <care@care.test>',
    APP_BASE_URL: 'http://care.test',
    ...opts.config,
  };
  const worker = await startWorker(loadConfig({ ...base, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'WARN' }), { env: opts.env, writeLog: () => {} });
  const http = await startHttpServer(loadConfig({ ...base, PORT: '0' }), { env: opts.env, host: '127.0.0.1', log: opts.log ?? (() => {}) });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default', dataConverter: createDataConverter(loadKeyring(opts.env)) });
  const actions = createCaseActions({ client, db: database.db, taskQueue });
  return {
    database,
    sink,
    worker,
    http,
    client,
    actions,
    taskQueue,
    dataDir,
    async stop(caseIds = []) {
      await Promise.all(caseIds.map((id) => client.workflow.getHandle(`case-${id}`).terminate('test over').catch(() => undefined)));
      await worker.shutdown().catch(() => undefined);
      await http.close();
      await connection.close();
      await sink.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
