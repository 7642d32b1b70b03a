// The one action layer: casectl, the HTTP API and the console all open cases, act on them and
// read them through here, so validation, Temporal Updates and error meanings live in one place.
import { createHash } from 'node:crypto';
import { Client, WorkflowUpdateFailedError, WorkflowNotFoundError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import { openCaseSchema, hospitalCodeSchema, languageSchema, timeZoneSchema, STAGES, type CaseInput, type CaseStatus } from '../domain/case.ts';
import { actionSchemas, type ActionArgs, type ActionName } from '../domain/actions.ts';
import { protocolSchema, type CheckinOutcome, type ClinicalOutcome, type Protocol } from '../domain/monitoring.ts';
import { InputError, parseInput } from '../domain/validation.ts';
import { CaseStageKey } from '../domain/search-attributes.ts';
import * as msg from '../workflows/messages.ts';
import type { caseWorkflow } from '../workflows/case.ts';

/** The case does not exist (HTTP 404). */
export class CaseNotFoundError extends Error {
  constructor(caseId: string) {
    super(`case ${caseId} does not exist`);
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
    code: hospitalCodeSchema,
    name: z.string().trim().min(1, 'is required').max(200),
    email: z.email('must be an email address'),
    language: languageSchema,
    timezone: timeZoneSchema,
    phone: z.string().trim().max(50).optional(),
  })
  .strict();

const protocolInputSchema = z
  .object({
    name: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a protocol name (letters, digits, . _ -)'),
    hospitalCode: hospitalCodeSchema.optional(),
    therapy: z.string().trim().min(1).max(200).optional(),
    protocol: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Same patient reference, same case: opening twice finds the first one. */
export function caseIdFor(patientRef: string): string {
  return `c${createHash('sha256').update(`case:${patientRef.trim()}`).digest('hex').slice(0, 12)}`;
}

const updates = {
  receiveDocument: msg.receiveDocument,
  waiveDocument: msg.waiveDocument,
  completeTranslation: msg.completeTranslation,
  submitToHospitals: msg.submitToHospitals,
  recordDecision: msg.recordDecision,
  chooseHospital: msg.chooseHospital,
  planAdmission: msg.planAdmission,
  confirmAdmission: msg.confirmAdmission,
  recordInfusion: msg.recordInfusion,
  endMonitoring: msg.endMonitoring,
  recordFollowUp: msg.recordFollowUp,
  closeCase: msg.closeCase,
  cancelCase: msg.cancelCase,
  acknowledgeAlert: msg.acknowledgeAlert,
} as const satisfies Record<CaseActionName, unknown>;

/** Actions answered with the case's status; check-in reports and observations answer with their outcome. */
export type CaseActionName = Exclude<ActionName, 'submitCheckin' | 'recordClinical'>;

export interface CaseActionsDeps {
  client: Client;
  db: Db;
  taskQueue: string;
}

export function createCaseActions({ client, db, taskQueue }: CaseActionsDeps) {
  const handle = (caseId: string) => client.workflow.getHandle<typeof caseWorkflow>(msg.caseWorkflowId(caseId));

  async function translateErrors<T>(caseId: string, run: () => Promise<T>): Promise<T> {
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

  async function act<A extends CaseActionName>(caseId: string, name: A, raw: Omit<ActionArgs<A>, 'actor'> & { actor: string }): Promise<CaseStatus> {
    const args = parseInput(actionSchemas[name], raw);
    return translateErrors(caseId, () => handle(caseId).executeUpdate(updates[name] as typeof msg.receiveDocument, { args: [args as never] }));
  }

  return {
    act,

    async openCase(raw: unknown, actor: string): Promise<{ caseId: string; created: boolean }> {
      const opened = parseInput(openCaseSchema, raw);
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
    async submit(caseId: string, codes: string[], actor: string): Promise<CaseStatus> {
      const rows = codes.length ? await db.selectFrom('hospitals').select(['code', 'language']).where('code', 'in', codes).execute() : [];
      const unknown = codes.filter((c) => !rows.some((r) => r.code === c));
      if (unknown.length) throw new InputError(unknown.map((c) => ({ field: 'hospitalCode', message: `no hospital with code ${c} (casectl hospital add)` })));
      return act(caseId, 'submitToHospitals', { actor, hospitals: codes.map((c) => ({ code: c, language: rows.find((r) => r.code === c)!.language })) });
    },

    /**
     * A family's check-in report (from the signed link's page); refused once answered or closed.
     * The Update id comes from the check-in and the report, so a retried request with the same
     * answers gets the first answer's outcome back instead of a refusal.
     */
    async submitCheckin(caseId: string, checkinId: number, report: unknown): Promise<CheckinOutcome> {
      const args = parseInput(actionSchemas.submitCheckin, { checkinId, report });
      const updateId = `checkin-${checkinId}-${createHash('sha256').update(JSON.stringify(report)).digest('hex').slice(0, 24)}`;
      return translateErrors(caseId, () => handle(caseId).executeUpdate(msg.submitCheckin, { args: [args], updateId }));
    },

    /** A clinical observation, graded by the workflow with ASTCT CRS and ICANS grades. */
    async recordClinical(caseId: string, observation: unknown, actor: string): Promise<ClinicalOutcome> {
      const args = parseInput(actionSchemas.recordClinical, { actor, observation });
      return translateErrors(caseId, () => handle(caseId).executeUpdate(msg.recordClinical, { args: [args] }));
    },

    async status(caseId: string): Promise<CaseStatus> {
      return translateErrors(caseId, () => handle(caseId).query(msg.caseStatus));
    },

    async listCases(filter: { stage?: string } = {}) {
      if (filter.stage && !(STAGES as readonly string[]).includes(filter.stage)) throw new InputError([{ field: 'stage', message: `must be one of ${STAGES.join(', ')}` }]);
      let q = db.selectFrom('cases').select(['case_id', 'patient_ref', 'stage', 'waiting_for', 'chosen_hospital', 'opened_at', 'updated_at']).orderBy('updated_at', 'desc');
      if (filter.stage) q = q.where('stage', '=', filter.stage);
      return (await q.execute()).map((r) => ({
        caseId: r.case_id,
        patientRef: r.patient_ref,
        stage: r.stage,
        waitingFor: r.waiting_for,
        hospital: r.chosen_hospital,
        openedAt: r.opened_at.toISOString(),
        updatedAt: r.updated_at.toISOString(),
      }));
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
      const protocol = parseInput(protocolSchema, { ...input.protocol, name: input.name });
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

  async function mustExist(caseId: string): Promise<void> {
    const row = await db.selectFrom('cases').select('case_id').where('case_id', '=', caseId).executeTakeFirst();
    if (!row) throw new CaseNotFoundError(caseId);
  }
}

export type CaseActions = ReturnType<typeof createCaseActions>;
