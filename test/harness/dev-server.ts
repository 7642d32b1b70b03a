// The Temporal dev server with the case search attributes, as the vitest global setup and the fuzz
// command (test/fuzz/main.ts) start it.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalExecutable } from '../../local/temporal-binaries.ts';
import { caseSearchAttributes } from '../../domain/search-attributes.ts';

export async function startDevServer(): Promise<{ address: string; source: string; stop(): Promise<void> }> {
  const { executable, source } = findTemporalExecutable('cli');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable, searchAttributes: caseSearchAttributes, ui: false },
  });
  return { address: env.connection.options.address, source, stop: () => env.teardown() };
}
