// The whole service for an end-to-end test file: a migrated database, an SMTP sink, the case worker
// and the HTTP server (console, API, check-in pages) on the shared Temporal server, each on its own
// task queue, plus a client and the action layer for driving cases directly.
//
// Two shapes, chosen by the vitest project (the `serviceShape` its global setup provides):
// - in-process (projects `suite`, `replaying`, and the fuzz command): one worker and one HTTP server
//   in the test's own process, on the dev server;
// - production (project `production`): two worker processes and two HTTP server processes
//   (deployment.ts) behind a round-robin load balancer, on temporal-server on PostgreSQL. Tests
//   see the same Service: `http.url` is the balancer, so consecutive requests reach different
//   servers, and the HTTP servers' log lines reach `log` from their standard output.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type LogLevel } from '../../config.ts';
import { createDataConverter, loadKeyring } from '../../codec/keys.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { createIdentifiers, loadIdentifierKey } from '../../common/identifiers.ts';
import { startHttpServer } from '../../client/http/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import type { LineWriter } from '../../common/logging.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import type { PostgresChoice } from './postgres-backend.ts';
import { startSmtpSink, type SmtpSink } from './smtp.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { startDeployment, type Deployment } from './deployment.ts';

export type ServiceShape = 'in-process' | 'production';

export interface Service {
  shape: ServiceShape;
  database: TestDatabase;
  sink: SmtpSink;
  /** Where staff and families reach the service. */
  http: {
    url: string;
    /** The start-up banner on signing in, which startHttpServer returns in-process; the HTTP processes log `admin_created` instead. */
    signIn?: string;
  };
  /** In-process only: the worker. */
  worker?: RunningWorker;
  /** Production-shaped only: the processes, to kill and restart. */
  deployment?: Deployment;
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
  /** The HTTP server's JSON log lines, one per call, as it writes them (production-shaped: from its processes' standard output). */
  log?: LineWriter;
  /** In-process: the worker's log lines (default: dropped) and level (default WARN). */
  workerLog?: LineWriter;
  workerLogLevel?: LogLevel;
  /** In-process: a TCP proxy between the HTTP server and Postgres, so a test can take Postgres away from it. */
  cuttableHttpDatabase?: boolean;
  /** Outside vitest (the fuzz command): the dev server and Postgres to use instead of the global setup's (in-process then). */
  temporalAddress?: string;
  postgres?: PostgresChoice;
}

/** Where the production-shaped processes' logs stay after the run (the latest run's, per file). */
const productionLogs = fileURLToPath(new URL('../../test-artifacts/production-logs/', import.meta.url));

/** Whether a line of an HTTP server process's output is one of its log lines (JSON, component "http"). */
function isHttpLogLine(line: string): boolean {
  try {
    return (JSON.parse(line) as { component?: unknown }).component === 'http';
  } catch {
    return false;
  }
}

export async function startService(opts: ServiceOptions): Promise<Service> {
  const shape: ServiceShape = opts.temporalAddress ? 'in-process' : inject('serviceShape');
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
  let processes: Pick<Service, 'http' | 'worker' | 'deployment' | 'httpDatabaseProxy'> & { close(): Promise<void> };
  if (shape === 'production') {
    const logDir = join(productionLogs, opts.name);
    rmSync(logDir, { recursive: true, force: true });
    const log = opts.log;
    const deployment = await startDeployment({
      env: { ...base, ...opts.env },
      logDir,
      onLine: (name, line) => {
        if (log && name.startsWith('http-') && isHttpLogLine(line)) log(line);
      },
    });
    processes = { http: { url: deployment.url }, deployment, close: () => deployment.stop() };
  } else {
    const worker = await startWorker(loadConfig({ ...base, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: opts.workerLogLevel ?? 'WARN' }), {
      env: opts.env,
      writeLog: opts.workerLog ?? (() => {}),
    });
    let httpDatabaseProxy: TcpProxy | undefined;
    if (opts.cuttableHttpDatabase) {
      const target = new URL(database.url);
      httpDatabaseProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    }
    const http = await startHttpServer(loadConfig({ ...opts.env, ...base, DATABASE_URL: httpDatabaseProxy ? httpDatabaseProxy.via(database.url) : database.url, PORT: '0' }), {
      env: opts.env,
      host: '127.0.0.1',
      log: opts.log ?? (() => {}),
    });
    processes = {
      http,
      worker,
      ...(httpDatabaseProxy ? { httpDatabaseProxy } : {}),
      close: async () => {
        await worker.shutdown().catch(() => undefined);
        await http.close();
        await httpDatabaseProxy?.stop();
      },
    };
  }
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default', dataConverter: createDataConverter(loadKeyring(opts.env)) });
  // The key the service's processes and casectl read from its DATA_DIR: the same case ids.
  const actions = createCaseActions({ client, db: database.db, taskQueue, identifiers: createIdentifiers(loadIdentifierKey(opts.env, { generateIn: dataDir })) });
  const { close, ...reachable } = processes;
  return {
    shape,
    database,
    sink,
    ...reachable,
    client,
    actions,
    taskQueue,
    temporalAddress,
    dataDir,
    async stop(caseIds = []) {
      await Promise.all(caseIds.map((id) => client.workflow.getHandle(`case-${id}`).terminate('test over').catch(() => undefined)));
      await close();
      await connection.close();
      await sink.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
