// What every casectl command shares: how it reaches the service (the action layer and the accounts
// store, opened only by the commands that need them and closed before the process exits), the
// signed-in account (CASECTL_TOKEN) and what its role allows, the time limit, the request id of an
// action, printing text or --json, and what an error means as an exit code.
import { createIdentifiers, loadIdentifierKey } from '../../common/identifiers.ts';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { isGrpcServiceError, ServiceError, type Connection } from '@temporalio/client';
import { openTemporalClient } from '../temporal.ts';
import { loadConfig, type AppConfig } from '../../config.ts';
import { connect } from '../../db/connect.ts';
import { createDataConverter, loadKeyring } from '../../codec/keys.ts';
import { InputError, parseInput } from '../../domain/validation.ts';
import { isCaseId, type CaseStatus } from '../../domain/case.ts';
import { openVault } from '../../activities/vault/open.ts';
import type { Vault } from '../../activities/vault/vault.ts';
import { createDocuments, FileNotFound, UploadRefused, type Documents } from '../documents.ts';
import { StoreUnavailable } from '../../activities/vault/store.ts';
import { actionAccess, actionSchema, actionSummary, mayAccess, rolesFor, type Access, type ActionArgs, type StaffAction } from '../../domain/actions.ts';
import { createCaseActions, requestIdSchema, type ActOptions, type CaseActions, type CaseActionName } from '../actions.ts';
import { ActionRefusedError, CaseNotFoundError } from '../case-calls.ts';
import { createAccounts, type Accounts, type User } from '../accounts.ts';
import { createCaseRepairs, workerReplayer, type CaseRepairs } from '../repair.ts';
import { statusSummary } from '../cli-output.ts';
import { withTimeout } from '../../common/timeout.ts';
import { createAccessLog, type AccessAction, type AccessDetail, type AccessLog } from '../access-log.ts';

/** An action command's help: the action's summary (domain/actions.ts), and what else to know. */
export const actionHelp = (name: StaffAction, more?: string): string => `${actionSummary(name)}${more ? `; ${more}` : ''}`;

export const EXIT = { ok: 0, failure: 1, badInput: 2, unknownCase: 3, refused: 4, notAnswered: 5, notSignedIn: 6 } as const;

/** The action layer and how to let go of it. */
export interface ActionSession {
  actions: CaseActions;
  /** Where the command's reads of a case are recorded (the same database). */
  accessLog: AccessLog;
  close(): Promise<void>;
}

export interface CasectlIO {
  /** One block of standard output (a newline is added). */
  out(text: string): void;
  /** One line of standard error (a newline is added). */
  err(text: string): void;
  readStdin(): Promise<string>;
}

export interface CasectlDeps {
  env?: NodeJS.ProcessEnv;
  io?: Partial<CasectlIO>;
  /** Opens the action layer; `temporal` says whether the command talks to Temporal (else Postgres only). */
  openActions?: (opts: { temporal: boolean }) => Promise<ActionSession>;
  /** Opens the staff accounts store (Postgres only). */
  openAccounts?: () => Promise<AccountsSession>;
  /** Opens the case files (Postgres and the vault). */
  openDocuments?: () => Promise<DocumentsSession>;
  /** Opens the vault itself, for the operator's commands on its keys. */
  openVault?: () => Promise<VaultSession>;
  /** Opens the repairs of stuck cases (Temporal, and the worker's workflow code to replay with). */
  openRepairs?: () => Promise<RepairSession>;
}

/** The repairs of stuck cases and how to let go of them. */
export interface RepairSession {
  repairs: CaseRepairs;
  close(): Promise<void>;
}

/** The vault and how to let go of it. */
export interface VaultSession {
  vault: Vault;
  close(): Promise<void>;
}

/** The case files and how to let go of them. */
export interface DocumentsSession {
  documents: Documents;
  /** Where the command's reads of a case's files are recorded (the same database). */
  accessLog: AccessLog;
  close(): Promise<void>;
}

/** The accounts store and how to let go of it. */
export interface AccountsSession {
  accounts: Accounts;
  close(): Promise<void>;
}

/** Seconds a command waits for Temporal and the case worker before giving up (CASECTL_TIMEOUT_SECONDS). */
export const DEFAULT_TIMEOUT_SECONDS = 30;

// -------------------------------------------------------------------------------------------
// Connections

/**
 * DATA_DIR defaults to the project's data/ directory rather than the current directory's, so
 * `bin/casectl` run from anywhere finds the same generated payload key as `npm start`.
 */
/** The environment with DATA_DIR defaulting to the project's data/, where `npm start` keeps its secrets and keys. */
export function effectiveEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.DATA_DIR ? env : { ...env, DATA_DIR: fileURLToPath(new URL('../../data/', import.meta.url)) };
}

/** Where the database is, for messages: host and port only, never the credentials. */
function databaseWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** An action the case's worker did not answer in time: it may still be applied; the same request id finds out. */
class NotAnsweredError extends Error {
  constructor(seconds: number, requestId: string) {
    super(`no answer within ${seconds} s; the action may still be applied: run the same command again with --request-id ${requestId} to apply it once and see its outcome`);
    this.name = 'NotAnsweredError';
  }
}

/** A failure to reach a service, said once, with the hint that fixes it most often. */
class UnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

const START_HINT = 'is the service running (npm start), or TEMPORAL_ADDRESS / DATABASE_URL set?';

/** Waits for Temporal to answer; if it does not, closes what `session` opened and says so once. */
async function ensureTemporal<S extends { close(): Promise<void> }>(session: S, connection: Connection, config: AppConfig): Promise<S> {
  try {
    await connection.ensureConnected();
  } catch (err) {
    await session.close();
    const why = err instanceof ServiceError && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    throw new UnreachableError(`cannot reach Temporal at ${config.temporalAddress} (${oneLine(why)}): ${START_HINT}`);
  }
  return session;
}

export async function openDefaultActions(envIn: NodeJS.ProcessEnv, opts: { temporal: boolean }): Promise<ActionSession> {
  const env = effectiveEnv(envIn);
  const config = loadConfig(env);
  const keyring = loadKeyring(env, { generateIn: config.dataDir });
  const { client, connection, close: closeTemporal } = openTemporalClient(config, createDataConverter(keyring));
  const db = connect(config.databaseUrl, { max: 2 });
  const session: ActionSession = {
    actions: wrapDatabaseErrors(createCaseActions({ client, db, taskQueue: config.taskQueue, identifiers: createIdentifiers(loadIdentifierKey(env, { generateIn: config.dataDir })) }), databaseWhere(config.databaseUrl)),
    accessLog: wrapDatabaseErrors(createAccessLog(db), databaseWhere(config.databaseUrl)),
    async close() {
      await Promise.allSettled([closeTemporal(), db.destroy()]);
    },
  };
  return opts.temporal ? ensureTemporal(session, connection, config) : session;
}

/** The repairs of stuck cases: Temporal, and the workflow code and payload keys the worker replays with. */
export async function openDefaultRepairs(envIn: NodeJS.ProcessEnv): Promise<RepairSession> {
  const env = effectiveEnv(envIn);
  const config = loadConfig(env);
  const dataConverter = createDataConverter(loadKeyring(env, { generateIn: config.dataDir }));
  const { client, connection, close } = openTemporalClient(config, dataConverter);
  return ensureTemporal({ repairs: createCaseRepairs({ client, replay: workerReplayer(dataConverter) }), close }, connection, config);
}

export async function openDefaultAccounts(envIn: NodeJS.ProcessEnv): Promise<AccountsSession> {
  const config = loadConfig(effectiveEnv(envIn));
  const db = connect(config.databaseUrl, { max: 2 });
  return {
    accounts: wrapDatabaseErrors(createAccounts(db), databaseWhere(config.databaseUrl)),
    async close() {
      await db.destroy();
    },
  };
}

export async function openDefaultDocuments(envIn: NodeJS.ProcessEnv): Promise<DocumentsSession> {
  const env = effectiveEnv(envIn);
  const config = loadConfig(env);
  const db = connect(config.databaseUrl, { max: 2 });
  return {
    documents: wrapDatabaseErrors(createDocuments({ db, vault: openVault(config, db, env), limits: config.vault }), databaseWhere(config.databaseUrl)),
    accessLog: wrapDatabaseErrors(createAccessLog(db), databaseWhere(config.databaseUrl)),
    async close() {
      await db.destroy();
    },
  };
}

/** The vault as the worker opens it: the same DATABASE_URL, keyring and store. */
export async function openDefaultVault(envIn: NodeJS.ProcessEnv): Promise<VaultSession> {
  const env = effectiveEnv(envIn);
  const config = loadConfig(env);
  const db = connect(config.databaseUrl, { max: 2 });
  return {
    vault: wrapDatabaseErrors(openVault(config, db, env), databaseWhere(config.databaseUrl)),
    async close() {
      await db.destroy();
    },
  };
}

/** Turns "connect ECONNREFUSED" from pg into a message that says which service is missing. */
function wrapDatabaseErrors<T extends object>(actions: T, where: string): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(actions)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN)$/.test(code)) {
          throw new UnreachableError(`cannot reach the database at ${where} (${code}): ${START_HINT}`);
        }
        throw err;
      }
    };
  }
  return wrapped as T;
}

// -------------------------------------------------------------------------------------------
// Helpers

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** No live API token in CASECTL_TOKEN: said with how to get one, since the fix is always the same. */
class NotSignedInError extends Error {
  constructor(why: string) {
    super(`not signed in: ${why}; make a token with \`casectl user token <your email> --name <this machine>\` and export CASECTL_TOKEN=<token>`);
    this.name = 'NotSignedInError';
  }
}

/** The account's role does not allow the command (the registry's answer, domain/actions.ts). */
class RoleRefusedError extends Error {
  constructor(user: User, access: Exclude<Access, 'public'>, what: string) {
    const who = rolesFor(access).map((r) => (r === 'ops' ? r : `${r}s`));
    super(`${user.email} has role ${user.role}; only ${who.join(' and ')} may ${what}`);
    this.name = 'RoleRefusedError';
  }
}

/** What a command asks of the account: a staff action (the registry says who may take it), or a kind of access and what the command does. */
type Needs = StaffAction | { access: Exclude<Access, 'public'>; what: string };

/** Adds the flag that set each field to InputError messages, and says "is required" plainly. */
function withFlags(err: unknown, flags: Record<string, string>): unknown {
  if (!(err instanceof InputError)) return err;
  return new InputError(
    err.fields.map((f) => {
      const key = Object.keys(flags).find((k) => f.field === k || f.field.startsWith(`${k}[`) || f.field.startsWith(`${k}.`));
      const message = /^Invalid input: expected \w+, received undefined$/.test(f.message) ? 'is required' : f.message;
      return { field: key ? `${f.field} (${flags[key]})` : f.field, message };
    }),
  );
}

export async function mapFlags<T>(flags: Record<string, string>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw withFlags(err, flags);
  }
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export async function readJsonInput(file: string | undefined, io: CasectlIO, what: string): Promise<unknown> {
  let text: string;
  const source = file === undefined || file === '-' ? 'standard input' : file;
  if (file === undefined || file === '-') {
    text = await io.readStdin();
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError([{ field: '--file', message: `cannot read ${file}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}` }]);
    }
  }
  if (text.trim() === '') throw new InputError([{ field: '', message: `no ${what} on ${source}: expected a JSON object` }]);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError([{ field: '', message: `${source} is not valid JSON (${oneLine((err as Error).message)})` }]);
  }
}

function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T> {
  return withTimeout(
    promise,
    seconds * 1000,
    () =>
      new UnreachableError(
        `no answer within ${seconds} s: is the case worker running (npm start / npm run worker)? An action may still be applied when it answers; check with casectl case show`,
      ),
  );
}

/** Exit code and one-line message for anything a command throws. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof InputError) return { code: EXIT.badInput, message: oneLine(err.message) };
  if (err instanceof FileNotFound) return { code: EXIT.badInput, message: `<docId>: ${err.message}` };
  if (err instanceof UploadRefused) return { code: EXIT.badInput, message: `the vault refused the file: ${err.message}` };
  if (err instanceof StoreUnavailable) return { code: EXIT.failure, message: 'the file store cannot be reached: try again later' };
  if (err instanceof CaseNotFoundError) return { code: EXIT.unknownCase, message: err.message };
  if (err instanceof ActionRefusedError || err instanceof RoleRefusedError) return { code: EXIT.refused, message: `refused: ${oneLine(err.message)}` };
  if (err instanceof NotSignedInError) return { code: EXIT.notSignedIn, message: err.message };
  if (err instanceof UnreachableError) return { code: EXIT.failure, message: err.message };
  if (err instanceof NotAnsweredError) return { code: EXIT.notAnswered, message: err.message };
  if (isGrpcServiceError(err)) return { code: EXIT.failure, message: `Temporal: ${oneLine(err.details || err.message)}` };
  if (err instanceof ServiceError) return { code: EXIT.failure, message: `Temporal: ${oneLine(err.cause instanceof Error ? err.cause.message : err.message)}` };
  if (err instanceof Error) return { code: EXIT.failure, message: oneLine(err.message) || err.name };
  return { code: EXIT.failure, message: oneLine(String(err)) };
}

// -------------------------------------------------------------------------------------------
// The context every command gets

export function createContext(deps: CasectlDeps = {}) {
  const env = deps.env ?? process.env;
  const io: CasectlIO = {
    out: deps.io?.out ?? ((text) => void process.stdout.write(`${text}\n`)),
    err: deps.io?.err ?? ((text) => void process.stderr.write(`${text}\n`)),
    readStdin: deps.io?.readStdin ?? readProcessStdin,
  };
  const open = deps.openActions ?? ((opts) => openDefaultActions(env, opts));
  const timeoutSeconds = Number(env.CASECTL_TIMEOUT_SECONDS) > 0 ? Number(env.CASECTL_TIMEOUT_SECONDS) : DEFAULT_TIMEOUT_SECONDS;
  const openAccounts = deps.openAccounts ?? (() => openDefaultAccounts(env));
  const openDocuments = deps.openDocuments ?? (() => openDefaultDocuments(env));
  const openVaultSession = deps.openVault ?? (() => openDefaultVault(env));
  const openRepairs = deps.openRepairs ?? (() => openDefaultRepairs(env));

  /** Runs `run` on the accounts store within the time limit, then closes it. */
  async function usingAccounts<T>(run: (a: Accounts) => Promise<T>): Promise<T> {
    const session = await withinSeconds(timeoutSeconds, openAccounts());
    try {
      return await withinSeconds(timeoutSeconds, run(session.accounts));
    } finally {
      await session.close();
    }
  }

  /**
   * Runs `run` on the vault, then closes it. Only the opening has the time limit: a run goes case by
   * case, as long as there are cases, and a run cut short is simply run again.
   */
  async function usingVault<T>(run: (v: Vault) => Promise<T>): Promise<T> {
    const session = await withinSeconds(timeoutSeconds, openVaultSession());
    try {
      return await run(session.vault);
    } finally {
      await session.close();
    }
  }

  /**
   * The account of CASECTL_TOKEN when its role allows what the command needs; asked before Temporal
   * or the case tables are touched, so a refused command changes nothing.
   */
  async function signedIn(needs: Needs): Promise<User> {
    const token = env.CASECTL_TOKEN?.trim();
    if (!token) throw new NotSignedInError('CASECTL_TOKEN is not set');
    const user = await usingAccounts((a) => a.resolveApiToken(token));
    if (!user) throw new NotSignedInError('CASECTL_TOKEN is not a live API token (unknown, expired or revoked, or its account is disabled)');
    const { access, what } = typeof needs === 'string' ? { access: actionAccess(needs), what: `${actionSummary(needs)} (${needs})` } : needs;
    if (!mayAccess(user.role, access)) throw new RoleRefusedError(user, access, what);
    return user;
  }

  /**
   * As the signed-in account, on the repairs of stuck cases, then closes them. Only the opening has
   * the time limit: bundling the workflows and replaying a long history take longer than an action
   * waits, and a repair cut short is simply run again (a reset is applied once, by its request id).
   */
  async function usingRepairs<T>(needs: Needs, run: (r: CaseRepairs, actor: string) => Promise<T>): Promise<T> {
    const { email } = await signedIn(needs);
    const session = await withinSeconds(timeoutSeconds, openRepairs());
    try {
      return await run(session.repairs, email);
    } finally {
      await session.close();
    }
  }

  const isJson = (cmd: Command): boolean => Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
  const print = (cmd: Command, value: unknown, human: () => string) => io.out(isJson(cmd) ? JSON.stringify(value, null, 2) : human());

  /** As the signed-in account: opens what the command needs, runs it within the time limit, closes everything. */
  async function using<T>(needs: Needs, temporal: boolean, run: (a: CaseActions, actor: string) => Promise<T>): Promise<T> {
    const { email } = await signedIn(needs);
    const session = await withinSeconds(timeoutSeconds, open({ temporal }));
    try {
      return await withinSeconds(timeoutSeconds, run(session.actions, email));
    } finally {
      await session.close();
    }
  }

  /**
   * A read of case `caseId` as the signed-in account (any role): `run` reads, the access log
   * records it, and only then is the answer printed. casectl has no client address to record: it
   * runs where its operator is, with the database's credentials (README, Security).
   */
  async function reading<T>(caseId: string, action: AccessAction, what: string, temporal: boolean, run: (a: CaseActions, log: AccessLog) => Promise<T>): Promise<T> {
    const { email } = await signedIn({ access: 'read', what });
    const session = await withinSeconds(timeoutSeconds, open({ temporal }));
    try {
      const entry = { caseId, party: 'staff', actor: email, action, detail: { via: 'casectl' }, clientAddress: null } as const;
      return await withinSeconds(timeoutSeconds, session.accessLog.logged(entry, () => run(session.actions, session.accessLog)));
    } finally {
      await session.close();
    }
  }

  /**
   * As the signed-in account, on the case files of `caseId` (an unknown case: exit 3). No time
   * limit: a file streams as long as it takes. `seen` records a read of them, as `reading` does.
   */
  async function usingDocuments<T>(
    needs: Needs,
    caseId: string,
    run: (d: Documents, actor: string, seen: (action: AccessAction, detail?: AccessDetail) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const { email } = await signedIn(needs);
    const session = await withinSeconds(timeoutSeconds, openDocuments());
    try {
      if (!isCaseId(caseId) || !(await withinSeconds(timeoutSeconds, session.documents.familyView(caseId)))) throw new CaseNotFoundError(caseId);
      const seen = (action: AccessAction, detail: AccessDetail = {}) => session.accessLog.record({ caseId, party: 'staff', actor: email, action, detail: { via: 'casectl', ...detail }, clientAddress: null });
      return await run(session.documents, email, seen);
    } finally {
      await session.close();
    }
  }

  /**
   * Takes a staff action as the signed-in account, with this command's request id (--request-id,
   * else a new one): the workflow applies a request id once, so a command run again with the id it
   * printed gets the first outcome back. `prepare` gets the actor and checks the input before
   * anything is contacted; what it returns takes the action.
   */
  async function applying<T>(cmd: Command, needs: Needs, prepare: (actor: string) => (a: CaseActions, request: ActOptions) => Promise<T>): Promise<T> {
    const requestId = cmd.optsWithGlobals<{ requestId?: string }>().requestId ?? randomUUID();
    const valid = requestIdSchema.safeParse(requestId);
    if (!valid.success) throw new InputError([{ field: '--request-id', message: valid.error.issues[0]!.message }]);
    const run = prepare((await signedIn(needs)).email);
    const session = await withinSeconds(timeoutSeconds, open({ temporal: true }));
    try {
      return await withTimeout(run(session.actions, { requestId }), timeoutSeconds * 1000, () => new NotAnsweredError(timeoutSeconds, requestId));
    } finally {
      await session.close();
    }
  }

  /** A staff action on a case: the Update, then the resulting status. */
  async function caseAction<A extends CaseActionName & StaffAction>(
    cmd: Command,
    caseId: string,
    name: A,
    args: Omit<ActionArgs<A>, 'actor'>,
    done: string,
    flags: Record<string, string> = {},
  ): Promise<void> {
    const status = await mapFlags(flags, () =>
      applying(cmd, name, (actor) => {
        const raw = { ...args, actor } as Omit<ActionArgs<A>, 'actor'> & { actor: string };
        // The action layer checks again; this names bad input before Temporal is contacted.
        parseInput(actionSchema(name), raw);
        return (a, request) => a.act(caseId, name, raw, request);
      }),
    );
    printStatus(cmd, status, done);
  }

  function printStatus(cmd: Command, status: CaseStatus, done: string): void {
    print(cmd, status, () => `${done}\n${statusSummary(status)}`);
  }

  return { env, io, print, printStatus, using, reading, usingAccounts, usingVault, usingDocuments, usingRepairs, applying, caseAction };
}

export type CommandContext = ReturnType<typeof createContext>;

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
