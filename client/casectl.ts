// casectl: the coordinators' command line. Every case command goes through the shared action
// layer (client/actions.ts), so it validates, refuses and reports exactly as the HTTP API does.
//
//   npm run cli -- case show c1a2b3c4d5e6      bin/casectl case show c1a2b3c4d5e6 --json
//
// Output: text for people, `--json` (anywhere on the line) for scripts. Errors: one line on
// stderr, nothing on stdout, exit 2 bad input, 3 unknown case, 4 refused action, 5 an action not
// answered in time (run it again with the --request-id it prints: applied once), 1 otherwise.
// A read the case's worker does not answer within a few seconds shows what Postgres recorded.
// Connections are opened only by the commands that need them (`crs grade` needs none) and
// closed before the process exits.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError } from 'commander';
import { Client, Connection, isGrpcServiceError, ServiceError } from '@temporalio/client';
import { loadConfig } from '../config.ts';
import { connect } from '../db/connect.ts';
import { createDataConverter, loadKeyring } from '../codec/keys.ts';
import { InputError, parseInput } from '../domain/validation.ts';
import { gradeObservation, parseObservation } from '../domain/crs.ts';
import { openCaseSchema, type CaseStatus } from '../domain/case.ts';
import { actionSchema, actionSummary, type ActionArgs, type StaffAction } from '../domain/actions.ts';
import { createCaseActions, hospitalSchema, requestIdSchema, type ActOptions, type CaseActions, type CaseActionName } from './actions.ts';
import { ActionRefusedError, CaseNotFoundError } from './case-calls.ts';
import { READ_WAIT_MS } from './reads.ts';
import { createAccounts, newUserSchema, type Accounts } from './accounts.ts';
import { caseDetails, caseTable, emailTable, hospitalTable, statusSummary, timelineText } from './cli-output.ts';
import { withTimeout } from '../activities/timeout.ts';

/** The command that takes each staff action (test/foundation/actions.test.ts checks that every action has one). */
export const ACTION_COMMANDS: Record<StaffAction, string> = {
  receiveDocument: 'records receive',
  waiveDocument: 'records waive',
  completeTranslation: 'translation done',
  submitToHospitals: 'hospital submit',
  recordDecision: 'hospital decision',
  chooseHospital: 'hospital choose',
  planAdmission: 'admission plan',
  confirmAdmission: 'admission confirm',
  recordInfusion: 'infusion record',
  endMonitoring: 'monitoring end',
  recordFollowUp: 'follow-up record',
  closeCase: 'case close',
  cancelCase: 'case cancel',
  acknowledgeAlert: 'alert ack',
  recordClinical: 'checkin clinical',
};

/** An action command's help: the action's summary (domain/actions.ts), and what else to know. */
const actionHelp = (name: StaffAction, more?: string): string => `${actionSummary(name)}${more ? `; ${more}` : ''}`;

export const EXIT = { ok: 0, failure: 1, badInput: 2, unknownCase: 3, refused: 4, notAnswered: 5 } as const;

/** The action layer and how to let go of it. */
export interface ActionSession {
  actions: CaseActions;
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
}

/** The accounts store and how to let go of it. */
export interface AccountsSession {
  accounts: Accounts;
  close(): Promise<void>;
}

/** Seconds a command waits for Temporal and the case worker before giving up (CASECTL_TIMEOUT_SECONDS). */
const DEFAULT_TIMEOUT_SECONDS = 30;

// -------------------------------------------------------------------------------------------
// Connections

/**
 * DATA_DIR defaults to the project's data/ directory rather than the current directory's, so
 * `bin/casectl` run from anywhere finds the same generated payload key as `npm start`.
 */
function effectiveEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.DATA_DIR ? env : { ...env, DATA_DIR: fileURLToPath(new URL('../data/', import.meta.url)) };
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

export async function openDefaultActions(envIn: NodeJS.ProcessEnv, opts: { temporal: boolean }): Promise<ActionSession> {
  const env = effectiveEnv(envIn);
  const config = loadConfig(env);
  const keyring = loadKeyring(env, { generateIn: config.dataDir });
  const connection = Connection.lazy({ address: config.temporalAddress, connectTimeout: '5 seconds' });
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter: createDataConverter(keyring) });
  const db = connect(config.databaseUrl, { max: 2 });
  const session: ActionSession = {
    actions: wrapDatabaseErrors(createCaseActions({ client, db, taskQueue: config.taskQueue }), databaseWhere(config.databaseUrl)),
    async close() {
      await Promise.allSettled([connection.close(), db.destroy()]);
    },
  };
  if (opts.temporal) {
    try {
      await connection.ensureConnected();
    } catch (err) {
      await session.close();
      const why = err instanceof ServiceError && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      throw new UnreachableError(`cannot reach Temporal at ${config.temporalAddress} (${oneLine(why)}): ${START_HINT}`);
    }
  }
  return session;
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

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The person (or script) behind every action: CASECTL_ACTOR, else casectl:<os user>. */
export function actorFrom(env: NodeJS.ProcessEnv): string {
  const explicit = env.CASECTL_ACTOR?.trim();
  if (explicit) return explicit;
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = env.USER || env.LOGNAME;
  }
  return `casectl:${name || 'unknown'}`;
}

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

async function mapFlags<T>(flags: Record<string, string>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw withFlags(err, flags);
  }
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

async function readJsonInput(file: string | undefined, io: CasectlIO, what: string): Promise<unknown> {
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
  if (err instanceof CaseNotFoundError) return { code: EXIT.unknownCase, message: err.message };
  if (err instanceof ActionRefusedError) return { code: EXIT.refused, message: `refused: ${oneLine(err.message)}` };
  if (err instanceof UnreachableError) return { code: EXIT.failure, message: err.message };
  if (err instanceof NotAnsweredError) return { code: EXIT.notAnswered, message: err.message };
  if (isGrpcServiceError(err)) return { code: EXIT.failure, message: `Temporal: ${oneLine(err.details || err.message)}` };
  if (err instanceof ServiceError) return { code: EXIT.failure, message: `Temporal: ${oneLine(err.cause instanceof Error ? err.cause.message : err.message)}` };
  if (err instanceof Error) return { code: EXIT.failure, message: oneLine(err.message) || err.name };
  return { code: EXIT.failure, message: oneLine(String(err)) };
}

// -------------------------------------------------------------------------------------------
// The program

export function buildProgram(deps: CasectlDeps = {}): Command {
  const env = deps.env ?? process.env;
  const io: CasectlIO = {
    out: deps.io?.out ?? ((text) => void process.stdout.write(`${text}\n`)),
    err: deps.io?.err ?? ((text) => void process.stderr.write(`${text}\n`)),
    readStdin: deps.io?.readStdin ?? readProcessStdin,
  };
  const open = deps.openActions ?? ((opts) => openDefaultActions(env, opts));
  const timeoutSeconds = Number(env.CASECTL_TIMEOUT_SECONDS) > 0 ? Number(env.CASECTL_TIMEOUT_SECONDS) : DEFAULT_TIMEOUT_SECONDS;
  const actor = () => actorFrom(env);
  const openAccounts = deps.openAccounts ?? (() => openDefaultAccounts(env));

  /** Runs `run` on the accounts store within the time limit, then closes it. */
  async function usingAccounts<T>(run: (a: Accounts) => Promise<T>): Promise<T> {
    const session = await withinSeconds(timeoutSeconds, openAccounts());
    try {
      return await withinSeconds(timeoutSeconds, run(session.accounts));
    } finally {
      await session.close();
    }
  }

  const isJson = (cmd: Command): boolean => Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
  const print = (cmd: Command, value: unknown, human: () => string) => io.out(isJson(cmd) ? JSON.stringify(value, null, 2) : human());

  /** Opens what the command needs, runs it within the time limit, closes everything. */
  async function using<T>(temporal: boolean, run: (a: CaseActions) => Promise<T>): Promise<T> {
    const session = await withinSeconds(timeoutSeconds, open({ temporal }));
    try {
      return await withinSeconds(timeoutSeconds, run(session.actions));
    } finally {
      await session.close();
    }
  }

  /**
   * Runs an action with this command's request id (--request-id, else a new one): the workflow applies
   * a request id once, so a command run again with the id it printed gets the first outcome back.
   */
  async function applying<T>(cmd: Command, run: (a: CaseActions, request: ActOptions) => Promise<T>): Promise<T> {
    const requestId = cmd.optsWithGlobals<{ requestId?: string }>().requestId ?? randomUUID();
    const valid = requestIdSchema.safeParse(requestId);
    if (!valid.success) throw new InputError([{ field: '--request-id', message: valid.error.issues[0]!.message }]);
    const session = await withinSeconds(timeoutSeconds, open({ temporal: true }));
    try {
      return await withTimeout(run(session.actions, { requestId }), timeoutSeconds * 1000, () => new NotAnsweredError(timeoutSeconds, requestId));
    } finally {
      await session.close();
    }
  }

  /** A coordinator action on a case: the Update, then the resulting status. */
  async function caseAction<A extends CaseActionName>(
    cmd: Command,
    caseId: string,
    name: A,
    args: Omit<ActionArgs<A>, 'actor'>,
    done: string,
    flags: Record<string, string> = {},
  ): Promise<void> {
    const raw = { ...args, actor: actor() } as Omit<ActionArgs<A>, 'actor'> & { actor: string };
    // Bad input is named before anything is contacted (the action layer checks again).
    const status = await mapFlags(flags, async () => {
      parseInput(actionSchema(name), raw);
      return applying(cmd, (a, request) => a.act(caseId, name, raw, request));
    });
    printStatus(cmd, status, done);
  }

  function printStatus(cmd: Command, status: CaseStatus, done: string): void {
    print(cmd, status, () => `${done}\n${statusSummary(status)}`);
  }

  const program = new Command('casectl')
    .description('Coordinate CAR-T therapy cases: hospitals, records, submissions, admission, monitoring and follow-up.')
    .option('--json', 'print JSON for scripts instead of text (allowed anywhere on the line)')
    .option('--request-id <id>', 'your id for an action: running it again with the same id applies it once and prints its first outcome (default: a new id each time)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(`${oneLine(s)}\n`),
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 failure (e.g. a service unreachable), 2 bad input, 3 unknown case, 4 action refused.
Environment: TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE, PAYLOAD_KEYS or PAYLOAD_KEY_FILE (else DATA_DIR/payload-keys.json;
DATA_DIR defaults to the project's data/, as for npm start),
CASECTL_ACTOR (who is recorded; default casectl:<os user>), CASECTL_TIMEOUT_SECONDS (default ${DEFAULT_TIMEOUT_SECONDS}).`,
    );

  // ---- hospital ------------------------------------------------------------------------------
  const hospital = program.command('hospital').description('the hospitals cases are submitted to, and their answers');

  hospital
    .command('add')
    .description('add a hospital cases can be submitted to')
    .requiredOption('--code <code>', 'short code used in every other command, e.g. HCB')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--email <email>', 'where submissions and reminders go')
    .requiredOption('--language <lang>', 'language of its emails and of the documents it reads, e.g. es')
    .requiredOption('--timezone <tz>', 'IANA time zone, e.g. Europe/Madrid')
    .option('--phone <phone>', 'phone number')
    .action(async (opts: { code: string; name: string; email: string; language: string; timezone: string; phone?: string }, cmd: Command) => {
      const raw = { code: opts.code, name: opts.name, email: opts.email, language: opts.language, timezone: opts.timezone, ...(opts.phone !== undefined ? { phone: opts.phone } : {}) };
      const flags = { code: '--code', name: '--name', email: '--email', language: '--language', timezone: '--timezone', phone: '--phone' };
      const added = await mapFlags(flags, async () => {
        parseInput(hospitalSchema, raw);
        return using(false, (a) => a.addHospital(raw));
      });
      print(cmd, added, () => `Hospital ${added.code} added: ${added.name} <${added.email}>, ${added.language}, ${added.timezone}`);
    });

  hospital
    .command('list')
    .description('list the hospitals')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await using(false, (a) => a.listHospitals());
      print(cmd, rows, () => hospitalTable(rows));
    });

  hospital
    .command('submit')
    .description(actionHelp('submitToHospitals', 'the packet goes out once records and translations are ready'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCodes...>', 'hospital codes (casectl hospital list)')
    .action(async (caseId: string, codes: string[], _opts: unknown, cmd: Command) => {
      const status = await applying(cmd, (a, request) => a.submit(caseId, codes, actor(), request));
      printStatus(cmd, status, `Case ${caseId} will be submitted to ${codes.join(', ')}.`);
    });

  hospital
    .command('decision')
    .description(actionHelp('recordDecision'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCode>', 'the hospital that answered')
    .addArgument(new Argument('<decision>', 'its answer').choices(['accepted', 'declined', 'more_info']))
    .option('--reason <reason>', 'why (required when declined)')
    .option('--documents <types>', 'comma-separated documents it needs (required for more_info)')
    .action(async (caseId: string, hospitalCode: string, decision: 'accepted' | 'declined' | 'more_info', opts: { reason?: string; documents?: string }, cmd: Command) => {
      const args = {
        hospitalCode,
        decision,
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.documents !== undefined ? { documents: list(opts.documents) } : {}),
      };
      await caseAction(cmd, caseId, 'recordDecision', args, `Recorded: ${hospitalCode} ${decision.replace('_', ' ')}.`, { reason: '--reason', documents: '--documents' });
    });

  hospital
    .command('choose')
    .description(actionHelp('chooseHospital'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCode>', 'a hospital that accepted')
    .action(async (caseId: string, hospitalCode: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'chooseHospital', { hospitalCode }, `Hospital ${hospitalCode} chosen.`);
    });

  // ---- case ------------------------------------------------------------------------------------
  const kase = program.command('case').description('open, list, show, cancel and close cases');

  kase
    .command('open')
    .description('open a case (opening the same patient again finds the existing case)')
    .option('--file <path>', 'case.json with patientRef, diagnosis, therapy, family {name, email, language, timeZone}, requiredDocuments (- for stdin)')
    .option('--patient-ref <ref>', 'patient reference, e.g. P-1042 (no names)')
    .option('--diagnosis <text>', 'diagnosis')
    .option('--therapy <text>', 'CAR-T therapy')
    .option('--family-name <name>', "family contact's name")
    .option('--family-email <email>', "family contact's email")
    .option('--family-language <lang>', "family's language, e.g. en, zh, es")
    .option('--family-timezone <tz>', "family's IANA time zone, e.g. Asia/Shanghai")
    .option('--documents <types>', 'comma-separated required documents (default: the standard five)')
    .addHelpText('after', '\nExample case.json:\n  {"patientRef": "P-1042", "diagnosis": "DLBCL, relapsed", "therapy": "axi-cel",\n   "family": {"name": "Li Wei", "email": "li@example.com", "language": "zh", "timeZone": "Asia/Shanghai"}}')
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      const fieldFlags = {
        patientRef: '--patient-ref',
        diagnosis: '--diagnosis',
        therapy: '--therapy',
        'family.name': '--family-name',
        'family.email': '--family-email',
        'family.language': '--family-language',
        'family.timeZone': '--family-timezone',
        requiredDocuments: '--documents',
      };
      const given = ['patientRef', 'diagnosis', 'therapy', 'familyName', 'familyEmail', 'familyLanguage', 'familyTimezone', 'documents'].filter((k) => opts[k] !== undefined);
      let raw: unknown;
      let flags: Record<string, string> = {};
      if (opts.file !== undefined) {
        if (given.length) throw new InputError([{ field: '--file', message: 'give either --file or the case fields as flags, not both' }]);
        raw = await readJsonInput(opts.file, io, 'case');
      } else {
        if (!given.length) throw new InputError([{ field: '', message: 'give --file case.json or the case fields as flags (casectl case open --help)' }]);
        raw = {
          patientRef: opts.patientRef,
          diagnosis: opts.diagnosis,
          therapy: opts.therapy,
          family: { name: opts.familyName, email: opts.familyEmail, language: opts.familyLanguage, timeZone: opts.familyTimezone },
          ...(opts.documents !== undefined ? { requiredDocuments: list(opts.documents) } : {}),
        };
        flags = fieldFlags;
      }
      const opened = await mapFlags(flags, async () => {
        parseInput(openCaseSchema(), raw);
        return using(true, (a) => a.openCase(raw, actor()));
      });
      print(cmd, opened, () => (opened.created ? `Case ${opened.caseId} opened.` : `Case ${opened.caseId} already existed for this patient; nothing new was opened.`));
    });

  kase
    .command('list')
    .description('list cases, those needing attention first: open clinical alerts, other open alerts, overdue steps, then the rest')
    .option('--stage <stage>', 'only cases in this stage')
    .option('--hospital <code>', 'only cases submitted to or admitted at this hospital')
    .option('--alert <which>', 'open, clinical or none: only cases with open alerts, open clinical alerts, or none')
    .option('--search <text>', "a case id, or part of the family's name")
    .option('--page <n>', 'page of 200 cases (default 1)')
    .action(async (opts: { stage?: string; hospital?: string; alert?: string; search?: string; page?: string }, cmd: Command) => {
      const list = await mapFlags({ stage: '--stage', hospital: '--hospital', alert: '--alert', search: '--search', page: '--page' }, () =>
        using(false, (a) => a.listCases({ ...opts, pageSize: 200 })),
      );
      print(cmd, list.cases, () => caseTable(list.cases) + (list.total > list.cases.length ? `\n${list.cases.length} of ${list.total} cases shown (--page ${list.page + 1} for more).` : ''));
    });

  kase
    .command('show')
    .description('show a case: stage, what it waits for, documents, submissions, admission, alerts')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const status = await using(true, (a) => a.statusForReading(caseId, READ_WAIT_MS));
      print(cmd, status, () => caseDetails(status));
    });

  kase
    .command('cancel')
    .description(actionHelp('cancelCase', 'in any stage; the family, the hospitals and the coordinator are told'))
    .argument('<caseId>', 'the case')
    .requiredOption('--reason <reason>', 'why')
    .action(async (caseId: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'cancelCase', { reason: opts.reason }, `Case ${caseId} cancelled.`, { reason: '--reason' });
    });

  kase
    .command('close')
    .description(actionHelp('closeCase', 'use cancel otherwise'))
    .argument('<caseId>', 'the case')
    .requiredOption('--reason <reason>', 'why')
    .action(async (caseId: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'closeCase', { reason: opts.reason }, `Case ${caseId} closed.`, { reason: '--reason' });
    });

  kase
    .command('timeline')
    .description('everything that happened on a case, oldest first')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const rows = await using(false, (a) => a.timeline(caseId));
      print(cmd, rows, () => timelineText(rows));
    });

  // ---- records ---------------------------------------------------------------------------------
  const records = program.command('records').description("the family's medical records");

  records
    .command('receive')
    .description(actionHelp('receiveDocument'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'e.g. medical_report, scans, pathology, biomarkers, treatment_history')
    .option('--language <lang>', "the document's language (default: the family's)")
    .action(async (caseId: string, documentType: string, opts: { language?: string }, cmd: Command) => {
      const args = { documentType, ...(opts.language !== undefined ? { language: opts.language } : {}) };
      await caseAction(cmd, caseId, 'receiveDocument', args, `Received ${documentType}.`, { documentType: '<documentType>', language: '--language' });
    });

  records
    .command('waive')
    .description(actionHelp('waiveDocument'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'the document')
    .requiredOption('--reason <reason>', 'why it is not needed')
    .action(async (caseId: string, documentType: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'waiveDocument', { documentType, reason: opts.reason }, `Waived ${documentType}.`, { documentType: '<documentType>', reason: '--reason' });
    });

  // ---- translation -----------------------------------------------------------------------------
  program
    .command('translation')
    .description('document translations')
    .command('done')
    .description(actionHelp('completeTranslation'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'the translated document')
    .action(async (caseId: string, documentType: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'completeTranslation', { documentType }, `Translation of ${documentType} done.`, { documentType: '<documentType>' });
    });

  // ---- admission -------------------------------------------------------------------------------
  const admission = program.command('admission').description("admission at the chosen hospital");

  admission
    .command('plan')
    .description(actionHelp('planAdmission', 'the family is told, and reminded before the date'))
    .argument('<caseId>', 'the case')
    .requiredOption('--hospital <code>', 'the chosen hospital')
    .requiredOption('--date <datetime>', 'ISO date-time with a time zone, e.g. 2026-12-01T09:00:00+01:00')
    .option('--contact <text>', 'who to ask for on arrival')
    .option('--notes <text>', 'anything the family should know')
    .action(async (caseId: string, opts: { hospital: string; date: string; contact?: string; notes?: string }, cmd: Command) => {
      const args = {
        hospitalCode: opts.hospital,
        admissionAt: opts.date,
        ...(opts.contact !== undefined ? { contact: opts.contact } : {}),
        ...(opts.notes !== undefined ? { notes: opts.notes } : {}),
      };
      await caseAction(cmd, caseId, 'planAdmission', args, `Admission planned at ${opts.hospital}.`, { hospitalCode: '--hospital', admissionAt: '--date', contact: '--contact', notes: '--notes' });
    });

  admission
    .command('confirm')
    .description(actionHelp('confirmAdmission'))
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'confirmAdmission', {}, 'Admission confirmed.');
    });

  // ---- infusion, monitoring, follow-up ---------------------------------------------------------
  program
    .command('infusion')
    .description('the CAR-T infusion')
    .command('record')
    .description(actionHelp('recordInfusion'))
    .argument('<caseId>', 'the case')
    .option('--at <datetime>', 'ISO date-time with a time zone (default: now)')
    .action(async (caseId: string, opts: { at?: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'recordInfusion', { at: opts.at ?? new Date().toISOString() }, 'Infusion recorded.', { at: '--at' });
    });

  program
    .command('monitoring')
    .description('post-infusion monitoring')
    .command('end')
    .description(actionHelp('endMonitoring', 'follow-up starts'))
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'endMonitoring', {}, 'Monitoring ended.');
    });

  program
    .command('follow-up')
    .description('follow-up contacts after the infusion')
    .command('record')
    .description(actionHelp('recordFollowUp', 'of the contact that is waiting for one'))
    .argument('<caseId>', 'the case')
    .requiredOption('--outcome <text>', 'what the family reported')
    .action(async (caseId: string, opts: { outcome: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'recordFollowUp', { outcome: opts.outcome }, 'Follow-up outcome recorded.', { outcome: '--outcome' });
    });

  // ---- alerts ----------------------------------------------------------------------------------
  program
    .command('alert')
    .description('alerts raised on a case')
    .command('ack')
    .description(actionHelp('acknowledgeAlert', 'casectl case show lists them'))
    .argument('<caseId>', 'the case')
    .argument('<alertId>', 'e.g. a1')
    .action(async (caseId: string, alertId: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'acknowledgeAlert', { alertId }, `Alert ${alertId} acknowledged.`, { alertId: '<alertId>' });
    });

  // ---- protocols -------------------------------------------------------------------------------
  const protocolCmd = program.command('protocol').description('post-infusion check-in protocols (data, chosen per hospital and therapy)');
  protocolCmd
    .command('set')
    .description('store a protocol; cases already in monitoring keep the one they started with')
    .requiredOption('--name <name>', 'protocol name (a protocol named "default" with no hospital or therapy is the default)')
    .option('--hospital <code>', 'use it for this hospital')
    .option('--therapy <therapy>', "use it for this therapy (as written in the case's therapy)")
    .option('--file <path>', 'protocol settings as JSON, e.g. {"feverThresholdC": 37.5, "windowDays": 28} (default: standard input)')
    .action(async (opts: { name: string; hospital?: string; therapy?: string; file?: string }, cmd: Command) => {
      const settings = await readJsonInput(opts.file, io, 'protocol');
      const saved = await using(false, (a) =>
        a.setProtocol({ name: opts.name, protocol: settings, ...(opts.hospital ? { hospitalCode: opts.hospital } : {}), ...(opts.therapy ? { therapy: opts.therapy } : {}) }),
      );
      print(cmd, saved, () => `Protocol ${saved.name} saved${saved.hospitalCode ? ` for ${saved.hospitalCode}` : ''}${saved.therapy ? ` (${saved.therapy})` : ''}: fever threshold ${saved.protocol.feverThresholdC} °C, ${saved.protocol.windowDays}-day window.`);
    });
  protocolCmd
    .command('list')
    .description('stored protocols')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await using(false, (a) => a.listProtocols());
      print(cmd, rows, () => (rows.length ? rows.map((r) => `${r.name}\t${r.hospitalCode ?? '*'}\t${r.therapy ?? '*'}\tfever ≥ ${r.protocol.feverThresholdC} °C, ${r.protocol.windowDays} days`).join('\n') : 'No stored protocols: cases use the built-in default.'));
    });

  // ---- check-ins ---------------------------------------------------------------------------------
  program
    .command('checkin')
    .description('post-infusion monitoring: clinical observations from the treating team')
    .command('clinical')
    .description(actionHelp('recordClinical', 'the same JSON as `crs grade`'))
    .argument('<caseId>', 'the case')
    .option('--file <path>', 'the observation as JSON (default: standard input)')
    .action(async (caseId: string, opts: { file?: string }, cmd: Command) => {
      const observation = await readJsonInput(opts.file, io, 'observation');
      // Bad input is named before anything is contacted (the workflow checks again).
      parseObservation(observation);
      const outcome = await applying(cmd, (a, request) => a.recordClinical(caseId, observation, actor(), request));
      print(cmd, outcome, () =>
        [
          `CRS grade ${outcome.crs.grade} (${outcome.crs.reason})${outcome.crs.clinicianReview ? ', needs clinician review' : ''}`,
          `ICANS grade ${outcome.icans.grade} (${outcome.icans.reason})${outcome.icans.clinicianReview ? ', needs clinician review' : ''}`,
          `Escalation: ${outcome.tier}${outcome.alertId ? ` (alert ${outcome.alertId}; acknowledge with: casectl alert ack ${caseId} ${outcome.alertId})` : ''}`,
        ].join('\n'),
      );
    });

  // ---- emails ----------------------------------------------------------------------------------
  program
    .command('emails')
    .description('what was sent to whom, when, with what status')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const rows = await using(false, (a) => a.emails(caseId));
      print(cmd, rows, () => emailTable(rows));
    });

  // ---- staff accounts (JSON API) ----------------------------------------------------------------
  const user = program.command('user').description('staff accounts of the JSON API (/api): coordinators, clinicians, ops');

  user
    .command('add')
    .description('add an account; the password is read from standard input (never a flag, so it stays out of shell history)')
    .requiredOption('--email <email>', 'the sign-in email, also recorded as the actor of every action')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--role <role>', 'coordinator (every action), clinician (reads, clinical observations, alert acknowledgements) or ops (reads)')
    .option('--password-stdin', 'read the password from standard input (the default; the first line is the password)')
    .addHelpText('after', '\nExample: printf %s "$PASSWORD" | casectl user add --email ana@care.example --name "Ana" --role coordinator --password-stdin')
    .action(async (opts: { email: string; name: string; role: string }, cmd: Command) => {
      const password = (await io.readStdin()).split(/\r?\n/)[0] ?? '';
      const raw = { email: opts.email, name: opts.name, role: opts.role, password };
      const flags = { email: '--email', name: '--name', role: '--role', password: 'standard input' };
      const created = await mapFlags(flags, async () => {
        parseInput(newUserSchema, raw);
        return usingAccounts((a) => a.createUser(raw));
      });
      print(cmd, { email: created.email, name: created.name, role: created.role }, () => `Account ${created.email} added (${created.role}).`);
    });

  user
    .command('token')
    .description('create an API token for an account (Authorization: Bearer <token>); printed once, only its hash is kept')
    .argument('<email>', 'the account')
    .requiredOption('--name <name>', 'what the token is for, e.g. "lab import script"')
    .action(async (email: string, opts: { name: string }, cmd: Command) => {
      const made = await mapFlags({ name: '--name', email: '<email>' }, () => usingAccounts((a) => a.createApiToken(email, opts.name)));
      print(cmd, { token: made.token, name: made.name, email: made.user.email, role: made.user.role }, () =>
        [`API token "${made.name}" for ${made.user.email} (${made.user.role}); it is shown only this once:`, made.token].join('\n'),
      );
    });

  // ---- crs -------------------------------------------------------------------------------------
  program
    .command('crs')
    .description('cytokine release syndrome and neurotoxicity (no server or database needed)')
    .command('grade')
    .description('grade one observation (ASTCT CRS and ICANS) and say how urgently to escalate; prints JSON')
    .option('--file <path>', 'the observation as JSON (default: standard input)')
    .option('--fever-threshold <celsius>', "the centre's 'call us' fever threshold, 37.0-38.0 (grading always uses 38.0)")
    .addHelpText(
      'after',
      `
Input, e.g.: {"temperatureC": 39.1, "vasopressors": ["norepinephrine"], "oxygen": {"device": "nasal_cannula", "flowLpm": 4}, "iceScore": 8}
Output:      {"crs": {"grade", "clinicianReview", "reason"}, "icans": {...}, "tier": "none|contact_team|urgent|critical"}
Fields, defaults and policy: domain/crs.ts (parseObservation, gradeObservation).`,
    )
    .action(async (opts: { file?: string; feverThreshold?: string }) => {
      let feverThresholdC: number | undefined;
      if (opts.feverThreshold !== undefined) {
        feverThresholdC = Number(opts.feverThreshold);
        if (opts.feverThreshold.trim() === '' || !Number.isFinite(feverThresholdC)) throw new InputError([{ field: 'feverThresholdC (--fever-threshold)', message: 'must be a number of °C' }]);
      }
      const input = await readJsonInput(opts.file, io, 'observation');
      const grading = await mapFlags({ feverThresholdC: '--fever-threshold' }, async () =>
        gradeObservation(parseObservation(input), feverThresholdC === undefined ? {} : { feverThresholdC }),
      );
      io.out(JSON.stringify(grading, null, 2));
    });

  return program;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs casectl with `argv` (the user's arguments) and returns the exit code; never throws. */
export async function runCasectl(argv: string[], deps: CasectlDeps = {}): Promise<number> {
  const err = deps.io?.err ?? ((text: string) => void process.stderr.write(`${text}\n`));
  const env = deps.env ?? process.env;
  try {
    await buildProgram(deps).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its one line (or the help).
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      return EXIT.badInput;
    }
    const { code, message } = describeError(e);
    err(`error: ${message}`);
    if (env.CASECTL_DEBUG && e instanceof Error && e.stack) err(e.stack);
    return code;
  }
}

if (import.meta.main) {
  const code = await runCasectl(process.argv.slice(2));
  process.exitCode = code;
  // Everything is closed by now; should a library keep a handle open, do not hang the shell.
  setTimeout(() => process.exit(code), 2000).unref();
}
