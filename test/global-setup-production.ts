// Once per run of the `production` project: a Temporal server as a deployment runs it
// (temporal-server 1.32.0 on PostgreSQL, local/temporal-server.ts) instead of the dev server, for
// the end-to-end files; startService then runs the service as processes (test/harness/service.ts).
//
// Without the server's binaries or a PostgreSQL server, every file of the project fails saying
// why (test/harness/production-preflight.ts), while the other projects run as usual: the project
// must not pass having run nothing. SKIP_PRODUCTION_SHAPED=1 leaves it out (vitest.config.ts).
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { findTemporalServerBinaries } from '../local/temporal-binaries.ts';
import { startTemporalServer } from '../local/temporal-server.ts';
import { choosePostgres } from './harness/postgres-backend.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the production project cannot run here; empty when it can. */
    productionUnavailable: string;
  }
}

export default async function setup(project: TestProject) {
  const unavailable = (reason: string) => {
    const line = `[test harness] production-shaped project: ${reason}; or set SKIP_PRODUCTION_SHAPED=1 to leave the project out`;
    console.log(line);
    project.provide('productionUnavailable', line);
  };
  const binaries = findTemporalServerBinaries();
  if ('missing' in binaries) return unavailable(binaries.missing);
  const postgres = await choosePostgres();
  if (postgres.choice.kind !== 'server') {
    await postgres.stop();
    return unavailable(`the Temporal server needs a PostgreSQL server (DATABASE_URL or a Docker engine), not ${postgres.backend}`);
  }
  const started = Date.now();
  // Kept after the run, beside the service processes' logs (test/harness/service.ts).
  const logFile = fileURLToPath(new URL('../test-artifacts/production-logs/temporal-server.log', import.meta.url));
  const server = await startTemporalServer({ adminUrl: postgres.choice.adminUrl, logFile });
  console.log(
    `[test harness] production-shaped: temporal-server on PostgreSQL (${server.databases.temporal}, ${server.databases.visibility}) at ${server.address}, ` +
      `up in ${((Date.now() - started) / 1000).toFixed(1)} s, log ${server.logFile}; the service as 2 worker and 2 HTTP server processes per file`,
  );
  project.provide('productionUnavailable', '');
  project.provide('postgres', postgres.choice);
  project.provide('temporalAddress', server.address);
  project.provide('serviceShape', 'production');

  return async () => {
    await server.stop();
    await postgres.stop();
  };
}
