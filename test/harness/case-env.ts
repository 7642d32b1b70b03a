// Everything a case test needs, real parts only: a time-skipping Temporal server, a migrated
// test database, an SMTP server on loopback, a case worker and the shared action layer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { caseWorkflowId } from '../../workflows/messages.ts';
import { loadConfig, type AppConfig } from '../../config.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { createCheckinLinks, type CheckinLinks } from '../../common/checkin-link.ts';
import { createCaseWorker } from '../../worker/create-worker.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { createDataConverter, parseKeysEnv, type Keyring } from '../../codec/keys.ts';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { CaseStatus, OpenCase } from '../../domain/case.ts';
import type { Db } from '../../db/connect.ts';
import { createTimeSkippingEnv, workflowBundle } from './temporal.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { startSmtpSink, type SmtpSink } from './smtp.ts';
import { createIdentifiers } from '../../common/identifiers.ts';
import { openVault } from '../../activities/vault/open.ts';
import type { Vault } from '../../activities/vault/vault.ts';
import { submitApproved } from './drive.ts';

export interface CaseTestEnv {
  env: TestWorkflowEnvironment;
  database: TestDatabase;
  smtp: SmtpSink;
  config: AppConfig;
  actions: CaseActions;
  /** A Temporal client that encrypts and decrypts payloads like the service's clients. */
  client: Client;
  /** Signs and verifies the families' check-in links, with this environment's secret. */
  links: CheckinLinks;
  /** The document vault the worker shreds with (files under the environment's DATA_DIR). */
  vault: Vault;
  worker: Worker;
  /** Stops the worker and starts a new one (and a new client) with another keyring, as a deploy would. */
  restartWorker(keyring: Keyring): Promise<void>;
  /** Stops the worker, runs `during` (timers fire and Updates queue with nobody to take them), then starts it again: what comes meanwhile reaches one workflow task together. */
  pauseWorker(during: () => Promise<void>): Promise<void>;
  /** Resolves when the case's status satisfies `pred` (the workflow moves on asynchronously). */
  waitForStatus(caseId: string, pred: (s: CaseStatus) => boolean, what?: string): Promise<CaseStatus>;
  /** Submits to `codes` and records the family's approval of each new one once the case asks for it (test/harness/drive.ts submitApproved). */
  submitApproved(caseId: string, codes: string[], actor: string): Promise<CaseStatus>;
  /** Ends a test's case as a coordinator would: its open clinical alerts acknowledged, then cancelled. */
  endCase(caseId: string): Promise<CaseStatus>;
  teardown(): Promise<void>;
}

export const testKeys = () => parseKeysEnv(`test:${randomBytes(32).toString('base64')}`);

export interface CaseTestOptions {
  mailer?: (real: Mailer) => Mailer;
  interceptors?: WorkerOptions['interceptors'];
  /** Payload keys (default: a fresh random key). */
  keyring?: Keyring;
  /** Default: WORKER_MAX_CACHED_WORKFLOWS as the worker reads it (the replaying project of vitest.config.ts sets 0). */
  maxCachedWorkflows?: number;
  /** The database the worker's activities use, given the test database (e.g. the same one through a proxy). Default: the test database. */
  workerDb?: (database: TestDatabase) => Promise<Db>;
}

export async function startCaseTestEnv(opts: CaseTestOptions = {}): Promise<CaseTestEnv> {
  const [env, database, smtp, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase(),
    startSmtpSink(),
    workflowBundle(new URL('../../workflows/index.ts', import.meta.url)),
  ]);
  const taskQueue = `cases-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: database.url,
    SMTP_URL: smtp.url,
    TASK_QUEUE: taskQueue,
    COORDINATOR_EMAIL: 'coordinator@care.test',
    TRANSLATOR_EMAIL: 'translator@care.test',
    MAIL_FROM: 'Care Team <care@care.test>',
    APP_BASE_URL: 'http://care.test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'case-test-')),
    WORKER_MAX_CACHED_WORKFLOWS: process.env.WORKER_MAX_CACHED_WORKFLOWS,
  });
  const links = createCheckinLinks(randomBytes(32));
  const realMailer = createMailer({ smtpUrl: smtp.url, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
  const mailer = opts.mailer ? opts.mailer(realMailer) : realMailer;
  const maxCachedWorkflows = opts.maxCachedWorkflows ?? config.workerMaxCachedWorkflows;
  const workerDb = opts.workerDb ? await opts.workerDb(database) : database.db;
  const vault = openVault(config, database.db, { VAULT_KEYS: `t:${randomBytes(32).toString('base64')}` });

  /** A worker and a client (the action layer's) that encrypt payloads with `keyring`. */
  async function start(keyring: Keyring) {
    const dataConverter = createDataConverter(keyring);
    const worker = await createCaseWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      dataConverter,
      workflowBundle: bundle,
      db: workerDb,
      mailer,
      config,
      links,
      vault,
      ...(opts.interceptors ? { interceptors: opts.interceptors } : {}),
      ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
    });
    const client = new Client({ connection: env.connection, namespace: 'default', dataConverter });
    return { worker, client, running: worker.run(), actions: createCaseActions({ client, db: database.db, taskQueue , identifiers: createIdentifiers(randomBytes(32)) }) };
  }
  let keyring = opts.keyring ?? testKeys();
  let current = await start(keyring);

  const t: CaseTestEnv = {
    env,
    database,
    smtp,
    config,
    vault,
    actions: current.actions,
    client: current.client,
    links,
    worker: current.worker,
    async waitForStatus(caseId, pred, what = 'the expected state') {
      let last: CaseStatus | undefined;
      for (let i = 0; i < 400; i++) {
        try {
          last = await t.actions.status(caseId);
          if (pred(last)) return last;
        } catch (err) {
          if (!/does not exist|not found/i.test((err as Error).message)) throw err;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`case ${caseId} never reached ${what}; last status: ${JSON.stringify(last)}`);
    },
    submitApproved(caseId, codes, actor) {
      return submitApproved(t.actions, caseId, codes, { actor, wait: (pred, what) => t.waitForStatus(caseId, pred, what) });
    },
    async endCase(caseId) {
      const actor = 'coordinator@care.test';
      for (const a of (await t.actions.status(caseId)).alerts) {
        if (a.tier && !a.acknowledgedAt) await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: a.id });
      }
      return t.actions.act(caseId, 'cancelCase', { actor, reason: 'test over' });
    },
    async pauseWorker(during) {
      current.worker.shutdown();
      await current.running;
      await during();
      current = await start(keyring);
      t.actions = current.actions;
      t.client = current.client;
      t.worker = current.worker;
    },
    async restartWorker(next) {
      keyring = next;
      current.worker.shutdown();
      await current.running;
      current = await start(keyring);
      t.actions = current.actions;
      t.client = current.client;
      t.worker = current.worker;
    },
    async teardown() {
      current.worker.shutdown();
      await current.running;
      realMailer.close();
      try {
        await replayEveryCase(t.client, database.db, bundle, createDataConverter(keyring));
      } finally {
        await Promise.all([env.teardown(), database.close(), smtp.stop()]);
      }
    },
  };
  return t;
}

/**
 * Replays the final history of every case the file drove with the worker's code, and fails naming
 * those that do not replay: a command the code issues differently from what its history records
 * (the nondeterminism a redeployed or restarted worker would meet) fails the file that made it.
 * Every task of the history is checked, so this finds what a cache-free worker replaying before each
 * task would, in one pass instead of one per task.
 */
async function replayEveryCase(client: Client, db: Db, workflowBundle: WorkflowBundleWithSourceMap, dataConverter: DataConverter): Promise<void> {
  const { Worker } = await import('@temporalio/worker');
  const cases = await db.selectFrom('cases').select('case_id').execute();
  async function* histories() {
    for (const { case_id } of cases) {
      const workflowId = caseWorkflowId(case_id);
      // A case row whose workflow never started (a test of opening's failures) has nothing to replay.
      const history = await client.workflow.getHandle(workflowId).fetchHistory().catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
      if (history) yield { workflowId, history };
    }
  }
  const failed: string[] = [];
  for await (const { workflowId, error } of Worker.runReplayHistories({ workflowBundle, dataConverter }, histories())) {
    if (error) failed.push(`${workflowId}: ${error.message}`);
  }
  if (failed.length) throw new Error(`${failed.length} of ${cases.length} case histories do not replay on this code:\n${failed.join('\n')}`);
}

export function sampleCase(overrides: Partial<OpenCase> & { patientRef?: string } = {}): Record<string, unknown> {
  return {
    patientRef: `P-${randomBytes(3).toString('hex')}`,
    diagnosis: 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
    therapy: 'CD19 CAR-T (axicabtagene ciloleucel)',
    family: { name: 'Lucía Fernández', email: 'lucia.family@example.org', language: 'es', timeZone: 'Europe/Madrid' },
    ...overrides,
  };
}

/**
 * Drives a fresh case through real coordinator actions to the monitoring stage, waiting for the
 * infusion. The hospital must exist and speak the documents' language (English here), so no
 * translation is needed.
 */
export async function caseAwaitingInfusion(t: CaseTestEnv, hospitalCode: string, open: Record<string, unknown> = sampleCase({ requiredDocuments: ['medical_report'] })) {
  const actor = 'coordinator@care.test';
  const { caseId } = await t.actions.openCase(open, actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  for (const documentType of Object.keys((await t.actions.status(caseId)).documents)) {
    await t.actions.act(caseId, 'receiveDocument', { actor, documentType, language: 'en' });
  }
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  await t.submitApproved(caseId, [hospitalCode], actor);
  await t.waitForStatus(caseId, (s) => s.submissions[0]?.status === 'pending');
  await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode, decision: 'accepted' });
  await t.waitForStatus(caseId, (s) => s.stage === 'admission');
  await t.actions.act(caseId, 'planAdmission', { actor, hospitalCode, admissionAt: new Date((await t.env.currentTimeMs()) + 3600_000).toISOString() });
  await t.actions.act(caseId, 'confirmAdmission', { actor });
  await t.waitForStatus(caseId, (s) => s.stage === 'monitoring');
  return caseId;
}

/** As caseAwaitingInfusion, with the infusion recorded now (server time); returns its monitoring status. */
export async function caseInMonitoring(t: CaseTestEnv, hospitalCode: string, open?: Record<string, unknown>) {
  const caseId = await caseAwaitingInfusion(t, hospitalCode, open);
  await t.actions.act(caseId, 'recordInfusion', { actor: 'coordinator@care.test', at: new Date(await t.env.currentTimeMs()).toISOString() });
  const status = await t.waitForStatus(caseId, (s) => (s.monitoring?.checkins.length ?? 0) > 0, 'the check-in schedule');
  return { caseId, status, monitoring: status.monitoring! };
}

/** Waits (server time) until the case's first check-in is due and open; returns it. */
export async function openFirstCheckin(t: CaseTestEnv, caseId: string) {
  const c = (await t.actions.status(caseId)).monitoring!.checkins[0]!;
  const wait = Date.parse(c.dueAt) - (await t.env.currentTimeMs());
  if (wait > 0) await t.env.sleep(wait + 1000);
  await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state === 'open', 'check-in open');
  return c;
}

/**
 * A well report on the case's first check-in that reaches the workflow in the same task as the
 * check-in's expiry timer: the worker stops two seconds before the expiry, the timer fires and the
 * report waits with nobody to take them, then the worker starts again. Needs a worker with no cache
 * (a stopped worker's sticky queue would keep the task, which the time-skipping server never moves).
 * Answers the report's outcome.
 */
export async function reportWithExpiry(t: CaseTestEnv, caseId: string): Promise<unknown> {
  const c = await openFirstCheckin(t, caseId);
  await t.env.sleep(Date.parse(c.expiresAt) - (await t.env.currentTimeMs()) - 2000);
  await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.escalation === 'team', 'the last escalation');
  let sent: Promise<unknown> | undefined;
  await t.pauseWorker(async () => {
    await t.env.sleep(3000);
    sent = t.actions.submitCheckin(caseId, c.id, { temperature: { value: 36.8, unit: 'c' }, takenAt: new Date((await t.env.currentTimeMs()) - 60_000).toISOString(), admitted: false, symptoms: {} });
    await new Promise((r) => setTimeout(r, 1000));
  });
  return sent;
}
