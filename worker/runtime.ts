// The worker process's Temporal Runtime: the SDK's metrics on a Prometheus endpoint and its logs
// as pino's JSON lines through the allowlist (common/logging.ts), Core's own log lines forwarded
// through the same logger.
//
// The Runtime is a process-wide singleton that must be installed before anything creates one
// implicitly: a NativeConnection, a Worker or a TestWorkflowEnvironment (local/start.ts calls
// installWorkerRuntime before starting the dev server). It shuts itself down when its last
// connection closes; the next worker then installs it again.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Logger, LogLevel } from '@temporalio/common';
import { createLogger, type LineWriter } from '../common/logging.ts';

/**
 * The Runtime's logger (a Temporal `Logger`): each entry as one pino line through the allowlist, at
 * `level` (LOG_LEVEL) and above. An entry Core forwarded, or the SDK buffered, keeps the time it
 * was made rather than the time it is written.
 */
export function createWorkerLogger(opts: { level?: LogLevel; write?: LineWriter } = {}): Logger {
  // pino asks for the time while it writes, synchronously: the entry's own time is set around the call.
  let entryTime: number | undefined;
  const lines = createLogger({ ...opts, clock: () => entryTime ?? Date.now() });
  return new DefaultLogger(opts.level ?? 'INFO', ({ level, message, meta, timestampNanos }) => {
    entryTime = Number(timestampNanos / 1_000_000n);
    try {
      lines[level.toLowerCase() as Lowercase<LogLevel>](meta ?? {}, message);
    } catch {
      // A logger must never take the worker down.
    } finally {
      entryTime = undefined;
    }
  });
}

export interface WorkerRuntimeOptions {
  /** `ip:port` for the SDK's Prometheus exporter (metrics at /metrics); undefined: no metrics. */
  metricsAddress?: string;
  logger: Logger;
}

let installed: { runtime: Runtime; metricsAddress: string | undefined } | undefined;

/** Installs the Runtime once; a second call with the same metrics address gets the same Runtime. */
export function installWorkerRuntime(opts: WorkerRuntimeOptions): Runtime {
  const current = Runtime._instance;
  if (current && installed?.runtime === current) {
    if (installed.metricsAddress !== opts.metricsAddress) {
      throw new Error(`The Temporal Runtime already serves metrics on ${installed.metricsAddress ?? '(none)'}; it cannot move to ${opts.metricsAddress ?? '(none)'} in this process`);
    }
    return current;
  }
  if (current) {
    throw new Error(
      'The Temporal Runtime was created before the worker could install it (with its metrics and JSON logs): ' +
        'call installWorkerRuntime() before creating any NativeConnection, Worker or TestWorkflowEnvironment',
    );
  }
  const runtime = Runtime.install({
    logger: opts.logger,
    telemetryOptions: {
      // Core's messages go through the same logger (and its filtering) instead of straight to the console.
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(opts.metricsAddress ? { metrics: { prometheus: { bindAddress: opts.metricsAddress } } } : {}),
    },
  });
  installed = { runtime, metricsAddress: opts.metricsAddress };
  return runtime;
}
