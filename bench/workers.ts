// Starting and stopping the worker under measurement (bench/worker-child.ts) from the benchmark
// process, and reading it: memory and CPU over IPC, the Temporal SDK's Prometheus metrics.
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './context.ts';
import type { ChildMessage, ParentMessage, WorkerChildConfig, WorkerStats } from './worker-child.ts';

export interface WorkerHandle {
  pid: number;
  kind: 'case' | 'bare';
  maxCachedWorkflows: number;
  stats(): Promise<WorkerStats>;
  /** Full garbage collections in the worker's main thread (it runs with --expose-gc), and with `workflows` in its workflow threads. */
  gc(opts?: { workflows?: boolean }): Promise<void>;
  /** The SDK's metrics, summed over labels, by sample name (histograms as _sum and _count). */
  metrics(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

const childPath = fileURLToPath(new URL('./worker-child.ts', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Parses Prometheus text, summing samples of the same name over their labels. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}

/** The change of each metric between two scrapes. */
export function metricsDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/** Mean of a histogram over a delta (its _sum over its _count); NaN when it saw nothing. */
export function histogramMean(delta: Map<string, number>, name: string): number {
  const count = delta.get(`${name}_count`) ?? 0;
  return count > 0 ? (delta.get(`${name}_sum`) ?? 0) / count : Number.NaN;
}

export interface StartWorkerOptions {
  kind: 'case' | 'bare';
  taskQueue: string;
  maxCachedWorkflows?: number;
  /** Names the CPU profile when the run profiles workers (--cpu-prof). */
  label: string;
}

export async function startWorker(ctx: BenchContext, opts: StartWorkerOptions): Promise<WorkerHandle> {
  const metricsPort = await freePort();
  const cfg: WorkerChildConfig = {
    kind: opts.kind,
    temporalAddress: ctx.temporalAddress,
    namespace: ctx.namespace,
    taskQueue: opts.taskQueue,
    bundlePath: opts.kind === 'case' ? ctx.bundles.casePath : ctx.bundles.barePath,
    smtpUrl: ctx.smtp.url,
    metricsPort,
    ...(opts.kind === 'case' ? { databaseUrl: ctx.databaseUrl, tmpDir: ctx.tmpDir, payloadKeys: ctx.payloadKeys, linkSecret: ctx.linkSecret.toString('base64'), appBaseUrl: 'http://127.0.0.1:8080' } : {}),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify(cfg) };
  delete env.NODE_OPTIONS; // the parent's loaders (vitest) are not the worker's
  // One directory per worker: the main thread and the workflow thread each write a profile.
  const execArgv = ['--expose-gc', ...(ctx.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.cpuProfileDir, opts.label)}`] : [])];
  const child: ChildProcess = fork(childPath, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  const waiting = new Map<ChildMessage['type'], ((m: ChildMessage) => void)[]>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let failure: string | undefined;
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'failed') failure = m.message;
    const queue = waiting.get(m.type);
    queue?.shift()?.(m);
  });
  const next = <T extends ChildMessage['type']>(type: T, timeoutMs = 60_000): Promise<Extract<ChildMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${opts.label}: no ${type} after ${timeoutMs} ms`)), timeoutMs);
      const list = waiting.get(type) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m as Extract<ChildMessage, { type: T }>);
      });
      waiting.set(type, list);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`worker ${opts.label} exited (${code})${failure ? `: ${failure}` : ''}`));
      });
    });
  const ask = (m: ParentMessage) => {
    if (child.connected) child.send(m);
  };

  const ready = await next('ready', 120_000);
  ctx.log(`  worker ${opts.label} (${opts.kind}, cache ${ready.maxCachedWorkflows}) pid ${ready.pid}`);
  return {
    pid: ready.pid,
    kind: opts.kind,
    maxCachedWorkflows: ready.maxCachedWorkflows,
    async stats() {
      const reply = next('stats');
      ask({ type: 'stats' });
      return (await reply).stats;
    },
    async gc(o = {}) {
      const reply = next('gc-done', 300_000);
      ask({ type: 'gc', workflows: o.workflows ?? false });
      await reply;
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return parsePrometheus(await res.text());
    },
    async stop() {
      if (child.exitCode !== null) return;
      ask({ type: 'shutdown' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
