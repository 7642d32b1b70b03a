// Structured logs through pino: one JSON object per line, never patient data. Both processes log
// through createLogger: the worker's Temporal Runtime logger (worker/runtime.ts: the SDK's own
// messages, Core's forwarded ones, activity and workflow context loggers) and the HTTP server
// (Fastify's logger, client/http/server.ts), so both share one shape:
//
//   {"level":"info","time":"2026-11-24T08:00:00.000Z","component":"worker","state":"RUNNING","taskQueue":"cases","msg":"Worker state changed"}
//
// What keeps patient data out is the allowlist below, applied by pino to every line whoever logs
// it (our code, the SDK, Fastify): fields are reduced to allowed keys with short primitive values
// (ids, types, states, durations: no spaces, no '@'); anything else (an activation, a payload, an
// activity's arguments or result, a request or its headers) is dropped, whatever the level. Errors
// keep their class name, failure type and code, never their message, which may quote what a family
// or coordinator typed. A message is cut where it starts quoting (`…: <error message>`, `"…"`).
// Failure messages stay readable, decrypted, in the Temporal Web UI through the codec.
import pino, { type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import type { LogLevel } from '@temporalio/common';

export type { Logger } from 'pino';
export type LineWriter = (line: string) => void;

/**
 * Metadata that may be logged, and the name it is logged under. Core's fields (from Rust) are
 * snake_case; they map onto the SDK's names.
 */
const SAFE_KEYS: Record<string, string> = {
  sdkComponent: 'component',
  component: 'component',
  namespace: 'namespace',
  taskQueue: 'taskQueue',
  task_queue: 'taskQueue',
  workflowId: 'workflowId',
  workflow_id: 'workflowId',
  runId: 'runId',
  run_id: 'runId',
  workflowRunId: 'runId',
  workflowType: 'workflowType',
  workflow_type: 'workflowType',
  activityId: 'activityId',
  activity_id: 'activityId',
  activityType: 'activityType',
  activity_type: 'activityType',
  attempt: 'attempt',
  isLocal: 'isLocal',
  durationMs: 'durationMs',
  state: 'state',
  size: 'size',
  target: 'target',
  // The activities' own lines: { caseId, kind, status } only.
  caseId: 'caseId',
  kind: 'kind',
  status: 'status',
  // The processes' own lines: where they listen, and the HTTP server's request lines.
  address: 'address',
  event: 'event',
  method: 'method',
  route: 'route',
  userId: 'userId',
  via: 'via',
  ms: 'ms',
  // The worker's workflow cache at start (worker/cache-size.ts).
  cacheSize: 'cacheSize',
  expectedBurst: 'expectedBurst',
  memoryMiB: 'memoryMiB',
};
const ERROR_KEYS = new Set(['error', 'err', 'failure']);
// Ids, names of types and states, addresses: never spaces, '@' or letters outside ASCII, so a
// name, an email address or a sentence cannot pass even under an allowed key.
const SAFE_STRING = /^[A-Za-z0-9._:/+[\]-]{1,120}$/;
/** Route patterns (`/checkin/:token`, `/codec/*`), and the request no route matched. */
const ROUTE = /^\/[A-Za-z0-9._:/*-]{0,200}$|^\(no route\)$/;
const MAX_MESSAGE = 200;
const CASE_WORKFLOW_ID = /^case-(c[0-9a-f]{12})$/;

function safeValue(name: string, v: unknown): string | number | boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return (name === 'route' ? ROUTE : SAFE_STRING).test(v) ? v : undefined;
  return undefined;
}

/** An error as a log may show it: class name, failure type and code, never the message. */
function describeError(err: unknown): Record<string, string | number> {
  if (!err || typeof err !== 'object') return { error: typeof err };
  const e = err as { name?: unknown; type?: unknown; code?: unknown; responseCode?: unknown; constructor?: { name?: unknown } };
  const out: Record<string, string | number> = {};
  const name = typeof e.name === 'string' ? e.name : typeof e.constructor?.name === 'string' ? e.constructor.name : 'Error';
  out.error = /^[A-Za-z0-9_$.]{1,60}$/.test(name) ? name : 'Error';
  if (typeof e.type === 'string' && /^[A-Za-z0-9_.]{1,60}$/.test(e.type)) out.errorType = e.type;
  if ((typeof e.code === 'string' && /^[A-Z0-9_]{1,20}$/.test(e.code)) || typeof e.code === 'number') out.errorCode = e.code;
  else if (typeof e.responseCode === 'number') out.errorCode = e.responseCode;
  return out;
}

/** The fields of one line (or a child logger's bindings), reduced to what may be logged. */
export function safeFields(fields: object | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!fields) return out;
  for (const [key, value] of Object.entries(fields)) {
    if (ERROR_KEYS.has(key)) {
      if (value !== undefined && value !== null) Object.assign(out, describeError(value));
      continue;
    }
    const name = SAFE_KEYS[key];
    if (!name) continue;
    const v = safeValue(name, value);
    if (v !== undefined) out[name] = v;
  }
  const caseId = typeof out.workflowId === 'string' ? CASE_WORKFLOW_ID.exec(out.workflowId)?.[1] : undefined;
  if (caseId && out.caseId === undefined) out.caseId = caseId;
  return out;
}

/** A message as a log may show it: the first line, cut where it starts quoting an error or a value. */
export function safeMessage(message: unknown): string {
  const text = typeof message === 'string' ? message : String(message);
  let cut = text.split(/\r?\n/, 1)[0] ?? '';
  // The SDK quotes an error after ': '; libraries quote values (a URL, a name) in quotation marks
  // (an opening one: an apostrophe in a word, "can't", quotes nothing).
  const quote = cut.search(/: |(?:^|\s)["'`‘“«]/);
  if (quote >= 0) cut = cut.slice(0, quote).trimEnd();
  return cut.length > MAX_MESSAGE ? cut.slice(0, MAX_MESSAGE) : cut;
}

/** The line's shape, without the allowlist: time, level as a lower-case name, no pid or hostname. */
function shape(level: LogLevel, clock: () => number): PinoOptions {
  return {
    level: level.toLowerCase(),
    base: null,
    timestamp: () => `,"time":"${new Date(clock()).toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  };
}

const destination = (write: LineWriter | undefined, fallback: NodeJS.WriteStream): DestinationStream => (write ? { write } : fallback);

export interface LoggerOptions {
  /** The least severe level written (LOG_LEVEL's names). Default INFO. */
  level?: LogLevel;
  /** Where each line goes (one string per line, ending in \n). Default: standard output. */
  write?: LineWriter;
  /** The time a line carries, in ms since the epoch. Default: now. */
  clock?: () => number;
}

/** A pino logger whose every line passes the allowlist: fields, child loggers' bindings and messages. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const base = shape(opts.level ?? 'INFO', opts.clock ?? Date.now);
  const logger = pino(
    {
      ...base,
      formatters: { ...base.formatters, log: safeFields, bindings: safeFields },
      hooks: {
        // Every call reaches pino as (fields, message). Left to itself, pino would take the message
        // of an error logged alone, and format further arguments into the message (`%s`): either
        // could carry what a family typed.
        logMethod(args, method) {
          const [first, second] = args as unknown[];
          const fields = first instanceof Error ? { err: first } : typeof first === 'object' && first !== null ? first : {};
          const message = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
          method.call(this, fields, safeMessage(message));
        },
      },
    },
    destination(opts.write, process.stdout),
  );
  // pino applies formatters.bindings to the root's bindings only, not to a child's (Fastify makes
  // one per request, with its request id): every child is given the same filter, and its own
  // children inherit this method.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, bindings, { ...options, formatters: { ...options?.formatters, bindings: safeFields } });
  } as typeof logger.child;
  return logger;
}

/**
 * The one line written outside the allowlist: why a process could not start (configuration,
 * Postgres, Temporal, a port in use), with the error's message as `detail`, on standard error. At
 * start no case is involved yet, and without the message nobody could tell what to fix.
 */
export function logStartupFailure(msg: string, err: unknown, write?: LineWriter): void {
  pino(shape('ERROR', Date.now), destination(write, process.stderr)).error({ ...describeError(err), detail: err instanceof Error ? err.message : String(err) }, msg);
}
