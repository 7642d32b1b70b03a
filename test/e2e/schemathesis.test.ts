// The API's contract is its validation: schemathesis (a schema-driven API fuzzer, from PyPI) reads
// /api/openapi.json from the real service (startService: HTTP server, worker, Temporal, PostgreSQL)
// and sends what the document allows and what it does not, with a coordinator's API token, in all
// its phases: examples, coverage (each schema's bounds, every method a path does not declare),
// fuzzing, and the stateful phase, which follows the document's links from POST /api/cases to the
// case's own operations. Any finding fails the test (schemathesis exits non-zero): a request the
// document allows and the server refuses, or the other way round, a status or header the document
// does not declare, a 5xx, a method answered otherwise than 405 with Allow, an operation that
// answers without credentials. Its settings are in schemathesis.toml beside this file.
//
// schemathesis is installed by .ci/run into .tools/schemathesis (a virtualenv); elsewhere set
// SCHEMATHESIS to its executable. Without it the test fails saying how to install it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../../client/accounts.ts';
import { startService, type Service } from '../harness/service.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The version .ci/run installs (README, contributor notes). */
const VERSION = '4.32.5';
const schemathesis = process.env.SCHEMATHESIS ?? `${root}.tools/schemathesis/bin/schemathesis`;
const INSTALL = `python3 -m venv .tools/schemathesis && .tools/schemathesis/bin/pip install schemathesis==${VERSION}`;
/** A fixed seed, so that a run can be repeated; SCHEMATHESIS_SEED explores others. */
const seed = process.env.SCHEMATHESIS_SEED ?? '17';
const reports = `${root}test-artifacts/schemathesis/`;

const tag = randomBytes(3).toString('hex');
const COORDINATOR = { email: `coordinator.${tag}@care.test`, password: `coordinator-password-${tag}` };

const installed = existsSync(schemathesis);
let service: Service | undefined;
let token = '';

beforeAll(async () => {
  // Without schemathesis the test itself fails, saying how to install it: no service to start.
  if (!installed) return;
  service = await startService({
    name: 'schemathesis',
    env: {
      PAYLOAD_KEYS: `st:${randomBytes(32).toString('base64')}`,
      CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
      ADMIN_EMAIL: COORDINATOR.email,
      ADMIN_PASSWORD: COORDINATOR.password,
    },
  });
  ({ token } = await createAccounts(service.database.db).createApiToken(COORDINATOR.email, 'schemathesis'));
});

afterAll(async () => {
  if (!service) return;
  // The cases schemathesis opened: their workflows, on this service's task queue.
  const caseIds: string[] = [];
  for await (const w of service.client.workflow.list({ query: `TaskQueue = '${service.taskQueue}' AND ExecutionStatus = 'Running'` })) caseIds.push(w.workflowId.replace(/^case-/, ''));
  await service.stop(caseIds);
});

/** Runs schemathesis to its end: its exit code and everything it printed. */
function run(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      schemathesis,
      args,
      { cwd: root, env: { ...process.env, SCHEMATHESIS_TOKEN: token, NO_COLOR: '1' }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('schemathesis against /api/openapi.json', () => {
  it(`finds nothing, in every phase (stateful included; seed ${seed})`, { timeout: 600_000 }, async () => {
    if (!installed) throw new Error(`schemathesis is not installed at ${schemathesis}: run \`${INSTALL}\` (.ci/run does), or set SCHEMATHESIS to its executable`);
    const version = await run(['--version']);
    expect(version.output, `schemathesis ${VERSION} is what .ci/run installs: ${INSTALL}`).toContain(VERSION);
    mkdirSync(reports, { recursive: true });
    const started = performance.now();
    const { code, output } = await run([
      '--config-file',
      'test/e2e/schemathesis.toml',
      'run',
      `${service!.http.url}/api/openapi.json`,
      '--checks',
      'all',
      '--seed',
      seed,
      '--no-color',
      '--report',
      'junit',
      '--report-dir',
      reports,
    ]);
    // From its warnings (when it has some) to the end.
    const summary = output.lastIndexOf('\n=', output.indexOf(output.includes(' WARNINGS ') ? ' WARNINGS ' : ' SUMMARY '));
    console.log(`[schemathesis] ${Math.round((performance.now() - started) / 1000)} s; reports in test-artifacts/schemathesis/\n${output.slice(Math.max(summary, 0))}`);
    // The stateful phase ran and walked some links (a document without links gives it nothing to walk).
    expect(output).toMatch(/Stateful \(in /);
    expect(Number(/API Links:\s+(\d+) covered/.exec(output)?.[1] ?? 0), 'links the stateful phase followed').toBeGreaterThan(0);
    expect(code, `schemathesis found something (exit ${code}):\n${output}`).toBe(0);
  });
});
