// Every action a person can take on a case, in one place: its arguments (the one schema its type
// comes from), who may take it, and what it is for. The workflow's Updates, the action layer, the
// API's routes and access checks, the console's forms and casectl's commands all derive from this
// list (test/foundation/actions.test.ts fails when one of them misses an action). Pure: the
// workflow's Update validators parse with the same schemas.
import { z } from 'zod';
import { textSchema } from './validation.ts';
import { documentTypeSchema, hospitalCodeSchema, isoDateTimeSchema, languageSchema } from './case.ts';
import { fileIdSchema } from './files.ts';

// ---- who ---------------------------------------------------------------------------------------

/** Staff roles: coordinators drive cases, clinicians record observations and take alerts, ops read. */
export const ROLES = ['coordinator', 'clinician', 'ops'] as const;
export type Role = (typeof ROLES)[number];

/** What a door asks of whoever knocks: nothing, any staff role, a clinical role, a coordinator. */
export type Access = 'public' | 'read' | 'clinical' | 'coordinate';
const ALLOWED: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  read: ROLES,
  clinical: ['coordinator', 'clinician'],
  coordinate: ['coordinator'],
};
export const mayAccess = (role: Role, access: Access): boolean => access === 'public' || ALLOWED[access].includes(role);
export const rolesFor = (access: Exclude<Access, 'public'>): readonly Role[] => ALLOWED[access];

/** People outside the staff who act on a case through their own door (a signed link), never an account. */
export type Party = 'family' | 'hospital' | 'translator';

// ---- the actions ---------------------------------------------------------------------------------

const actor = textSchema(200);
const reason = textSchema(2000, { multiline: true });
/** A file of the case the action is about (a review of an upload), when there is one. */
const fileId = fileIdSchema();

interface ActionSpec {
  schema: z.ZodType;
  /** The staff who may take it (`public` never: every staff action names its actor). */
  access: Exclude<Access, 'public' | 'read'> | 'none';
  /** Outside parties who may take it through their own door. */
  parties: readonly Party[];
  /** What it does, in a few words: the API's summaries, casectl's help, the console. */
  summary: string;
}

const ACTIONS = {
  receiveDocument: {
    schema: z.object({ actor, documentType: documentTypeSchema(), language: languageSchema().optional(), fileId: fileId.optional() }).strict(),
    access: 'coordinate',
    parties: [],
    summary: 'record that a document arrived',
  },
  waiveDocument: {
    schema: z.object({ actor, documentType: documentTypeSchema(), reason }).strict(),
    access: 'coordinate',
    parties: [],
    summary: 'go on without a document',
  },
  requestDocument: {
    schema: z.object({ actor, documentType: documentTypeSchema(), reason, fileId: fileId.optional() }).strict(),
    access: 'coordinate',
    parties: [],
    summary: 'ask the family to send a document again, saying why (an upload that could not be used)',
  },
  filesUploaded: {
    schema: z.object({ actor, fileIds: z.array(fileId).min(1, 'name at least one file').max(20, 'at most 20 files at once') }).strict(),
    // Taken by the service itself once the files are in the vault, whoever sent them (the family on
    // their page, a coordinator with casectl docs upload): no door of its own.
    access: 'none',
    parties: ['family'],
    summary: 'files arrived in the vault and wait for a coordinator to review them',
  },
  recordConsent: {
    schema: z.object({ actor, consent: z.enum(['withdrawn', 'given']) }).strict(),
    access: 'none',
    parties: ['family'],
    summary: "the family withdrew their consent to the processing of the health data, or gave it again, on their records page",
  },
  approveSharing: {
    schema: z.object({ actor, hospitalCode: hospitalCodeSchema() }).strict(),
    access: 'coordinate',
    parties: ['family'],
    summary: "record the family's approval to share the case with a hospital (they give it on their records page, or to a coordinator)",
  },
  completeTranslation: {
    schema: z.object({ actor, documentType: documentTypeSchema() }).strict(),
    access: 'coordinate',
    parties: ['translator'],
    summary: 'record that a translation is finished',
  },
  rejectTranslation: {
    schema: z.object({ actor, documentType: documentTypeSchema(), reason }).strict(),
    access: 'coordinate',
    parties: [],
    summary: 'send a finished translation back to the translator, saying why',
  },
  submitToHospitals: {
    schema: z
      .object({ actor, hospitals: z.array(z.object({ code: hospitalCodeSchema(), language: languageSchema() }).strict()).min(1, 'name at least one hospital').max(20, 'at most 20 hospitals at once') })
      .strict()
      .refine((v) => new Set(v.hospitals.map((h) => h.code)).size === v.hospitals.length, { message: 'names a hospital twice', path: ['hospitals'] }),
    access: 'coordinate',
    parties: [],
    summary: 'submit the case to hospitals',
  },
  recordDecision: {
    schema: z
      .object({ actor, hospitalCode: hospitalCodeSchema(), decision: z.enum(['accepted', 'declined', 'more_info']), reason: reason.optional(), documents: z.array(documentTypeSchema()).max(20, 'at most 20 documents').optional() })
      .strict()
      .refine((v) => v.decision !== 'declined' || v.reason, { message: 'a declined decision needs a reason', path: ['reason'] })
      .refine((v) => v.decision !== 'more_info' || (v.documents && v.documents.length > 0), { message: 'more_info must name the documents the hospital needs', path: ['documents'] })
      // The two refinements above, for the API's document.
      .meta({
        allOf: [
          { if: { properties: { decision: { const: 'declined' } }, required: ['decision'] }, then: { required: ['reason'] } },
          { if: { properties: { decision: { const: 'more_info' } }, required: ['decision'] }, then: { required: ['documents'], properties: { documents: { minItems: 1 } } } },
        ],
      }),
    access: 'coordinate',
    parties: ['hospital'],
    summary: "record a hospital's answer",
  },
  packetOpened: {
    schema: z.object({ actor, hospitalCode: hospitalCodeSchema(), round: z.number().int().positive().max(1000) }).strict(),
    // Taken by the service when a hospital opens its packet page with its one-time code.
    access: 'none',
    parties: ['hospital'],
    summary: 'a hospital opened the packet of its submission round',
  },
  packetLocked: {
    schema: z.object({ actor, hospitalCode: hospitalCodeSchema(), round: z.number().int().positive().max(1000) }).strict(),
    access: 'none',
    parties: ['hospital'],
    summary: "a hospital's packet link was locked after too many wrong one-time codes",
  },
  chooseHospital: {
    schema: z.object({ actor, hospitalCode: hospitalCodeSchema() }).strict(),
    access: 'coordinate',
    parties: [],
    summary: 'choose among the hospitals that accepted',
  },
  planAdmission: {
    schema: z
      .object({ actor, hospitalCode: hospitalCodeSchema(), admissionAt: isoDateTimeSchema(), contact: textSchema(500, { min: 0, multiline: true }).optional(), notes: textSchema(4000, { min: 0, multiline: true }).optional() })
      .strict(),
    access: 'coordinate',
    parties: [],
    summary: 'plan (or re-plan) the admission',
  },
  confirmAdmission: { schema: z.object({ actor }).strict(), access: 'coordinate', parties: [], summary: 'confirm the planned admission' },
  recordInfusion: { schema: z.object({ actor, at: isoDateTimeSchema() }).strict(), access: 'coordinate', parties: [], summary: 'record the infusion (day 0); monitoring starts' },
  endMonitoring: { schema: z.object({ actor }).strict(), access: 'coordinate', parties: [], summary: 'end post-infusion monitoring' },
  recordFollowUp: { schema: z.object({ actor, outcome: reason }).strict(), access: 'coordinate', parties: [], summary: 'record the outcome of a follow-up contact' },
  closeCase: { schema: z.object({ actor, reason }).strict(), access: 'coordinate', parties: [], summary: 'close a case after every hospital declined' },
  cancelCase: { schema: z.object({ actor, reason }).strict(), access: 'coordinate', parties: [], summary: 'cancel a case' },
  acknowledgeAlert: { schema: z.object({ actor, alertId: textSchema(64) }).strict(), access: 'clinical', parties: [], summary: 'acknowledge an alert' },
  // The observation and the report are checked by their own domain parsers (domain/crs.ts, domain/checkin-report.ts).
  recordClinical: { schema: z.object({ actor, observation: z.unknown() }).strict(), access: 'clinical', parties: [], summary: 'record a clinical observation; the case grades it and escalates' },
  submitCheckin: {
    schema: z.object({ checkinId: z.number().int().positive().max(100_000), report: z.unknown() }).strict(),
    access: 'none',
    parties: ['family'],
    summary: "a family's check-in report, from the signed link's page",
  },
} satisfies Record<string, ActionSpec>;

export type ActionName = keyof typeof ACTIONS;
/** The arguments an action takes (what a client sends). */
export type ActionInput<A extends ActionName> = z.input<(typeof ACTIONS)[A]['schema']>;
/** The arguments once parsed (what a handler gets). */
export type ActionArgs<A extends ActionName> = z.output<(typeof ACTIONS)[A]['schema']>;
/** The actions staff take from casectl, the API and the console (every one names its actor). */
export type StaffAction = { [A in ActionName]: (typeof ACTIONS)[A]['access'] extends 'none' ? never : A }[ActionName];

// Leave this module only through functions: see domain/case.ts.
export function actionSchema<A extends ActionName>(name: A): (typeof ACTIONS)[A]['schema'] {
  return ACTIONS[name].schema;
}
export const actionNames = (): ActionName[] => Object.keys(ACTIONS) as ActionName[];
export const staffActions = (): StaffAction[] => actionNames().filter((a): a is StaffAction => ACTIONS[a].access !== 'none');
export const isAction = (name: string): name is ActionName => Object.hasOwn(ACTIONS, name);
export const actionAccess = (name: StaffAction): Exclude<Access, 'public' | 'read'> => ACTIONS[name].access as Exclude<Access, 'public' | 'read'>;
export const actionSummary = (name: ActionName): string => ACTIONS[name].summary;
export const actionParties = (name: ActionName): readonly Party[] => ACTIONS[name].parties;
/** May a staff member in `role` take the action? The one answer the API, the console and casectl give. */
export const mayTake = (role: Role, name: ActionName): boolean => {
  const access = ACTIONS[name].access;
  return access !== 'none' && mayAccess(role, access);
};
