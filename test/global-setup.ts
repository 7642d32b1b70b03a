// Once per `npm test`: choose the Postgres backend and start the one shared Temporal dev server
// that end-to-end files use (parallel dev-server starts race each other, so there is one).
import type { TestProject } from 'vitest/node';
import { choosePostgres, type PostgresChoice } from './harness/postgres-backend.ts';
import { startDevServer } from './harness/dev-server.ts';
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

  const temporal = await startDevServer();
  console.log(`[test harness] Temporal dev server at ${temporal.address} (binary from ${temporal.source})`);
  project.provide('temporalAddress', temporal.address);
  project.provide('serviceShape', 'in-process');

  return async () => {
    await temporal.stop();
    await postgres.stop();
  };
}
