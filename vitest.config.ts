import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal native bridge crashes in worker threads: every test file gets its own process.
    pool: 'forks',
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.tools/**', 'data/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run counts its closing 'N passed, N failed' line from.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest-report.json' },
  },
});
