// The list queries ops use (README "Ops: finding cases"), against the shared Temporal server (the
// dev server; in the production project temporal-server with SQL visibility on PostgreSQL) with real
// case workflows: four cases driven through the action layer to different states, then each
// documented query must return exactly the cases it describes. Visibility is eventually
// consistent, so each query is polled until it answers as expected (or the time runs out).
// Queries are scoped to this file's cases with `WorkflowId IN (…)`: other files share the server.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, type AppConfig } from '../../config.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { createDataConverter, loadKeyring } from '../../codec/keys.ts';
import { createCaseWorker } from '../../worker/create-worker.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { caseWorkflowId } from '../../workflows/messages.ts';
import { NextDeadlineKey } from '../../domain/search-attributes.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { workflowBundle } from '../harness/temporal.ts';
import { ACTOR, caseFile, openCase, toHospitalReview, toMonitoring, waitForStatus } from '../harness/drive.ts';
import { createIdentifiers } from '../../common/identifiers.ts';

const payloadKeys = `test:${randomBytes(32).toString('base64')}`;
const dataConverter = createDataConverter(loadKeyring({ PAYLOAD_KEYS: payloadKeys }));
/** The overdue case's first records reminder: soon enough to pass during the test. */
const REMINDER_MS = 15_000;

let database: TestDatabase;
let sink: SmtpSink;
let mailer: Mailer;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let tmp: string;
let config: AppConfig;
const workers: { worker: Worker; running: Promise<void> }[] = [];

/** The cases, by what they are for. */
const ids = { alert: '', monitoring: '', review: '', overdue: '' };
let overdueDeadline = 0;
let scope = '';

async function startWorker(taskQueue: string) {
  const worker = await createCaseWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    dataConverter,
    workflowBundle: await workflowBundle(new URL('../../workflows/index.ts', import.meta.url)),
    db: database.db,
    mailer,
    config,
    links: createCheckinLinks(randomBytes(32)),
  });
  const entry = { worker, running: worker.run() };
  workers.push(entry);
  return entry;
}

const actionsOn = (taskQueue: string): CaseActions => createCaseActions({ client, db: database.db, taskQueue , identifiers: createIdentifiers(randomBytes(32)) });

/** Workflow ids a visibility query returns, sorted. */
async function list(query: string): Promise<string[]> {
  const found: string[] = [];
  for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
  return found.sort();
}

/** Polls `query` (scoped to this file's cases) until it returns exactly `expected`. */
async function expectQuery(query: string, expected: string[], timeoutMs = 20_000): Promise<void> {
  const want = expected.map(caseWorkflowId).sort();
  const scoped = `(${query}) AND ${scope}`;
  const deadline = Date.now() + timeoutMs;
  let got: string[] = [];
  for (;;) {
    got = await list(scoped);
    if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(got, query).toEqual(want);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'search-attributes-'));
  [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  // The alert case's family address bounces: its first email fails, which raises an alert.
  sink.rejectRecipients((address) => address.startsWith('bounce-'));
  config = loadConfig({ DATABASE_URL: database.url, SMTP_URL: sink.url, DATA_DIR: tmp, COORDINATOR_EMAIL: 'coordinator@care.test', TRANSLATOR_EMAIL: 'translator@care.test' });
  mailer = createMailer({ smtpUrl: sink.url, from: 'Care <care@test>', captureDir: join(tmp, 'mail') });
  const address = inject('temporalAddress');
  nativeConnection = await NativeConnection.connect({ address });
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default', dataConverter });

  const suffix = randomBytes(3).toString('hex');
  const main = `ops-sa-${suffix}`;
  // The overdue case runs on a queue of its own, whose worker stops before its deadline.
  const stuck = `ops-sa-stuck-${suffix}`;
  await startWorker(main);
  const stuckWorker = await startWorker(stuck);
  const actions = actionsOn(main);
  await actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.example', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
  await actions.addHospital({ code: 'HCB', name: 'Hospital Clínic Barcelona', email: 'intake@hcb.example', language: 'en', timezone: 'Europe/Madrid', phone: '+34 93 555 0100' });

  // Overdue first: its reminder timer runs while the others are driven.
  const stuckActions = actionsOn(stuck);
  ids.overdue = await openCase(stuckActions, caseFile({ settings: { recordsReminderDays: [REMINDER_MS / 86_400_000], recordsStalledAfterDays: 30 } }));
  const handle = client.workflow.getHandle(caseWorkflowId(ids.overdue));
  for (let i = 0; i < 100 && !overdueDeadline; i++) {
    const at = (await handle.describe()).typedSearchAttributes.get(NextDeadlineKey);
    if (at) overdueDeadline = at.getTime();
    else await new Promise((r) => setTimeout(r, 100));
  }
  stuckWorker.worker.shutdown();
  await stuckWorker.running;
  if (!overdueDeadline || overdueDeadline <= Date.now()) throw new Error(`the overdue case's deadline (${new Date(overdueDeadline).toISOString()}) passed before its worker stopped: the machine is too slow for REMINDER_MS`);

  const [alert, monitoring, review] = await Promise.all([
    openCase(actions, caseFile({ family: { email: `bounce-${suffix}@example.org` } })),
    openCase(actions, caseFile()),
    openCase(actions, caseFile()),
  ]);
  Object.assign(ids, { alert, monitoring, review });
  await Promise.all([
    waitForStatus(actions, alert, (s) => s.alerts.some((a) => a.kind === 'delivery_failed' && !a.acknowledgedAt), 'a delivery-failure alert'),
    toMonitoring(actions, monitoring, 'HKU'),
    toHospitalReview(actions, review, 'HCB'),
  ]);
  scope = `WorkflowId IN (${Object.values(ids).map((id) => `'${caseWorkflowId(id)}'`).join(', ')})`;
});

afterAll(async () => {
  // The cases would otherwise run on in the shared server (the stuck one with no worker).
  await Promise.all(Object.values(ids).filter(Boolean).map((id) => client?.workflow.getHandle(caseWorkflowId(id)).terminate('test over').catch(() => undefined)));
  for (const w of workers) {
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await w.running;
  }
  mailer?.close();
  await nativeConnection?.close();
  await connection?.close();
  await sink?.stop();
  await database?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('ops list queries over the case search attributes', () => {
  it('cases with an open alert: AlertOpen = true', async () => {
    await expectQuery('AlertOpen = true', [ids.alert]);
    await expectQuery('AlertOpen = false', [ids.monitoring, ids.review, ids.overdue]);
  });

  it('cases in a stage: CaseStage = …', async () => {
    await expectQuery(`CaseStage = 'monitoring'`, [ids.monitoring]);
    await expectQuery(`CaseStage = 'hospital_review'`, [ids.review]);
    await expectQuery(`CaseStage IN ('records', 'translation')`, [ids.alert, ids.overdue]);
  });

  it('cases at a hospital: HospitalCode = …, alone or with a stage', async () => {
    await expectQuery(`HospitalCode = 'HKU'`, [ids.monitoring]);
    await expectQuery(`HospitalCode = 'HCB' AND CaseStage = 'hospital_review'`, [ids.review]);
    await expectQuery(`HospitalCode = 'HKU' AND CaseStage = 'hospital_review'`, []);
  });

  it('overdue: NextDeadline < now AND ExecutionStatus = Running finds the case whose worker stopped', async () => {
    const wait = overdueDeadline + 1_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const now = new Date().toISOString();
    await expectQuery(`NextDeadline < '${now}' AND ExecutionStatus = 'Running'`, [ids.overdue]);
  });

  it('deadlines coming up: NextDeadline BETWEEN now AND a week ahead', async () => {
    // The alert case's first records reminder (3 days), the hospital's reply (7 days); the
    // monitoring case waits for the infusion record, which has no deadline.
    const now = Date.now();
    await expectQuery(`NextDeadline BETWEEN '${new Date(now).toISOString()}' AND '${new Date(now + 8 * 86_400_000).toISOString()}'`, [ids.alert, ids.review]);
    await expectQuery(`NextDeadline BETWEEN '${new Date(now).toISOString()}' AND '${new Date(now + 4 * 86_400_000).toISOString()}'`, [ids.alert]);
  });

  it('acknowledging the alert clears AlertOpen', async () => {
    const actions = actionsOn('unused');
    const status = await actions.status(ids.alert);
    for (const a of status.alerts.filter((x) => !x.acknowledgedAt)) await actions.act(ids.alert, 'acknowledgeAlert', { actor: ACTOR, alertId: a.id });
    await expectQuery('AlertOpen = true', []);
  });
});
