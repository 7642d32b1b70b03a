// One chaos run, shared by the command (npm run chaos) and the test (test/production/chaos.test.ts):
//
// 1. plan it from the seed (plan.ts): each case's path, each family's answers, the faults;
// 2. start the production-shaped stack on a PostgreSQL of its own (stack.ts), add the hospitals
//    and store the run's check-in protocol;
// 3. open the cases over the first part of the run, each driven by its coordinator
//    (coordinator.ts) while the families answer their check-ins (family.ts) and the faults
//    happen (faults.ts);
// 4. wait until every driver is done and no case workflow runs any more (bounded);
// 5. check everything (checks.ts) and hand back the report (report.ts prints it).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { createCaseActions } from '../../client/actions.ts';
import type { Db } from '../../db/connect.ts';
import { signInCode } from '../harness/staff.ts';
import { withTimeout } from '../../common/timeout.ts';
import { caseStatus, caseWorkflowId } from '../../workflows/messages.ts';
import { encodeHistory } from '../replay/history-file.ts';
import { AnswerLog, describeError, type UnexpectedAnswer } from './answers.ts';
import { checkRun, type Figures, type Violation } from './checks.ts';
import { driveCase } from './coordinator.ts';
import { startFamilies, type FamilyStats } from './family.ts';
import { runFaults, type FaultRecord } from './faults.ts';
import { newJournal } from './journal.ts';
import { Mailbox } from './mailbox.ts';
import { HOSPITALS, planCases, planFaults, protocolFor, runShape, type RunShape } from './plan.ts';
import { startChaosStack, TASK_QUEUE, type ChaosStack } from './stack.ts';
import { StaffApi, type ApiStats } from './staff-api.ts';
import { createIdentifiers } from '../../common/identifiers.ts';

export interface ChaosOptions {
  cases: number;
  minutes: number;
  seed: number;
  /** Where the processes', Temporal's and PostgreSQL's logs go (default test-artifacts/chaos-logs). */
  logDir?: string;
  log?: (line: string) => void;
}

export interface ChaosReport {
  shape: RunShape;
  /** How long each part took, ms. */
  durations: { setup: number; cases: number; settle: number; checks: number; total: number };
  faults: FaultRecord[];
  /** Answers the README does not allow, as the clients met them. */
  unexpected: UnexpectedAnswer[];
  api: ApiStats;
  families: FamilyStats;
  /** How long a case took from opening to its end, ms: the median and the longest. */
  caseDurations: { median: number; max: number };
  /** Cases still not closed or cancelled when the wait for quiescence ended. */
  unsettled: number;
  violations: Violation[];
  figures: Figures;
  logDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MINUTE = 60_000;

/** A recovery code for the run's coordinator, made in PostgreSQL, which may be restarting. */
async function oneTimeCode(db: Db, email: string): Promise<string> {
  for (const giveUpAt = Date.now() + 5 * MINUTE; ; ) {
    try {
      return await signInCode(db, email);
    } catch (err) {
      if (Date.now() > giveUpAt) throw err;
      await sleep(2_000);
    }
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const began = Date.now();
  const log = opts.log ?? (() => {});
  const logDir = opts.logDir ?? fileURLToPath(new URL('../../test-artifacts/chaos-logs/', import.meta.url));
  const shape = runShape(opts.cases, opts.minutes, opts.seed);
  const journals = planCases(shape).map(newJournal);
  const faultPlan = planFaults(shape);
  log(`${shape.cases} cases over ${shape.minutes} min, seed ${shape.seed}: ${faultPlan.length} faults planned; logs in ${logDir}`);

  const stack = await startChaosStack({ logDir, log });
  try {
    // What the run's own client meets asking a case's state the moment the service answered 500 about it.
    const unexpected = new AnswerLog((caseId) =>
      withTimeout(stack.client.workflow.getHandle(`case-${caseId}`).query(caseStatus), 5_000, () => new Error('no answer within 5 s')).then(
        () => 'the run\'s own query answered',
        (err: unknown) => `the run's own query: ${describeError(err)}`,
      ),
    );
    const api = new StaffApi(stack.url, { ...stack.admin, code: () => oneTimeCode(stack.db, stack.admin.email) }, unexpected);
    await api.signIn();
    for (const h of HOSPITALS) await api.addHospital(h);
    // The protocol goes through the action layer, as `casectl protocol set` stores it.
    const actions = createCaseActions({ client: stack.client, db: stack.db, taskQueue: TASK_QUEUE , identifiers: createIdentifiers(randomBytes(32)) });
    await actions.setProtocol({ name: 'default', protocol: protocolFor(shape, Date.now()) });
    const mailbox = new Mailbox(stack.sink);
    const families = startFamilies({ mailbox, baseUrl: stack.url, journalOf: (caseId) => journals.find((j) => j.caseId === caseId), unexpected });
    const scanner = setInterval(() => mailbox.scan(), 500);
    const setupMs = Date.now() - began;

    const start = Date.now();
    const faults = runFaults(stack, faultPlan, start, log);
    const progress = setInterval(() => void logProgress(), 30_000);
    const logProgress = async () => {
      const stages = await stack.db.selectFrom('cases').select(['stage', sql<number>`count(*)::int`.as('n')]).groupBy('stage').execute().catch(() => []);
      const done = journals.filter((j) => j.done).length;
      log(`${((Date.now() - start) / MINUTE).toFixed(1)} min: ${stages.map((r) => `${r.stage} ${r.n}`).join(', ') || '(database away)'}; ${done}/${journals.length} drivers done; ${mailbox.received} emails; ${faults.records.length}/${faultPlan.length} faults`);
    };
    const drivers = journals.map(async (journal) => {
      await sleep(journal.plan.openAtMs);
      await driveCase({ api, mailbox, journal });
    });
    // Every driver has its own bounds; this one is the run's, should one of those hang.
    const allDone = Promise.all([Promise.all(drivers), faults.done]);
    await Promise.race([allDone, sleep(shape.minutes * MINUTE + 40 * MINUTE)]);
    await families.settle();
    const casesMs = Date.now() - start;

    const settled = Date.now();
    const unsettled = await quiesce(stack.client, 5 * MINUTE);
    clearInterval(progress);
    clearInterval(scanner);
    mailbox.scan();
    const settleMs = Date.now() - settled;
    log(`cases done in ${(casesMs / MINUTE).toFixed(1)} min; ${unsettled} workflows still running after ${(settleMs / 1000).toFixed(0)} s of waiting; checking`);

    const checked = Date.now();
    const { violations, figures } = await checkRun({ client: stack.client, keyring: stack.keyring, db: stack.db, mailbox, journals, unexpected: unexpected.list, log });
    for (const j of journals) if (!j.done) violations.push({ check: 'stage', ...(j.caseId ? { caseId: j.caseId } : {}), detail: 'its coordinator was still at work when the run ended' });
    await keepHistories(stack, logDir, new Set(violations.flatMap((v) => (v.caseId ? [v.caseId] : []))), log);
    const checksMs = Date.now() - checked;
    const took = journals.map((j) => (j.finishedAt ?? Date.now()) - (j.openedAt ?? start)).sort((a, b) => a - b);
    return {
      caseDurations: { median: took[Math.floor(took.length / 2)] ?? 0, max: took.at(-1) ?? 0 },
      shape,
      durations: { setup: setupMs, cases: casesMs, settle: settleMs, checks: checksMs, total: Date.now() - began },
      faults: faults.records,
      unexpected: unexpected.list,
      api: api.stats,
      families: families.stats,
      unsettled,
      violations,
      figures,
      logDir,
    };
  } finally {
    await stack.stop();
  }
}

/** Waits until no case workflow runs (every case closed or cancelled) or `boundMs` passes; answers how many still run. */
async function quiesce(client: Client, boundMs: number): Promise<number> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const { count } = await client.workflow.count(`TaskQueue = '${TASK_QUEUE}' AND ExecutionStatus = 'Running'`).catch(() => ({ count: -1 }));
    if (count === 0 || Date.now() > deadline) return count;
    await sleep(2_000);
  }
}

/**
 * Keeps the history of each case that failed a check beside the logs, with the run's throwaway
 * payload key (synthetic cases only), since the stack and its database go when the run ends:
 * decodeHistory (test/replay/history-file.ts) reads them, `PAYLOAD_KEYS` from the key file.
 */
async function keepHistories(stack: ChaosStack, logDir: string, caseIds: Set<string>, log: (line: string) => void): Promise<void> {
  if (!caseIds.size) return;
  const dir = join(logDir, 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'PAYLOAD_KEYS'), `${stack.payloadKeys}\n`, { mode: 0o600 });
  for (const caseId of caseIds) {
    const history = await stack.client.workflow.getHandle(caseWorkflowId(caseId)).fetchHistory().catch(() => undefined);
    if (history) writeFileSync(join(dir, `${caseId}.json`), encodeHistory(history));
  }
  log(`kept the histories of ${caseIds.size} cases that failed a check in ${dir}`);
}

