// The worker process's Temporal Runtime: the SDK's metrics on a Prometheus endpoint and its logs
// as JSON lines (worker/logging.ts), Core's own log lines forwarded through the same logger.
//
// The Runtime is a process-wide singleton that must be installed before anything creates one
// implicitly: a NativeConnection, a Worker or a TestWorkflowEnvironment (local/start.ts calls
// installWorkerRuntime before starting the dev server). It shuts itself down when its last
// connection closes; the next worker then installs it again.
import { Runtime } from '@temporalio/worker';
import type { Logger } from '@temporalio/common';

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
