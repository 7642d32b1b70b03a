// Once per run of the `production` project: a Temporal server as a deployment runs it
// (temporal-server 1.29.1 on PostgreSQL, local/temporal-server.ts) instead of the dev server, for
// the end-to-end files; startService then runs the service as processes (test/harness/service.ts).
// Without the server's binaries or a PostgreSQL server this fails, saying why: the project must
// not pass having run nothing. SKIP_PRODUCTION_SHAPED=1 leaves the project out (vitest.config.ts).
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { findTemporalServerBinaries } from '../local/temporal-binaries.ts';
import { startTemporalServer } from '../local/temporal-server.ts';
import { choosePostgres } from './harness/postgres-backend.ts';

const SKIP = 'or set SKIP_PRODUCTION_SHAPED=1 to leave the production project out';

export default async function setup(project: TestProject) {
  const binaries = findTemporalServerBinaries();
  if ('missing' in binaries) throw new Error(`[test harness] production-shaped project: ${binaries.missing}; ${SKIP}`);
  const postgres = await choosePostgres();
  if (postgres.choice.kind !== 'server') {
    await postgres.stop();
    throw new Error(`[test harness] production-shaped project: the Temporal server needs a PostgreSQL server (DATABASE_URL or a Docker engine), not ${postgres.backend}; ${SKIP}`);
  }
  const started = Date.now();
  // Kept after the run, beside the service processes' logs (test/harness/service.ts).
  const logFile = fileURLToPath(new URL('../test-artifacts/production-logs/temporal-server.log', import.meta.url));
  const server = await startTemporalServer({ adminUrl: postgres.choice.adminUrl, logFile });
  console.log(
    `[test harness] production-shaped: temporal-server on PostgreSQL (${server.databases.temporal}, ${server.databases.visibility}) at ${server.address}, ` +
      `up in ${((Date.now() - started) / 1000).toFixed(1)} s, log ${server.logFile}; the service as 2 worker and 2 HTTP server processes per file`,
  );
  project.provide('postgres', postgres.choice);
  project.provide('temporalAddress', server.address);
  project.provide('serviceShape', 'production');

  return async () => {
    await server.stop();
    await postgres.stop();
  };
}
