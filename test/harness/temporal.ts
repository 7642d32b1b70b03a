// Temporal for tests: a time-skipping server per workflow test file, the shared dev server for
// end-to-end files, and the workflow bundle built once per file.
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleCaseWorkflows, bundleWorkflows, workflowsPath } from '../../worker/bundle.ts';
import { findTemporalExecutable } from '../../local/temporal-binaries.ts';
import { registerSearchAttributes } from '../../local/search-attributes.ts';

// Worker lifecycle chatter at INFO drowns test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { executable } = findTemporalExecutable('test-server');
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  await registerSearchAttributes(env.connection, 'default');
  return env;
}

export async function connectToDevServer(dataConverter?: DataConverter): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { connection, client: new Client({ connection, namespace: 'default', ...(dataConverter ? { dataConverter } : {}) }) };
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundles a workflows module once per test process: the case workflows exactly as the worker does. */
export function workflowBundle(workflowsModule: URL): Promise<WorkflowBundleWithSourceMap> {
  const path = fileURLToPath(workflowsModule);
  let bundle = bundles.get(path);
  if (!bundle) {
    bundle = path === workflowsPath ? bundleCaseWorkflows() : bundleWorkflows(path);
    bundles.set(path, bundle);
  }
  return bundle;
}
