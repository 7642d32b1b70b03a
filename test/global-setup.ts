// Once per `npm test`: choose the Postgres backend and start the one shared Temporal dev server
// that end-to-end files use (parallel dev-server starts race each other, so there is one).
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalExecutable, isMissingBinary, NO_TEMPORAL_HINT } from '../local/temporal-binaries.ts';
import { caseSearchAttributes } from '../domain/search-attributes.ts';
import { choosePostgres, type PostgresChoice } from './harness/postgres-backend.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    postgres: PostgresChoice;
  }
}

export default async function setup(project: TestProject) {
  const postgres = await choosePostgres();
  console.log(`[test harness] Postgres: ${postgres.backend}`);
  project.provide('postgres', postgres.choice);

  // Fetches both binaries on a machine that has none yet, so that `npm test` works on a fresh clone.
  const { executable, source } = ensureTemporalExecutable('cli', (line) => console.log(`[test harness] ${line}`));
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable, searchAttributes: caseSearchAttributes, ui: false },
  }).catch((err: unknown) => {
    throw isMissingBinary(err) ? new Error(NO_TEMPORAL_HINT) : err;
  });
  const address = env.connection.options.address;
  console.log(`[test harness] Temporal dev server at ${address} (binary from ${source})`);
  project.provide('temporalAddress', address);

  return async () => {
    await env.teardown();
    await postgres.stop();
  };
}
