// While no case worker answers (a worker restarting), people are answered quickly and nothing is
// applied twice: reads show what Postgres recorded, saying so; an action says it may still be applied
// and how to retry it; a retry with the same request id (casectl --request-id, the API's
// Idempotency-Key) is applied once and answers as the first did. Real casectl subprocesses, the HTTP
// server and a worker that the test stops and starts again, on the shared dev server.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../config.ts';
import { startHttpServer, type RunningHttpServer } from '../../client/http/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { createAccounts } from '../../client/accounts.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { caseFile } from '../harness/drive.ts';
import { signInCode } from '../harness/staff.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `retries.${tag}@care.test`, password: `retries-password-${tag}` };
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `retries:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

let database: TestDatabase;
let sink: SmtpSink;
let worker: RunningWorker | undefined;
let http: RunningHttpServer;
let workerConfig: AppConfig;
let dataDir: string;
let cliEnv: NodeJS.ProcessEnv;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'retries-'));
  [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const base = { TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: `retries-${tag}`, SMTP_URL: sink.url, DATA_DIR: dataDir, DATABASE_URL: database.url, APP_BASE_URL: 'http://care.test' };
  workerConfig = loadConfig({ ...base, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'WARN' });
  worker = await startWorker(workerConfig, { env, writeLog: () => {} });
  http = await startHttpServer(loadConfig({ ...base, PORT: '0' }), { env, host: '127.0.0.1', log: () => {} });
  // The HTTP server made the ADMIN account at start; casectl acts as it.
  const { token } = await createAccounts(database.db).createApiToken(ADMIN.email, 'retries casectl', 1);
  cliEnv = { ...process.env, ...base, ...env, CASECTL_TOKEN: token, CASECTL_TIMEOUT_SECONDS: '6' };
  const r = await fetch(`${http.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ADMIN, code: await signInCode(database.db, ADMIN.email) }) });
  session = { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
  await cli(['hospital', 'add', '--code', 'RTY', '--name', 'Retry Hospital', '--email', 'intl@rty.test', '--language', 'en', '--timezone', 'UTC']);
});

afterAll(async () => {
  await worker?.shutdown().catch(() => undefined);
  await http?.close();
  await sink?.stop();
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['client/casectl.ts', ...args], { cwd: root, env: cliEnv, timeout: 45_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${http.url}/api${path}`, { method, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });

async function caseInAdmission(): Promise<string> {
  const opened = await api('POST', '/cases', { ...caseFile(), requiredDocuments: ['medical_report'] });
  const { caseId } = (await opened.json()) as { caseId: string };
  expect((await cli(['records', 'receive', caseId, 'medical_report', '--language', 'en'])).code).toBe(0);
  expect((await cli(['hospital', 'submit', caseId, 'RTY'])).code).toBe(0);
  // The family said yes by phone as the hospital was chosen: the coordinator records it at once.
  expect((await cli(['hospital', 'approve', caseId, 'RTY'])).code).toBe(0);
  for (let i = 0; i < 100; i++) {
    const r = await cli(['hospital', 'decision', caseId, 'RTY', 'accepted']);
    if (r.code === 0) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  for (let i = 0; ; i++) {
    const s = JSON.parse((await cli(['case', 'show', caseId, '--json'])).stdout) as { stage: string };
    if (s.stage === 'admission') return caseId;
    if (i > 100) throw new Error('never reached admission');
    await new Promise((res) => setTimeout(res, 200));
  }
}

const timelineKinds = async (caseId: string, kind: string) => (await database.db.selectFrom('timeline').select('kind').where('case_id', '=', caseId).where('kind', '=', kind).execute()).length;

describe('with no case worker answering', () => {
  it('reads answer from Postgres saying so; an action says how to retry it, and the retry is applied once', async () => {
    const caseId = await caseInAdmission();
    await worker!.shutdown();
    worker = undefined;

    const started = Date.now();
    const show = await cli(['case', 'show', caseId]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('stage admission');
    expect(show.stdout).toMatch(/as recorded at .*the case's worker did not answer in time/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const viaApi = await api('GET', `/cases/${caseId}`);
    expect(viaApi.status).toBe(200);
    expect(((await viaApi.json()) as { stage: string; recorded?: { asOf: string } }).recorded?.asOf).toBeTruthy();

    // A case opened now has a workflow but no row yet: "try again", not "no such case".
    const opened = await api('POST', '/cases', { ...caseFile(), requiredDocuments: ['medical_report'] });
    expect(opened.status).toBe(201);
    const fresh = await api('GET', `/cases/${((await opened.json()) as { caseId: string }).caseId}`);
    expect(fresh.status).toBe(503);
    expect(fresh.headers.get('retry-after')).toBeTruthy();
    expect(await fresh.json()).toEqual({ error: expect.stringMatching(/is being opened and no worker has answered yet: try again shortly$/) });
    expect((await api('GET', '/cases/c0000000000ff')).status).toBe(404);

    const admissionAt = new Date(Date.now() + 5 * 86400_000).toISOString();
    const first = await cli(['admission', 'plan', caseId, '--hospital', 'RTY', '--date', admissionAt, '--contact', 'Ms Chan']);
    expect(first.code).toBe(5);
    const requestId = /--request-id (\S+)/.exec(first.stderr)?.[1];
    expect(requestId, first.stderr).toBeTruthy();

    worker = await startWorker(workerConfig, { env, writeLog: () => {} });
    const again = await cli(['admission', 'plan', caseId, '--hospital', 'RTY', '--date', admissionAt, '--contact', 'Ms Chan', '--request-id', requestId!, '--json']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ stage: 'admission', admission: { contact: 'Ms Chan' } });
    // The same request once more: the first outcome, nothing applied again.
    const third = await cli(['admission', 'plan', caseId, '--hospital', 'RTY', '--date', admissionAt, '--contact', 'Ms Chan', '--request-id', requestId!]);
    expect(third.code).toBe(0);
    expect(await timelineKinds(caseId, 'admission_planned')).toBe(1);
    await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'admission_plan');
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.filter((m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'admission_plan')).toHaveLength(1);
  }, 120_000);

  it('the API applies a request with the same Idempotency-Key once and answers as the first did', async () => {
    const caseId = await caseInAdmission();
    const key = `key-${randomBytes(6).toString('hex')}`;
    const body = { hospitalCode: 'RTY', admissionAt: new Date(Date.now() + 3 * 86400_000).toISOString(), notes: 'first' };
    const one = await api('POST', `/cases/${caseId}/actions/planAdmission`, body, { 'idempotency-key': key });
    expect(one.status).toBe(200);
    const two = await api('POST', `/cases/${caseId}/actions/planAdmission`, { ...body, notes: 'second' }, { 'idempotency-key': key });
    expect(two.status).toBe(200);
    expect(((await two.json()) as { admission: { notes: string } }).admission.notes).toBe('first');
    expect(await timelineKinds(caseId, 'admission_planned')).toBe(1);
    const bad = await api('POST', `/cases/${caseId}/actions/confirmAdmission`, {}, { 'idempotency-key': 'x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe('Idempotency-Key');
  });
});
