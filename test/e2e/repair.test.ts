// casectl case repair end to end, on the shared Temporal server with real workers: a case made stuck
// the way the SDK bug makes one (README, "A case whose workflow task keeps failing"): a worker writes
// commands that the case workflow's code cannot replay, here a worker running a changed workflow
// (test/fixtures/divergent-case.ts) while a coordinator's two actions arrive; from then on every
// worker with the real code fails the case's workflow task. casectl (its own process) finds the
// last task that replays, resets the case there with the two Updates reapplied, and the case goes
// on; a case that is not stuck it leaves alone. The worker's repair sweep (worker/repair-sweep.ts)
// leaves that case to a person, because another build wrote it; a case made stuck the same way by a
// worker claiming the real worker's build, as the SDK bug's cases are (the same code wrote them), it
// resets itself.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DefaultLogger, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { loadConfig, type AppConfig } from '../../config.ts';
import { createDataConverter, failureConverterPath, parseKeysEnv } from '../../codec/keys.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { createIdentifiers } from '../../common/identifiers.ts';
import { openVault } from '../../activities/vault/open.ts';
import { createCaseWorker } from '../../worker/create-worker.ts';
import { casesWithFailingTasks, createRepairSweep } from '../../worker/repair-sweep.ts';
import { createCaseRepairs, workerReplayer } from '../../client/repair.ts';
import { bundleWorkflows, sharedWorkflowModules } from '../../worker/bundle.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { createAccounts } from '../../client/accounts.ts';
import { caseStatus, caseWorkflowId } from '../../workflows/messages.ts';
import type { CaseStatus } from '../../domain/case.ts';
import { EXIT } from '../../client/casectl.ts';
import { connectToDevServer, workflowBundle } from '../harness/temporal.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { runCasectlProcess } from '../harness/casectl.ts';

const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
const COORDINATOR = 'coordinator.rae@care.test';
const OPS = 'ops.sol@care.test';
const FAMILY_EMAIL = 'amaru.family@example.org';
const payloadKeys = `test:${randomBytes(32).toString('base64')}`;
const dataConverter = createDataConverter(parseKeysEnv(payloadKeys));
const divergentPath = fileURLToPath(new URL('../fixtures/divergent-case.ts', import.meta.url));

let database: TestDatabase;
let sink: SmtpSink;
let dataDir: string;
let config: AppConfig;
let mailer: Mailer;
let native: NativeConnection;
let temporal: { client: Client; connection: Connection };
let actions: CaseActions;
let bundles: { real: WorkflowBundleWithSourceMap; divergent: WorkflowBundleWithSourceMap };
/** casectl's environment with each account's token. */
const asAccount: Record<'coordinator' | 'ops', NodeJS.ProcessEnv> = { coordinator: {}, ops: {} };
/** Stops the worker running now, if any. */
let stopWorker: (() => Promise<void>) | undefined;

/** The workers' build ids, as the SDK derives them from their bundles. */
let realBuildId = '';
let divergentBuildId = '';

/** Runs a case worker with `bundle` on the test's task queue, the one at a time, as a deploy would. */
async function runWorker(bundle: WorkflowBundleWithSourceMap, buildId?: string): Promise<void> {
  await stopWorker?.();
  const worker = await createCaseWorker({
    ...(buildId ? { buildId } : {}),
    connection: native,
    namespace: 'default',
    taskQueue: config.taskQueue,
    dataConverter,
    workflowBundle: bundle,
    db: database.db,
    mailer,
    config,
    links: createCheckinLinks(randomBytes(32)),
    vault: openVault(config, database.db, { VAULT_KEYS: `t:${randomBytes(32).toString('base64')}` }),
    // No cache, so no sticky queue: the next worker gets the case's next task at once, and every
    // task replays the history from the start, as on a worker that just started.
    maxCachedWorkflows: 0,
  });
  const ownBuildId = (worker.options as { buildId?: string }).buildId ?? '';
  if (bundle === bundles.real) realBuildId = ownBuildId;
  else if (!buildId) divergentBuildId = ownBuildId;
  const running = worker.run();
  stopWorker = async () => {
    stopWorker = undefined;
    worker.shutdown();
    await running;
  };
}

beforeAll(async () => {
  [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  dataDir = mkdtempSync(join(tmpdir(), 'repair-'));
  const env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: database.url,
    SMTP_URL: sink.url,
    TASK_QUEUE: `repair-${randomBytes(3).toString('hex')}`,
    DATA_DIR: dataDir,
    PAYLOAD_KEYS: payloadKeys,
    COORDINATOR_EMAIL: 'coordinator@care.test',
    TRANSLATOR_EMAIL: 'translator@care.test',
    MAIL_FROM: 'Care <care@care.test>',
    APP_BASE_URL: 'http://care.test',
  };
  config = loadConfig(env);
  mailer = createMailer({ smtpUrl: sink.url, from: config.mailFrom, captureDir: join(dataDir, 'mail') });
  native = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  temporal = await connectToDevServer(dataConverter);
  actions = createCaseActions({ client: temporal.client, db: database.db, taskQueue: config.taskQueue, identifiers: createIdentifiers(randomBytes(32)) });
  bundles = {
    real: await workflowBundle(new URL('../../workflows/index.ts', import.meta.url)),
    divergent: await bundleWorkflows(divergentPath, { preloadModules: sharedWorkflowModules, failureConverterPath, workflowInterceptorModules: [divergentPath] }),
  };
  const accounts = createAccounts(database.db);
  const { CASECTL_TOKEN: _theDevelopersOwn, ...inherited } = process.env;
  for (const [role, email] of [['coordinator', COORDINATOR], ['ops', OPS]] as const) {
    await accounts.createUser({ email, name: role, role, password: `repair-e2e-${randomBytes(8).toString('hex')}` });
    asAccount[role] = { ...inherited, ...env, CASECTL_TOKEN: (await accounts.createApiToken(email, 'e2e', 1)).token };
  }
  await runWorker(bundles.real);
  sweep = createRepairSweep({
    client: temporal.client,
    repairs: createCaseRepairs({ client: temporal.client, replay: workerReplayer(dataConverter, bundles.real) }),
    taskQueue: config.taskQueue,
    buildId: realBuildId,
    by: SWEEPER,
    logger: new DefaultLogger('DEBUG', ({ level, message, meta }) => void sweepLog.push({ level: level.toLowerCase(), message, ...(meta ? { meta } : {}) })),
  });
});

afterAll(async () => {
  await stopWorker?.();
  await temporal?.connection.close();
  await native?.close();
  mailer?.close();
  await Promise.all([database?.close(), sink?.stop()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const SWEEPER = 'the repair sweep of worker repair-e2e';
/** The worker's repair sweep, as worker/main.ts runs it, with the real worker's build id. */
let sweep: ReturnType<typeof createRepairSweep>;
const sweepLog: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
const handle = (caseId: string) => temporal.client.workflow.getHandle(caseWorkflowId(caseId));
const events = async (caseId: string) => (await handle(caseId).fetchHistory()).events ?? [];
/**
 * The events a change to the case would add to: not the workflow task a failing case is trying
 * again, which the server shows at the end of its history while the try is under way.
 */
const recorded = async (caseId: string) => (await events(caseId)).filter((e) => e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).length;

/** Waits until `pred` holds, polling. */
async function until<T>(what: string, probe: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`never reached ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the case's workflow has nothing under way: no activity, no workflow task. */
const settled = (caseId: string) =>
  until('a settled case', () => handle(caseId).describe(), (d) => !d.raw.pendingActivities?.length && !d.raw.pendingWorkflowTask);

const emailsOf = (caseId: string, kind: string) => sink.messages.filter((m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === kind);

async function openCase(): Promise<string> {
  const { caseId } = await actions.openCase(
    {
      patientRef: `P-${randomBytes(4).toString('hex')}`,
      diagnosis: 'Relapsed B-cell acute lymphoblastic leukaemia',
      therapy: 'CD19 CAR-T (tisagenlecleucel)',
      family: { name: 'Amaru Quispe', email: FAMILY_EMAIL, language: 'en', timeZone: 'America/Lima' },
      requiredDocuments: ['medical_report', 'scans'],
    },
    COORDINATOR,
  );
  await until('the records stage', () => actions.status(caseId), (s) => s.stage === 'records');
  await settled(caseId);
  return caseId;
}

/**
 * Makes an open case stuck: a worker running the divergent code (claiming `buildId`, else its own)
 * takes two actions of a coordinator (the second emails the family), then the real worker fails
 * every try of the next task. Answers the last task the real code replays.
 */
async function makeStuck(caseId: string, buildId?: string): Promise<number> {
  await runWorker(bundles.divergent, buildId);
  await actions.act(caseId, 'receiveDocument', { actor: COORDINATOR, documentType: 'medical_report', language: 'en' });
  await actions.act(caseId, 'requestDocument', { actor: COORDINATOR, documentType: 'scans', reason: 'The scan images are unreadable' });
  await until('the document request email', async () => emailsOf(caseId, 'document_request').length, (n) => n === 1, 20_000);
  await settled(caseId);
  const history = await events(caseId);
  const firstAccepted = history.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
  const lastGood = Number(history.slice(0, firstAccepted).findLast((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!.eventId);

  // The real code again: the next task (a third action's) fails replaying, and every try after it.
  await runWorker(bundles.real);
  await expect(temporal.connection.withDeadline(Date.now() + 5_000, () => actions.act(caseId, 'receiveDocument', { actor: COORDINATOR, documentType: 'scans', language: 'en' }))).rejects.toThrow();
  const failed = await until('a failed workflow task', () => events(caseId), (h) => h.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED));
  expect(failed.findLast((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)!.workflowTaskFailedEventAttributes?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
  await until('a workflow task tried again', () => handle(caseId).describe(), (d) => (d.raw.pendingWorkflowTask?.attempt ?? 0) > 1);
  return lastGood;
}

/** Waits until Temporal lists the case as the sweep looks for it (after three failed tries). */
const listedAsFailing = (caseId: string) =>
  until(
    'the case listed under TemporalReportedProblems',
    async () => {
      const ids: string[] = [];
      for await (const e of temporal.client.workflow.list({ query: casesWithFailingTasks(config.taskQueue) })) ids.push(e.workflowId);
      return ids;
    },
    (ids) => ids.includes(caseWorkflowId(caseId)),
    90_000,
  );

describe('casectl case repair', () => {
  let caseId = '';
  let stuckRunId = '';
  /** The task the divergent worker first completed: the last one the real code replays. */
  let lastGoodTask = 0;

  it('a case whose history the real code cannot replay is stuck: its workflow task fails on every try, its status query fails', { timeout: 120_000 }, async () => {
    caseId = await openCase();
    stuckRunId = (await handle(caseId).describe()).runId;
    lastGoodTask = await makeStuck(caseId);
    await expect(temporal.connection.withDeadline(Date.now() + 5_000, () => handle(caseId).query(caseStatus))).rejects.toThrow();
  });

  it("the worker's repair sweep leaves it to a person, because another build wrote what does not replay, and changes nothing", { timeout: 120_000 }, async () => {
    await listedAsFailing(caseId);
    const before = await recorded(caseId);
    const outcome = await sweep.sweep();
    expect(outcome.repaired).toEqual([]);
    expect(outcome.left).toContainEqual({ caseId, runId: stuckRunId, why: 'other-build' });
    expect((await handle(caseId).describe()).runId).toBe(stuckRunId);
    expect(await recorded(caseId)).toBe(before);
  });

  it('--dry-run, which ops may run, says where it would reset the case and changes nothing', { timeout: 120_000 }, async () => {
    const before = await recorded(caseId);
    const dry = await runCasectlProcess(['case', 'repair', caseId, '--dry-run', '--json'], asAccount.ops, { timeoutMs: 100_000 });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(EXIT.ok);
    expect(JSON.parse(dry.stdout)).toEqual({ caseId, stuck: true, runId: stuckRunId, resetEventId: lastGoodTask, updatesAfter: 2, writtenBy: [divergentBuildId], dryRun: true });
    expect(divergentBuildId).not.toBe(realBuildId);
    const d = await handle(caseId).describe();
    expect(d.runId).toBe(stuckRunId);
    expect(d.raw.pendingWorkflowTask?.attempt).toBeGreaterThan(1);
    expect(await recorded(caseId)).toBe(before);

    const text = await runCasectlProcess(['case', 'repair', caseId, '--dry-run'], asAccount.ops, { timeoutMs: 100_000 });
    expect(text.stdout.trim()).toBe(`Case ${caseId} is stuck: its workflow task fails on replay. It would be reset to event ${lastGoodTask} of run ${stuckRunId}, with 2 Updates after it reapplied. Nothing was changed (--dry-run).`);
  });

  it('refuses the reset itself to ops: it is a coordinator\'s', async () => {
    const refused = await runCasectlProcess(['case', 'repair', caseId], asAccount.ops);
    expect(refused).toEqual({ code: EXIT.refused, stdout: '', stderr: `error: refused: ${OPS} has role ops; only coordinators may repair a stuck case (reset its workflow)\n` });
    expect((await handle(caseId).describe()).runId).toBe(stuckRunId);
  });

  it('resets the case to the last task that replays with both actions reapplied: it answers again, as it was, and goes on', { timeout: 120_000 }, async () => {
    const r = await runCasectlProcess(['case', 'repair', caseId], asAccount.coordinator, { timeoutMs: 100_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const [said, old, made] = r.stdout.trim().split('\n');
    expect(said).toBe(`Case ${caseId} repaired: reset to event ${lastGoodTask}, with 2 Updates after it reapplied.`);
    expect(old).toBe(`Old run: ${stuckRunId}`);
    const newRunId = /^New run: (\S+)$/.exec(made ?? '')?.[1];
    expect(newRunId).toBeDefined();
    expect(newRunId).not.toBe(stuckRunId);
    expect((await handle(caseId).describe()).runId).toBe(newRunId);
    const reset = (await events(caseId)).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(reset?.workflowTaskFailedEventAttributes?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
    expect(reset?.workflowTaskFailedEventAttributes?.failure?.message).toBe(`casectl case repair by ${COORDINATOR}: the workflow task failed on replay; reset to event ${lastGoodTask}`);

    // The real worker (still running) takes the new run: its status query answers, with the document
    // the divergent run received; the family's email of the second action goes out again (README).
    const status = await until('the repaired case answering', () => handle(caseId).query(caseStatus).catch(() => undefined), (s): s is CaseStatus => s?.documents.medical_report?.status === 'received');
    expect(status).toMatchObject({ stage: 'records', documents: { medical_report: { status: 'received' }, scans: { status: 'missing' } } });
    await sink.waitFor(2, (m) => m.headers.get('x-email-kind') === 'document_request', 20_000);
    expect(emailsOf(caseId, 'case_opened')).toHaveLength(1);

    // The action refused while it was stuck, taken now, moves it on.
    const after = await actions.act(caseId, 'receiveDocument', { actor: COORDINATOR, documentType: 'scans', language: 'en' });
    expect(after.documents.scans?.status).toBe('received');
    await until('the translation stage', () => actions.status(caseId), (s) => s.stage === 'translation');
    await settled(caseId);
    expect(await actions.status(caseId)).toMatchObject({ stage: 'translation', documents: { medical_report: { status: 'received' }, scans: { status: 'received' } } });

    const again = await runCasectlProcess(['case', 'repair', caseId, '--json'], asAccount.coordinator);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toEqual({ caseId, stuck: false, runId: newRunId, why: 'its workflow tasks complete' });
  });

  it('leaves a case that is not stuck as it is', { timeout: 60_000 }, async () => {
    const healthy = await openCase();
    const before = await handle(healthy).describe();
    const length = await recorded(healthy);
    const r = await runCasectlProcess(['case', 'repair', healthy], asAccount.coordinator);
    expect(r).toEqual({ code: EXIT.ok, stdout: `Case ${healthy} is not stuck: its workflow tasks complete. Nothing was changed.\n`, stderr: '' });
    expect((await handle(healthy).describe()).runId).toBe(before.runId);
    expect(await recorded(healthy)).toBe(length);
    expect(await runCasectlProcess(['case', 'repair', 'c000000000000'], asAccount.coordinator)).toEqual({ code: EXIT.unknownCase, stdout: '', stderr: 'error: case c000000000000 does not exist\n' });
  });
});

describe("the worker's repair sweep", () => {
  it('resets a case that its own build wrote and cannot replay, as the SDK bug leaves them, with the Updates after it reapplied; the case goes on', { timeout: 180_000 }, async () => {
    const caseId = await openCase();
    const stuckRun = (await handle(caseId).describe()).runId;
    // The divergent code claiming the real build, as the same code wrote the SDK bug's histories.
    const lastGood = await makeStuck(caseId, realBuildId);
    await listedAsFailing(caseId);

    const outcome = await sweep.sweep();
    expect(outcome.left.filter((l) => l.caseId === caseId)).toEqual([]);
    const repaired = outcome.repaired.find((r) => r.caseId === caseId);
    expect(repaired).toEqual({ caseId, stuck: true, runId: stuckRun, resetEventId: lastGood, updatesAfter: 2, writtenBy: [realBuildId], newRunId: expect.any(String) });
    expect(repaired!.newRunId).not.toBe(stuckRun);
    expect(sweepLog).toContainEqual({ level: 'warn', message: 'Stuck case reset to the last workflow task that replays', meta: { caseId, runId: repaired!.newRunId, size: 2 } });
    const reset = (await events(caseId)).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(reset?.workflowTaskFailedEventAttributes?.failure?.message).toBe(`${SWEEPER}: the workflow task failed on replay; reset to event ${lastGood}`);

    // The case answers again with what the stuck run had received, and takes the refused action now.
    const status = await until('the repaired case answering', () => handle(caseId).query(caseStatus).catch(() => undefined), (st): st is CaseStatus => st?.documents.medical_report?.status === 'received');
    expect(status).toMatchObject({ stage: 'records', documents: { medical_report: { status: 'received' }, scans: { status: 'missing' } } });
    const after = await actions.act(caseId, 'receiveDocument', { actor: COORDINATOR, documentType: 'scans', language: 'en' });
    expect(after.documents.scans?.status).toBe('received');
    await until('the translation stage', () => actions.status(caseId), (st) => st.stage === 'translation');
    expect(emailsOf(caseId, 'case_opened')).toHaveLength(1);

    // Repaired once: the next sweep finds nothing of it to do.
    await settled(caseId);
    const again = await sweep.sweep();
    expect(again.repaired.filter((r) => r.caseId === caseId)).toEqual([]);
    expect((await handle(caseId).describe()).runId).toBe(repaired!.newRunId);
  });
});
