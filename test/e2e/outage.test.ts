// PostgreSQL or Temporal away: every door answers 503 with Retry-After and its own kind words (the
// console a page, the API JSON, the family a page in their language with the team's number), never
// 500, but reading a case, which answers from Postgres while Temporal is away; all of them work again
// by themselves once the dependency is back. The HTTP server talks to
// both through TCP proxies that the test cuts and restores, so the refusals are real.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { startHttpServer, type RunningHttpServer } from '../../client/http/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.ts';
import { caseFile } from '../harness/drive.ts';
import { signInCode } from '../harness/staff.ts';

const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `outage.${tag}@care.test`, password: `outage-password-${tag}` };
const secret = randomBytes(32);
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `outage:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: secret.toString('base64'),
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

let database: TestDatabase;
let sink: SmtpSink;
let worker: RunningWorker;
let http: RunningHttpServer;
let pgProxy: TcpProxy;
let temporalProxy: TcpProxy;
let dataDir: string;
let cookie = '';
let csrf = '';
let caseId = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outage-'));
  [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const temporalAddress = inject('temporalAddress');
  const [host, port] = temporalAddress.split(':');
  const pg = new URL(database.url);
  [pgProxy, temporalProxy] = await Promise.all([startTcpProxy({ host: pg.hostname, port: Number(pg.port) }), startTcpProxy({ host: host!, port: Number(port) })]);
  const base = { TASK_QUEUE: `outage-${tag}`, SMTP_URL: sink.url, DATA_DIR: dataDir, APP_BASE_URL: 'http://care.test', COORDINATOR_EMAIL: 'coordinator@care.test' };
  // The worker talks to both directly: only the HTTP server's dependencies go away.
  worker = await startWorker(loadConfig({ ...base, TEMPORAL_ADDRESS: temporalAddress, DATABASE_URL: database.url, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'WARN' }), { env, writeLog: () => {} });
  http = await startHttpServer(loadConfig({ ...base, TEMPORAL_ADDRESS: `127.0.0.1:${temporalProxy.port}`, DATABASE_URL: pgProxy.via(database.url), PORT: '0' }), { env, host: '127.0.0.1', log: () => {} });

  const signIn = await fetch(`${http.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ADMIN, code: await signInCode(database.db, ADMIN.email) }) });
  expect(signIn.status).toBe(200);
  cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
  const opened = await fetch(`${http.url}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify(caseFile({ patientRef: `POUT-${tag}` })) });
  expect(opened.status).toBe(201);
  caseId = ((await opened.json()) as { caseId: string }).caseId;
});

afterAll(async () => {
  await pgProxy?.restore().catch(() => undefined);
  await temporalProxy?.restore().catch(() => undefined);
  await worker?.shutdown().catch(() => undefined);
  await http?.close();
  await Promise.all([pgProxy?.stop(), temporalProxy?.stop(), sink?.stop(), database?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`${http.url}${path}`, { headers: { cookie, 'accept-language': 'es' } });
const checkinPath = () => `/checkin/${createCheckinLinks(secret).sign({ caseId, checkinId: 1, expiresAt: Date.now() + 3600_000 })}`;

/** Polls until `path` answers `status` (the pool and the gRPC channel reconnect in their own time). */
async function eventually(path: string, status: number): Promise<Response> {
  let last: Response | undefined;
  for (let i = 0; i < 60; i++) {
    last = await get(path);
    if (last.status === status) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${path} answered ${last?.status}, not ${status}`);
}

describe('dependencies away', () => {
  it('PostgreSQL away: console, API and check-in page answer 503 with Retry-After, and recover by themselves', async () => {
    expect((await get('/api/cases')).status).toBe(200);
    await pgProxy.cut();

    const api = await get('/api/cases');
    expect(api.status).toBe(503);
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await api.json()) as { error: string }).error).toMatch(/database or Temporal cannot be reached/);

    const consolePage = await get('/console/');
    expect(consolePage.status).toBe(503);
    expect(consolePage.headers.get('retry-after')).toBeTruthy();
    expect(await consolePage.text()).toMatch(/cannot reach its database or Temporal/);

    const family = await get(checkinPath());
    expect(family.status).toBe(503);
    expect(family.headers.get('retry-after')).toBeTruthy();
    // The family's own words (Accept-Language: es here, as the family's row cannot be read): try again.
    expect(await family.text()).toMatch(/Vuelva a intentarlo/);

    const ready = await get('/readyz');
    expect(ready.status).toBe(503);

    await pgProxy.restore();
    await eventually('/api/cases', 200);
    expect((await get('/console/')).status).toBe(200);
  });

  it('Temporal away: a case reads from Postgres, saying so; an action answers 503 with Retry-After; both recover by themselves', async () => {
    expect((await get(`/api/cases/${caseId}`)).status).toBe(200);
    await temporalProxy.cut();
    const read = await get(`/api/cases/${caseId}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { stage: string; recorded?: { asOf: string } }).recorded?.asOf).toBeTruthy();
    const consolePage = await get(`/console/cases/${caseId}`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain("The case's worker did not answer in time");
    const act = await fetch(`${http.url}/api/cases/${caseId}/actions/waiveDocument`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ documentType: 'scans', reason: 'on paper' }),
    });
    expect(act.status).toBe(503);
    expect(act.headers.get('retry-after')).toBeTruthy();
    await temporalProxy.restore();
    for (let i = 0; ; i++) {
      const r = await get(`/api/cases/${caseId}`);
      if (r.status === 200 && !((await r.json()) as { recorded?: unknown }).recorded) break;
      if (i > 60) throw new Error('the case never read from its workflow again');
      await new Promise((res) => setTimeout(res, 500));
    }
  }, 90_000);
});
