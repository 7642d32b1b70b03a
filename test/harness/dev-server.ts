// The Temporal dev server with the case search attributes, as the vitest global setup and the fuzz
// command (test/fuzz/main.ts) start it. On a machine with no Temporal binaries yet it gets them
// first (local/temporal-binaries.ts), so that `npm test` works on a fresh clone.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEV_SERVER_FLAGS, ensureTemporalExecutable, isMissingBinary, NO_TEMPORAL_HINT } from '../../local/temporal-binaries.ts';
import { caseSearchAttributes } from '../../domain/search-attributes.ts';

export async function startDevServer(): Promise<{ address: string; source: string; stop(): Promise<void> }> {
  const { executable, source } = ensureTemporalExecutable('cli', (line) => console.log(`[test harness] ${line}`));
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable, searchAttributes: caseSearchAttributes, ui: false, extraArgs: [...DEV_SERVER_FLAGS] },
  }).catch((err: unknown) => {
    throw isMissingBinary(err) ? new Error(NO_TEMPORAL_HINT) : err;
  });
  return { address: env.connection.options.address, source, stop: () => env.teardown() };
}
