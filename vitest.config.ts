import { defineConfig } from 'vitest/config';

const shared = {
  // The Temporal native bridge crashes in worker threads: every test file gets its own process.
  pool: 'forks' as const,
  exclude: ['node_modules/**', '.tools/**', 'data/**'],
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      { extends: false, test: { ...shared, name: 'suite', include: ['**/*.test.ts'] } },
      // The case workflow suites again with a worker that caches no workflow: every workflow task
      // replays the whole history first, as on a worker with a small cache or after a restart, so a
      // case whose replay does not issue the commands its history records fails here (the recorded
      // histories of test/replay cover three paths; these, every path the suites drive; a
      // "No command scheduled for event" was seen failing here). Replaying is slower: the
      // check-in link test takes about 100 s here instead of 5.
      {
        extends: false,
        test: {
          ...shared,
          name: 'replaying',
          include: ['test/lifecycle/**/*.test.ts', 'test/monitoring/**/*.test.ts'],
          env: { WORKER_MAX_CACHED_WORKFLOWS: '0' },
          testTimeout: 300_000,
        },
      },
    ],
    // The JSON report is what .ci/run counts its closing 'N passed, N failed' line from.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest-report.json' },
  },
});
