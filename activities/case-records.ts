// Postgres records of a case: what coordinators look back on. Every write is keyed by the
// workflow's event key, so a retried activity never duplicates a row or a timeline entry; a write
// PostgreSQL refuses for good fails as non-retryable (refusals.ts) instead of retrying forever.
import type { Db } from '../db/connect.ts';
import type { CaseInput, Decision, DocumentStatus, Stage, TranslationStatus, WaitingFor } from '../domain/case.ts';
import { protocolSchema, type CheckinStatus, type Protocol } from '../domain/monitoring.ts';
import type { Tier } from '../domain/crs.ts';
import { permanentIfRefused } from './refusals.ts';

/**
 * A change to the Postgres projection of a case, applied with its timeline entry. Each carries its
 * row's whole state, applied only over an older one (by the event's sequence number): writes about a
 * row can land out of order. (Activities scheduled by versions before 2026-12-07 may carry only the
 * fields that changed: undefined fields are left as they are.)
 */
export type RecordChange =
  | { type: 'document'; documentType: string; status: DocumentStatus; language: string | null; waiveReason: string | null; translation: TranslationStatus }
  | { type: 'submission'; hospitalCode: string; round: number; submittedAt: string; decision: Decision | null; reason: string | null; requestedDocuments: string[] | null }
  | { type: 'admission'; hospitalCode: string; admissionAt: string; contact: string | null; notes: string | null; confirmedAt: string | null; infusionAt: string | null }
  | { type: 'case'; chosenHospital?: string; closeReason?: string; closedAt?: string }
  | { type: 'alert'; alertId: string; kind: string; tier: Tier | null; message: string; raisedAt: string; acknowledgedAt: string | null; acknowledgedBy: string | null }
  | { type: 'checkin'; checkinId: number; day: number; dueAt: string; expiresAt: string; state: CheckinStatus['state']; answeredAt?: string | null; tier?: Tier | null; temperatureC?: number | null; report?: unknown; escalation?: string | null }
  | { type: 'observation'; observation: unknown; crsGrade: number; icansGrade: number; tier: string; grading: unknown };

export interface CaseEvent {
  caseId: string;
  /** Unique per event of a case's history: the idempotency key of the write. */
  eventKey: string;
  /** Order of events within the run (below a million); the case row keeps the stage of the latest one (rowOrder). */
  seq: number;
  at: string;
  actor: string;
  kind: string;
  summary: string;
  detail?: unknown;
  stage: Stage;
  waitingFor: WaitingFor;
  changes?: RecordChange[];
}

/**
 * Where an event's changes stand among the writes about the same rows: its workflow time, then its
 * sequence number, as one bigint (in a string, as pg reads it). Within a run the time never goes
 * back, so this keeps the sequence's order; a run that replaced another (a repair's reset) numbers
 * again from the reset point, but its time is later than anything the old run wrote, so its writes
 * come after the old run's, late ones included.
 */
export function rowOrder(e: Pick<CaseEvent, 'at' | 'seq'>): string {
  return (BigInt(Date.parse(e.at)) * 1_000_000n + BigInt(e.seq)).toString();
}

export function caseRecords(db: Db) {
  return {
    /**
     * The check-in protocol for a case starting monitoring: the most specific stored match
     * (hospital and therapy, hospital, therapy, then `default`), else the built-in defaults; the
     * treating team defaults to the hospital's international department and phone.
     */
    async resolveProtocol(input: { hospitalCode: string; therapy: string }): Promise<Protocol> {
      const rows = await db
        .selectFrom('protocols')
        .selectAll()
        .where((eb) => eb.or([eb('hospital_code', '=', input.hospitalCode), eb('hospital_code', 'is', null)]))
        .where((eb) => eb.or([eb('therapy', '=', input.therapy), eb('therapy', 'is', null)]))
        .execute();
      const score = (r: { hospital_code: string | null; therapy: string | null }) => (r.hospital_code ? 2 : 0) + (r.therapy ? 1 : 0);
      const best = rows.sort((a, b) => score(b) - score(a))[0];
      const protocol = protocolSchema().parse(best ? best.protocol : {});
      if (protocol.team) return protocol;
      const h = await db.selectFrom('hospitals').selectAll().where('code', '=', input.hospitalCode).executeTakeFirstOrThrow();
      return { ...protocol, team: { name: h.name, email: h.email, phone24h: h.phone ?? '' } };
    },

    /** Creates the case, its family contact and its document checklist. Idempotent. */
    async recordCaseOpened(input: CaseInput & { at: string; eventKey: string }): Promise<void> {
      await permanentIfRefused(() => db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('timeline')
          .values({ case_id: input.caseId, event_key: input.eventKey, at: input.at, kind: 'case_opened', actor: input.openedBy, summary: `Case opened for ${input.patientRef}`, detail: JSON.stringify({ therapy: input.therapy }) })
          .onConflict((oc) => oc.column('event_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return;
        await trx
          .insertInto('cases')
          .values({ case_id: input.caseId, patient_ref: input.patientRef, diagnosis: input.diagnosis, therapy: input.therapy, stage: 'inquiry', waiting_for: null, chosen_hospital: null, close_reason: null, opened_at: input.at, updated_at: input.at, closed_at: null })
          .onConflict((oc) => oc.column('case_id').doNothing())
          .execute();
        const f = input.family;
        await trx
          .insertInto('contacts')
          .values({ case_id: input.caseId, role: 'family', name: f.name, email: f.email, language: f.language, time_zone: f.timeZone })
          .onConflict((oc) => oc.columns(['case_id', 'role']).doNothing())
          .execute();
        await trx
          .insertInto('documents')
          .values(input.requiredDocuments.map((d) => ({ case_id: input.caseId, document_type: d, status: 'missing', language: null, waive_reason: null, translation: 'not_needed', updated_at: input.at })))
          .onConflict((oc) => oc.columns(['case_id', 'document_type']).doNothing())
          .execute();
      }));
    },

    /** Appends a timeline entry and applies its changes, once per event key. */
    async recordEvent(e: CaseEvent): Promise<void> {
      const order = rowOrder(e);
      await permanentIfRefused(() => db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('timeline')
          .values({ case_id: e.caseId, event_key: e.eventKey, at: e.at, kind: e.kind, actor: e.actor, summary: e.summary, detail: e.detail === undefined ? null : JSON.stringify(e.detail) })
          .onConflict((oc) => oc.column('event_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return;
        await trx
          .updateTable('cases')
          .set({ stage: e.stage, waiting_for: JSON.stringify(e.waitingFor), status_seq: order, updated_at: e.at })
          .where('case_id', '=', e.caseId)
          .where('status_seq', '<', order)
          .execute();
        for (const c of e.changes ?? []) {
          switch (c.type) {
            case 'document': {
              const values = { status: c.status, language: c.language, waive_reason: c.waiveReason, translation: c.translation, updated_at: e.at, status_seq: order };
              await trx
                .insertInto('documents')
                .values({ case_id: e.caseId, document_type: c.documentType, status: c.status ?? 'missing', language: c.language ?? null, waive_reason: c.waiveReason ?? null, translation: c.translation ?? 'not_needed', updated_at: e.at, status_seq: order })
                .onConflict((oc) => oc.columns(['case_id', 'document_type']).doUpdateSet(defined(values)).where('documents.status_seq', '<', order))
                .execute();
              break;
            }
            case 'submission': {
              const values = {
                submitted_at: c.submittedAt,
                decision: c.decision,
                decision_reason: c.reason,
                requested_documents: c.requestedDocuments === undefined ? undefined : c.requestedDocuments === null ? null : JSON.stringify(c.requestedDocuments),
                decided_at: c.decision ? e.at : undefined,
                status_seq: order,
              };
              await trx
                .insertInto('submissions')
                .values({ case_id: e.caseId, hospital_code: c.hospitalCode, round: c.round, submitted_at: c.submittedAt ?? e.at, decision: c.decision ?? null, decision_reason: c.reason ?? null, requested_documents: values.requested_documents ?? null, decided_at: values.decided_at ?? null, status_seq: order })
                .onConflict((oc) => oc.columns(['case_id', 'hospital_code', 'round']).doUpdateSet(defined(values)).where('submissions.status_seq', '<', order))
                .execute();
              break;
            }
            case 'admission': {
              const values = { hospital_code: c.hospitalCode, admission_at: c.admissionAt, contact: c.contact, notes: c.notes, confirmed_at: c.confirmedAt, infusion_at: c.infusionAt, status_seq: order };
              await trx
                .insertInto('admissions')
                .values({ case_id: e.caseId, hospital_code: c.hospitalCode, admission_at: c.admissionAt, contact: c.contact ?? null, notes: c.notes ?? null, confirmed_at: c.confirmedAt ?? null, infusion_at: c.infusionAt ?? null, status_seq: order })
                .onConflict((oc) => oc.column('case_id').doUpdateSet(defined(values)).where('admissions.status_seq', '<', order))
                .execute();
              break;
            }
            case 'alert': {
              const values = { tier: c.tier, acknowledged_at: c.acknowledgedAt, acknowledged_by: c.acknowledgedBy, status_seq: order };
              await trx
                .insertInto('alerts')
                .values({ case_id: e.caseId, alert_id: c.alertId, kind: c.kind, tier: c.tier ?? null, message: c.message, raised_at: c.raisedAt, acknowledged_at: c.acknowledgedAt ?? null, acknowledged_by: c.acknowledgedBy ?? null, status_seq: order })
                .onConflict((oc) => oc.columns(['case_id', 'alert_id']).doUpdateSet(defined(values)).where('alerts.status_seq', '<', order))
                .execute();
              break;
            }
            case 'checkin': {
              const report = c.report === undefined ? undefined : JSON.stringify(c.report);
              const values = { state: c.state, answered_at: c.answeredAt, tier: c.tier, temperature_c: c.temperatureC, report, escalation: c.escalation, status_seq: order };
              // Each change carries the check-in's whole state (but the report), so the newest event wins the row.
              await trx
                .insertInto('checkins')
                .values({ case_id: e.caseId, checkin_id: c.checkinId, day: c.day, due_at: c.dueAt, expires_at: c.expiresAt, state: c.state, answered_at: c.answeredAt ?? null, tier: c.tier ?? null, temperature_c: c.temperatureC ?? null, report: report ?? null, escalation: c.escalation ?? null, status_seq: order })
                .onConflict((oc) => oc.columns(['case_id', 'checkin_id']).doUpdateSet(defined(values)).where('checkins.status_seq', '<', order))
                .execute();
              break;
            }
            case 'observation':
              await trx
                .insertInto('observations')
                .values({ case_id: e.caseId, event_key: e.eventKey, at: e.at, actor: e.actor, observation: JSON.stringify(c.observation), crs_grade: c.crsGrade, icans_grade: c.icansGrade, tier: c.tier, grading: JSON.stringify(c.grading) })
                .execute();
              break;
            case 'case':
              await trx
                .updateTable('cases')
                .set(defined({ chosen_hospital: c.chosenHospital, close_reason: c.closeReason, closed_at: c.closedAt }))
                .where('case_id', '=', e.caseId)
                .execute();
              break;
          }
        }
      }));
    },
  };
}

/** Drops undefined fields so an update touches only what the event changed. */
function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

