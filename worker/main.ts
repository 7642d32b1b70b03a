// The worker process: `npm run worker` (compose runs it too; `npm start` runs it in-process).
// Migrates the database, then runs case workflows and activities until SIGINT/SIGTERM, with:
//
// - the Temporal SDK's metrics for Prometheus at http://WORKER_METRICS_ADDRESS/metrics
//   (default 127.0.0.1:9464; empty turns them off);
// - /healthz and /readyz on WORKER_HEALTH_HOST:WORKER_HEALTH_PORT (default 127.0.0.1:9465);
// - JSON log lines (pino) on standard output at LOG_LEVEL (default INFO), never patient data
//   (common/logging.ts);
// - the repair sweep (worker/repair-sweep.ts): every 30 s, the cases of its task queue whose
//   workflow task keeps failing on the SDK's cold-start bug are reset as `casectl case repair` would.
import { join } from 'node:path';
import { sql } from 'kysely';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { Logger } from '@temporalio/common';
import { loadConfig, temporalConnectionOptions, type AppConfig } from '../config.ts';
import { connect } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createMailer, type Mailer } from '../activities/mailer.ts';
import { createDataConverter, loadKeyring } from '../codec/keys.ts';
import { createCheckinLinks, loadLinkSecret } from '../common/checkin-link.ts';
import { openVault } from '../activities/vault/open.ts';
import { ensureRetentionSchedule } from './retention-schedule.ts';
import { createCaseWorker } from './create-worker.ts';
import { cachePlan } from './cache-size.ts';
import { bundleCaseWorkflows } from './bundle.ts';
import { createRepairSweep } from './repair-sweep.ts';
import { createCaseRepairs, workerReplayer } from '../client/repair.ts';
import { logStartupFailure, type LineWriter } from '../common/logging.ts';
import { createWorkerLogger, installWorkerRuntime } from './runtime.ts';
import { startWorkerHealthServer, type WorkerHealthServer } from './health.ts';

export interface WorkerProcessOptions {
  /** Aborting it shuts the worker down gracefully. */
  signal?: AbortSignal;
  /** PAYLOAD_KEYS / PAYLOAD_KEY_FILE and CHECKIN_LINK_SECRET come from here. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the JSON log lines go. Default standard output. */
  writeLog?: LineWriter;
}

export interface RunningWorker {
  worker: Worker;
  logger: Logger;
  /** The worker's /healthz and /readyz, e.g. http://127.0.0.1:9465 */
  healthUrl: string;
  /** The SDK's Prometheus metrics, e.g. http://127.0.0.1:9464/metrics; undefined when off. */
  metricsUrl?: string;
  /** Resolves once the worker has stopped and everything it opened is closed; rejects if it failed. */
  finished: Promise<void>;
  /** Asks the worker to stop (if it still runs) and waits for `finished`. */
  shutdown(): Promise<void>;
}

/** Starts the worker and its health server; returns once the worker runs. */
export async function startWorker(config: AppConfig = loadConfig(), opts: WorkerProcessOptions = {}): Promise<RunningWorker> {
  const env = opts.env ?? process.env;
  const logger = createWorkerLogger({ level: config.logLevel, ...(opts.writeLog ? { write: opts.writeLog } : {}) });
  // Before anything creates a Runtime implicitly (NativeConnection.connect would).
  installWorkerRuntime({ metricsAddress: config.workerMetricsAddress, logger });

  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        logger.error('Closing failed', { error: err });
      }
    }
  };

  let worker: Worker;
  let health: WorkerHealthServer;
  let repairSweep: ReturnType<typeof createRepairSweep>;
  try {
    const db = connect(config.databaseUrl);
    closers.push(() => db.destroy());
    await migrateToLatest(db);
    const mailer: Mailer = createMailer({ smtpUrl: config.smtpUrl, requireTls: config.smtpRequireTls, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
    closers.push(() => mailer.close());
    const connection = await NativeConnection.connect(temporalConnectionOptions(config));
    closers.push(() => connection.close());
    const dataConverter = createDataConverter(loadKeyring(env, { generateIn: config.dataDir }));
    const workflowBundle = await bundleCaseWorkflows();
    const cache = cachePlan(config);
    const cacheFields = { cacheSize: cache.size, expectedBurst: cache.expectedBurst, memoryMiB: Math.round(cache.memoryBytes / 2 ** 20) };
    if (cache.reason === 'memory') {
      logger.warn('Workflow cache smaller than the expected burst: cases waking together replay their history first; give the worker more memory or add workers', cacheFields);
    } else {
      logger.info(cache.reason === 'configured' ? 'Workflow cache set by WORKER_MAX_CACHED_WORKFLOWS' : 'Workflow cache sized for the expected burst', cacheFields);
    }
    worker = await createCaseWorker({
      workflowBundle,
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      dataConverter,
      db,
      mailer,
      config,
      links: createCheckinLinks(loadLinkSecret(env, { generateIn: config.dataDir })),
      vault: openVault(config, db, env),
      maxCachedWorkflows: cache.size,
    });
    // The retention sweep's schedule; a Temporal that refuses it (too old, no rights) costs the
    // service nothing but the sweep, so the worker starts anyway and says so.
    await ensureRetentionSchedule({ connection, namespace: config.temporalNamespace, taskQueue: config.taskQueue, dataConverter }).catch((err: unknown) =>
      logger.warn('Retention schedule not created: files are not shredded until it is', { error: err }),
    );
    const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter });
    repairSweep = createRepairSweep({
      client,
      repairs: createCaseRepairs({ client, replay: workerReplayer(dataConverter, workflowBundle) }),
      taskQueue: config.taskQueue,
      buildId: (worker.options as { buildId?: string }).buildId ?? '',
      by: `the repair sweep of worker ${worker.options.identity}`,
      logger,
      metricMeter: Runtime.instance().metricMeter,
    });
    const w = worker;
    health = await startWorkerHealthServer(
      { workerState: () => w.getState(), checkPostgres: () => sql`select 1`.execute(db) },
      { host: config.workerHealthHost, port: config.workerHealthPort },
    );
    // Closed last: /readyz says 503 while the worker drains.
    closers.unshift(() => health.close());
  } catch (err) {
    await closeAll();
    throw err;
  }

  const metricsUrl = config.workerMetricsAddress ? `http://${config.workerMetricsAddress}/metrics` : undefined;
  logger.info('Worker health endpoints listening', { address: health.url });
  if (metricsUrl) logger.info('Worker metrics listening', { address: metricsUrl });

  // RUNNING from here on (run() sets it before its first await).
  const running = worker.run();
  const sweeping = new AbortController();
  const swept = repairSweep.run(sweeping.signal);
  const stop = () => {
    // The Runtime also stops workers on SIGINT/SIGTERM: only a running worker can be asked.
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) queueMicrotask(stop);

  const finished = (async () => {
    try {
      await running;
    } catch (err) {
      logger.error('Worker failed', { error: err });
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      sweeping.abort();
      await swept;
      await closeAll();
    }
  })();
  // Callers await `finished`; an unobserved failure must not become an unhandled rejection first.
  finished.catch(() => {});

  return {
    worker,
    logger,
    healthUrl: health.url,
    ...(metricsUrl ? { metricsUrl } : {}),
    finished,
    shutdown() {
      stop();
      return finished;
    },
  };
}

/** Runs the worker until `signal` aborts (or the Runtime stops it on a signal). */
export async function runWorker(config: AppConfig = loadConfig(), opts: WorkerProcessOptions = {}): Promise<void> {
  const running = await startWorker(config, opts);
  await running.finished;
}

if (import.meta.main) {
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  let running: RunningWorker;
  try {
    running = await startWorker(loadConfig(), { signal: stop.signal });
  } catch (err) {
    // Startup: configuration, Postgres, Temporal or a port in use. The message says which; no case is involved yet.
    logStartupFailure('Worker could not start', err);
    process.exit(1);
  }
  // Already logged as 'Worker failed' (class name only: a failure while running may quote a case).
  await running.finished.catch(() => {
    process.exitCode = 1;
  });
}
