// Ops without exposing patients, end to end: the worker process (worker/main.ts startWorker, the
// function `npm run worker` and `npm start` run) and the HTTP server (startHttpServer) against the
// shared dev server, a test database and an SMTP sink, with two real cases driven through the
// action layer and a family's check-in answered through the HTTP pages. Then:
//
// - the worker's Prometheus endpoint serves the Temporal SDK's metrics with the work it did;
// - the HTTP server's /metrics counts cases, emails, check-ins and alerts from Postgres, and its
//   own requests, and names no patient;
// - the worker's /readyz is 200 while it runs, 503 naming Postgres when Postgres is unreachable;
// - no line either process writes (standard output and error, at log level TRACE) holds the
//   family's name or email, the diagnosis, the patient reference or the check-in's notes.
//
// The Temporal Runtime is installed once per process, by startWorker: this file must not import
// test/harness/temporal.ts (which installs a quiet one for the other files).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config.ts';
import { connect } from '../../db/connect.ts';
import { createDataConverter, loadKeyring } from '../../codec/keys.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { startHttpServer, type RunningHttpServer } from '../../client/http/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.ts';
import { ACTOR, caseFile, openCase, toMonitoring, waitForStatus } from '../harness/drive.ts';
import { createIdentifiers } from '../../common/identifiers.ts';

// Distinctive patient data: none of it may appear in a log line or a metric.
const tag = randomBytes(3).toString('hex');
const FAMILY_NAME = `Quillon Zephyrine-Marchetti ${tag}`;
const FAMILY_EMAIL = `zephyrine.quillon.${tag}@example.org`;
const BOUNCE_EMAIL = `bounce-ozymandias.${tag}@example.org`;
const DIAGNOSIS = `Refractory mantle-cell lymphoma QZX-${tag}`;
const OTHER_DIAGNOSIS = `Relapsed follicular lymphoma QZY-${tag}`;
const PATIENT_REF = `PQZ-${tag}`;
const OTHER_PATIENT_REF = `PQY-${tag}`;
const NOTES = `Vomited twice after the purple smoothie QZN-${tag}`;
const SECRETS = [FAMILY_NAME, 'Zephyrine', FAMILY_EMAIL, BOUNCE_EMAIL, 'ozymandias', DIAGNOSIS, OTHER_DIAGNOSIS, PATIENT_REF, OTHER_PATIENT_REF, NOTES, 'purple smoothie'];

const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `ops:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
};

let database: TestDatabase;
let sink: SmtpSink;
let proxy: TcpProxy;
let worker: RunningWorker;
let http: RunningHttpServer;
let connection: Connection;
let client: Client;
let actions: CaseActions;
let tmp: string;
let alertCase = '';
let monitoringCase = '';
let checkinToken = '';
const output: string[] = [];
let restoreOutput: () => void = () => {};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Captures every line written to standard output and error (and the console) from here on. */
function captureOutput(): () => void {
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const take = (chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = take as typeof process.stdout.write;
  process.stderr.write = take as typeof process.stderr.write;
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => void take(`${args.map(String).join(' ')}\n`);
  return () => {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    methods.forEach((m, i) => (console[m] = saved[i]!));
  };
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
}

/** The value of one sample (`name{labels}`, labels in the order rendered), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Sums a metric's samples whose labels contain every `label="value"` given. */
function sum(text: string, name: string, labels: string[] = []): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labels.every((l) => (m[2] ?? '').includes(l))) total += Number(m[3]);
  }
  return total;
}

/**
 * Polls the HTTP server's /metrics until `pred` holds; returns the last scrape. Once a second: the
 * endpoint allows 60 scrapes a minute per address, and a slow machine polling faster used them up
 * (429) for the tests after it.
 */
async function caseMetricsWhen(pred: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(`${http.url}/metrics`);
    if (pred(text)) return text;
    if (Date.now() > deadline) throw new Error(`/metrics never showed ${what}:\n${text}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Local wall-clock HH:MM in UTC, `ms` from now. */
const utcClock = (ms: number): string => new Date(Date.now() + ms).toISOString().slice(11, 16);

beforeAll(async () => {
  restoreOutput = captureOutput();
  tmp = mkdtempSync(join(tmpdir(), 'ops-endpoints-'));
  [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  sink.rejectRecipients((address) => address.startsWith('bounce-'));
  const dbUrl = new URL(database.url);
  // The worker reaches Postgres through a proxy the readiness test cuts.
  proxy = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });

  const taskQueue = `ops-${tag}`;
  const temporalAddress = inject('temporalAddress');
  const base = {
    TEMPORAL_ADDRESS: temporalAddress,
    TASK_QUEUE: taskQueue,
    SMTP_URL: sink.url,
    DATA_DIR: tmp,
    COORDINATOR_EMAIL: 'coordinator@care.test',
    TRANSLATOR_EMAIL: 'translator@care.test',
    MAIL_FROM: 'Care <care@care.test>',
    APP_BASE_URL: 'http://care.test',
  };
  worker = await startWorker(
    loadConfig({ ...base, DATABASE_URL: proxy.via(database.url), WORKER_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`, WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'TRACE' }),
    { env },
  );
  http = await startHttpServer(loadConfig({ ...base, DATABASE_URL: database.url, PORT: '0' }), { env, host: '127.0.0.1' });

  connection = await Connection.connect({ address: temporalAddress });
  client = new Client({ connection, namespace: 'default', dataConverter: createDataConverter(loadKeyring(env)) });
  actions = createCaseActions({ client, db: database.db, taskQueue , identifiers: createIdentifiers(randomBytes(32)) });

  await actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.example', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
  // HKU's check-ins at one local time: two minutes ago (UTC families), so the first one is open now.
  await database.db
    .insertInto('protocols')
    .values({ name: `ops-${tag}`, hospital_code: 'HKU', therapy: null, protocol: JSON.stringify({ name: 'ops e2e', schedule: [{ fromDay: 0, toDay: 14, times: [utcClock(-2 * 60_000)] }] }) })
    .execute();

  // A case whose family address bounces (an open delivery-failure alert), still in records.
  alertCase = await openCase(actions, caseFile({ patientRef: OTHER_PATIENT_REF, diagnosis: OTHER_DIAGNOSIS, family: { name: FAMILY_NAME, email: BOUNCE_EMAIL } }));
  // A case in monitoring, infused ten minutes ago: its first check-in is open.
  monitoringCase = await openCase(actions, caseFile({ patientRef: PATIENT_REF, diagnosis: DIAGNOSIS, family: { name: FAMILY_NAME, email: FAMILY_EMAIL, language: 'en', timeZone: 'UTC' } }));
  await Promise.all([
    waitForStatus(actions, alertCase, (s) => s.alerts.some((a) => a.kind === 'delivery_failed'), 'a delivery-failure alert'),
    toMonitoring(actions, monitoringCase, 'HKU'),
  ]);
  await actions.act(monitoringCase, 'recordInfusion', { actor: ACTOR, at: new Date(Date.now() - 10 * 60_000).toISOString() });
  await waitForStatus(actions, monitoringCase, (s) => s.monitoring?.checkins[0]?.state === 'open', 'an open check-in');

  // The family answers from the link in the email, through the HTTP pages.
  const [mail] = await sink.waitFor(1, (m) => m.headers.get('x-case-id') === monitoringCase && m.headers.get('x-email-kind') === 'checkin_request', 20_000);
  checkinToken = /\/checkin\/([A-Za-z0-9._~-]+)/.exec(mail!.text ?? '')?.[1] ?? '';
  expect(checkinToken).not.toBe('');
  const page = `${http.url}/checkin/${checkinToken}`;
  expect((await fetch(page)).status).toBe(200);
  const form = new URLSearchParams({ lang: 'en', temperature: '36.8', unit: 'c', takenAt: new Date(Date.now() - 60_000).toISOString().slice(0, 16), admitted: 'no', notes: NOTES });
  const answered = await fetch(page, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  expect(answered.status).toBe(200);
  await waitForStatus(actions, monitoringCase, (s) => s.monitoring?.checkins[0]?.state === 'answered', 'the check-in answered');
});

afterAll(async () => {
  try {
    await Promise.all([alertCase, monitoringCase].filter(Boolean).map((id) => client?.workflow.getHandle(`case-${id}`).terminate('test over').catch(() => undefined)));
    await worker?.shutdown().catch(() => undefined);
    await http?.close();
    await connection?.close();
    await proxy?.stop();
    await sink?.stop();
    await database?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  } finally {
    restoreOutput();
  }
});

describe('worker metrics', () => {
  it('serves the Temporal SDK metrics for Prometheus, with the work it did', async () => {
    expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await scrape(worker.metricsUrl!);
    const tq = `task_queue="ops-${tag}"`;
    expect(text).toMatch(/^# TYPE temporal_workflow_task_execution_latency histogram$/m);
    expect(sum(text, 'temporal_worker_start', [tq])).toBe(1);
    expect(sum(text, 'temporal_workflow_task_execution_latency_count', [tq])).toBeGreaterThan(10);
    expect(sum(text, 'temporal_activity_execution_latency_count', [tq, 'activity_type="sendEmail"'])).toBeGreaterThanOrEqual(sink.messages.length);
    expect(sum(text, 'temporal_activity_execution_latency_count', [tq, 'activity_type="recordEvent"'])).toBeGreaterThan(5);
    expect(sum(text, 'temporal_workflow_task_queue_poll_succeed', [tq])).toBeGreaterThan(0);
    // The SDK labels by task queue, type and namespace: never by workflow id.
    expect(text).not.toMatch(/workflow_id=|case-c[0-9a-f]{12}/);
  });
});

describe('case metrics (GET /metrics on the HTTP server)', () => {
  it('counts cases by stage, emails by status and check-ins by state from Postgres', async () => {
    const text = await caseMetricsWhen(
      // Acknowledgement, submission, acceptance, admission, check-in…: at least six go out.
      (t) => sample(t, 'emails_total{status="pending"}') === 0 && sample(t, 'emails_total{status="sent"}') === sink.messages.length && sink.messages.length >= 6,
      'every email settled',
    );
    expect(sample(text, 'cases_by_stage{stage="records"}')).toBe(1);
    expect(sample(text, 'cases_by_stage{stage="monitoring"}')).toBe(1);
    expect(sample(text, 'cases_by_stage{stage="hospital_review"}')).toBe(0);
    expect(sum(text, 'cases_by_stage')).toBe(2);
    // Acknowledgement, submission, acceptance, admission, check-in…; the bounced one failed.
    expect(sample(text, 'emails_total{status="sent"}')).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'emails_total{status="failed"}')).toBeGreaterThanOrEqual(1);
    const checkins = await database.db.selectFrom('checkins').select(['state']).execute();
    expect(sample(text, 'checkins_total{state="answered"}')).toBe(1);
    expect(sample(text, 'checkins_total{state="upcoming"}')).toBe(checkins.filter((c) => c.state === 'upcoming').length);
    expect(sample(text, 'checkins_total{state="upcoming"}')).toBeGreaterThan(10);
    expect(sample(text, 'checkins_total{state="missed"}')).toBe(0);
    expect(sample(text, 'case_metrics_database_up')).toBe(1);
    expect(text).toMatch(/^# TYPE cases_by_stage gauge$/m);
    expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
  });

  it('counts its own requests by route pattern and status', async () => {
    const text = await scrape(`${http.url}/metrics`);
    expect(sample(text, 'http_requests_total{route="/checkin/:token",status="200"}')).toBe(2);
    expect(sample(text, 'http_requests_total{route="/metrics",status="200"}')).toBeGreaterThanOrEqual(1);
    await fetch(`${http.url}/no/such/page`);
    const after = await scrape(`${http.url}/metrics`);
    expect(sample(after, 'http_requests_total{route="(no route)",status="404"}')).toBe(1);
  });

  it('shows open alerts, and how long they took to acknowledge once they are', async () => {
    const before = await caseMetricsWhen((t) => sample(t, 'alerts_open') === 1, 'one open alert');
    expect(sample(before, 'alert_acknowledgement_seconds_count')).toBe(0);

    const status = await actions.status(alertCase);
    const open = status.alerts.filter((a) => !a.acknowledgedAt);
    expect(open.map((a) => a.kind)).toEqual(['delivery_failed']);
    await actions.act(alertCase, 'acknowledgeAlert', { actor: ACTOR, alertId: open[0]!.id });

    const after = await caseMetricsWhen((t) => sample(t, 'alerts_open') === 0 && sample(t, 'alert_acknowledgement_seconds_count') === 1, 'the alert acknowledged');
    const seconds = sample(after, 'alert_acknowledgement_seconds_sum')!;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(600);
    // Acknowledged within the first bucket (a minute) or the second: cumulative buckets up to +Inf.
    expect(sample(after, 'alert_acknowledgement_seconds_bucket{le="300"}')).toBe(1);
    expect(sample(after, 'alert_acknowledgement_seconds_bucket{le="+Inf"}')).toBe(1);
  });

  it('METRICS_AUTH_TOKEN requires a bearer token; without Postgres it still answers, saying so', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none', PORT: '0', DATA_DIR: tmp });
    const dead = connect(config.databaseUrl, { max: 1 });
    const guarded = await startHttpServer(config, { env: { ...env, METRICS_AUTH_TOKEN: 'ops-secret' }, host: '127.0.0.1', db: dead, client, log: () => {} });
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const r = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer ops-secret' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      expect(sample(text, 'case_metrics_database_up')).toBe(0);
      expect(text).not.toContain('cases_by_stage');
      expect(sample(text, 'http_requests_total{route="/metrics",status="401"}')).toBe(2);
    } finally {
      await guarded.close();
      await dead.destroy();
    }
  });

  it('names no patient: no name, address, diagnosis, patient reference or case id', async () => {
    for (const url of [`${http.url}/metrics`, worker.metricsUrl!]) {
      const text = await scrape(url);
      for (const secret of [...SECRETS, alertCase, monitoringCase, checkinToken]) expect(text, url).not.toContain(secret);
    }
  });
});

describe('worker health', () => {
  it('/healthz is 200; /readyz is 200 while the worker runs and Postgres answers', async () => {
    const live = await fetch(`${worker.healthUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${worker.healthUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { worker: 'ok', postgres: 'ok' }, workerState: 'RUNNING' });
    expect(ready.status).toBe(200);
  });

  it('/readyz is 503 naming Postgres while Postgres is unreachable, and 200 again once it is back', async () => {
    await proxy.cut();
    try {
      const r = await fetch(`${worker.healthUrl}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'unavailable', checks: { worker: 'ok', postgres: 'failed' }, workerState: 'RUNNING' });
    } finally {
      await proxy.restore();
    }
    const again = await fetch(`${worker.healthUrl}/readyz`);
    expect(again.status).toBe(200);
  });

  it('after shutdown the worker is STOPPED and its health and metrics endpoints are closed', async () => {
    await worker.shutdown();
    expect(worker.worker.getState()).toBe('STOPPED');
    await expect(fetch(`${worker.healthUrl}/readyz`)).rejects.toThrow();
    // The Runtime shut down with the worker's last connection, and its exporter with it.
    await expect(fetch(worker.metricsUrl!)).rejects.toThrow();
  });
});

describe('logs', () => {
  it('are JSON lines, and no line names the family, the diagnosis, the patient or what the family wrote', () => {
    const lines = output.join('').split('\n').filter((l) => l.trim() !== '');
    const json = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    });
    // Both processes wrote, in one shape.
    const workerLines = json.filter((j) => j && typeof j.component === 'string' && j.component !== 'http');
    const httpLines = json.filter((j) => j && j.component === 'http');
    expect(workerLines.length).toBeGreaterThan(50);
    // LOG_LEVEL=TRACE reached the SDK's most detailed lines (each activation, each activity task).
    expect(workerLines.some((j) => j!.level === 'trace' && j!.msg === 'Got workflow activation')).toBe(true);
    expect(httpLines.filter((j) => j!.event === 'request' && j!.route === '/checkin/:token').map((j) => [j!.method, j!.status, j!.caseId])).toEqual([
      ['GET', 200, monitoringCase],
      ['POST', 200, monitoringCase],
    ]);
    // The activities' own lines carry the case, the email kind and its status, nothing else of it.
    expect(workerLines.some((j) => j!.msg === 'email' && j!.caseId === alertCase && j!.status === 'failed' && j!.activityType === 'sendEmail')).toBe(true);
    expect(workerLines.some((j) => j!.msg === 'Worker state changed' && j!.state === 'STOPPED')).toBe(true);
    // No WORKER_MAX_CACHED_WORKFLOWS: the worker sized its cache for a burst of 1,000 (this machine has the memory) and said so.
    expect(json.filter((j) => j && String(j.msg).startsWith('Workflow cache')).map((j) => [j!.msg, j!.cacheSize, j!.expectedBurst])).toEqual([
      ['Workflow cache sized for the expected burst', 1000, 1000],
    ]);
    for (const [i, line] of lines.entries()) {
      expect(json[i], `not a JSON line: ${line}`).toBeDefined();
      // pino's lines: level, time, then the fields, then msg.
      expect(json[i], line).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), level: expect.stringMatching(/^(trace|debug|info|warn|error)$/), msg: expect.any(String) });
      for (const secret of [...SECRETS, checkinToken]) expect(line).not.toContain(secret);
    }
  });
});
