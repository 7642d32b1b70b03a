// The JSON API end to end: the HTTP server (startHttpServer, as `npm start` runs it) and a case
// worker (startWorker) in this process, against the shared dev server, a test database and an
// SMTP sink. Staff accounts come from ADMIN_EMAIL/ADMIN_PASSWORD and from `casectl user add`
// (a subprocess); everything else goes through HTTP as a browser or a script would:
//
// - a case taken from opening to the end of monitoring by a coordinator, with a clinician's
//   observation and alert acknowledgements, and a second case declined and closed;
// - every error status: 400 naming fields, 401, 403 (role, CSRF), 404, 409, 429;
// - sessions that expired, sign-out, API tokens; the timeline names the signed-in actor;
// - the request log holds no password, token, email or patient data.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { CaseActions } from '../../client/actions.ts';
import { caseIdBefore20261207 } from '../../common/identifiers.ts';
import { openCaseSchema } from '../../domain/case.ts';
import { caseWorkflowId } from '../../workflows/messages.ts';
import { EncryptionCodec } from '../../codec/encryption-codec.ts';
import { parseKeysEnv } from '../../codec/keys.ts';
import { sha256 } from '../../client/accounts.ts';
import { staffActions } from '../../domain/actions.ts';
import type { HttpLogLine } from '../../client/http/server.ts';
import type { CaseStatus } from '../../domain/case.ts';
import type { TestDatabase } from '../harness/postgres.ts';
import { startService, type Service } from '../harness/service.ts';
import { caseFile, waitForStatus } from '../harness/drive.ts';
import { signInCode } from '../harness/staff.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `coordinator.${tag}@care.test`, password: `admin-password-${tag}` };
const CLINICIAN = { email: `clinician.${tag}@care.test`, password: `clinician-password-${tag}` };
const OPS = { email: `ops.${tag}@care.test`, password: `ops-password-${tag}` };
const PATIENT_REF = `PAPI-${tag}`;
const DOCS = ['medical_report', 'scans', 'pathology', 'biomarkers', 'treatment_history'];

const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `api:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

let service: Service;
let database: TestDatabase;
let http: Service['http'];
let actions: CaseActions;
let tmp: string;
let databaseUrl = '';
/** The HTTP server's log lines as written, and parsed. */
const logText: string[] = [];
const logLines: HttpLogLine[] = [];
const caseIds: string[] = [];

/** How a request authenticates: a session (cookie + CSRF token), an API token, or nothing. */
interface Agent {
  cookie?: string;
  csrf?: string;
  token?: string;
}

// JSON bodies of many shapes, asserted field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function api<T = any>(method: string, path: string, opts: { as?: Agent; body?: unknown; csrf?: string | null; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.as?.cookie) headers.cookie = opts.as.cookie;
  if (opts.as?.token) headers.authorization = `Bearer ${opts.as.token}`;
  const csrf = opts.csrf === undefined ? opts.as?.csrf : opts.csrf;
  if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${http.url}/api${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function signIn(who: { email: string; password: string }): Promise<Agent & { setCookie: string }> {
  const r = await api('POST', '/session', { body: { ...who, code: await signInCode(database.db, who.email) } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const setCookie = r.headers.getSetCookie()[0] ?? '';
  return { cookie: setCookie.split(';')[0]!, csrf: r.body.csrfToken, setCookie };
}

/** Runs casectl as a subprocess against the test database. */
function casectl(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['client/casectl.ts', ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: tmp, PAYLOAD_KEYS: env.PAYLOAD_KEYS }, timeout: 45_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/** Polls GET /api/cases/:id until `pred` holds. */
async function waitForCase(agent: Agent, caseId: string, pred: (s: CaseStatus) => boolean, what: string, timeoutMs = 30_000): Promise<CaseStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: CaseStatus | undefined;
  for (;;) {
    const r = await api<CaseStatus>('GET', `/cases/${caseId}`, { as: agent });
    if (r.status === 200) {
      last = r.body;
      if (pred(last)) return last;
    }
    if (Date.now() > deadline) throw new Error(`case ${caseId} never reached ${what}; last status: ${JSON.stringify(last)}`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

let coordinator: Agent;
let clinician: Agent;
let ops: Agent;
let apiToken = '';
const token = (): Agent => ({ token: apiToken });

beforeAll(async () => {
  service = await startService({
    name: 'api',
    env,
    log: (line) => {
      logText.push(line);
      logLines.push(JSON.parse(line) as HttpLogLine);
    },
  });
  ({ database, http, actions } = service);
  databaseUrl = database.url;
  tmp = service.dataDir;
});

afterAll(async () => {
  await service?.stop(caseIds);
});

describe('accounts', () => {
  it('created the first account from ADMIN_EMAIL and ADMIN_PASSWORD, and says how to sign in', async () => {
    // One server created it (of two production-shaped ones, the other found it there); the
    // banner on how to sign in is what startHttpServer returns, in-process only.
    expect(logLines.filter((l) => l.event === 'admin_created')).toHaveLength(1);
    if (service.shape === 'in-process') expect(http.signIn).toContain(ADMIN.email);
    const row = await database.db.selectFrom('users').selectAll().where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
    expect(row.role).toBe('coordinator');
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain(ADMIN.password);
  });

  it('casectl user add takes the password on stdin; casectl user token prints a token once', async () => {
    const add = await casectl(['user', 'add', '--email', CLINICIAN.email, '--name', 'Dr. Clin', '--role', 'clinician', '--password-stdin'], `${CLINICIAN.password}\n`);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain(`Account ${CLINICIAN.email} added (clinician)`);
    const addOps = await casectl(['user', 'add', '--email', OPS.email, '--name', 'Ops Person', '--role', 'ops', '--json'], OPS.password);
    expect(addOps.code).toBe(0);
    expect(JSON.parse(addOps.stdout)).toEqual({ email: OPS.email, name: 'Ops Person', role: 'ops', admin: false });

    const dup = await casectl(['user', 'add', '--email', OPS.email, '--name', 'Again', '--role', 'ops'], OPS.password);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/email \(--email\): an account for .* already exists/);
    const weak = await casectl(['user', 'add', '--email', `w.${tag}@care.test`, '--name', 'W', '--role', 'admin'], 'short');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/role \(--role\): must be one of coordinator, clinician, ops.*password \(standard input\): must be at least 12 characters/);

    const token = await casectl(['user', 'token', ADMIN.email, '--name', 'import script']);
    expect(token.stderr).toBe('');
    expect(token.code).toBe(0);
    apiToken = token.stdout.trim().split('\n').at(-1)!;
    expect(apiToken).toMatch(/^cct_[A-Za-z0-9_-]{43}$/);
    expect(await database.db.selectFrom('api_tokens').select('token_hash').where('token_hash', '=', sha256(apiToken)).executeTakeFirst()).toBeDefined();
    const none = await casectl(['user', 'token', `nobody.${tag}@care.test`, '--name', 'x']);
    expect(none.code).toBe(2);
  });

  it('casectl ends an account: disables and enables it, sets its password, revokes a token, resets its second factor, gives and takes the admin right; lists them all', async () => {
    const temp = { email: `temp.${tag}@care.test`, password: `temp-password-${tag}` };
    expect((await casectl(['user', 'add', '--email', temp.email, '--name', 'Temp', '--role', 'ops'], temp.password)).code).toBe(0);
    const session = await signIn(temp);
    const made = await casectl(['user', 'token', temp.email, '--name', 'dashboard', '--days', '7', '--json']);
    const { token: tempToken, expiresAt } = JSON.parse(made.stdout) as { token: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect((await api('GET', '/hospitals', { as: { token: tempToken } })).status).toBe(200);

    const revoked = await casectl(['user', 'revoke-token', temp.email, 'dashboard']);
    expect([revoked.code, revoked.stdout.trim()]).toEqual([0, `Token "dashboard" of ${temp.email} revoked.`]);
    expect((await api('GET', '/hospitals', { as: { token: tempToken } })).status).toBe(401);

    expect((await casectl(['user', 'disable', temp.email])).code).toBe(0);
    expect((await api('GET', '/hospitals', { as: session })).status).toBe(401);
    expect((await api('POST', '/session', { body: temp })).status).toBe(401);
    expect((await casectl(['user', 'enable', temp.email])).code).toBe(0);
    await signIn(temp);

    const set = await casectl(['user', 'password', temp.email], 'qwerty123456\n');
    expect([set.code, set.stderr.trim()]).toEqual([2, 'error: password (standard input): is one of the most common passwords: choose another']);
    expect((await casectl(['user', 'password', temp.email], 'a brand new long password\n')).code).toBe(0);
    expect((await api('POST', '/session', { body: temp })).status).toBe(401);
    await signIn({ email: temp.email, password: 'a brand new long password' });

    const listed = JSON.parse((await casectl(['user', 'list', '--json'])).stdout) as { email: string; disabled: boolean; tokens: { name: string }[] }[];
    expect(listed.find((u) => u.email === temp.email)).toEqual({ email: temp.email, name: 'Temp', role: 'ops', admin: false, secondFactor: true, disabled: false, tokens: [] });
    expect(listed.find((u) => u.email === ADMIN.email)?.tokens.map((t) => t.name)).toEqual(['import script']);

    // A lost phone: the operator removes the second factor; its sessions end and the API refuses the
    // account until it is set up again on the console.
    const after = await signIn({ email: temp.email, password: 'a brand new long password' });
    const reset = await casectl(['user', 'reset-second-factor', temp.email]);
    expect([reset.code, reset.stdout.trim()]).toEqual([0, `Second factor of ${temp.email} removed; it sets up a new one at its next sign-in.`]);
    expect((await api('GET', '/hospitals', { as: after })).status).toBe(401);
    const refused = await api('POST', '/session', { body: { email: temp.email, password: 'a brand new long password' } });
    expect(refused.status).toBe(403);
    expect((await casectl(['user', 'admin', temp.email])).stdout.trim()).toBe(`${temp.email} is now an admin.`);
    const relisted = JSON.parse((await casectl(['user', 'list', '--json'])).stdout) as { email: string; admin: boolean; secondFactor: boolean }[];
    expect(relisted.find((u) => u.email === temp.email)).toMatchObject({ admin: true, secondFactor: false });
    expect((await casectl(['user', 'list'])).stdout).toContain(`${temp.email}\tops\tadmin\tno second factor yet\tTemp`);
    expect((await casectl(['user', 'admin', temp.email, '--remove'])).stdout.trim()).toBe(`${temp.email} is no longer an admin.`);
    const nobody = await casectl(['user', 'disable', `nobody.${tag}@care.test`]);
    expect([nobody.code, nobody.stderr.trim()]).toEqual([2, `error: email (<email>): no account for nobody.${tag}@care.test`]);
  });
});

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie (not Secure on plain http to localhost) and answers a CSRF token', async () => {
    const s = await signIn(ADMIN);
    expect(s.setCookie).toMatch(/^sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(s.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await api('GET', '/session', { as: s });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email: ADMIN.email, role: 'coordinator' }, csrfToken: s.csrf });
    // Only the hash of the cookie's token is stored.
    const token = s.cookie!.slice('sid='.length);
    expect(await database.db.selectFrom('sessions').select('id').where('id', '=', token).executeTakeFirst()).toBeUndefined();
    expect(await database.db.selectFrom('sessions').select('id').where('id', '=', sha256(token)).executeTakeFirst()).toBeDefined();
    coordinator = s;
    clinician = await signIn(CLINICIAN);
    ops = await signIn(OPS);
  });

  it('marks the cookie Secure for any other host', async () => {
    const url = new URL(`${http.url}/api/session`);
    const setCookie = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host: 'care.example.org', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(String(res.headers['set-cookie']?.[0] ?? ''));
      });
      req.on('error', reject);
      signInCode(database.db, CLINICIAN.email).then((code) => req.end(JSON.stringify({ ...CLINICIAN, code })), reject);
    });
    expect(setCookie).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  });

  it('refuses a sign-in from another site or an opaque origin (403) and one that is not JSON (415), setting no session', async () => {
    for (const origin of ['https://evil.example', 'null', 'not a url']) {
      const r = await api('POST', '/session', { body: ADMIN, headers: { origin } });
      expect([r.status, r.body.error, r.headers.get('set-cookie')], origin).toEqual([403, "sign in from this service's own pages: a sign-in from another site is refused", null]);
    }
    const form = await fetch(`${http.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: new URLSearchParams(ADMIN).toString() });
    expect([form.status, form.headers.get('set-cookie')]).toEqual([415, null]);
    const plain = await fetch(`${http.url}/api/session`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(ADMIN) });
    expect([plain.status, plain.headers.get('set-cookie')]).toEqual([415, null]);
    // From the service's own pages it signs in.
    const own = await api('POST', '/session', { body: { ...ADMIN, code: await signInCode(database.db, ADMIN.email) }, headers: { origin: new URL(http.url).origin } });
    expect(own.status).toBe(200);
  });

  it('refuses a wrong password with 401 and bad sign-in input with 400 naming the fields', async () => {
    const wrong = await api('POST', '/session', { body: { email: ADMIN.email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'wrong email or password' });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const bad = await api('POST', '/session', { body: { email: 'nope', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['', 'email', 'password']);
  });
});

describe('a case through the API', () => {
  let caseId = '';

  it('adds hospitals (coordinator) and lists them (any role)', async () => {
    for (const h of [
      { code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.example', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' },
      { code: 'HCB', name: 'Hospital Clínic', email: 'intl@hcb.example', language: 'es', timezone: 'Europe/Madrid' },
    ]) {
      const r = await api('POST', '/hospitals', { as: coordinator, body: h });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const dup = await api('POST', '/hospitals', { as: coordinator, body: { code: 'HKU', name: 'x', email: 'x@x.example', language: 'en', timezone: 'UTC' } });
    // The document allows the code; it is taken: the state refuses it.
    expect(dup.status).toBe(409);
    expect(dup.body.fields).toEqual([{ field: 'code', message: 'a hospital with code HKU already exists' }]);
    const listed = await api('GET', '/hospitals', { as: ops });
    expect(listed.status).toBe(200);
    expect(listed.body.map((h: { code: string }) => h.code)).toEqual(['HCB', 'HKU']);
  });

  it('opens a case (201), and finds the same one again (200)', async () => {
    const file = caseFile({ patientRef: PATIENT_REF, family: { language: 'es', timeZone: 'Europe/Madrid' } });
    const opened = await api('POST', '/cases', { as: coordinator, body: file });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expect(opened.body).toEqual({ caseId: expect.stringMatching(/^c[0-9a-f]{12}$/), created: true });
    caseId = opened.body.caseId;
    caseIds.push(caseId);
    const again = await api('POST', '/cases', { as: coordinator, body: file });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ caseId, created: false });
    // The id is keyed: not the bare hash of the patient reference that anyone could compute.
    expect(caseId).not.toBe(caseIdBefore20261207(PATIENT_REF));
    await waitForCase(ops, caseId, (s) => s.stage === 'records', 'records');
  });

  it('finds a case opened before ids were keyed (its id the bare hash) when it is opened again', async () => {
    const ref = `PLEGACY-${tag}`;
    const legacy = caseIdBefore20261207(ref);
    const file = caseFile({ patientRef: ref });
    await service.client.workflow.start('caseWorkflow', {
      taskQueue: service.taskQueue,
      workflowId: caseWorkflowId(legacy),
      args: [{ ...openCaseSchema().parse(file), caseId: legacy, openedBy: ADMIN.email }],
    });
    caseIds.push(legacy);
    const again = await api('POST', '/cases', { as: coordinator, body: file });
    expect([again.status, again.body]).toEqual([200, { caseId: legacy, created: false }]);
  });

  it('records documents (one waived); translations are requested for the English-speaking hospital', async () => {
    for (const documentType of DOCS.slice(0, 4)) {
      const r = await api<CaseStatus>('POST', `/cases/${caseId}/actions/receiveDocument`, { as: coordinator, body: { documentType, language: 'es' } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.documents[documentType]?.status).toBe('received');
    }
    const waived = await api<CaseStatus>('POST', `/cases/${caseId}/actions/waiveDocument`, { as: coordinator, body: { documentType: 'treatment_history', reason: 'no prior lines at this centre' } });
    expect(waived.status, JSON.stringify(waived.body)).toBe(200);
    await waitForCase(coordinator, caseId, (s) => s.stage === 'translation', 'translation');

    const submitted = await api<CaseStatus>('POST', `/cases/${caseId}/actions/submitToHospitals`, { as: coordinator, body: { hospitals: ['HKU', 'HCB'] } });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    expect(submitted.body.submissions.map((s) => [s.hospitalCode, s.language])).toEqual([
      ['HKU', 'en'],
      ['HCB', 'es'],
    ]);
    // Nothing is translated or sent before the family approves both hospitals (recorded here by the coordinator).
    const asking = await waitForCase(coordinator, caseId, (s) => s.waitingFor.from === 'family', "the family's approval");
    expect(asking.waitingFor.what).toBe("the family's approval to share the case with HKU, HCB");
    expect(Object.values(asking.documents).some((d) => d.translation === 'pending')).toBe(false);
    for (const hospitalCode of ['HKU', 'HCB']) {
      const r = await api<CaseStatus>('POST', `/cases/${caseId}/actions/approveSharing`, { as: coordinator, body: { hospitalCode } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const translating = await waitForCase(coordinator, caseId, (s) => Object.values(s.documents).some((d) => d.translation === 'pending'), 'translations pending');
    const pending = Object.entries(translating.documents).filter(([, d]) => d.translation === 'pending').map(([t]) => t);
    expect(pending.sort()).toEqual(DOCS.slice(0, 4).sort());
    for (const documentType of pending) {
      const r = await api('POST', `/cases/${caseId}/actions/completeTranslation`, { as: coordinator, body: { documentType } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    await waitForCase(coordinator, caseId, (s) => s.stage === 'hospital_review' && s.submissions.every((x) => x.status === 'pending'), 'hospital review');
  });

  it('records both acceptances, chooses one, plans and confirms the admission', async () => {
    for (const hospitalCode of ['HKU', 'HCB']) {
      const r = await api('POST', `/cases/${caseId}/actions/recordDecision`, { as: coordinator, body: { hospitalCode, decision: 'accepted' } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const chosen = await api<CaseStatus>('POST', `/cases/${caseId}/actions/chooseHospital`, { as: coordinator, body: { hospitalCode: 'HKU' } });
    expect(chosen.status, JSON.stringify(chosen.body)).toBe(200);
    await waitForCase(coordinator, caseId, (s) => s.stage === 'admission' && s.chosenHospital === 'HKU', 'admission at HKU');

    const admissionAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const planned = await api<CaseStatus>('POST', `/cases/${caseId}/actions/planAdmission`, { as: coordinator, body: { hospitalCode: 'HKU', admissionAt, contact: 'Ward 7' } });
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body.admission).toMatchObject({ hospitalCode: 'HKU', contact: 'Ward 7' });
    const confirmed = await api('POST', `/cases/${caseId}/actions/confirmAdmission`, { as: coordinator });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    await waitForCase(coordinator, caseId, (s) => s.stage === 'monitoring', 'monitoring');
  });

  it('records the infusion; a clinician records observations and acknowledges the alerts they raise', async () => {
    const infused = await api<CaseStatus>('POST', `/cases/${caseId}/actions/recordInfusion`, { as: coordinator, body: { at: new Date(Date.now() - 10 * 60_000).toISOString() } });
    expect(infused.status, JSON.stringify(infused.body)).toBe(200);
    expect(infused.body.infusionAt).toBeTruthy();

    const critical = await api('POST', `/cases/${caseId}/clinical`, { as: clinician, body: { temperatureC: 39.1, vasopressors: ['norepinephrine'] } });
    expect(critical.status, JSON.stringify(critical.body)).toBe(200);
    expect(critical.body).toMatchObject({ crs: { grade: 3 }, tier: 'critical', alertId: expect.any(String) });
    const acked = await api<CaseStatus>('POST', `/cases/${caseId}/alerts/${critical.body.alertId}/ack`, { as: clinician });
    expect(acked.status, JSON.stringify(acked.body)).toBe(200);
    expect(acked.body.alerts.find((a) => a.id === critical.body.alertId)).toMatchObject({ acknowledgedBy: CLINICIAN.email });

    // The same two, as named actions.
    const again = await api('POST', `/cases/${caseId}/actions/recordClinical`, { as: clinician, body: { observation: { temperatureC: 38.3, oxygen: { device: 'nasal_cannula', flowLpm: 7 } } } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.alertId).toEqual(expect.any(String));
    const ack2 = await api('POST', `/cases/${caseId}/actions/acknowledgeAlert`, { as: coordinator, body: { alertId: again.body.alertId } });
    expect(ack2.status, JSON.stringify(ack2.body)).toBe(200);
  });

  it('ends monitoring; a follow-up outcome before any contact is refused (409); then cancels the case', async () => {
    const ended = await api('POST', `/cases/${caseId}/actions/endMonitoring`, { as: coordinator });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    await waitForCase(coordinator, caseId, (s) => s.stage === 'follow_up', 'follow-up');
    const early = await api('POST', `/cases/${caseId}/actions/recordFollowUp`, { as: coordinator, body: { outcome: 'well' } });
    expect(early.status).toBe(409);
    expect(early.body).toEqual({ error: expect.stringMatching(/^refused: no follow-up contact is waiting/), reason: expect.stringMatching(/^no follow-up contact is waiting/) });
    const cancelled = await api<CaseStatus>('POST', `/cases/${caseId}/actions/cancelCase`, { as: coordinator, body: { reason: 'treatment continues at home' } });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await waitForCase(ops, caseId, (s) => s.stage === 'cancelled', 'cancelled');
  });

  it('shows the case to every role: list (paginated), status, emails, timeline with the signed-in actors', async () => {
    const list = await api('GET', '/cases?page=1&pageSize=10', { as: ops });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, pageSize: 10, total: expect.any(Number) });
    expect(list.body.cases.map((c: { caseId: string }) => c.caseId)).toContain(caseId);
    const byStage = await api('GET', '/cases?stage=cancelled', { as: clinician });
    expect(byStage.body.cases.map((c: { caseId: string }) => c.caseId)).toContain(caseId);
    const page2 = await api('GET', '/cases?page=2&pageSize=200', { as: ops });
    expect(page2.body.cases).toEqual([]);
    // A name is searched for in a body, never in a URL.
    const found = await api('POST', '/cases/search', { as: ops, body: { search: 'ana ops' } });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.cases.map((c: { caseId: string }) => c.caseId)).toContain(caseId);
    const inUrl = await api('GET', '/cases?search=Ana', { as: ops });
    expect([inUrl.status, JSON.stringify(inUrl.body)]).toEqual([400, expect.stringContaining('search')]);

    const emails = await api('GET', `/cases/${caseId}/emails`, { as: ops });
    expect(emails.status).toBe(200);
    expect(emails.body.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['case_opened', 'sharing_request', 'translation_task', 'hospital_submission']));

    const timeline = await api<{ kind: string; actor: string }[]>('GET', `/cases/${caseId}/timeline`, { as: token() });
    expect(timeline.status).toBe(200);
    const actorOf = (kind: string) => timeline.body.filter((t) => t.kind === kind).map((t) => t.actor);
    expect(actorOf('case_opened')).toEqual([ADMIN.email]);
    expect(actorOf('document_received')).toEqual(Array(4).fill(ADMIN.email));
    expect(actorOf('sharing_approved')).toEqual([ADMIN.email, ADMIN.email]);
    expect(actorOf('translation_done')).toEqual(Array(4).fill(ADMIN.email));
    expect(actorOf('hospital_chosen')).toEqual([ADMIN.email]);
    expect(actorOf('infusion_recorded')).toEqual([ADMIN.email]);
    expect(new Set(timeline.body.map((t) => t.actor))).toContain(CLINICIAN.email);
    expect(timeline.body.filter((t) => t.actor === CLINICIAN.email).length).toBeGreaterThanOrEqual(2);
  });

  it('declines and closes another case; an API token acts without a CSRF token', async () => {
    const opened = await api('POST', '/cases', { as: token(), body: caseFile() });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const other = opened.body.caseId as string;
    caseIds.push(other);
    await waitForStatus(actions, other, (s) => s.stage === 'records', 'records');
    for (const documentType of DOCS) expect((await api('POST', `/cases/${other}/actions/receiveDocument`, { as: token(), body: { documentType, language: 'en' } })).status).toBe(200);
    await waitForCase(token(), other, (s) => s.stage === 'translation', 'all documents in');
    expect((await api('POST', `/cases/${other}/actions/submitToHospitals`, { as: token(), body: { hospitals: ['HKU'] } })).status).toBe(200);
    await waitForCase(token(), other, (s) => s.waitingFor.from === 'family', "the family's approval");
    expect((await api('POST', `/cases/${other}/actions/approveSharing`, { as: token(), body: { hospitalCode: 'HKU' } })).status).toBe(200);
    await waitForCase(token(), other, (s) => s.stage === 'hospital_review' && s.submissions[0]?.status === 'pending', 'hospital review');
    const declined = await api('POST', `/cases/${other}/actions/recordDecision`, { as: token(), body: { hospitalCode: 'HKU', decision: 'declined', reason: 'not eligible' } });
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    await waitForCase(token(), other, (s) => s.stage === 'navigation', 'navigation');
    const closed = await api('POST', `/cases/${other}/actions/closeCase`, { as: token(), body: { reason: 'family chose a trial at home' } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    await waitForCase(token(), other, (s) => s.stage === 'closed', 'closed');
    // Over: any further action is refused with the reason.
    const late = await api('POST', `/cases/${other}/actions/cancelCase`, { as: token(), body: { reason: 'x' } });
    expect(late.status).toBe(409);
    expect(late.body.reason).toMatch(/the case is closed/);
    const row = await database.db.selectFrom('api_tokens').select('last_used_at').where('token_hash', '=', sha256(apiToken)).executeTakeFirstOrThrow();
    expect(row.last_used_at).toBeInstanceOf(Date);
  });
});

describe('errors', () => {
  it('400 names the fields, for bodies, queries and the actor', async () => {
    const bad = await api('POST', '/cases', { as: coordinator, body: { patientRef: 'P-x', diagnosis: 'd', therapy: 't', family: { name: 'N', email: 'not-an-email', language: 'en', timeZone: 'Mars/Olympus' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field)).toEqual(['family.email', 'family.timeZone']);
    expect(bad.body.error).toMatch(/family\.email: must be an email address/);

    const c = caseIds[0]!;
    const date = await api('POST', `/cases/${c}/actions/planAdmission`, { as: coordinator, body: { hospitalCode: 'HKU', admissionAt: 'tomorrow' } });
    expect(date.status).toBe(400);
    expect(date.body.fields).toEqual([{ field: 'admissionAt', message: expect.stringMatching(/ISO date-time/) }]);
    const actor = await api('POST', `/cases/${c}/actions/receiveDocument`, { as: coordinator, body: { documentType: 'scans', actor: 'someone.else@care.test' } });
    expect(actor.status).toBe(400);
    expect(actor.body.fields).toEqual([{ field: 'actor', message: expect.stringMatching(/signed-in account/) }]);
    // A code the document allows, of no hospital registered: 409 (the state's refusal), naming it.
    const hospitals = await api('POST', `/cases/${c}/actions/submitToHospitals`, { as: coordinator, body: { hospitals: ['NOPE'] } });
    expect(hospitals.status).toBe(409);
    expect(hospitals.body.fields).toEqual([{ field: 'hospitalCode', message: expect.stringMatching(/no hospital with code NOPE/) }]);
    const obs = await api('POST', `/cases/${c}/clinical`, { as: clinician, body: { temperatureC: 60 } });
    expect(obs.status).toBe(400);
    expect(obs.body.fields[0].field).toBe('observation.temperatureC');
    const stage = await api('GET', '/cases?stage=limbo&page=0', { as: ops });
    expect(stage.status).toBe(400);
    expect(stage.body.fields.map((f: { field: string }) => f.field)).toEqual(['stage', 'page']);
    const notJson = await fetch(`${http.url}/api/cases`, { method: 'POST', headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, body: '{"patientRef": ' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: expect.any(String), fields: [expect.objectContaining({ field: '' })] });
  });

  it('401 without a session or with a bad token', async () => {
    for (const r of [
      await api('GET', '/cases'),
      await api('GET', `/cases/${caseIds[0]}`, { as: { cookie: 'sid=forged' } }),
      await api('GET', '/hospitals', { as: { token: 'cct_forged' } }),
      await api('POST', '/cases', { body: caseFile() }),
    ]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: 'not signed in' });
    }
  });

  it('403 for the wrong role: ops may only read, clinicians may not coordinate', async () => {
    const c = caseIds[0]!;
    const opsAction = await api('POST', `/cases/${c}/actions/receiveDocument`, { as: ops, body: { documentType: 'scans' } });
    expect(opsAction.status).toBe(403);
    expect(opsAction.body).toEqual({ error: 'a ops account may not do this' });
    expect((await api('POST', `/cases/${c}/clinical`, { as: ops, body: { temperatureC: 37 } })).status).toBe(403);
    expect((await api('POST', `/cases/${c}/alerts/a1/ack`, { as: ops })).status).toBe(403);
    expect((await api('POST', '/hospitals', { as: ops, body: {} })).status).toBe(403);
    const clin = await api('POST', `/cases/${c}/actions/cancelCase`, { as: clinician, body: { reason: 'x' } });
    expect(clin.status).toBe(403);
    expect(clin.body).toEqual({ error: 'a clinician account may not do this' });
    expect((await api('POST', '/cases', { as: clinician, body: caseFile() })).status).toBe(403);
  });

  it('403 without the CSRF token, or with a wrong one, when signed in by cookie', async () => {
    const missing = await api('POST', '/cases', { as: coordinator, body: caseFile(), csrf: null });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: 'missing or wrong X-CSRF-Token header' });
    const wrong = await api('POST', '/cases', { as: coordinator, body: caseFile(), csrf: clinician.csrf! });
    expect(wrong.status).toBe(403);
    expect((await api('DELETE', '/session', { as: coordinator, csrf: null })).status).toBe(403);
    // Reads need none.
    expect((await api('GET', '/cases', { as: coordinator, csrf: null })).status).toBe(200);
  });

  it('404 for an unknown case and an unknown action', async () => {
    for (const r of [
      await api('GET', '/cases/c000000000000', { as: ops }),
      await api('GET', '/cases/c000000000000/timeline', { as: ops }),
      await api('GET', '/cases/c000000000000/emails', { as: ops }),
      await api('POST', '/cases/c000000000000/actions/receiveDocument', { as: coordinator, body: { documentType: 'scans' } }),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: 'case c000000000000 does not exist' });
    }
    const action = await api('POST', `/cases/${caseIds[0]}/actions/submitCheckin`, { as: coordinator, body: {} });
    expect(action.status).toBe(404);
  });

  it('409 when the case refuses the action, with the reason', async () => {
    const r = await api('POST', `/cases/${caseIds[0]}/actions/receiveDocument`, { as: coordinator, body: { documentType: 'scans' } });
    expect(r.status).toBe(409);
    expect(r.body.reason).toMatch(/the case is cancelled/);
  });
});

describe('sessions', () => {
  it('a session past its expiry is refused (401) and removed', async () => {
    const s = await signIn(OPS);
    const id = sha256(s.cookie!.slice('sid='.length));
    await database.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute();
    expect((await api('GET', '/cases', { as: s })).status).toBe(401);
    expect(await database.db.selectFrom('sessions').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();

    // One made directly with a past expiry, as a session left idle for 12 hours would be.
    const user = await database.db.selectFrom('users').select('id').where('email', '=', OPS.email).executeTakeFirstOrThrow();
    const raw = randomBytes(32).toString('base64url');
    await database.db.insertInto('sessions').values({ id: sha256(raw), user_id: user.id, expires_at: new Date(Date.now() - 60_000), csrf_token: 'x' }).execute();
    expect((await api('GET', '/hospitals', { as: { cookie: `sid=${raw}` } })).status).toBe(401);
  });

  it('each use slides the idle expiry on', async () => {
    const s = await signIn(OPS);
    const id = sha256(s.cookie!.slice('sid='.length));
    const soon = new Date(Date.now() + 60 * 60_000);
    await database.db.updateTable('sessions').set({ expires_at: soon }).where('id', '=', id).execute();
    expect((await api('GET', '/cases', { as: s })).status).toBe(200);
    const row = await database.db.selectFrom('sessions').select('expires_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + 11 * 3_600_000);
  });

  it('ends 24 hours after the sign-in however busy it was, and never slides past that', async () => {
    const s = await signIn(OPS);
    const id = sha256(s.cookie!.slice('sid='.length));
    const began = new Date(Date.now() - 23.5 * 3_600_000);
    await database.db.updateTable('sessions').set({ created_at: began, expires_at: new Date(Date.now() + 60_000) }).where('id', '=', id).execute();
    expect((await api('GET', '/cases', { as: s })).status).toBe(200);
    const row = await database.db.selectFrom('sessions').select('expires_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.expires_at.getTime()).toBe(began.getTime() + 24 * 3_600_000);
    await database.db.updateTable('sessions').set({ created_at: new Date(Date.now() - 24 * 3_600_000 - 1000), expires_at: new Date(Date.now() + 3_600_000) }).where('id', '=', id).execute();
    expect((await api('GET', '/cases', { as: s })).status).toBe(401);
  });

  it('signing out ends the session and clears the cookie', async () => {
    const s = await signIn(CLINICIAN);
    const out = await api('DELETE', '/session', { as: s });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^sid=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
    expect((await api('GET', '/cases', { as: s })).status).toBe(401);
  });
});

describe('the codec the Web UI decodes through', () => {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const asJson = (p: Payload) => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v!)])), data: b64(p.data ?? new Uint8Array()) });
  const encrypted = async (keys = env.PAYLOAD_KEYS!) => ({ payloads: (await new EncryptionCodec(parseKeysEnv(keys)).encode([defaultPayloadConverter.toPayload({ patientRef: PATIENT_REF })])).map(asJson) });
  const decode = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${http.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const plaintext = async (r: Response) => Buffer.from(((await r.json()) as { payloads: { data: string }[] }).payloads[0]!.data, 'base64').toString();

  it('decodes for a signed-in staff account only: never for a loopback peer however it says it is forwarded, nor a token or cookie it does not know', async () => {
    const body = await encrypted();
    for (const headers of [{}, { 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { authorization: 'Bearer not-a-token' }, { cookie: 'sid=forged' }] as Record<string, string>[]) {
      const r = await decode(body, headers);
      expect([r.status, await r.text()], JSON.stringify(headers)).toEqual([401, '{"error":"unauthorized"}']);
    }
    const asOps = await decode(body, { cookie: ops.cookie!, 'x-namespace': 'default' });
    expect(asOps.status).toBe(200);
    expect(await plaintext(asOps)).toContain(PATIENT_REF);
    const withToken = await decode(body, { authorization: `Bearer ${apiToken}` });
    expect(await plaintext(withToken)).toContain(PATIENT_REF);
  });

  it('names no key id when a payload cannot be decoded', async () => {
    const r = await decode(await encrypted(`retired-key:${randomBytes(32).toString('base64')}`), { cookie: ops.cookie! });
    expect(r.status).toBe(422);
    expect(await r.json()).toEqual({ error: 'decode failed: a payload could not be decoded (an unknown or retired key, or damaged data)' });
  });

  it('logs each decode with the account and the namespace, never the payload', async () => {
    const opsId = (await database.db.selectFrom('users').select('id').where('email', '=', OPS.email).executeTakeFirstOrThrow()).id;
    const used = logLines.filter((l) => l.event === 'codec_used');
    expect(used).toContainEqual(expect.objectContaining({ kind: 'decode', via: 'session', userId: opsId, namespace: 'default', size: 1 }));
    expect(used).toContainEqual(expect.objectContaining({ kind: 'decode', via: 'api-token', size: 1 }));
    expect(logText.join('\n')).not.toContain(PATIENT_REF);
  });
});

describe('OpenAPI', () => {
  it('documents every route, with the action bodies generated from their schemas', async () => {
    const r = await api('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const paths = Object.keys(r.body.paths);
    for (const name of staffActions()) expect(paths).toContain(`/api/cases/{caseId}/actions/${name}`);
    expect(paths).toEqual(expect.arrayContaining(['/api/session', '/api/cases', '/api/cases/{caseId}', '/api/cases/{caseId}/emails', '/api/cases/{caseId}/timeline', '/api/hospitals', '/api/cases/{caseId}/clinical', '/api/cases/{caseId}/alerts/{alertId}/ack']));
    expect(Object.keys(r.body.paths['/api/session'])).toEqual(expect.arrayContaining(['post', 'get', 'delete']));
    const plan = r.body.paths['/api/cases/{caseId}/actions/planAdmission'].post;
    expect(plan.requestBody.content['application/json'].schema.required).toEqual(['hospitalCode', 'admissionAt']);
    expect(plan.requestBody.content['application/json'].schema.properties.actor).toBeUndefined();
    expect(Object.keys(plan.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409']));
    expect(r.body.paths['/api/cases'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['stage', 'hospital', 'alert', 'page', 'pageSize']);
  });
});

describe('sign-in throttling', () => {
  it('counts a burst of simultaneous wrong passwords in full, on every HTTP server', async () => {
    const email = `burst.${tag}@care.test`;
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => api('POST', '/session', { body: { email, password: `wrong-password-${i}` } }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(35);
  });

  it('after 5 failed sign-ins for an email, even the right password is refused with 429', async () => {
    for (let i = 0; i < 5; i++) expect((await api('POST', '/session', { body: { email: OPS.email, password: `wrong-${i}` } })).status).toBe(401);
    const blocked = await api('POST', '/session', { body: OPS });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other accounts still sign in.
    await signIn(CLINICIAN);
  });

  it('after 20 failed sign-ins from one address, every sign-in from it is refused with 429', async () => {
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) status = (await api('POST', '/session', { body: { email: `guess${i}.${tag}@care.test`, password: 'guessing-password' } })).status;
    const blocked = await api('POST', '/session', { body: CLINICIAN });
    expect(blocked.status).toBe(429);
    // A signed-in session is not affected.
    expect((await api('GET', '/cases', { as: coordinator })).status).toBe(200);
  });
});

describe('logs', () => {
  it('log one line per request with the route pattern and ids: no email, password, token or patient data', async () => {
    const text = logText.join('\n');
    expect(logLines.some((l) => l.event === 'request' && l.route === '/api/cases/:caseId/actions/receiveDocument' && l.caseId === caseIds[0] && typeof l.userId === 'number')).toBe(true);
    for (const secret of [ADMIN.email, ADMIN.password, CLINICIAN.email, CLINICIAN.password, OPS.password, apiToken, coordinator.cookie!.slice(4), coordinator.csrf!, PATIENT_REF]) {
      expect(text).not.toContain(secret);
    }
    expect(logLines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
