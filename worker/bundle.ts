// How the case workflows are bundled, for the worker, the tests and the benchmarks alike.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { failureConverterPath } from '../codec/keys.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Modules the workflows import that hold no per-workflow state: schemas, grading rules, calendar
 * arithmetic, the email contract. The SDK's reusable V8 context otherwise evaluates every module of the
 * bundle once per workflow, and these (zod schemas above all) cost about 1.2 MB of heap each time:
 * 10,000 cached cases would need 12 GB. Preloaded, they are evaluated once, deep-frozen and shared.
 * Only pure modules belong here, and none that imports the SDK (its modules hold each workflow's
 * state). What such a module exports is frozen, so zod schemas, which memoize into themselves,
 * leave it only through functions. test/foundation/bundle.test.ts checks all three rules.
 */
export const sharedWorkflowModules = [
  '../domain/actions.ts',
  '../domain/case.ts',
  '../domain/case-rules.ts',
  '../domain/checkin-report.ts',
  '../domain/crs.ts',
  '../domain/emails.ts',
  '../domain/failures.ts',
  '../domain/files.ts',
  '../domain/monitoring.ts',
  '../domain/time.ts',
  '../domain/validation.ts',
].map((m) => fileURLToPath(new URL(m, import.meta.url)));

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

/** Bundles a workflows module (webpack says only what goes wrong). */
export function bundleWorkflows(path: string, extra: Pick<BundleOptions, 'preloadModules' | 'failureConverterPath' | 'workflowInterceptorModules'> = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: path, ...extra, logger: quiet as never });
}

/** The case workflows, bundled the one way every worker runs them, with the clients' failure converter. */
export function bundleCaseWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflows(workflowsPath, { preloadModules: sharedWorkflowModules, failureConverterPath });
}
