// Wires a case worker: the workflows (bundled, or from source) and the activities built from
// their dependencies. The same function serves production, `npm start` and the tests.
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { bundleCaseWorkflows } from './bundle.ts';
import { cachePlan } from './cache-size.ts';

export interface CaseWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataConverter?: DataConverter;
  /** Prebuilt by bundleCaseWorkflows() (tests build it once per file); otherwise bundled here. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Default: config.workerMaxCachedWorkflows, else sized from the expected burst and memory (worker/cache-size.ts). */
  maxCachedWorkflows?: number;
  /** Activity interceptors, e.g. a test that fails an activity after its work is done. */
  interceptors?: WorkerOptions['interceptors'];
  /** Default: the SDK's, from the bundle. A test may have other code claim the real code's build. */
  buildId?: string;
}

export async function createCaseWorker(opts: CaseWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, dataConverter, workflowBundle, maxCachedWorkflows, interceptors, buildId, ...deps } = opts;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(dataConverter ? { dataConverter } : {}),
    workflowBundle: workflowBundle ?? (await bundleCaseWorkflows()),
    maxCachedWorkflows: maxCachedWorkflows ?? cachePlan(deps.config).size,
    ...(interceptors ? { interceptors } : {}),
    ...(buildId ? { buildId } : {}),
    activities: createActivities(deps),
  });
}
