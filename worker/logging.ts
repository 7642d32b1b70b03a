// Structured logs: one JSON object per line, never patient data. The worker's Temporal Runtime
// logger (the SDK's own messages, Core's forwarded ones, activity and workflow context loggers)
// writes through createJsonLogger; the HTTP server writes its lines with formatLogLine too, so
// both processes share one shape:
//
//   {"time":"2026-11-24T08:00:00.000Z","level":"info","msg":"Worker state changed","component":"worker","state":"RUNNING","taskQueue":"cases"}
//
// What keeps patient data out: log metadata is reduced to an allowlist of keys with short
// primitive values (ids, types, states, durations: no spaces, no '@'); anything else (an
// activation, a payload, an activity's arguments or result) is dropped, whatever the level. Errors keep their class name,
// failure type and code, never their message, which may quote what a family or coordinator
// typed. A message is cut where the SDK starts quoting an error (`…: <error message>`).
// Failure messages stay readable, decrypted, in the Temporal Web UI through the codec.
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

export type LineWriter = (line: string) => void;

/** Writes each line to standard output. */
export const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(line);
};

/** The shared shape of a log line: time, level (lower case), msg, then the fields. Ends with \n. */
export function formatLogLine(level: string, msg: string, fields: Record<string, unknown> = {}, time: Date = new Date()): string {
  return `${JSON.stringify({ time: time.toISOString(), level: level.toLowerCase(), msg, ...fields })}\n`;
}

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** The SDK's timestamp on forwarded and buffered entries (nanoseconds since the epoch). */
const LOG_TIMESTAMP = Symbol.for('log_timestamp');

/**
 * Metadata that may be logged, and the name it is logged under. Core's fields (from Rust) are
 * snake_case; they map onto the SDK's names.
 */
const SAFE_KEYS: Record<string, string> = {
  sdkComponent: 'component',
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
  // The worker process's own lines.
  address: 'address',
};
const ERROR_KEYS = new Set(['error', 'err', 'failure']);
const SAFE_STRING = /^[A-Za-z0-9._:/+-]{1,120}$/;
const MAX_MESSAGE = 200;
const CASE_WORKFLOW_ID = /^case-(c[0-9a-f]{12})$/;

function safeValue(v: unknown): string | number | boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  // Ids, names of types and states, addresses: never spaces, '@' or letters outside ASCII, so a
  // name, an email address or a sentence cannot pass even under an allowed key.
  if (typeof v === 'string') return SAFE_STRING.test(v) ? v : undefined;
  return undefined;
}

/** An error as a log may show it: class name, failure type and code, never the message. */
export function describeError(err: unknown): Record<string, string | number> {
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

/** The metadata of one entry, reduced to what may be logged. */
export function safeFields(meta: LogMetadata | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!meta) return out;
  for (const [key, value] of Object.entries(meta)) {
    if (ERROR_KEYS.has(key)) {
      if (value !== undefined && value !== null) Object.assign(out, describeError(value));
      continue;
    }
    const name = SAFE_KEYS[key];
    if (!name) continue;
    const v = safeValue(value);
    if (v !== undefined) out[name] = v;
  }
  const caseId = typeof out.workflowId === 'string' ? CASE_WORKFLOW_ID.exec(out.workflowId)?.[1] : undefined;
  if (caseId && out.caseId === undefined) out.caseId = caseId;
  return out;
}

/** A message as a log may show it: the first line, cut where it starts quoting an error. */
export function safeMessage(message: unknown): string {
  const text = typeof message === 'string' ? message : String(message);
  let cut = text.split(/\r?\n/, 1)[0] ?? '';
  const quote = cut.indexOf(': ');
  if (quote >= 0) cut = cut.slice(0, quote);
  return cut.length > MAX_MESSAGE ? cut.slice(0, MAX_MESSAGE) : cut;
}

export interface JsonLoggerOptions {
  /** The least severe level written. Default INFO. */
  level?: LogLevel;
  /** Default: standard output. */
  write?: LineWriter;
}

/** A Temporal `Logger` (Runtime.install({ logger })) writing one safe JSON line per entry. */
export function createJsonLogger(opts: JsonLoggerOptions = {}): Logger {
  const min = SEVERITY[opts.level ?? 'INFO'];
  const write = opts.write ?? stdoutWriter;
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if ((SEVERITY[level] ?? SEVERITY.ERROR) < min) return;
    const nanos: unknown = meta?.[LOG_TIMESTAMP];
    const time = typeof nanos === 'bigint' ? new Date(Number(nanos / 1_000_000n)) : new Date();
    try {
      write(formatLogLine(level, safeMessage(message), safeFields(meta), time));
    } catch {
      // A logger must never take the worker down.
    }
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
