// The arguments of each coordinator action, validated the same way by every client (casectl,
// HTTP API, console) and again by the workflow's Update validators.
import { z } from 'zod';
import { textSchema } from './validation.ts';
import { documentTypeSchema, hospitalCodeSchema, isoDateTimeSchema, languageSchema } from './case.ts';

const actor = textSchema(200);
const reason = textSchema(2000, { multiline: true });

const ACTION_SCHEMAS = {
  receiveDocument: z.object({ actor, documentType: documentTypeSchema(), language: languageSchema().optional() }).strict(),
  waiveDocument: z.object({ actor, documentType: documentTypeSchema(), reason }).strict(),
  completeTranslation: z.object({ actor, documentType: documentTypeSchema() }).strict(),
  submitToHospitals: z
    .object({ actor, hospitals: z.array(z.object({ code: hospitalCodeSchema(), language: languageSchema() }).strict()).min(1, 'name at least one hospital').max(20, 'at most 20 hospitals at once') })
    .strict()
    .refine((v) => new Set(v.hospitals.map((h) => h.code)).size === v.hospitals.length, { message: 'names a hospital twice', path: ['hospitals'] }),
  recordDecision: z
    .object({ actor, hospitalCode: hospitalCodeSchema(), decision: z.enum(['accepted', 'declined', 'more_info']), reason: reason.optional(), documents: z.array(documentTypeSchema()).max(20, 'at most 20 documents').optional() })
    .strict()
    .refine((v) => v.decision !== 'declined' || v.reason, { message: 'a declined decision needs a reason', path: ['reason'] })
    .refine((v) => v.decision !== 'more_info' || (v.documents && v.documents.length > 0), { message: 'more_info must name the documents the hospital needs', path: ['documents'] }),
  chooseHospital: z.object({ actor, hospitalCode: hospitalCodeSchema() }).strict(),
  planAdmission: z
    .object({ actor, hospitalCode: hospitalCodeSchema(), admissionAt: isoDateTimeSchema(), contact: textSchema(500, { min: 0, multiline: true }).optional(), notes: textSchema(4000, { min: 0, multiline: true }).optional() })
    .strict(),
  confirmAdmission: z.object({ actor }).strict(),
  recordInfusion: z.object({ actor, at: isoDateTimeSchema() }).strict(),
  endMonitoring: z.object({ actor }).strict(),
  recordFollowUp: z.object({ actor, outcome: reason }).strict(),
  closeCase: z.object({ actor, reason }).strict(),
  cancelCase: z.object({ actor, reason }).strict(),
  acknowledgeAlert: z.object({ actor, alertId: textSchema(64) }).strict(),
  // The report and the observation are checked by their own domain parsers (domain/checkin-report.ts, domain/crs.ts).
  submitCheckin: z.object({ checkinId: z.number().int().positive().max(100_000), report: z.unknown() }).strict(),
  recordClinical: z.object({ actor, observation: z.unknown() }).strict(),
};

export type ActionName = keyof typeof ACTION_SCHEMAS;
export type ActionArgs<A extends ActionName> = z.output<(typeof ACTION_SCHEMAS)[A]>;

// Leaves this module only through a function: see domain/case.ts.
export function actionSchema<A extends ActionName>(name: A): (typeof ACTION_SCHEMAS)[A] {
  return ACTION_SCHEMAS[name];
}
