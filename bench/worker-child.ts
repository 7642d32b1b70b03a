// One worker under measurement, in a process of its own (bench/workers.ts forks it), so that its
// RSS and CPU are the worker's alone: either the case worker exactly as worker/create-worker.ts
// wires it (case workflows, Postgres records, emails through the pooled SMTP mailer), or a bare
// worker with the same options running bench/workflows.ts. It serves the Temporal SDK's metrics
// on a loopback port and answers the parent over IPC: stats, gc, shutdown.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../config.ts';
import { createMailer } from '../activities/mailer.ts';
import { createCheckinLinks } from '../common/checkin-link.ts';
import { createDataConverter, parseKeysEnv } from '../codec/keys.ts';
import { createCaseWorker } from '../worker/create-worker.ts';
import { bareActivities } from './bare-activities.ts';
import { measuredDb } from './measured-db.ts';

export interface WorkerChildConfig {
  kind: 'case' | 'bare';
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** A workflow bundle written by bench/bundles.ts. */
  bundlePath: string;
  smtpUrl: string;
  /** Case worker only. */
  databaseUrl?: string;
  /** The run's temporary directory (removed when the run ends): the worker's DATA_DIR goes in it. */
  tmpDir?: string;
  payloadKeys?: string;
  linkSecret?: string;
  appBaseUrl?: string;
  maxCachedWorkflows?: number;
  /** Loopback port for the SDK's Prometheus metrics. */
  metricsPort?: number;
}

/** gc: a full GC of the main thread, and with `workflows` of the workflow threads too (a heap snapshot each). */
export type ParentMessage = { type: 'stats' } | { type: 'gc'; workflows: boolean } | { type: 'shutdown' };

export interface WorkerStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** process.cpuUsage(), microseconds: every thread of the process (Core's Rust threads too). */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** The workflow threads' V8 heaps (where cached workflows live): used, committed, and malloc'ed by V8 outside the heap. */
  workflowHeapUsed: number;
  workflowHeapTotal: number;
  workflowMalloced: number;
  cachedWorkflows: number;
  inFlightActivations: number;
  inFlightActivities: number;
  /** Queries the case worker's database pool ran, and their summed duration (Kysely's log). */
  dbQueries: number;
  dbQueryMs: number;
}

export type ChildMessage =
  | { type: 'ready'; pid: number; maxCachedWorkflows: number }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'gc-done' }
  | { type: 'failed'; message: string };

const send = (m: ChildMessage) => process.send?.(m);

/**
 * The SDK runs workflows in worker threads with V8 isolates of their own (reuseV8Context), where
 * cached workflows live: process.memoryUsage() and gc() here see only the main thread. The threads
 * are reached through SDK internals; undefined when their shape changed.
 */
function workflowThreads(worker: Worker): NodeWorker[] {
  const creator = (worker as unknown as { workflowCreator?: { workerThreadClients?: { workerThread?: NodeWorker }[] } }).workflowCreator;
  return (creator?.workerThreadClients ?? []).map((c) => c.workerThread).filter((t): t is NodeWorker => t !== undefined);
}

/** A heap snapshot starts with a full GC of that isolate: the only way to collect a workflow thread from outside. */
async function collectThread(thread: NodeWorker): Promise<void> {
  const snapshot = await thread.getHeapSnapshot();
  for await (const _ of snapshot) {
    // drained and dropped
  }
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '') as WorkerChildConfig;
  Runtime.install({
    // The service logs at INFO; the lines go nowhere here, but they are made.
    logger: new DefaultLogger('INFO', () => {}),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(cfg.metricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${cfg.metricsPort}` } } } : {}),
    },
  });
  const connection = await NativeConnection.connect({ address: cfg.temporalAddress });
  const counters = { queries: 0, ms: 0 };
  const closers: (() => Promise<void> | void)[] = [() => connection.close()];
  let worker: Worker;
  if (cfg.kind === 'case') {
    const db = measuredDb(cfg.databaseUrl!, counters);
    closers.push(() => db.destroy());
    const config = loadConfig({
      DATABASE_URL: cfg.databaseUrl,
      SMTP_URL: cfg.smtpUrl,
      TASK_QUEUE: cfg.taskQueue,
      APP_BASE_URL: cfg.appBaseUrl ?? 'http://127.0.0.1:8080',
      COORDINATOR_EMAIL: 'coordinator@bench.test',
      TRANSLATOR_EMAIL: 'translator@bench.test',
      MAIL_FROM: 'Care Coordination <care@bench.test>',
      DATA_DIR: mkdtempSync(join(cfg.tmpDir!, 'worker-')),
    });
    const mailer = createMailer({ smtpUrl: cfg.smtpUrl, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
    closers.push(() => mailer.close());
    worker = await createCaseWorker({
      connection,
      namespace: cfg.namespace,
      taskQueue: cfg.taskQueue,
      dataConverter: createDataConverter(parseKeysEnv(cfg.payloadKeys!)),
      workflowBundle: { codePath: cfg.bundlePath } as never,
      ...(cfg.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: cfg.maxCachedWorkflows } : {}),
      db,
      mailer,
      config,
      links: createCheckinLinks(Buffer.from(cfg.linkSecret!, 'base64')),
    });
  } else {
    const acts = bareActivities(cfg.smtpUrl);
    closers.push(() => acts.close());
    worker = await Worker.create({
      connection,
      namespace: cfg.namespace,
      taskQueue: cfg.taskQueue,
      workflowBundle: { codePath: cfg.bundlePath },
      ...(cfg.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: cfg.maxCachedWorkflows } : {}),
      activities: { noop: acts.noop, sendEmail: acts.sendEmail },
    });
  }

  const running = worker.run();
  const answer = async (m: ParentMessage) => {
    if (m.type === 'stats') {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      const s = worker.getStatus();
      let workflowHeapUsed = 0;
      let workflowHeapTotal = 0;
      let workflowMalloced = 0;
      for (const t of workflowThreads(worker)) {
        const h = await t.getHeapStatistics();
        workflowHeapUsed += h.used_heap_size;
        workflowHeapTotal += h.total_heap_size;
        workflowMalloced += h.malloced_memory;
      }
      send({
        type: 'stats',
        stats: {
          rss: mem.rss,
          heapUsed: mem.heapUsed,
          heapTotal: mem.heapTotal,
          external: mem.external,
          workflowHeapUsed,
          workflowHeapTotal,
          workflowMalloced,
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          cachedWorkflows: s.numCachedWorkflows,
          inFlightActivations: s.numInFlightWorkflowActivations,
          inFlightActivities: s.numInFlightActivities,
          dbQueries: counters.queries,
          dbQueryMs: counters.ms,
        },
      });
    } else if (m.type === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (m.workflows) for (const t of workflowThreads(worker)) await collectThread(t);
      gc?.();
      // A second pass collects what the first one's finalizers freed.
      await new Promise((r) => setTimeout(r, 100));
      gc?.();
      send({ type: 'gc-done' });
    } else if (m.type === 'shutdown') {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  };
  process.on('message', (m: ParentMessage) => {
    answer(m).catch((err: unknown) => send({ type: 'failed', message: (err as Error).stack ?? String(err) }));
  });
  // The parent going away must not leave a worker polling.
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  send({ type: 'ready', pid: process.pid, maxCachedWorkflows: worker.options.maxCachedWorkflows });
  try {
    await running;
  } finally {
    for (const c of closers.reverse()) await c();
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: (err as Error).stack ?? String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
