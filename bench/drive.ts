// Driving cases the way coordinators do, through the action layer (client/actions.ts): open,
// documents, submission, decision, admission, infusion. Waiting for the workflow to move on is
// done by one watcher that polls the cases' Postgres projection (which each stage change writes
// before the workflow goes on) for every waiting case at once, instead of a status query per case.
// The same driver drives the throughput baseline's case-shaped bare workflows (bareDoors), so that
// both sides take the same Updates in the same order.
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { createCaseActions, type CaseActionName, type CaseActions } from '../client/actions.ts';
import { createIdentifiers } from '../common/identifiers.ts';
import type { Db } from '../db/connect.ts';
import type { ActionArgs } from '../domain/actions.ts';
import type { Stage } from '../domain/case.ts';
import { bareAction, caseShapedWorkflow } from './workflows.ts';

export const ACTOR = 'coordinator@bench.test';
const PATH: readonly Stage[] = ['inquiry', 'records', 'translation', 'hospital_review', 'admission', 'monitoring', 'follow_up'];

type Condition = { kind: 'stage'; stage: Stage } | { kind: 'asked' } | { kind: 'submitted' } | { kind: 'checkins' };

interface Waiter {
  caseId: string;
  cond: Condition;
  deadline: number;
  resolve(): void;
  reject(err: Error): void;
}

/** Resolves waits on cases' progress by polling Postgres for all of them together. */
export class Watcher {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly db: Db;
  private readonly intervalMs: number;

  constructor(db: Db, intervalMs = 50) {
    this.db = db;
    this.intervalMs = intervalMs;
  }

  /** Until the case has reached `stage` (or a later one on the path to monitoring). */
  stage(caseId: string, stage: Stage, timeoutMs = 180_000): Promise<void> {
    return this.wait(caseId, { kind: 'stage', stage }, timeoutMs);
  }

  /** Until the case has asked the family to approve the hospitals chosen (its sharing_requested event). */
  asked(caseId: string, timeoutMs = 180_000): Promise<void> {
    return this.wait(caseId, { kind: 'asked' }, timeoutMs);
  }

  /** Until the case's packet went out to a hospital (a decision may be recorded from then on). */
  submitted(caseId: string, timeoutMs = 180_000): Promise<void> {
    return this.wait(caseId, { kind: 'submitted' }, timeoutMs);
  }

  /** Until monitoring started: the check-in schedule is recorded. */
  checkins(caseId: string, timeoutMs = 180_000): Promise<void> {
    return this.wait(caseId, { kind: 'checkins' }, timeoutMs);
  }

  private wait(caseId: string, cond: Condition, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.add({ caseId, cond, deadline: Date.now() + timeoutMs, resolve, reject });
      this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const all = [...this.waiters];
      const ids = (kind: Condition['kind']) => [...new Set(all.filter((w) => w.cond.kind === kind).map((w) => w.caseId))];
      const stages = new Map<string, string>();
      const asked = new Set<string>();
      const submitted = new Set<string>();
      const monitored = new Set<string>();
      for (const chunk of chunks(ids('stage'))) {
        for (const r of await this.db.selectFrom('cases').select(['case_id', 'stage']).where('case_id', 'in', chunk).execute()) stages.set(r.case_id, r.stage);
      }
      for (const chunk of chunks(ids('asked'))) {
        for (const r of await this.db.selectFrom('timeline').select('case_id').distinct().where('case_id', 'in', chunk).where('kind', '=', 'sharing_requested').execute()) asked.add(r.case_id);
      }
      for (const chunk of chunks(ids('submitted'))) {
        for (const r of await this.db.selectFrom('submissions').select('case_id').distinct().where('case_id', 'in', chunk).execute()) submitted.add(r.case_id);
      }
      for (const chunk of chunks(ids('checkins'))) {
        for (const r of await this.db.selectFrom('checkins').select('case_id').distinct().where('case_id', 'in', chunk).execute()) monitored.add(r.case_id);
      }
      const now = Date.now();
      for (const w of all) {
        let done = false;
        if (w.cond.kind === 'stage') {
          const at = stages.get(w.caseId);
          done = at !== undefined && PATH.indexOf(at as Stage) >= PATH.indexOf(w.cond.stage);
        } else if (w.cond.kind === 'asked') done = asked.has(w.caseId);
        else if (w.cond.kind === 'submitted') done = submitted.has(w.caseId);
        else done = monitored.has(w.caseId);
        if (done) {
          this.waiters.delete(w);
          w.resolve();
        } else if (now > w.deadline) {
          this.waiters.delete(w);
          w.reject(new Error(`case ${w.caseId} did not reach ${JSON.stringify(w.cond)} in time (last stage ${stages.get(w.caseId) ?? 'unknown'})`));
        }
      }
    } catch (err) {
      for (const w of this.waiters) w.reject(err as Error);
      this.waiters.clear();
    } finally {
      this.polling = false;
      if (this.waiters.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function chunks<T>(items: T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A case file for case `i` of a run: its own patient reference, the family in UTC. */
export function benchCase(runId: string, tag: string, i: number, documents: readonly string[]): Record<string, unknown> {
  return {
    patientRef: `B-${runId}-${tag}-${i}`,
    diagnosis: 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
    therapy: 'CD19 CAR-T',
    family: { name: 'Ana Bench', email: `family-${tag}-${i}@bench.test`, language: 'en', timeZone: 'UTC' },
    requiredDocuments: [...documents],
  };
}

/**
 * The action layer a scenario's coordinators act through, on its own task queue, with its hospital
 * added: in UTC, speaking English (the documents' language: no translation needed), with a 24/7 phone.
 */
export async function benchActions(client: Client, db: Db, taskQueue: string, hospital: string): Promise<CaseActions> {
  const actions = createCaseActions({ client, db, taskQueue, identifiers: createIdentifiers(randomBytes(32)) });
  await actions.addHospital({ code: hospital, name: `Bench Haematology ${hospital}`, email: `intl-${hospital.toLowerCase()}@bench.test`, language: 'en', timezone: 'UTC', phone: '+34 91 555 01 23' });
  return actions;
}

/** A protocol for `hospitalCode` with one check-in a day at `time` (HH:MM, the family's zone) for 14 days. */
export async function setDailyProtocol(actions: CaseActions, hospitalCode: string, time: string): Promise<void> {
  await actions.setProtocol({ name: `bench-${hospitalCode}`, hospitalCode, protocol: { schedule: [{ fromDay: 0, toDay: 14, times: [time] }] } });
}

/** HH:MM of an instant in UTC. */
export const utcHourMinute = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** What the driver asks of the action layer; CaseActions has it, and so has bareDoors. */
export interface CaseDoors {
  openCase(file: unknown, actor: string): Promise<{ caseId: string }>;
  act<A extends CaseActionName>(caseId: string, name: A, args: Omit<ActionArgs<A>, 'actor'> & { actor: string }): Promise<unknown>;
  submit(caseId: string, hospitals: string[], actor: string): Promise<unknown>;
}

/** The waits between actions: Watcher's for cases; a bare workflow has nothing to wait for. */
export type Progress = Pick<Watcher, 'stage' | 'asked' | 'submitted' | 'checkins'>;

export interface DriveOptions {
  actions: CaseDoors;
  watcher: Progress;
  hospital: string;
}

/**
 * The action layer's calls made on bench/workflows.ts caseShapedWorkflow instead: opening a case
 * starts one (its id is `${idPrefix}-${n}`), and each action is one bareAction Update carrying the
 * same arguments. Nothing to wait for between them: each Update answers once its activity is done.
 */
export function bareDoors(client: Client, taskQueue: string, idPrefix: string): { actions: CaseDoors; watcher: Progress } {
  let opened = 0;
  const update = async (id: string, action: string, args: unknown) => {
    await client.workflow.getHandle(id).executeUpdate(bareAction, { args: [{ action, args }] });
  };
  const none = async () => {};
  return {
    actions: {
      async openCase() {
        const caseId = `${idPrefix}-${opened++}`;
        await client.workflow.start(caseShapedWorkflow, { taskQueue, workflowId: caseId });
        return { caseId };
      },
      act: (caseId, name, args) => update(caseId, name, args),
      submit: (caseId, hospitals, actor) => update(caseId, 'submitToHospitals', { actor, hospitals }),
    },
    watcher: { stage: none, asked: none, submitted: none, checkins: none },
  };
}

/** Opens a case and carries it to the admission stage: inquiry → records → translation (the family's approval) → hospital review → admission. */
export async function driveToAdmission(d: DriveOptions, file: Record<string, unknown>): Promise<string> {
  const { actions, watcher, hospital } = d;
  const { caseId } = await actions.openCase(file, ACTOR);
  await watcher.stage(caseId, 'records');
  for (const documentType of file.requiredDocuments as string[]) await actions.act(caseId, 'receiveDocument', { actor: ACTOR, documentType, language: 'en' });
  await actions.submit(caseId, [hospital], ACTOR);
  // The family is asked before anything goes to the hospital; their approval, recorded by the coordinator.
  await watcher.asked(caseId);
  await actions.act(caseId, 'approveSharing', { actor: ACTOR, hospitalCode: hospital });
  await watcher.submitted(caseId);
  await actions.act(caseId, 'recordDecision', { actor: ACTOR, hospitalCode: hospital, decision: 'accepted' });
  await watcher.stage(caseId, 'admission');
  return caseId;
}

/** From admission: plan and confirm it; the case enters monitoring and waits for the infusion. */
export async function driveToMonitoring(d: DriveOptions, caseId: string): Promise<void> {
  const { actions, watcher, hospital } = d;
  await actions.act(caseId, 'planAdmission', { actor: ACTOR, hospitalCode: hospital, admissionAt: new Date(Date.now() + 86_400_000).toISOString() });
  await actions.act(caseId, 'confirmAdmission', { actor: ACTOR });
  await watcher.stage(caseId, 'monitoring');
}

/** Records the infusion (day 0) at `at` and waits until the check-in schedule is recorded. */
export async function recordInfusion(d: DriveOptions, caseId: string, at: number): Promise<void> {
  await d.actions.act(caseId, 'recordInfusion', { actor: ACTOR, at: new Date(at).toISOString() });
  await d.watcher.checkins(caseId);
}
