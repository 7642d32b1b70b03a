// Every read of a case, in one module, for casectl, the JSON API, the console and the check-in
// pages: where a case stands (the workflow's answer, or what Postgres recorded when no worker
// answers), the case list, its emails and timeline, the hospitals and protocols, what a case page
// shows and who a family is. Actions are client/actions.ts.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect.ts';
import { hospitalCodeSchema, isCaseId, STAGES, type CaseStatus, type WaitingFor } from '../domain/case.ts';
import type { Protocol } from '../domain/monitoring.ts';
import { parseInput, textSchema } from '../domain/validation.ts';
import { withTimeout } from '../common/timeout.ts';
import * as msg from '../workflows/messages.ts';
import { caseCalls, CaseNotFoundError } from './case-calls.ts';
import { UnavailableError } from './unavailable.ts';

/** The case's workflow did not answer a read in time. */
class NoAnswerError extends Error {}

/** How long a person's read waits for the case's workflow before it answers from Postgres (statusForReading). */
export const READ_WAIT_MS = 5_000;

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

export function createCaseReads({ client, db }: { client: Client; db: Db }) {
  const { handle, translateErrors } = caseCalls(client);

  /** Where a case stands, as its workflow answers. */
  function status(caseId: string): Promise<CaseStatus> {
    return translateErrors(caseId, () => handle(caseId).query(msg.caseStatus));
  }

  return {
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
        // Whatever kept the workflow from answering (no worker, Temporal away, a workflow task that
        // keeps failing), a person still sees the case as recorded; a case that does not exist does not.
        if (err instanceof CaseNotFoundError) throw err;
        try {
          return await recordedStatus(caseId);
        } catch (missing) {
          // Opened a moment ago, while no worker answers: its workflow exists, its row not yet.
          if (missing instanceof CaseNotFoundError && (await handle(caseId).describe().then(() => true, () => false))) {
            throw new UnavailableError(`case ${caseId} is being opened and no worker has answered yet: try again shortly`);
          }
          throw missing;
        }
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

    async listProtocols() {
      const rows = await db.selectFrom('protocols').selectAll().orderBy('name').execute();
      return rows.map((r) => ({ name: r.name, hospitalCode: r.hospital_code, therapy: r.therapy, protocol: r.protocol as Protocol }));
    },

    async listHospitals() {
      const rows = await db.selectFrom('hospitals').selectAll().orderBy('code').execute();
      return rows.map((r) => ({ code: r.code, name: r.name, email: r.email, language: r.language, timezone: r.time_zone, phone: r.phone }));
    },

    /** What a case page shows beside the case's status: its patient reference, the family, the clinical observations (the case's status says whether it exists). */
    async casePage(caseId: string) {
      // A case just opened may not have its rows yet: the page shows what there is.
      const [row, family, observations] = await Promise.all([
        db.selectFrom('cases').select('patient_ref').where('case_id', '=', caseId).executeTakeFirst(),
        db.selectFrom('contacts').select(['name', 'email', 'language', 'time_zone']).where('case_id', '=', caseId).where('role', '=', 'family').executeTakeFirst(),
        db.selectFrom('observations').select(['at', 'observation', 'crs_grade', 'icans_grade']).where('case_id', '=', caseId).orderBy('at').execute(),
      ]);
      return {
        patientRef: row?.patient_ref ?? caseId,
        family: family ? { name: family.name, email: family.email, language: family.language, timeZone: family.time_zone } : undefined,
        observations: observations.map((o) => ({ at: o.at.toISOString(), temperatureC: observedCelsius(o.observation), crsGrade: o.crs_grade, icansGrade: o.icans_grade })),
      };
    },

    /** The family's language and time zone (their check-in pages are in it); undefined when the case has no row. */
    async familyContact(caseId: string): Promise<{ language: string; timeZone: string } | undefined> {
      if (!isCaseId(caseId)) return undefined;
      const row = await db.selectFrom('contacts').select(['language', 'time_zone']).where('case_id', '=', caseId).where('role', '=', 'family').executeTakeFirst();
      return row ? { language: row.language, timeZone: row.time_zone } : undefined;
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
      stage: c.stage,
      waitingFor: (c.waiting_for as WaitingFor | null) ?? { what: 'the first step', from: 'nobody' },
      documents: Object.fromEntries(
        documents.map((d) => [d.document_type, { status: d.status, translation: d.translation, ...(d.language ? { language: d.language } : {}), ...(d.waive_reason ? { waiveReason: d.waive_reason } : {}) }]),
      ),
      submissions: [...latestRound.values()].map((s) => ({
        hospitalCode: s.hospital_code,
        language: s.language,
        round: s.round,
        status: s.decision ?? 'pending',
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
      alerts: alerts.map((a) => ({ id: a.alert_id, kind: a.kind, message: a.message, raisedAt: a.raised_at.toISOString(), ...(a.tier ? { tier: a.tier } : {}), ...(a.acknowledged_at ? { acknowledgedAt: iso(a.acknowledged_at), acknowledgedBy: a.acknowledged_by ?? '' } : {}) })),
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

/** The workflow records the normalised observation: its temperature is in °C whatever was given. */
function observedCelsius(o: unknown): number | null {
  const t = (o as { temperatureC?: unknown } | null)?.temperatureC;
  return typeof t === 'number' ? t : null;
}

export type CaseReads = ReturnType<typeof createCaseReads>;
