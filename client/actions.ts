// The one action layer: casectl, the HTTP API and the console all open cases, act on them and
// read them through here, so validation, Temporal Updates and error meanings live in one place.
import { createHash } from 'node:crypto';
import { Client, WorkflowUpdateFailedError, WorkflowNotFoundError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import {
  openCaseSchema,
  hospitalCodeSchema,
  isCaseId,
  languageSchema,
  timeZoneSchema,
  STAGES,
  type CaseInput,
  type CaseStatus,
  type Decision,
  type DocumentStatus,
  type Stage,
  type TranslationStatus,
  type WaitingFor,
} from '../domain/case.ts';
import type { Tier } from '../domain/crs.ts';
import { withTimeout } from '../activities/timeout.ts';
import { isUnavailable } from './unavailable.ts';
import { actionSchema, type ActionArgs, type StaffAction } from '../domain/actions.ts';
import { protocolSchema, type CheckinOutcome, type ClinicalOutcome, type Protocol } from '../domain/monitoring.ts';
import { InputError, parseInput, textSchema } from '../domain/validation.ts';
import { CaseStageKey } from '../domain/search-attributes.ts';
import * as msg from '../workflows/messages.ts';
import type { caseWorkflow } from '../workflows/case.ts';

/** The case's workflow did not answer a read in time. */
class NoAnswerError extends Error {}

/** The case does not exist (HTTP 404). */
export class CaseNotFoundError extends Error {
  constructor(caseId: string) {
    // An id that cannot be one is not repeated back: it may hold anything a person typed.
    super(isCaseId(caseId) ? `case ${caseId} does not exist` : 'no case has that id (a case id is letters, digits, - and _)');
    this.name = 'CaseNotFoundError';
  }
}

/** The case's state refuses the action (HTTP 409); the message says why. */
export class ActionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionRefusedError';
  }
}

export const hospitalSchema = z
  .object({
    code: hospitalCodeSchema(),
    name: textSchema(200),
    email: z.email('must be an email address'),
    language: languageSchema(),
    timezone: timeZoneSchema(),
    phone: textSchema(50, { min: 0 }).optional(),
  })
  .strict();

const protocolInputSchema = z
  .object({
    name: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a protocol name (letters, digits, . _ -)'),
    hospitalCode: hospitalCodeSchema().optional(),
    therapy: textSchema(200).optional(),
    protocol: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const listFilterSchema = z
  .object({
    stage: z.enum(STAGES, { message: `must be one of ${STAGES.join(', ')}` }).optional(),
    hospital: hospitalCodeSchema().optional(),
    alert: z.enum(['open', 'clinical', 'none'], { message: 'must be open, clinical or none' }).optional(),
    search: textSchema(200).optional(),
    page: z.coerce.number({ message: 'must be a page number from 1' }).int('must be a page number from 1').min(1, 'must be a page number from 1').max(100_000).default(1),
    pageSize: z.coerce.number({ message: 'must be a number from 1 to 200' }).int('must be a number from 1 to 200').min(1, 'must be a number from 1 to 200').max(200, 'must be a number from 1 to 200').default(50),
  })
  .strict();
export type ListFilter = z.input<typeof listFilterSchema>;

/** Why a case is where it is in the list (listCases). */
export const ATTENTION = ['clinical_alert', 'alert', 'overdue', 'none', 'closed'] as const;
export type Attention = (typeof ATTENTION)[number];

export interface CaseListItem {
  caseId: string;
  patientRef: string;
  familyName: string | null;
  stage: string;
  waitingFor: WaitingFor | null;
  hospital: string | null;
  openAlerts: number;
  attention: Attention;
  openedAt: string;
  updatedAt: string;
}
export interface CaseList {
  cases: CaseListItem[];
  total: number;
  page: number;
  pageSize: number;
}

/** Same patient reference, same case: opening twice finds the first one. */
export function caseIdFor(patientRef: string): string {
  return `c${createHash('sha256').update(`case:${patientRef.trim()}`).digest('hex').slice(0, 12)}`;
}

/** Actions answered with the case's status; check-in reports and observations answer with their outcome. */
export type CaseActionName = Exclude<StaffAction, 'recordClinical'>;

export interface CaseActionsDeps {
  client: Client;
  db: Db;
  taskQueue: string;
}

/**
 * A request's own id, from whoever sends it (casectl makes one per command, the console one per
 * form, API clients send Idempotency-Key): a retry with the same id is applied once and answers as
 * the first did, because it becomes the Temporal Update's id.
 */
export const requestIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'must be 8 to 100 letters, digits or . _ : -');

/** How long a person's read waits for the case's workflow before it answers from Postgres (statusForReading). */
export const READ_WAIT_MS = 5_000;

export interface ActOptions {
  requestId?: string;
}

/** The Update id of a request: per action, so that an id reused for another action is not mistaken for it. */
const updateIdOf = (name: string, opts: ActOptions): { updateId?: string } => (opts.requestId ? { updateId: `${name}:${parseInput(requestIdSchema, opts.requestId)}` } : {});

export function createCaseActions({ client, db, taskQueue }: CaseActionsDeps) {
  const handle = (caseId: string) => client.workflow.getHandle<typeof caseWorkflow>(msg.caseWorkflowId(caseId));

  async function translateErrors<T>(caseId: string, run: () => Promise<T>): Promise<T> {
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // An Update to a case whose workflow has finished: the case exists but is over.
        const over = await handle(caseId).query(msg.caseStatus).catch(() => undefined);
        if (over) throw new ActionRefusedError(`the case is ${over.stage}`);
        throw new CaseNotFoundError(caseId);
      }
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === 'InputError') throw new InputError((err.cause.details?.[0] as InputError['fields']) ?? [{ field: '', message: err.cause.message }]);
        throw new ActionRefusedError(err.cause.message);
      }
      throw err;
    }
  }

  async function act<A extends CaseActionName>(caseId: string, name: A, raw: Omit<ActionArgs<A>, 'actor'> & { actor: string }, opts: ActOptions = {}): Promise<CaseStatus> {
    const args = parseInput(actionSchema(name), raw);
    const update = msg.actionUpdates[name] as msg.ActionUpdate<CaseActionName>;
    return translateErrors(caseId, () => handle(caseId).executeUpdate(update, { args: [args as never], ...updateIdOf(name, opts) }));
  }

  /** Where a case stands, as its workflow answers. */
  function status(caseId: string): Promise<CaseStatus> {
    return translateErrors(caseId, () => handle(caseId).query(msg.caseStatus));
  }

  return {
    act,

    async openCase(raw: unknown, actor: string): Promise<{ caseId: string; created: boolean }> {
      const opened = parseInput(openCaseSchema(), raw);
      const caseId = caseIdFor(opened.patientRef);
      const input: CaseInput = { ...opened, caseId, openedBy: actor };
      try {
        await client.workflow.start('caseWorkflow', {
          taskQueue,
          workflowId: msg.caseWorkflowId(caseId),
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [{ key: CaseStageKey, value: 'inquiry' }],
          staticSummary: `Case ${caseId}`,
        });
        return { caseId, created: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { caseId, created: false };
        throw err;
      }
    },

    /** Looks the hospitals up first, so an unknown code is named before the case is touched. */
    async submit(caseId: string, codes: string[], actor: string, opts: ActOptions = {}): Promise<CaseStatus> {
      // Named before the database is asked about them.
      parseInput(z.array(hospitalCodeSchema()).min(1, 'name at least one hospital').max(20, 'at most 20 hospitals at once'), codes);
      const rows = codes.length ? await db.selectFrom('hospitals').select(['code', 'language']).where('code', 'in', codes).execute() : [];
      const unknown = codes.filter((c) => !rows.some((r) => r.code === c));
      if (unknown.length) throw new InputError(unknown.map((c) => ({ field: 'hospitalCode', message: `no hospital with code ${c} (casectl hospital add)` })));
      return act(caseId, 'submitToHospitals', { actor, hospitals: codes.map((c) => ({ code: c, language: rows.find((r) => r.code === c)!.language })) }, opts);
    },

    /**
     * A family's check-in report (from the signed link's page); refused once answered or closed.
     * The Update id comes from the check-in and the report, so a retried request with the same
     * answers gets the first answer's outcome back instead of a refusal.
     */
    async submitCheckin(caseId: string, checkinId: number, report: unknown): Promise<CheckinOutcome> {
      const args = parseInput(actionSchema('submitCheckin'), { checkinId, report });
      const updateId = `checkin-${checkinId}-${createHash('sha256').update(JSON.stringify(report)).digest('hex').slice(0, 24)}`;
      return translateErrors(caseId, () => handle(caseId).executeUpdate(msg.actionUpdates.submitCheckin, { args: [args], updateId }));
    },

    /** A clinical observation, graded by the workflow with ASTCT CRS and ICANS grades. */
    async recordClinical(caseId: string, observation: unknown, actor: string, opts: ActOptions = {}): Promise<ClinicalOutcome> {
      const args = parseInput(actionSchema('recordClinical'), { actor, observation });
      return translateErrors(caseId, () => handle(caseId).executeUpdate(msg.actionUpdates.recordClinical, { args: [args], ...updateIdOf('recordClinical', opts) }));
    },

    status,

    /**
     * Where a case stands for a person reading it: the workflow's answer, or, when no worker answers
     * within `withinMs` (a worker restarting, Temporal away), what Postgres recorded last, marked
     * `recorded.asOf`, so that a coordinator still sees the stage and what the case waits for.
     */
    async statusForReading(caseId: string, withinMs: number): Promise<CaseStatus> {
      try {
        return await withTimeout(status(caseId), withinMs, () => new NoAnswerError());
      } catch (err) {
        if (!(err instanceof NoAnswerError) && !isUnavailable(err)) throw err;
        return recordedStatus(caseId);
      }
    },

    /**
     * Cases in the order they need a coordinator: open clinical alerts (critical first), then other
     * open alerts (records stalled, hospital silent, check-in missed, email undelivered), then steps
     * past their deadline, then the rest by nearest deadline and last change; finished cases last.
     * `search` matches a case id or the family's name (from Postgres: names never go to Temporal).
     */
    async listCases(raw: unknown = {}): Promise<CaseList> {
      const f = parseInput(listFilterSchema, raw);
      const now = new Date();
      const openAlerts = db.selectFrom('alerts').where('alerts.case_id', '=', sql.ref<string>('cases.case_id')).where('alerts.acknowledged_at', 'is', null);
      let q = db.selectFrom('cases').leftJoin('contacts', (j) => j.onRef('contacts.case_id', '=', 'cases.case_id').on('contacts.role', '=', 'family'));
      if (f.stage) q = q.where('cases.stage', '=', f.stage);
      if (f.hospital) {
        const code = f.hospital;
        q = q.where((eb) => eb.or([eb('cases.chosen_hospital', '=', code), eb.exists(eb.selectFrom('submissions').whereRef('submissions.case_id', '=', 'cases.case_id').where('submissions.hospital_code', '=', code).select(sql.lit(1).as('one')))]));
      }
      if (f.alert === 'open') q = q.where((eb) => eb.exists(openAlerts.select(sql.lit(1).as('one'))));
      if (f.alert === 'clinical') q = q.where((eb) => eb.exists(openAlerts.where('alerts.tier', 'is not', null).select(sql.lit(1).as('one'))));
      if (f.alert === 'none') q = q.where((eb) => eb.not(eb.exists(openAlerts.select(sql.lit(1).as('one')))));
      if (f.search) {
        const like = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb('cases.case_id', '=', f.search!.toLowerCase()), eb('contacts.name', 'ilike', like)]));
      }
      const total = Number((await q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      const until = sql<Date | null>`(cases.waiting_for->>'until')::timestamptz`;
      const rank = sql<number>`case
        when cases.stage in ('closed', 'cancelled') then 4
        when exists (select 1 from alerts a where a.case_id = cases.case_id and a.acknowledged_at is null and a.tier is not null) then 0
        when exists (select 1 from alerts a where a.case_id = cases.case_id and a.acknowledged_at is null) then 1
        when ${until} < ${now} then 2
        else 3 end`;
      const rows = await q
        .select([
          'cases.case_id',
          'cases.patient_ref',
          'cases.stage',
          'cases.waiting_for',
          'cases.chosen_hospital',
          'cases.opened_at',
          'cases.updated_at',
          'contacts.name as family_name',
          rank.as('rank'),
          openAlerts.select((eb) => eb.fn.countAll<string>().as('n')).as('open_alerts'),
        ])
        .orderBy('rank')
        .orderBy(sql`(select min(case a.tier when 'critical' then 0 when 'urgent' then 1 else 2 end) from alerts a where a.case_id = cases.case_id and a.acknowledged_at is null and a.tier is not null)`)
        .orderBy(sql`(select min(a.raised_at) from alerts a where a.case_id = cases.case_id and a.acknowledged_at is null)`)
        .orderBy(until)
        .orderBy('cases.updated_at', 'desc')
        .orderBy('cases.case_id')
        .limit(f.pageSize)
        .offset((f.page - 1) * f.pageSize)
        .execute();
      return {
        total,
        page: f.page,
        pageSize: f.pageSize,
        cases: rows.map((r) => ({
          caseId: r.case_id,
          patientRef: r.patient_ref,
          familyName: r.family_name,
          stage: r.stage,
          waitingFor: r.waiting_for as WaitingFor | null,
          hospital: r.chosen_hospital,
          openAlerts: Number(r.open_alerts ?? 0),
          attention: ATTENTION[Number(r.rank)] ?? 'none',
          openedAt: r.opened_at.toISOString(),
          updatedAt: r.updated_at.toISOString(),
        })),
      };
    },

    async emails(caseId: string) {
      await mustExist(caseId);
      const rows = await db.selectFrom('emails').selectAll().where('case_id', '=', caseId).orderBy('id').execute();
      return rows.map((r) => ({ to: r.to_address, subject: r.subject, kind: r.kind, language: r.language, status: r.status, sentAt: r.sent_at?.toISOString() ?? null, error: r.error }));
    },

    async timeline(caseId: string) {
      await mustExist(caseId);
      const rows = await db.selectFrom('timeline').selectAll().where('case_id', '=', caseId).orderBy('at').orderBy('id').execute();
      return rows.map((r) => ({ at: r.at.toISOString(), kind: r.kind, actor: r.actor, summary: r.summary }));
    },

    async addHospital(raw: unknown) {
      const h = parseInput(hospitalSchema, raw);
      const inserted = await db
        .insertInto('hospitals')
        .values({ code: h.code, name: h.name, email: h.email, language: h.language, time_zone: h.timezone, phone: h.phone ?? null })
        .onConflict((oc) => oc.column('code').doNothing())
        .returning('code')
        .executeTakeFirst();
      if (!inserted) throw new InputError([{ field: 'code', message: `a hospital with code ${h.code} already exists` }]);
      return h;
    },

    /** Stores a check-in protocol for a hospital, a therapy, both, or (neither) the default. Cases keep the protocol they started monitoring with. */
    async setProtocol(raw: unknown) {
      const input = parseInput(protocolInputSchema, raw);
      const protocol = parseInput(protocolSchema(), { ...input.protocol, name: input.name });
      if (input.hospitalCode && !(await db.selectFrom('hospitals').select('code').where('code', '=', input.hospitalCode).executeTakeFirst())) {
        throw new InputError([{ field: 'hospitalCode', message: `no hospital with code ${input.hospitalCode} (casectl hospital add)` }]);
      }
      await db
        .insertInto('protocols')
        .values({ name: input.name, hospital_code: input.hospitalCode ?? null, therapy: input.therapy ?? null, protocol: JSON.stringify(protocol) })
        .onConflict((oc) => oc.column('name').doUpdateSet({ hospital_code: input.hospitalCode ?? null, therapy: input.therapy ?? null, protocol: JSON.stringify(protocol) }))
        .execute();
      return { name: input.name, hospitalCode: input.hospitalCode ?? null, therapy: input.therapy ?? null, protocol };
    },

    async listProtocols() {
      const rows = await db.selectFrom('protocols').selectAll().orderBy('name').execute();
      return rows.map((r) => ({ name: r.name, hospitalCode: r.hospital_code, therapy: r.therapy, protocol: r.protocol as Protocol }));
    },

    async listHospitals() {
      const rows = await db.selectFrom('hospitals').selectAll().orderBy('code').execute();
      return rows.map((r) => ({ code: r.code, name: r.name, email: r.email, language: r.language, timezone: r.time_zone, phone: r.phone }));
    },
  };

  /** The projection of a case as a status: what the workflow last wrote about it. */
  async function recordedStatus(caseId: string): Promise<CaseStatus> {
    const c = await db.selectFrom('cases').selectAll().where('case_id', '=', caseId).executeTakeFirst();
    if (!c) throw new CaseNotFoundError(caseId);
    const [documents, submissions, admission, alerts] = await Promise.all([
      db.selectFrom('documents').selectAll().where('case_id', '=', caseId).orderBy('document_type').execute(),
      db.selectFrom('submissions as s').innerJoin('hospitals as h', 'h.code', 's.hospital_code').select(['s.hospital_code', 's.round', 's.submitted_at', 's.decision', 's.decision_reason', 's.requested_documents', 'h.language']).where('s.case_id', '=', caseId).orderBy('s.hospital_code').orderBy('s.round').execute(),
      db.selectFrom('admissions').selectAll().where('case_id', '=', caseId).executeTakeFirst(),
      db.selectFrom('alerts').selectAll().where('case_id', '=', caseId).orderBy('raised_at').execute(),
    ]);
    const latestRound = new Map(submissions.map((s) => [s.hospital_code, s]));
    const iso = (d: Date | null) => d?.toISOString();
    return {
      caseId,
      stage: c.stage as Stage,
      waitingFor: (c.waiting_for as WaitingFor | null) ?? { what: 'the first step', from: 'nobody' },
      documents: Object.fromEntries(
        documents.map((d) => [d.document_type, { status: d.status as DocumentStatus, translation: d.translation as TranslationStatus, ...(d.language ? { language: d.language } : {}), ...(d.waive_reason ? { waiveReason: d.waive_reason } : {}) }]),
      ),
      submissions: [...latestRound.values()].map((s) => ({
        hospitalCode: s.hospital_code,
        language: s.language,
        round: s.round,
        status: (s.decision as Decision | null) ?? 'pending',
        submittedAt: s.submitted_at.toISOString(),
        ...(s.decision_reason ? { reason: s.decision_reason } : {}),
        ...(s.requested_documents ? { requestedDocuments: s.requested_documents } : {}),
      })),
      ...(c.chosen_hospital ? { chosenHospital: c.chosen_hospital } : {}),
      ...(admission
        ? {
            admission: { hospitalCode: admission.hospital_code, admissionAt: admission.admission_at.toISOString(), ...(admission.contact ? { contact: admission.contact } : {}), ...(admission.notes ? { notes: admission.notes } : {}), ...(admission.confirmed_at ? { confirmedAt: admission.confirmed_at.toISOString() } : {}) },
            ...(admission.infusion_at ? { infusionAt: admission.infusion_at.toISOString() } : {}),
          }
        : {}),
      followUps: [],
      alerts: alerts.map((a) => ({ id: a.alert_id, kind: a.kind, message: a.message, raisedAt: a.raised_at.toISOString(), ...(a.tier ? { tier: a.tier as Tier } : {}), ...(a.acknowledged_at ? { acknowledgedAt: iso(a.acknowledged_at), acknowledgedBy: a.acknowledged_by ?? '' } : {}) })),
      ...(c.close_reason ? { closeReason: c.close_reason } : {}),
      recorded: { asOf: c.updated_at.toISOString() },
    };
  }

  async function mustExist(caseId: string): Promise<void> {
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    const row = await db.selectFrom('cases').select('case_id').where('case_id', '=', caseId).executeTakeFirst();
    if (!row) throw new CaseNotFoundError(caseId);
  }
}

export type CaseActions = ReturnType<typeof createCaseActions>;
