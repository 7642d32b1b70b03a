// The one action layer: casectl, the HTTP API and the console open cases and act on them through
// here, so validation, Temporal Updates and error meanings live in one place. The layer carries the
// reads too (client/reads.ts), so that each door has one object to ask.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import { openCaseSchema, hospitalCodeSchema, languageSchema, timeZoneSchema, type CaseInput, type CaseStatus } from '../domain/case.ts';
import { actionSchema, type ActionArgs, type ActionName } from '../domain/actions.ts';
import { protocolSchema, type CheckinOutcome, type ClinicalOutcome } from '../domain/monitoring.ts';
import { InputError, parseInput, textSchema } from '../domain/validation.ts';
import { CaseStageKey } from '../domain/search-attributes.ts';
import * as msg from '../workflows/messages.ts';
import { caseIdBefore20261207, type Identifiers } from '../common/identifiers.ts';
import { caseCalls } from './case-calls.ts';
import { createCaseReads } from './reads.ts';

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


/** Actions answered with the case's status; check-in reports and observations answer with their outcome. */
export type CaseActionName = Exclude<ActionName, 'recordClinical' | 'submitCheckin'>;

export interface CaseActionsDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  /** Case ids and check-in Update ids (common/identifiers.ts): the same key in every process that opens cases. */
  identifiers: Identifiers;
}

/**
 * A request's own id, from whoever sends it (casectl makes one per command, the console one per
 * form, API clients send Idempotency-Key): a retry with the same id is applied once and answers as
 * the first did, because it becomes the Temporal Update's id.
 */
export const requestIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'must be 8 to 100 letters, digits or . _ : -');

export interface ActOptions {
  requestId?: string;
}

/** The Update id of a request: per action, so that an id reused for another action is not mistaken for it. */
const updateIdOf = (name: string, opts: ActOptions): { updateId?: string } => (opts.requestId ? { updateId: `${name}:${parseInput(requestIdSchema, opts.requestId)}` } : {});

export function createCaseActions({ client, db, taskQueue, identifiers }: CaseActionsDeps) {
  const { handle, translateErrors } = caseCalls(client);
  const reads = createCaseReads({ client, db });
  async function act<A extends CaseActionName>(caseId: string, name: A, raw: Omit<ActionArgs<A>, 'actor'> & { actor: string }, opts: ActOptions = {}): Promise<CaseStatus> {
    const args = parseInput(actionSchema(name), raw);
    const update = msg.actionUpdates[name] as msg.ActionUpdate<CaseActionName>;
    return translateErrors(caseId, () => handle(caseId).executeUpdate(update, { args: [args as never], ...updateIdOf(name, opts) }));
  }

  return {
    ...reads,
    act,

    async openCase(raw: unknown, actor: string): Promise<{ caseId: string; created: boolean }> {
      const opened = parseInput(openCaseSchema(), raw);
      // Same patient reference, same case: opening twice finds the first one, opened before ids were keyed too.
      const earlier = caseIdBefore20261207(opened.patientRef);
      if (await handle(earlier).describe().then(() => true, (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)))) return { caseId: earlier, created: false };
      const caseId = identifiers.caseId(opened.patientRef);
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
     * Files now in the vault, told to the case so that it waits for their review and the coordinator
     * hears of them. The Update id comes from the first file, so telling it again changes nothing.
     */
    filesUploaded(caseId: string, fileIds: string[], actor: string): Promise<CaseStatus> {
      return act(caseId, 'filesUploaded', { fileIds, actor }, { requestId: `files:${fileIds[0]}` });
    },

    /**
     * A family's check-in report (from the signed link's page); refused once answered or closed.
     * The Update id comes from the check-in and the report, so a retried request with the same
     * answers gets the first answer's outcome back instead of a refusal.
     */
    async submitCheckin(caseId: string, checkinId: number, report: unknown): Promise<CheckinOutcome> {
      const args = parseInput(actionSchema('submitCheckin'), { checkinId, report });
      const updateId = identifiers.checkinUpdateId(checkinId, report);
      return translateErrors(caseId, () => handle(caseId).executeUpdate(msg.actionUpdates.submitCheckin, { args: [args], updateId }));
    },

    /** A clinical observation, graded by the workflow with ASTCT CRS and ICANS grades. */
    async recordClinical(caseId: string, observation: unknown, actor: string, opts: ActOptions = {}): Promise<ClinicalOutcome> {
      const args = parseInput(actionSchema('recordClinical'), { actor, observation });
      return translateErrors(caseId, () => handle(caseId).executeUpdate(msg.actionUpdates.recordClinical, { args: [args], ...updateIdOf('recordClinical', opts) }));
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
  };
}

export type CaseActions = ReturnType<typeof createCaseActions>;
