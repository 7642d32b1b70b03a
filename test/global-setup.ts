// Once per `npm test`: choose the Postgres backend and start the one shared Temporal dev server
// that end-to-end files use (parallel dev-server starts race each other, so there is one).
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalExecutable } from '../local/temporal-binaries.ts';
import { caseSearchAttributes } from '../domain/search-attributes.ts';
import { choosePostgres, type PostgresChoice } from './harness/postgres-backend.ts';
import type { ServiceShape } from './harness/service.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    postgres: PostgresChoice;
    /** How test/harness/service.ts runs the service: the production project's global setup says 'production'. */
    serviceShape: ServiceShape;
  }
}

export default async function setup(project: TestProject) {
  const postgres = await choosePostgres();
  console.log(`[test harness] Postgres: ${postgres.backend}`);
  project.provide('postgres', postgres.choice);

  const { executable, source } = findTemporalExecutable('cli');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable, searchAttributes: caseSearchAttributes, ui: false },
  });
  const address = env.connection.options.address;
  console.log(`[test harness] Temporal dev server at ${address} (binary from ${source})`);
  project.provide('temporalAddress', address);
  project.provide('serviceShape', 'in-process');

  return async () => {
    await env.teardown();
    await postgres.stop();
  };
}
