// What `npm run bench` starts, all on loopback, in a temp directory it removes afterwards: a
// Temporal server with the case search attributes, either the dev server with an on-disk SQLite
// database (the CLI from .tools/bin, see local/temporal-binaries.ts) or, with `--temporal postgres`,
// temporal-server on two fresh databases of DATABASE_URL's PostgreSQL server as a deployment runs
// it (local/temporal-server.ts); Postgres for the service (DATABASE_URL, or the embedded PGlite in a
// child process), migrated; and the SMTP sink. Also describes the machine for the report.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, freemem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connect } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { caseSearchAttributes } from '../domain/search-attributes.ts';
import { DEV_SERVER_FLAGS, findTemporalExecutable, findTemporalServerBinaries } from '../local/temporal-binaries.ts';
import { startTemporalServer } from '../local/temporal-server.ts';
import { buildBundles, createContext, type BenchContext } from './context.ts';
import { startBenchSmtp } from './smtp-sink.ts';
import { findProcess, parentPid } from './stats.ts';

export interface MachineInfo {
  [key: string]: string;
}

export interface BenchEnv {
  ctx: BenchContext;
  machine: MachineInfo;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'n/a';
  }
}

async function startPostgresChild(dataDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./postgres-child.ts', import.meta.url)), [dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    child.once('message', (m: { type: string; url: string; pid: number }) => resolve(m));
    void exited.then(() => reject(new Error('the embedded Postgres process exited before it was ready')));
  });
  return {
    ...ready,
    async stop() {
      if (child.exitCode !== null) return;
      if (child.connected) child.send({ type: 'shutdown' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface BenchEnvOptions {
  log: (line: string) => void;
  cpuProfileDir?: string;
  /** Which Temporal server: the dev server (default), or temporal-server on PostgreSQL (needs DATABASE_URL). */
  temporal?: TemporalKind;
  /** The dev server's SQLite database: on disk in the temp dir (default), or in memory (for comparison). */
  temporalDb?: 'disk' | 'memory';
}

export type TemporalKind = 'dev' | 'postgres';

interface StartedTemporal {
  address: string;
  pid: number | undefined;
  /** For the report's machine lines. */
  description: string;
  stop(): Promise<void>;
}

async function startDevServer(opts: BenchEnvOptions, tmpDir: string): Promise<StartedTemporal> {
  const { executable, source } = findTemporalExecutable('cli');
  const onDisk = opts.temporalDb !== 'memory';
  const dbFilename = join(tmpDir, 'temporal.db');
  opts.log(`starting the Temporal dev server (binary from ${source}), database ${onDisk ? dbFilename : 'in memory'}`);
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: '127.0.0.1',
      ui: false,
      ...(onDisk ? { dbFilename } : {}),
      namespace: 'default',
      searchAttributes: caseSearchAttributes,
      extraArgs: [...DEV_SERVER_FLAGS],
    },
  });
  const address = temporal.connection.options.address;
  const binary = executable.type === 'existing-path' ? executable.path : 'temporal';
  return {
    address,
    pid: findProcess(onDisk ? dbFilename : `--port\u0000${address.split(':').pop()}\u0000`),
    description: `${run(binary, ['--version'])} (dev server, SQLite ${onDisk ? 'on disk' : 'in memory'})`,
    stop: () => temporal.teardown(),
  };
}

/** temporal-server on PostgreSQL, as the production-shaped tests and the chaos suite run it. */
async function startPostgresServer(opts: BenchEnvOptions): Promise<StartedTemporal> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('--temporal postgres needs a PostgreSQL server: set DATABASE_URL to a role that may create databases (e.g. postgres://ci:ci@127.0.0.1:5432/ci)');
  if (opts.temporalDb === 'memory') throw new Error('--temporal-db memory is the dev server\'s: temporal-server keeps its data in PostgreSQL');
  const binaries = findTemporalServerBinaries();
  if ('missing' in binaries) throw new Error(binaries.missing);
  opts.log('starting temporal-server on PostgreSQL (two fresh databases on DATABASE_URL\'s server)');
  const server = await startTemporalServer({ adminUrl });
  return {
    address: server.address,
    pid: server.pid(),
    description: `${run(binaries.server, ['--version'])} (temporal-server on PostgreSQL, databases ${server.databases.temporal} and ${server.databases.visibility}, SQL visibility)`,
    stop: () => server.stop(),
  };
}

export async function startBenchEnv(opts: BenchEnvOptions): Promise<BenchEnv> {
  const { log } = opts;
  const tmpDir = mkdtempSync(join(tmpdir(), 'cart-bench-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(tmpDir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((err: unknown) => log(`stop: ${(err as Error).message}`));
  };
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const temporal = opts.temporal === 'postgres' ? await startPostgresServer(opts) : await startDevServer(opts, tmpDir);
    stops.push(() => temporal.stop());
    const temporalAddress = temporal.address;
    const temporalPid = temporal.pid;

    let databaseUrl: string;
    let backend: string;
    let postgresPid: number | undefined;
    if (process.env.DATABASE_URL) {
      databaseUrl = process.env.DATABASE_URL;
      backend = 'DATABASE_URL';
    } else {
      log('starting the embedded Postgres (PGlite) in a child process');
      const pg = await startPostgresChild(join(tmpDir, 'pg'));
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
      postgresPid = pg.pid;
      backend = 'embedded PGlite (db/embedded.ts) in its own process, data on disk in the temp dir';
    }
    const db = connect(databaseUrl);
    stops.push(() => db.destroy());
    await migrateToLatest(db);
    const version = (await sql<{ version: string }>`select version()`.execute(db)).rows[0]?.version ?? 'unknown';
    if (!postgresPid) {
      // A Postgres server on this machine: its postmaster (a backend's parent), for CPU attribution.
      const backend = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;
      const parent = backend ? parentPid(backend) : undefined;
      if (parent && parent > 1) postgresPid = parent;
    }

    const smtp = await startBenchSmtp();
    stops.push(() => smtp.stop());
    log('bundling the case workflows and the bare ones');
    const bundles = await buildBundles(join(tmpDir, 'bundles'));

    const ctx = await createContext({
      temporalAddress,
      databaseUrl,
      db,
      smtp,
      tmpDir,
      bundles,
      ...(opts.cpuProfileDir ? { cpuProfileDir: opts.cpuProfileDir } : {}),
      pids: { ...(postgresPid ? { postgres: postgresPid } : {}), ...(temporalPid ? { temporal: temporalPid } : {}) },
      log,
    });
    stops.push(async () => ctx.connection.close());
    const machine: MachineInfo = {
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'} (nproc ${run('nproc', [])})`,
      memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free at start`,
      'load average at start (1, 5, 15 min)': loadavg().map((x) => x.toFixed(2)).join(', '),
      node: process.version,
      temporal: temporal.description,
      // With temporal-server on the same PostgreSQL server, its CPU time counts Temporal's persistence too.
      postgres: `${backend}: ${version.split(',')[0]}${opts.temporal === 'postgres' ? ' (also temporal-server\'s persistence: its CPU includes Temporal\'s queries)' : ''}`,
      smtp: 'in-process smtp-server sink on loopback (bench/smtp-sink.ts)',
    };
    return { ctx, machine, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
