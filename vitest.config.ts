import { defineConfig } from 'vitest/config';

const shared = {
  // The Temporal native bridge crashes in worker threads: every test file gets its own process.
  pool: 'forks' as const,
  exclude: ['node_modules/**', '.tools/**', 'data/**'],
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Two files at once even on 2 cores (vitest's default there is one): the files mostly wait on
  // servers, timers and browsers, so two halve the wall time (7 December: 1,161 tests in 11.7 min
  // instead of over 20); more would crowd PostgreSQL's connections and the timing-bound tests.
  // Per project, and at the root (test.maxWorkers below): a project does not take the root's.
  maxWorkers: 2,
};

// The production project needs temporal-server (scripts/setup-temporal-server.sh) and a
// PostgreSQL server; without them it fails saying so, unless it is left out on purpose.
const skipProduction = /^(1|true|yes)$/i.test(process.env.SKIP_PRODUCTION_SHAPED ?? '');
if (skipProduction) console.log('[test harness] SKIP_PRODUCTION_SHAPED is set: the production project is left out');

export default defineConfig({
  test: {
    projects: [
      // test/production needs the production project's server and service shape.
      { extends: false, test: { ...shared, name: 'suite', include: ['**/*.test.ts'], exclude: [...shared.exclude, 'test/production/**'] } },
      // Every case a case test drove is replayed from its final history when its file ends
      // (test/harness/case-env.ts replayEveryCase): that checks each task's commands against the
      // code. These two files run again with a worker that caches no workflow, so that every task
      // also starts cold, as on a restarted worker: every path (paths) and the Updates that meet a
      // timer in one task (races), where the SDK's cold-start handling has failed before
      // (test/replay/upstream.test.ts). Before 7 December every lifecycle and monitoring file ran
      // here: 700 s of the suite's wall time for what the replay at the end checks in 30.
      {
        extends: false,
        test: {
          ...shared,
          name: 'replaying',
          include: ['test/lifecycle/paths.test.ts', 'test/lifecycle/races.test.ts'],
          env: { WORKER_MAX_CACHED_WORKFLOWS: '0' },
          testTimeout: 300_000,
        },
      },
      // The end-to-end files again against the service as it is deployed (test/global-setup-production.ts):
      // temporal-server 1.32.0 on PostgreSQL with SQL visibility instead of the dev server, and,
      // where a file uses startService, two worker processes and two HTTP server processes
      // behind a round-robin balancer, so that both servers serve the same cases.
      ...(skipProduction
        ? []
        : [
            {
              extends: false as const,
              test: {
                ...shared,
                name: 'production',
                include: ['test/e2e/**/*.test.ts', 'test/production/**/*.test.ts'],
                // ops-endpoints checks one worker and one HTTP server from inside the test's process
                // (their standard output, the Worker object's state, the worker's Postgres behind a
                // proxy the test cuts): it needs them in-process, and the `suite` project runs it so.
                // schemathesis fuzzes the API's schema and answers, and casectl's tests its commands,
                // arguments and output: neither depends on which Temporal server is behind them (the
                // action layer both go through is tested here by api and the others). Once, in
                // `suite`, is their worth: 80 and 125 s here.
                exclude: [...shared.exclude, 'test/e2e/ops-endpoints.test.ts', 'test/e2e/schemathesis.test.ts', 'test/e2e/casectl.test.ts'],
                globalSetup: ['test/global-setup-production.ts'],
                setupFiles: ['test/harness/production-preflight.ts'],
              },
            },
          ]),
    ],
    // As in each project (shared, above): the pool reads the root's, the projects their own.
    maxWorkers: shared.maxWorkers,
    // The JSON report is what .ci/run counts its closing 'N passed, N failed' line from.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest-report.json' },
  },
});
