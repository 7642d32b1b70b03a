// Lint that protects what review misses: promises nobody awaits, and I/O sneaking into
// workflow code (which must stay deterministic and is replayed from history).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioModules = ['pg', 'kysely', 'nodemailer', '@electric-sql/*', 'smtp-server', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', 'data/', 'test-artifacts/', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Migrations are written against Kysely<any> on purpose: they must not change when the typed schema does.
    files: ['db/migrations/**/*.ts', 'db/migrate.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow and domain code is deterministic: no Node built-ins. Do I/O in an activity.' })),
          patterns: [{ group: ioModules, message: 'Workflow and domain code is deterministic: no I/O modules. Do I/O in an activity.' }],
        },
      ],
    },
  },
);
