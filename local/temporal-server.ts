// A production-shaped Temporal server on this machine: temporal-server 1.32.0 (not the dev server)
// on two fresh PostgreSQL databases, `temporal` and `temporal_visibility`, with the SQL
// (advanced) visibility schema, so workflows are listed by the case search attributes as in a
// deployment. docker-compose.yml takes the same steps with the same version in containers:
//
//   1. temporal-sql-tool create-database, setup-schema -v 0.0, update-schema --schema-name
//      postgresql/v12/temporal (postgresql/v12/visibility for visibility): the schemas are
//      embedded in the tool;
//   2. temporal-server start, with a config file of our own (the development-postgres12 shape:
//      4 history shards, every service on 127.0.0.1) and deploy/temporal/dynamicconfig.yaml;
//   3. the namespace, then the case search attributes (local/search-attributes.ts).
//
// The server can be killed and started again on the same databases and ports, for chaos tests.
// Its log (level warn and up) goes to a file, named in every start-up error.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { dropDatabase } from '../db/admin.ts';
import { findTemporalServerBinaries } from './temporal-binaries.ts';
import { registerSearchAttributes } from './search-attributes.ts';

const DYNAMIC_CONFIG = fileURLToPath(new URL('../deploy/temporal/dynamicconfig.yaml', import.meta.url));
/** How long a start may take: a cold server on 2 busy cores answers within a few seconds. */
const START_TIMEOUT_MS = 60_000;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_NOT_FOUND = 5;

export interface TemporalServerOptions {
  /** A role that may create databases, e.g. postgres://ci:ci@127.0.0.1:5432/ci. */
  adminUrl: string;
  /** Default `default`. */
  namespace?: string;
  /** Where the server writes its log, kept after stop(); default a file in its temporary folder, removed by stop(). */
  logFile?: string;
}

export interface TemporalServer {
  /** The frontend, host:port. */
  address: string;
  namespace: string;
  /** The server's log: JSON lines, warnings and errors. */
  logFile: string;
  /** The two databases, dropped by stop(). */
  databases: { temporal: string; visibility: string };
  /** Whether the server process is running. */
  running(): boolean;
  /** The server process's id while it runs (the benchmarks attribute its CPU time). */
  pid(): number | undefined;
  /** Ends the server process with `signal` (default SIGKILL, as a crash would) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server process again on the same databases and ports (SIGTERM first if it still runs); resolves once the frontend answers. */
  restart(): Promise<void>;
  /** Stops the server, drops its databases and removes its folder (and its log, unless `logFile` was given). */
  stop(): Promise<void>;
}

/**
 * A port free at the time of asking (the server's config needs numbers: it cannot bind port 0).
 * Membership ports go into a smallint column of the cluster_membership table, so they must be
 * below 32768, under the kernel's range of ephemeral ports: those are tried at random there.
 */
export async function freePort(opts: { below32768?: boolean } = {}): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const wanted = opts.below32768 ? 10_000 + Math.floor(Math.random() * 22_000) : 0;
    const s = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(wanted, '127.0.0.1', resolve);
      });
    } catch (err) {
      if (attempt === 50) throw err;
      continue;
    }
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }
}

interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The admin URL's own database, which temporal-sql-tool connects to while creating others. */
  database: string;
}

function parsePostgresUrl(adminUrl: string): Postgres {
  const url = new URL(adminUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1) || 'postgres',
  };
}

/** Runs temporal-sql-tool against one database; the password goes in its environment, not on a command line `ps` shows. */
async function sqlTool(tool: string, pg: Postgres, database: string, args: string[]): Promise<void> {
  const common = ['--plugin', 'postgres12', '--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--db', database];
  try {
    await promisify(execFile)(tool, [...common, ...args], { env: { ...process.env, SQL_PASSWORD: pg.password }, timeout: 60_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
    throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${e.message.split('\n')[0]}\n${output}`);
  }
}

async function setUpDatabase(tool: string, pg: Postgres, database: string, schemaName: string): Promise<void> {
  await sqlTool(tool, pg, database, ['create-database', '--defaultdb', pg.database]);
  await sqlTool(tool, pg, database, ['setup-schema', '-v', '0.0']);
  await sqlTool(tool, pg, database, ['update-schema', '--schema-name', schemaName]);
}

type Ports = Record<'frontend' | 'frontendHttp' | 'frontendMembership' | 'history' | 'historyMembership' | 'matching' | 'matchingMembership' | 'worker' | 'workerMembership', number>;

/** The server's static config: development-postgres12's shape, with our databases and ports. JSON is YAML. */
function serverConfig(pg: Postgres, databases: TemporalServer['databases'], ports: Ports): string {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: object = {}) => ({ rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...extra } });
  return JSON.stringify(
    {
      log: { stdout: true, level: 'warn' },
      persistence: {
        defaultStore: 'default',
        visibilityStore: 'visibility',
        numHistoryShards: 4,
        // Each of the four services opens its own pools: small ones keep the server within a shared
        // PostgreSQL's connection limit (the tests run several files, each with its own processes).
        datastores: { default: datastore(databases.temporal, 8), visibility: datastore(databases.visibility, 4) },
      },
      global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' }, pprof: { port: 0 } },
      services: {
        frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
        history: rpc(ports.history, ports.historyMembership),
        matching: rpc(ports.matching, ports.matchingMembership),
        worker: rpc(ports.worker, ports.workerMembership),
      },
      clusterMetadata: {
        enableGlobalNamespace: false,
        failoverVersionIncrement: 10,
        masterClusterName: 'active',
        currentClusterName: 'active',
        clusterInformation: {
          active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}`, httpAddress: `127.0.0.1:${ports.frontendHttp}` },
        },
      },
      dcRedirectionPolicy: { policy: 'noop' },
      dynamicConfigClient: { filepath: DYNAMIC_CONFIG, pollInterval: '10s' },
    },
    null,
    2,
  );
}

/** The last lines of the server's log, for an error message, without their stack traces. */
function logTail(logFile: string, lines = 8): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => l.replace(/,"stacktrace":.*/, '}').slice(0, 500)).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Retries `f` until it resolves or the deadline passes; `abort` ends the wait early with its reason. */
async function retryUntil<T>(what: string, deadline: number, abort: () => string | undefined, f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (err) {
      const stop = abort() ?? (Date.now() > deadline ? `${what} did not succeed within ${START_TIMEOUT_MS / 1000} s: ${(err as Error).message}` : undefined);
      if (stop) throw new Error(stop);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  const binaries = findTemporalServerBinaries();
  if ('missing' in binaries) throw new Error(binaries.missing);
  const namespace = opts.namespace ?? 'default';
  const pg = parsePostgresUrl(opts.adminUrl);
  // Unique per start, so that parallel runs on one Postgres never meet.
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const databases = { temporal: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` };
  const dir = mkdtempSync(join(tmpdir(), 'temporal-server-'));
  const logFile = opts.logFile ?? join(dir, 'server.log');
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');

  const dropAll = async () => {
    for (const name of Object.values(databases)) await dropDatabase(opts.adminUrl, name).catch(() => undefined);
  };
  try {
    await Promise.all([setUpDatabase(binaries.sqlTool, pg, databases.temporal, 'postgresql/v12/temporal'), setUpDatabase(binaries.sqlTool, pg, databases.visibility, 'postgresql/v12/visibility')]);
  } catch (err) {
    await dropAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const ports = {} as Ports;
  for (const name of ['frontend', 'frontendHttp', 'frontendMembership', 'history', 'historyMembership', 'matching', 'matchingMembership', 'worker', 'workerMembership'] as const) {
    ports[name] = await freePort({ below32768: name.endsWith('Membership') });
  }
  mkdirSync(join(dir, 'config'));
  // The file holds the database password: for this user only.
  const configFile = join(dir, 'config', 'production.yaml');
  writeFileSync(configFile, serverConfig(pg, databases, ports), { mode: 0o600 });
  const address = `127.0.0.1:${ports.frontend}`;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let exitReason: string | undefined;

  /** Spawns the server and resolves once its frontend answers for the namespace (registering it the first time). */
  const launch = async (first: boolean) => {
    const log = openSync(logFile, 'a');
    exitReason = undefined;
    // One file, --config-file: in 1.32.0 the --root/--config/--env folder lookup (all 1.29.1 had)
    // is deprecated; with neither, the server renders its embedded template from environment
    // variables, as the Docker image does.
    const proc = spawn(binaries.server, ['--config-file', configFile, '--allow-no-auth', 'start'], { stdio: ['ignore', log, log] });
    closeSync(log);
    child = proc;
    exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        exitReason = `the Temporal server exited (${signal ?? `code ${code}`}); its log, ${logFile}, ends:\n${logTail(logFile)}`;
        resolve();
      }),
    );
    const deadline = Date.now() + START_TIMEOUT_MS;
    const abort = () => exitReason;
    const connection = await retryUntil('connecting to the Temporal frontend', deadline, abort, () => Connection.connect({ address, connectTimeout: '2 seconds' }));
    try {
      if (first) {
        await retryUntil('registering the namespace', deadline, abort, async () => {
          try {
            await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
          } catch (err) {
            if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
          }
        });
      }
      // A new namespace reaches the frontend's cache within seconds; listing goes through that
      // cache and through visibility, so an answer means workers and clients can use both.
      await retryUntil(`the namespace ${namespace} answering`, deadline, abort, async () => {
        try {
          await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        } catch (err) {
          if ((err as { code?: number }).code === GRPC_NOT_FOUND) throw new Error(`namespace ${namespace} not found yet`);
          throw err;
        }
      });
      if (first) await retryUntil('registering the case search attributes', deadline, abort, () => registerSearchAttributes(connection, namespace));
    } finally {
      await connection.close();
    }
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  /** SIGTERM lets the server leave its membership ring and hand back its shards; one stuck in that gets SIGKILL after 10 s. */
  const terminate = async () => {
    const stuck = setTimeout(() => void kill('SIGKILL'), 10_000);
    await kill('SIGTERM');
    clearTimeout(stuck);
  };

  try {
    await launch(true);
  } catch (err) {
    await kill();
    await dropAll();
    // The log stays for the error's reader; the config, which holds the password, does not.
    rmSync(join(dir, 'config'), { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n(the Temporal server's log: ${logFile})`);
  }

  return {
    address,
    namespace,
    logFile,
    databases,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    kill,
    async restart() {
      await terminate();
      try {
        await launch(false);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n(the Temporal server's log: ${logFile})`);
      }
    },
    async stop() {
      await terminate();
      await dropAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
