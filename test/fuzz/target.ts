// What the fuzz suite runs against: the whole service started in this process (the test harness's
// worker and HTTP server on a Temporal dev server, a fresh database, an SMTP sink), or a service
// already running (`npm start`) that it reaches by its URL, its Postgres and its Temporal server.
// Either way the suite gets the same handles: the HTTP base URL, the database (for the checks
// after the run and to mint sessions), a Temporal client that decrypts payloads, the check-in
// link signer, casectl's environment, and the log lines to search for patient data.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config.ts';
import { connect, type Db } from '../../db/connect.ts';
import { createDataConverter, loadKeyring, type Keyring } from '../../codec/keys.ts';
import { createIdentifiers, loadIdentifierKey, type Identifiers } from '../../common/identifiers.ts';
import { createCheckinLinks, loadLinkSecret, type CheckinLinks } from '../../common/checkin-link.ts';
import { createAccounts, type Accounts } from '../../client/accounts.ts';
import { startService } from '../harness/service.ts';
import type { PostgresChoice } from '../harness/postgres-backend.ts';
import type { TcpProxy } from '../harness/tcp-proxy.ts';

export interface LogLine {
  source: string;
  line: string;
}

export interface Target {
  baseUrl: string;
  db: Db;
  accounts: Accounts;
  client: Client;
  keyring: Keyring;
  /** The service's case ids: keyed as its HTTP server and casectl key them. */
  identifiers: Identifiers;
  taskQueue: string;
  links: CheckinLinks;
  /** The environment casectl runs with (in this process, through its commander program). */
  casectlEnv: NodeJS.ProcessEnv;
  admin: { email: string; password: string };
  /** Between the HTTP server and Postgres: cut to take Postgres away. Only in this process. */
  postgres?: TcpProxy;
  /** Whether the HTTP server runs in this process (then Object.prototype is checked too). */
  inProcess: boolean;
  /** Every log line written since the target started: HTTP server, worker, PostgreSQL's log. */
  logLines(): LogLine[];
  /** Why a log source is not searched, for the report (e.g. FUZZ_PG_LOG unset). */
  logNotes: string[];
  /** Terminates the cases named (the run's), then lets go of everything. */
  close(caseIds: string[]): Promise<void>;
}

/** The lines appended to a file since `fromByte` (a log the server writes while the run goes on). */
function tail(path: string, fromByte: number): string[] {
  const size = statSync(path).size;
  if (size <= fromByte) return [];
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - fromByte);
    readSync(fd, buf, 0, buf.length, fromByte);
    return buf.toString('utf8').split('\n').filter(Boolean);
  } finally {
    closeSync(fd);
  }
}

/**
 * A log file to search from now on: FUZZ_PG_LOG for PostgreSQL's server log (CI sets it). The
 * server logs every database on it: with `database`, lines that name another one (`user@db`, as
 * Debian's log_line_prefix writes) are someone else's.
 */
function logFile(path: string | undefined, source: string, notes: string[], unsetNote: string, database?: string): () => LogLine[] {
  if (!path) {
    notes.push(unsetNote);
    return () => [];
  }
  let start: number;
  try {
    start = statSync(path).size;
  } catch (err) {
    notes.push(`${source} (${path}) cannot be read: ${(err as Error).message}; not searched`);
    return () => [];
  }
  const ours = (line: string) => {
    const db = / \S+@(\S+) /.exec(line)?.[1];
    return !database || db === undefined || db === database;
  };
  return () =>
    tail(path, start)
      .filter(ours)
      .map((line) => ({ source, line }));
}

/** Where the service's log lines are kept: the worker's (and the Temporal SDK's) and the HTTP server's. */
export interface LogCapture {
  lines: LogLine[];
  worker: (line: string) => void;
}

export function captureLogs(): LogCapture {
  const lines: LogLine[] = [];
  return { lines, worker: (line) => void lines.push({ source: 'worker', line }) };
}

/** A day's API token of the run's coordinator account: casectl acts as it. */
const casectlToken = (accounts: Accounts, email: string) => accounts.createApiToken(email, `fuzz casectl ${randomBytes(3).toString('hex')}`, 1);

const PG_LOG_UNSET = "FUZZ_PG_LOG is not set: PostgreSQL's server log is not searched for patient data (CI sets it to the server's log file)";

/**
 * The whole service in this process, on the given (or the vitest global setup's) dev server and
 * Postgres. A process that starts the dev server itself installs the Temporal Runtime first, with a
 * logger writing to `logs` (worker/runtime.ts): then pass the same capture here.
 */
export async function startLocalTarget(opts: { temporalAddress?: string; postgres?: PostgresChoice; logs?: LogCapture } = {}): Promise<Target> {
  const tag = randomBytes(3).toString('hex');
  const admin = { email: `fuzz.admin.${tag}@care.test`, password: `fuzz-admin-${randomBytes(9).toString('base64url')}` };
  const env: NodeJS.ProcessEnv = {
    PAYLOAD_KEYS: `fuzz:${randomBytes(32).toString('base64')}`,
    CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  };
  const logs = opts.logs ?? captureLogs();
  const lines = logs.lines;
  const notes: string[] = [];
  const service = await startService({
    name: 'fuzz',
    env,
    log: (line) => void lines.push({ source: 'http', line }),
    // INFO: what a deployment logs; every line is searched for canaries.
    workerLog: logs.worker,
    workerLogLevel: 'INFO',
    cuttableHttpDatabase: true,
    ...(opts.temporalAddress ? { temporalAddress: opts.temporalAddress } : {}),
    ...(opts.postgres ? { postgres: opts.postgres } : {}),
  });
  const pgLog = logFile(process.env.FUZZ_PG_LOG, 'postgresql', notes, PG_LOG_UNSET, new URL(service.database.url).pathname.slice(1));
  const accounts = createAccounts(service.database.db);
  const casectlEnv: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: service.temporalAddress,
    TASK_QUEUE: service.taskQueue,
    DATABASE_URL: service.database.url,
    PAYLOAD_KEYS: env.PAYLOAD_KEYS,
    DATA_DIR: service.dataDir,
    CASECTL_TOKEN: (await casectlToken(accounts, admin.email)).token,
    CASECTL_TIMEOUT_SECONDS: '20',
  };
  return {
    baseUrl: service.http.url,
    db: service.database.db,
    accounts,
    client: service.client,
    keyring: loadKeyring(env),
    identifiers: createIdentifiers(loadIdentifierKey(env, { generateIn: service.dataDir })),
    taskQueue: service.taskQueue,
    links: createCheckinLinks(loadLinkSecret(env)),
    casectlEnv,
    admin,
    postgres: service.httpDatabaseProxy!,
    inProcess: true,
    logLines: () => [...lines, ...pgLog()],
    logNotes: notes,
    close: (caseIds) => service.stop(caseIds),
  };
}

/**
 * A service already running, as `npm start` runs it: its HTTP server at `baseUrl`; its Postgres,
 * Temporal server, task queue, payload keys and check-in link secret from the same environment and
 * DATA_DIR defaults as casectl's. Its own output is searched when saved to `logFile`.
 */
export async function connectToRunning(opts: { baseUrl: string; email: string; password?: string; passwordFile?: string; logFile?: string }): Promise<Target> {
  const config = loadConfig(process.env);
  const password = opts.password ?? readFileSync(opts.passwordFile ?? `${config.dataDir}/admin-password`, 'utf8').trim();
  const db = connect(config.databaseUrl, { max: 4 });
  const keyring = loadKeyring(process.env, { generateIn: config.dataDir });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter: createDataConverter(keyring) });
  const notes: string[] = [];
  const serverLog = logFile(opts.logFile, 'server', notes, "no --log-file: the service's own output is not searched for patient data (save npm start's output to a file and pass it)");
  const pgLog = logFile(process.env.FUZZ_PG_LOG, 'postgresql', notes, PG_LOG_UNSET);
  notes.push('Postgres is not taken away from a running service: the Postgres-away requests are left out');
  const accounts = createAccounts(db);
  const token = await casectlToken(accounts, opts.email);
  return {
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    db,
    accounts,
    client,
    keyring,
    identifiers: createIdentifiers(loadIdentifierKey(process.env, { generateIn: config.dataDir })),
    taskQueue: config.taskQueue,
    links: createCheckinLinks(loadLinkSecret(process.env, { generateIn: config.dataDir })),
    casectlEnv: { ...process.env, CASECTL_TOKEN: token.token, CASECTL_TIMEOUT_SECONDS: '20' },
    admin: { email: opts.email, password },
    inProcess: false,
    logLines: () => [...serverLog(), ...pgLog()],
    logNotes: notes,
    async close(caseIds) {
      // The run's cases would go on mailing check-ins every minute into the running service.
      await Promise.all(caseIds.map((id) => client.workflow.getHandle(`case-${id}`).terminate('fuzz run over').catch(() => undefined)));
      // The run's token would otherwise stay live in the running service for a day.
      await accounts.revokeApiToken(opts.email, token.name).catch(() => undefined);
      await connection.close();
      await db.destroy();
    },
  };
}
