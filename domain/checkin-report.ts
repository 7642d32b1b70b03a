// What a family reports at a check-in, and how the service triages it onto the escalation tiers.
// Pure and deterministic (workflows import it): no Node built-ins, no I/O, no clock.
//
// Families cannot measure vasopressors, oxygen or an ICE score, so a report is never graded by
// ASTCT; it is triaged. The policy below errs on the side of escalation: when a caregiver's
// yes/no answer could be the sign of a higher tier, it is read as that sign.
//
//   critical      seizure or shaking fit                      (seizure: ICANS grade >= 3)
//   urgent        difficulty breathing                        (possible new oxygen need)
//                 unusual sleepiness or hard to wake          (depressed consciousness)
//                 confusion together with trouble speaking,   (several neurological signs:
//                   understanding or writing                    ICE likely <= 6, ICANS >= 2)
//                 dizziness/light-headedness or fast/irregular heartbeat, with fever at or above
//                   the centre threshold                      (possible hypotension with fever)
//                 dizziness together with fast heartbeat      (possible hypotension, with or
//                                                               without fever: may be sepsis)
//                 fever on more than 3 distinct days          (feverDaysTier, over several reports)
//   contact_team  temperature at or above the centre threshold (default 38.0 °C; centres may use 37.5)
//                 confusion or disorientation                 (new neurological sign)
//                 trouble speaking, understanding or writing  (new neurological sign; handwriting
//                                                               change is an early ICANS sign)
//                 dizziness, or fast heartbeat, on its own    (possible hypotension)
//                 chills or shaking                           (fever may be starting)
//                 severe nausea, vomiting or diarrhoea        (dehydration, hypotension risk)
//                 severe tiredness or weakness                (can accompany CRS or ICANS)
//                 temperature below 35.0 °C                   (hypothermia can accompany sepsis,
//                                                               or the reading is wrong)
//   none          nothing of the above
//
// Being admitted never lowers the tier: the coordinator and treating team are still told.
// A report without a temperature is accepted and says so in its reasons; it does not by itself
// raise the tier (the coordinator asks the family to measure).
import { z } from 'zod';
import { InputError, parseInput, textProblem } from './validation.ts';
import {
  DEFAULT_FEVER_THRESHOLD_C,
  TEMPERATURE_RANGE,
  atOrAbove,
  celsius,
  checkFeverThreshold,
  formatTemperature,
  maxTier,
  strictFields,
} from './crs.ts';
import type { TemperatureUnit, Tier } from './crs.ts';

export { celsius } from './crs.ts';
export type { TemperatureUnit, Tier } from './crs.ts';

/** The caregiver's yes/no questions, in the order a form asks them. */
export const SYMPTOMS = [
  'chills',
  'breathingDifficulty',
  'dizziness',
  'fastHeartbeat',
  'confusion',
  'troubleSpeakingOrWriting',
  'sleepyOrHardToWake',
  'seizure',
  'severeGiSymptoms',
  'severeFatigue',
] as const;
export type Symptom = (typeof SYMPTOMS)[number];
export type Symptoms = Record<Symptom, boolean>;

/** How each symptom reads in a reason, in plain words. */
export const SYMPTOM_WORDS: Record<Symptom, string> = {
  chills: 'chills or shaking',
  breathingDifficulty: 'difficulty breathing',
  dizziness: 'dizziness or light-headedness',
  fastHeartbeat: 'fast or irregular heartbeat',
  confusion: 'confusion or disorientation',
  troubleSpeakingOrWriting: 'trouble speaking, understanding or writing',
  sleepyOrHardToWake: 'unusually sleepy or hard to wake',
  seizure: 'seizure or shaking fit',
  severeGiSymptoms: 'severe nausea, vomiting or diarrhoea',
  severeFatigue: 'severe tiredness or weakness',
};

export const NOTES_MAX_CHARS = 2000;
/** Below this a home reading is hypothermia or a bad measurement: either way the team should know. */
export const LOW_TEMPERATURE_C = 35.0;
/** Fever on more than this many distinct days is urgent. */
export const FEVER_DAYS_URGENT_AFTER = 3;

export interface CheckinReport {
  /** null when the family did not take a temperature. */
  temperature: { value: number; unit: TemperatureUnit } | null;
  /** When the temperature was taken: ISO 8601 with an offset or Z. null only without a temperature. */
  takenAt: string | null;
  /** The patient is currently admitted to hospital. */
  admitted: boolean;
  symptoms: Symptoms;
  notes: string | null;
}

const symptomFields = Object.fromEntries(SYMPTOMS.map((s) => [s, z.boolean().optional().default(false)])) as Record<
  Symptom,
  z.ZodDefault<z.ZodOptional<z.ZodBoolean>>
>;
const noSymptoms = Object.fromEntries(SYMPTOMS.map((s) => [s, false])) as Symptoms;

const temperatureSchema = strictFields({
  value: z.number(),
  unit: z.enum(['c', 'f']),
}).superRefine((t, ctx) => {
  const { min, max } = TEMPERATURE_RANGE[t.unit];
  if (t.value < min || t.value > max) {
    ctx.addIssue({
      code: 'custom',
      path: ['value'],
      message: `${formatTemperature(t.value, t.unit)} is not a plausible body temperature (expected ${min} to ${max} °${t.unit.toUpperCase()}); check the unit`,
    });
  }
});

/** The schema behind parseCheckinReport. */
const CHECKIN_REPORT_SCHEMA = strictFields({
  temperature: temperatureSchema.nullable().optional(),
  takenAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time with an offset or Z, e.g. 2026-11-24T08:30:00+01:00' }).nullable().optional(),
  admitted: z.boolean(),
  // Unticked boxes may be left out of the report: a symptom not reported is a "no".
  symptoms: strictFields(symptomFields).optional(),
  notes: z
    .string()
    .superRefine((v, ctx) => {
      const problem = textProblem(v, { multiline: true });
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: v });
    })
    .max(NOTES_MAX_CHARS, `at most ${NOTES_MAX_CHARS} characters`)
    .nullable()
    .optional(),
})
  .superRefine((r, ctx) => {
    if (r.temperature && !r.takenAt) {
      ctx.addIssue({ code: 'custom', path: ['takenAt'], message: 'required with a temperature: when was it taken?' });
    }
  })
  .transform(
    (r): CheckinReport => ({
      temperature: r.temperature ?? null,
      takenAt: r.takenAt ?? null,
      admitted: r.admitted,
      symptoms: { ...noSymptoms, ...(r.symptoms ?? {}) },
      notes: r.notes === undefined || r.notes === null || r.notes.trim() === '' ? null : r.notes,
    }),
  );

/**
 * Validates what a family sent at a check-in:
 * `{ temperature?: { value, unit: "c" | "f" } | null, takenAt?: ISO datetime, admitted: boolean,
 *    symptoms?: { chills?, breathingDifficulty?, ... }, notes?: string }`.
 * Throws an InputError naming each bad field.
 */
export function parseCheckinReport(input: unknown): CheckinReport {
  return parseInput(CHECKIN_REPORT_SCHEMA, input);
}

export interface TriageOptions {
  /** The centre's "call us" threshold in °C (default 38.0; 37.0-38.0 accepted). */
  feverThresholdC?: number;
}

export interface Triage {
  tier: Tier;
  /** Why, most severe first, in plain words. */
  reasons: string[];
  /** The temperature in °C, or null when none was taken. */
  feverC: number | null;
  /** At or above the centre threshold. */
  fever: boolean;
}

/** Maps one caregiver report onto the escalation tiers (policy at the top of this file). */
export function triageReport(report: CheckinReport, options: TriageOptions = {}): Triage {
  const threshold = checkFeverThreshold(options.feverThresholdC ?? DEFAULT_FEVER_THRESHOLD_C);
  const s = report.symptoms;
  const found: { tier: Tier; reason: string }[] = [];
  const add = (tier: Tier, reason: string) => found.push({ tier, reason });

  const feverC = report.temperature ? celsius(report.temperature.value, report.temperature.unit) : null;
  const fever = feverC !== null && atOrAbove(feverC, threshold);
  const shown = report.temperature ? formatTemperature(report.temperature.value, report.temperature.unit) : '';

  if (s.seizure) add('critical', `${SYMPTOM_WORDS.seizure}: emergency`);

  if (s.breathingDifficulty) add('urgent', `${SYMPTOM_WORDS.breathingDifficulty}: may need oxygen`);
  if (s.sleepyOrHardToWake) add('urgent', `${SYMPTOM_WORDS.sleepyOrHardToWake}: possible depressed consciousness`);
  if (s.confusion && s.troubleSpeakingOrWriting) {
    add('urgent', `${SYMPTOM_WORDS.confusion} and ${SYMPTOM_WORDS.troubleSpeakingOrWriting}: several neurological signs`);
  } else if (s.confusion) {
    add('contact_team', `${SYMPTOM_WORDS.confusion}: new neurological sign`);
  } else if (s.troubleSpeakingOrWriting) {
    add('contact_team', `${SYMPTOM_WORDS.troubleSpeakingOrWriting}: new neurological sign`);
  }

  const circulation = [s.dizziness && SYMPTOM_WORDS.dizziness, s.fastHeartbeat && SYMPTOM_WORDS.fastHeartbeat].filter(
    (w): w is string => typeof w === 'string',
  );
  if (circulation.length > 0) {
    const what = circulation.join(' and ');
    if (fever) add('urgent', `${what} with fever: possible low blood pressure`);
    else if (circulation.length === 2) add('urgent', `${what}: possible low blood pressure`);
    else add('contact_team', `${what}: possible low blood pressure`);
  }

  if (feverC === null) add('none', 'no temperature taken');
  else if (fever) add('contact_team', `fever ${shown}, at or above the centre threshold of ${threshold.toFixed(1)} °C`);
  else if (feverC < LOW_TEMPERATURE_C) add('contact_team', `low temperature ${shown}: possible hypothermia or a wrong reading`);

  if (s.chills) add('contact_team', fever ? SYMPTOM_WORDS.chills : `${SYMPTOM_WORDS.chills}: fever may be starting`);
  if (s.severeGiSymptoms) add('contact_team', `${SYMPTOM_WORDS.severeGiSymptoms}: risk of dehydration and low blood pressure`);
  if (s.severeFatigue) add('contact_team', SYMPTOM_WORDS.severeFatigue);

  const tier = found.reduce<Tier>((t, f) => maxTier(t, f.tier), 'none');
  // Stable sort: most severe first, in the order above within a tier.
  const order = (t: Tier) => ['critical', 'urgent', 'contact_team', 'none'].indexOf(t);
  const reasons = [...found].sort((a, b) => order(a.tier) - order(b.tier)).map((f) => f.reason);
  return { tier, reasons, feverC, fever };
}

/**
 * "Fever lasting more than 3 days" is urgent. `daysWithFever` counts distinct calendar days with a
 * fever reading (see countFeverDays): 0 is none, 1-3 contact_team (a fever day is itself a reason
 * to call), 4 or more urgent.
 */
export function feverDaysTier(daysWithFever: number): Tier {
  if (!Number.isInteger(daysWithFever) || daysWithFever < 0) {
    throw new InputError([{ field: 'daysWithFever', message: 'must be a whole number of days, 0 or more' }]);
  }
  if (daysWithFever > FEVER_DAYS_URGENT_AFTER) return 'urgent';
  if (daysWithFever > 0) return 'contact_team';
  return 'none';
}

/**
 * Distinct calendar days on which a report had a temperature at or above the centre threshold.
 * The day is the date of `takenAt` as written (the family's local date when the client sends the
 * local offset, the UTC date for "Z"), so no time zone database or clock is needed.
 */
export function countFeverDays(reports: readonly CheckinReport[], options: TriageOptions = {}): number {
  const threshold = checkFeverThreshold(options.feverThresholdC ?? DEFAULT_FEVER_THRESHOLD_C);
  const days = new Set<string>();
  for (const r of reports) {
    if (!r.temperature || !r.takenAt) continue;
    if (atOrAbove(celsius(r.temperature.value, r.temperature.unit), threshold)) days.add(r.takenAt.slice(0, 10));
  }
  return days.size;
}
