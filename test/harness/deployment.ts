// The service production-shaped, for end-to-end tests and chaos scripts: worker processes
// (`node worker/main.ts`) and HTTP server processes (`node client/http/main.ts`), started as
// `npm run worker` and `npm run http` start them, sharing one app database, one SMTP server, one
// task queue and the same secrets, behind a round-robin load balancer (balancer.ts). Any process
// can be killed (SIGKILL by default, as a crash would) and started again on the same port.
//
// Each process writes its JSON log lines to <logDir>/<name>.log (appended across restarts), and
// to `onLine` as they come. A process is ready when its /readyz answers 200: a worker once it
// polls Temporal and reaches Postgres, an HTTP server once it reaches both.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startBalancer } from './balancer.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Two workers bundling their workflows at once on 2 busy cores take a while. */
const READY_TIMEOUT_MS = 120_000;
/** A SIGTERM'd process that has not exited by then is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface DeploymentOptions {
  /** Every process's settings and secrets (README's configuration table): TEMPORAL_ADDRESS, TASK_QUEUE, DATABASE_URL, SMTP_URL, PAYLOAD_KEYS, CHECKIN_LINK_SECRET, … */
  env: NodeJS.ProcessEnv;
  /** Default 2 each. */
  workers?: number;
  httpServers?: number;
  /** Where the processes' log files go. */
  logDir: string;
  /** Each line a process writes (standard output and error), with the process's name (`worker-0`, `http-1`). */
  onLine?: (name: string, line: string) => void;
}

export interface Deployment {
  /** The load balancer in front of the HTTP servers. */
  url: string;
  /** HTTP server i itself (stays the same across restarts). */
  httpUrl(i: number): string;
  /** Worker i's /healthz and /readyz server (stays the same across restarts). */
  workerHealthUrl(i: number): string;
  /** The log file of a process, by name (`worker-0`, `http-1`). */
  logFile(name: string): string;
  killWorker(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Stops worker i if it runs (SIGTERM), starts it again and waits until it is ready. */
  restartWorker(i: number): Promise<void>;
  killHttp(i: number, signal?: NodeJS.Signals): Promise<void>;
  restartHttp(i: number): Promise<void>;
  /** SIGTERM to every process, SIGKILL to any still running after 15 s; closes the balancer. */
  stop(): Promise<void>;
}

interface ProcessKind {
  script: string;
  /** The settings for this kind; `port` is the one it had before a restart, else 0 (any free port). */
  env(port: number): NodeJS.ProcessEnv;
  /** The base URL the process serves /readyz on, from the log line that announces it. */
  urlFrom(entry: Record<string, unknown>): string | undefined;
}

const WORKER: ProcessKind = {
  script: 'worker/main.ts',
  // The SDK's metrics exporter binds a fixed port: off, so that workers do not clash.
  env: (port) => ({ WORKER_HEALTH_PORT: String(port), WORKER_METRICS_ADDRESS: '' }),
  urlFrom: (e) => (e.msg === 'Worker health endpoints listening' && typeof e.address === 'string' ? e.address : undefined),
};

const HTTP: ProcessKind = {
  script: 'client/http/main.ts',
  env: (port) => ({ PORT: String(port), HTTP_HOST: '127.0.0.1' }),
  urlFrom: (e) => (e.event === 'listening' && typeof e.address === 'string' ? e.address : undefined),
};

/** One process of the deployment, started again as often as asked. */
class ServiceProcess {
  url = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly name: string;
  readonly logFile: string;
  private readonly kind: ProcessKind;
  private readonly opts: DeploymentOptions;

  constructor(name: string, kind: ProcessKind, opts: DeploymentOptions) {
    this.name = name;
    this.kind = kind;
    this.opts = opts;
    this.logFile = join(opts.logDir, `${name}.log`);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const port = this.url ? Number(new URL(this.url).port) : 0;
    // LOG_LEVEL INFO at least: the line that names the health server's address is an info line.
    const env = { ...process.env, LOG_LEVEL: 'INFO', ...this.opts.env, ...this.kind.env(port) };
    const child = spawn(process.execPath, [this.kind.script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    let exitReason: string | undefined;
    let announced: string | undefined;
    const closed = [child.stdout, child.stderr].map((stream) => {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        this.opts.onLine?.(this.name, line);
        announced ??= this.announcedUrl(line);
      });
      return new Promise<void>((resolve) => lines.once('close', resolve));
    });
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        exitReason = `${this.name} exited (${signal ?? `code ${code}`})`;
        // Its last lines are in the file before anyone reads it.
        void Promise.all(closed).then(() => log.end(resolve));
      }),
    );

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitReason) throw new Error(`${exitReason} before it was ready; ${this.logFile} ends:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${READY_TIMEOUT_MS / 1000} s; ${this.logFile} ends:\n${this.logTail()}`);
      if (announced && (await fetch(`${announced}/readyz`).then((r) => r.ok, () => false))) {
        this.url = announced;
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child!.kill(signal);
    await this.exited;
  }

  /** SIGTERM, then SIGKILL for a process that has not finished by STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    const stuck = setTimeout(() => void this.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.kill('SIGTERM');
    clearTimeout(stuck);
  }

  private announcedUrl(line: string): string | undefined {
    try {
      return this.kind.urlFrom(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return undefined;
    }
  }

  private logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
    } catch {
      return '(nothing written)';
    }
  }
}

export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
  mkdirSync(opts.logDir, { recursive: true });
  const workers = Array.from({ length: opts.workers ?? 2 }, (_, i) => new ServiceProcess(`worker-${i}`, WORKER, opts));
  const https = Array.from({ length: opts.httpServers ?? 2 }, (_, i) => new ServiceProcess(`http-${i}`, HTTP, opts));
  const all = [...workers, ...https];
  const started = await Promise.allSettled(all.map((p) => p.start()));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(all.map((p) => p.stop()));
    throw failed.reason;
  }
  const balancer = await startBalancer(() => https.map((h) => h.url));
  const at = (list: ServiceProcess[], i: number): ServiceProcess => {
    const p = list[i];
    if (!p) throw new Error(`no process ${i}: there are ${list.length}`);
    return p;
  };
  const restart = async (p: ServiceProcess) => {
    await p.stop();
    await p.start();
  };
  return {
    url: balancer.url,
    httpUrl: (i) => at(https, i).url,
    workerHealthUrl: (i) => at(workers, i).url,
    logFile: (name) => join(opts.logDir, `${name}.log`),
    killWorker: (i, signal) => at(workers, i).kill(signal),
    restartWorker: (i) => restart(at(workers, i)),
    killHttp: (i, signal) => at(https, i).kill(signal),
    restartHttp: (i) => restart(at(https, i)),
    async stop() {
      await Promise.all(all.map((p) => p.stop()));
      await balancer.close();
    },
  };
}
