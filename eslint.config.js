// Lint that protects what review misses: promises nobody awaits, and I/O sneaking into
// workflow code (which must stay deterministic and is replayed from history), by a Node built-in,
// an I/O module or a value from activities/.
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
    // The records page's script runs in browsers as it is written: plain JavaScript, no types to check.
    files: ['client/http/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'script', globals: { window: 'readonly', document: 'readonly', Intl: 'readonly', Promise: 'readonly' } },
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
      // A value imported from activities/ bundles that module, and all it imports, into every
      // workflow (the email renderer and its catalogues, the database code). Types cost nothing.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)activities/',
              allowTypeImports: true,
              message: 'Workflow and domain code imports only types from activities/ (`import type`); what both sides share belongs in domain/.',
            },
          ],
        },
      ],
    },
  },
);
