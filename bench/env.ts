// What `npm run bench` starts, all on loopback, in a temp directory it removes afterwards: a
// Temporal dev server with an on-disk SQLite database and the case search attributes (the CLI from
// .tools/bin, see local/temporal-binaries.ts), Postgres (DATABASE_URL, or the embedded PGlite in a
// child process), migrated, and the SMTP sink. Also describes the machine for the report.
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
import { findTemporalExecutable } from '../local/temporal-binaries.ts';
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
  /** The dev server's SQLite database: on disk in the temp dir (default), or in memory (for comparison). */
  temporalDb?: 'disk' | 'memory';
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
    const { executable, source } = findTemporalExecutable('cli');
    const onDisk = opts.temporalDb !== 'memory';
    const dbFilename = join(tmpDir, 'temporal.db');
    log(`starting the Temporal dev server (binary from ${source}), database ${onDisk ? dbFilename : 'in memory'}`);
    const temporal = await TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: '127.0.0.1',
        ui: false,
        ...(onDisk ? { dbFilename } : {}),
        namespace: 'default',
        searchAttributes: caseSearchAttributes,
      },
    });
    stops.push(() => temporal.teardown());
    const temporalAddress = temporal.connection.options.address;
    const temporalPid = findProcess(onDisk ? dbFilename : `--port\u0000${temporalAddress.split(':').pop()}\u0000`);

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
    const temporalBinary = executable.type === 'existing-path' ? executable.path : 'temporal';
    const machine: MachineInfo = {
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'} (nproc ${run('nproc', [])})`,
      memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free at start`,
      'load average at start (1, 5, 15 min)': loadavg().map((x) => x.toFixed(2)).join(', '),
      node: process.version,
      temporal: `${run(temporalBinary, ['--version'])} (dev server, SQLite ${onDisk ? 'on disk' : 'in memory'})`,
      postgres: `${backend}: ${version.split(',')[0]}`,
      smtp: 'in-process smtp-server sink on loopback (bench/smtp-sink.ts)',
    };
    return { ctx, machine, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
