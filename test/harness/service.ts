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
import type { LineWriter } from '../../worker/logging.ts';
import type { LogLevel } from '../../config.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import type { PostgresChoice } from './postgres-backend.ts';
import { startSmtpSink, type SmtpSink } from './smtp.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface Service {
  database: TestDatabase;
  sink: SmtpSink;
  worker: RunningWorker;
  http: RunningHttpServer;
  client: Client;
  actions: CaseActions;
  taskQueue: string;
  temporalAddress: string;
  /** DATA_DIR of this service: casectl run against it needs it too. */
  dataDir: string;
  /** With `cuttableHttpDatabase`: the proxy between the HTTP server and Postgres (the worker connects directly). */
  httpDatabaseProxy?: TcpProxy;
  /** Terminates the cases named, then stops everything. */
  stop(caseIds?: string[]): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  /** The secrets: PAYLOAD_KEYS, CHECKIN_LINK_SECRET, ADMIN_*. */
  env: NodeJS.ProcessEnv;
  /** Any other settings. */
  config?: Record<string, string>;
  log?: (e: HttpLogEntry) => void;
  /** The worker's log lines (default: dropped) and level (default WARN). */
  workerLog?: LineWriter;
  workerLogLevel?: LogLevel;
  /** Puts a TCP proxy between the HTTP server and Postgres, so a test can take Postgres away from it. */
  cuttableHttpDatabase?: boolean;
  /** Outside vitest (the fuzz command): the dev server and Postgres to use instead of the global setup's. */
  temporalAddress?: string;
  postgres?: PostgresChoice;
}

export async function startService(opts: ServiceOptions): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), `${opts.name}-`));
  const [database, sink] = await Promise.all([createTestDatabase(opts.postgres), startSmtpSink()]);
  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
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
  const worker = await startWorker(loadConfig({ ...base, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: opts.workerLogLevel ?? 'WARN' }), {
    env: opts.env,
    writeLog: opts.workerLog ?? (() => {}),
  });
  let httpDatabaseProxy: TcpProxy | undefined;
  if (opts.cuttableHttpDatabase) {
    const target = new URL(database.url);
    httpDatabaseProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  }
  const httpDatabaseUrl = httpDatabaseProxy ? httpDatabaseProxy.via(database.url) : database.url;
  const http = await startHttpServer(loadConfig({ ...base, DATABASE_URL: httpDatabaseUrl, PORT: '0' }), { env: opts.env, host: '127.0.0.1', log: opts.log ?? (() => {}) });
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
    temporalAddress,
    dataDir,
    ...(httpDatabaseProxy ? { httpDatabaseProxy } : {}),
    async stop(caseIds = []) {
      await Promise.all(caseIds.map((id) => client.workflow.getHandle(`case-${id}`).terminate('test over').catch(() => undefined)));
      await worker.shutdown().catch(() => undefined);
      await http.close();
      await httpDatabaseProxy?.stop();
      await connection.close();
      await sink.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
