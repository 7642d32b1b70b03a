// ASTCT grading of cytokine release syndrome (CRS) and immune effector cell-associated
// neurotoxicity syndrome (ICANS) for one clinical observation from the treating team, and the
// escalation tier it calls for. This is the `casectl crs grade` contract. Pure and deterministic:
// workflows import it, so no Node built-ins, no I/O, no clock.
//
// Sources: ASTCT consensus grading (Lee et al., Biol Blood Marrow Transplant 2019;25(4):625-638)
// and this service's policy where ASTCT is silent:
// - Masked fever (antipyretic or anti-cytokine therapy given) with neither hypotension nor hypoxia:
//   no automatic grade. Returned as CRS grade 0 with clinicianReview true and a reason saying so.
// - Vasopressin alone: counted as one vasopressor (grade 3), clinicianReview true.
// - Depressed consciousness explained by sedation: the consciousness domain is left out, the rest
//   is graded, clinicianReview true.
// - An ICE score for a patient under 12: refused (CAPD is required).
// - Hypotension or a new oxygen need without fever: CRS grade 0, tier urgent anyway (may be sepsis).
//
// Input choices where the contract leaves room (all documented in parseObservation):
// - `hypotension` defaults to "none", or to "vasopressors" when a vasopressor list is given.
//   A vasopressor list with hypotension "none"/"fluids_only" is refused, and so is hypotension
//   "vasopressors" without the list: the grade depends on how many there are (3 versus 4).
// - Vasopressor names are a closed list (with noradrenaline/adrenaline as aliases); the same drug
//   twice is refused, because it would be counted twice.
// - A nasal cannula needs its flow (the grade depends on it); room air takes no flow.
// - A "high-flow" nasal cannula documented at 6 L/min or less is graded by ASTCT's definition
//   (flow, not device name): low flow, grade 2, with clinicianReview true.
// - Under 12 the ICE domain is not used (ICE is null); the other ICANS domains are graded and the
//   reason says a CAPD assessment belongs to the team.
import { z } from 'zod';
import { InputError, parseInput } from './validation.ts';

// ---------------------------------------------------------------------------------------------
// Escalation tiers

/** Escalation tiers, least to most severe. */
export const TIERS = ['none', 'contact_team', 'urgent', 'critical'] as const;
export type Tier = (typeof TIERS)[number];

/** Position of a tier in TIERS (none 0 ... critical 3). */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** The more severe of two tiers. */
export function maxTier(a: Tier, b: Tier): Tier {
  return tierRank(b) > tierRank(a) ? b : a;
}

// ---------------------------------------------------------------------------------------------
// Temperature

/** ASTCT fever: temperature >= 38.0 °C. Grading always uses this, whatever the centre's threshold. */
export const ASTCT_FEVER_C = 38.0;
export const DEFAULT_FEVER_THRESHOLD_C = ASTCT_FEVER_C;
/** Centre thresholds for "call us" may be lower than ASTCT's (some use 37.5 °C), never higher. */
export const MIN_FEVER_THRESHOLD_C = 37.0;

export type TemperatureUnit = 'c' | 'f';

/** Plausible measured human body temperature; anything outside is a typo or a wrong unit. */
export const TEMPERATURE_RANGE = { c: { min: 25, max: 45 }, f: { min: 77, max: 113 } } as const;

/** Degrees Celsius from a value in `unit`. Not rounded: 100.3 °F is 37.944... °C, not 37.9 or 38. */
export function celsius(value: number, unit: TemperatureUnit): number {
  return unit === 'c' ? value : ((value - 32) * 5) / 9;
}

// The °F conversion is binary floating point, so 100.4 °F could come out a hair under 38.
// This tolerance (a billionth of a degree) absorbs that error only; it is not clinical rounding:
// 37.95 °C and 100.39 °F are still below 38.0.
const FLOAT_TOLERANCE = 1e-9;

/** True when `temperatureC` is at or above `thresholdC`, compared exactly (no rounding). */
export function atOrAbove(temperatureC: number, thresholdC: number): boolean {
  return temperatureC >= thresholdC - FLOAT_TOLERANCE;
}

/** Checks a centre fever threshold; throws an InputError naming `feverThresholdC` when it is unusable. */
export function checkFeverThreshold(feverThresholdC: number): number {
  if (!Number.isFinite(feverThresholdC) || feverThresholdC < MIN_FEVER_THRESHOLD_C || feverThresholdC > ASTCT_FEVER_C) {
    throw new InputError([
      {
        field: 'feverThresholdC',
        message: `must be a number from ${MIN_FEVER_THRESHOLD_C.toFixed(1)} to ${ASTCT_FEVER_C.toFixed(1)} °C (a centre may be stricter than ASTCT, never laxer)`,
      },
    ]);
  }
  return feverThresholdC;
}

/** "38.2 °C" / "100.4 °F", the value exactly as given. */
export function formatTemperature(value: number, unit: TemperatureUnit): string {
  return `${value} °${unit.toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------------
// Validation helper

/**
 * A strict object whose unknown fields are each reported under their own name (zod's strictObject
 * reports them all on the parent with an empty path, which would not name the field).
 */
export function strictFields<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = new Set(Object.keys(shape));
  return z.preprocess((value: unknown, ctx) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const kept: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (known.has(key)) kept[key] = v;
      else ctx.addIssue({ code: 'custom', path: [key], message: 'unknown field', input: v });
    }
    return kept;
  }, z.strictObject(shape));
}

// ---------------------------------------------------------------------------------------------
// The observation

export const HYPOTENSION = ['none', 'fluids_only', 'vasopressors'] as const;
export type Hypotension = (typeof HYPOTENSION)[number];

export const VASOPRESSORS = ['norepinephrine', 'epinephrine', 'phenylephrine', 'dopamine', 'vasopressin', 'angiotensin_ii', 'metaraminol'] as const;
export type Vasopressor = (typeof VASOPRESSORS)[number];
const VASOPRESSOR_ALIASES = { noradrenaline: 'norepinephrine', adrenaline: 'epinephrine' } as const satisfies Record<string, Vasopressor>;

export const OXYGEN_DEVICES = [
  'room_air',
  'blow_by',
  'nasal_cannula',
  'high_flow_nasal_cannula',
  'facemask',
  'non_rebreather',
  'venturi',
  'cpap',
  'bipap',
  'mechanical_ventilation',
] as const;
export type OxygenDevice = (typeof OXYGEN_DEVICES)[number];

export const CONSCIOUSNESS = ['alert', 'awakens_spontaneously', 'awakens_to_voice', 'awakens_to_touch', 'unarousable'] as const;
export type Consciousness = (typeof CONSCIOUSNESS)[number];

export const SEIZURES = ['none', 'resolved_rapidly', 'prolonged_or_repetitive'] as const;
export type Seizure = (typeof SEIZURES)[number];

export const CEREBRAL_EDEMA = ['none', 'focal', 'diffuse'] as const;
export type CerebralEdema = (typeof CEREBRAL_EDEMA)[number];

/** Low-flow oxygen is at most this many L/min (ASTCT); more is high flow. */
export const LOW_FLOW_MAX_LPM = 6;
/** Children under this age are assessed with CAPD, not ICE. */
export const ICE_MIN_AGE_YEARS = 12;

/** One validated observation, normalised: defaults filled in, temperature also in °C. */
export interface Observation {
  /** The temperature in °C (converted exactly from °F when given in °F). */
  temperatureC: number;
  /** The temperature as given. */
  temperature: { value: number; unit: TemperatureUnit };
  /** Antipyretic or anti-cytokine therapy (tocilizumab, steroids) given: fever is no longer required. */
  feverMasked: boolean;
  systolicBp: number | null;
  spo2: number | null;
  hypotension: Hypotension;
  /** Canonical names, each once. Empty unless hypotension is "vasopressors". */
  vasopressors: Vasopressor[];
  oxygen: { device: OxygenDevice; flowLpm: number | null };
  /** 0-10; null for a patient under 12 (CAPD, not ICE). Defaults to 10. */
  iceScore: number | null;
  consciousness: Consciousness;
  sedated: boolean;
  globalAphasia: boolean;
  seizure: Seizure;
  motorWeakness: boolean;
  cerebralEdema: CerebralEdema;
  ageYears: number | null;
}

const flagDefaultFalse = z.boolean().optional().default(false);

const observationFields = strictFields({
  temperatureC: z
    .number()
    .min(TEMPERATURE_RANGE.c.min, `below ${TEMPERATURE_RANGE.c.min} °C is not a plausible body temperature`)
    .max(TEMPERATURE_RANGE.c.max, `above ${TEMPERATURE_RANGE.c.max} °C is not a plausible body temperature`)
    .optional(),
  temperatureF: z
    .number()
    .min(TEMPERATURE_RANGE.f.min, `below ${TEMPERATURE_RANGE.f.min} °F is not a plausible body temperature`)
    .max(TEMPERATURE_RANGE.f.max, `above ${TEMPERATURE_RANGE.f.max} °F is not a plausible body temperature`)
    .optional(),
  feverMasked: flagDefaultFalse,
  systolicBp: z.number().min(30, 'systolic pressure below 30 mmHg is not plausible').max(300, 'systolic pressure above 300 mmHg is not plausible').optional(),
  spo2: z.number().min(30, 'SpO2 below 30 % is not a plausible reading').max(100, 'SpO2 cannot exceed 100 %').optional(),
  hypotension: z.enum(HYPOTENSION).optional(),
  vasopressors: z
    .array(z.enum([...VASOPRESSORS, ...(Object.keys(VASOPRESSOR_ALIASES) as (keyof typeof VASOPRESSOR_ALIASES)[])]))
    .max(10)
    // For the API's document: each counted once, under any of its names (the check is below).
    .meta({
      uniqueItems: true,
      allOf: Object.entries(VASOPRESSOR_ALIASES).map(([alias, name]) => ({
        if: { contains: { const: name } },
        then: { items: { enum: [...VASOPRESSORS, ...Object.keys(VASOPRESSOR_ALIASES)].filter((n) => n !== alias) } },
      })),
    })
    .optional(),
  oxygen: strictFields({
    device: z.enum(OXYGEN_DEVICES),
    flowLpm: z.number().positive('oxygen flow must be more than 0 L/min').max(80, 'oxygen flow above 80 L/min is not plausible').optional(),
  })
    // For the API's document: the oxygen checks below.
    .meta({
      allOf: [
        { if: { properties: { device: { const: 'nasal_cannula' } } }, then: { required: ['flowLpm'] } },
        { if: { properties: { device: { const: 'room_air' } } }, then: { properties: { flowLpm: false } } },
      ],
    })
    .optional(),
  iceScore: z.number().int('ICE score must be a whole number').min(0, 'ICE score is 0 to 10').max(10, 'ICE score is 0 to 10').optional(),
  consciousness: z.enum(CONSCIOUSNESS).optional().default('alert'),
  sedated: flagDefaultFalse,
  globalAphasia: flagDefaultFalse,
  seizure: z.enum(SEIZURES).optional().default('none'),
  motorWeakness: flagDefaultFalse,
  cerebralEdema: z.enum(CEREBRAL_EDEMA).optional().default('none'),
  ageYears: z.number().min(0, 'age cannot be negative').max(130, 'age above 130 years is not plausible').optional(),
});

function canonicalVasopressor(name: Vasopressor | keyof typeof VASOPRESSOR_ALIASES): Vasopressor {
  return name in VASOPRESSOR_ALIASES ? VASOPRESSOR_ALIASES[name as keyof typeof VASOPRESSOR_ALIASES] : (name as Vasopressor);
}

/** The schema behind parseObservation (for callers that compose schemas, e.g. an HTTP body). */
const OBSERVATION_SCHEMA = observationFields
  .superRefine((o, ctx) => {
    // Exactly one temperature.
    if (o.temperatureC === undefined && o.temperatureF === undefined) {
      ctx.addIssue({ code: 'custom', path: ['temperatureC'], message: 'required: give temperatureC or temperatureF' });
    } else if (o.temperatureC !== undefined && o.temperatureF !== undefined) {
      const message = 'give exactly one of temperatureC and temperatureF, not both';
      ctx.addIssue({ code: 'custom', path: ['temperatureC'], message });
      ctx.addIssue({ code: 'custom', path: ['temperatureF'], message });
    }

    // Vasopressors must agree with the hypotension field, and each is counted once.
    const listed = (o.vasopressors ?? []).map(canonicalVasopressor);
    listed.forEach((name, i) => {
      if (listed.indexOf(name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['vasopressors', i], message: `${name} is listed twice (vasopressors are counted)` });
      }
    });
    if (o.hypotension === 'vasopressors' && listed.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['vasopressors'],
        message: 'required when hypotension is "vasopressors": list them, the grade depends on how many',
      });
    }
    if ((o.hypotension === 'none' || o.hypotension === 'fluids_only') && listed.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['vasopressors'],
        message: `vasopressors listed but hypotension is "${o.hypotension}": set hypotension to "vasopressors" or remove them`,
      });
    }

    // Oxygen flow where the grade depends on it; none on room air.
    if (o.oxygen?.device === 'nasal_cannula' && o.oxygen.flowLpm === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['oxygen', 'flowLpm'],
        message: `required for a nasal cannula: up to ${LOW_FLOW_MAX_LPM} L/min is low flow, more is high flow`,
      });
    }
    if (o.oxygen?.device === 'room_air' && o.oxygen.flowLpm !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['oxygen', 'flowLpm'], message: 'room air has no oxygen flow' });
    }

    // ICE is validated for adults and children 12 and over only.
    if (o.iceScore !== undefined && o.ageYears !== undefined && o.ageYears < ICE_MIN_AGE_YEARS) {
      ctx.addIssue({
        code: 'custom',
        path: ['iceScore'],
        message: `ICE is not used under ${ICE_MIN_AGE_YEARS} years: CAPD is required for a patient aged ${o.ageYears}`,
      });
    }
  })
  // For the API's document: the checks above across fields (the oxygen and vasopressor lists' own are on them).
  .meta({
    oneOf: [{ required: ['temperatureC'] }, { required: ['temperatureF'] }],
    allOf: [
      { if: { properties: { hypotension: { const: 'vasopressors' } }, required: ['hypotension'] }, then: { required: ['vasopressors'], properties: { vasopressors: { minItems: 1 } } } },
      { if: { properties: { hypotension: { enum: ['none', 'fluids_only'] } }, required: ['hypotension'] }, then: { properties: { vasopressors: { maxItems: 0 } } } },
      { if: { required: ['iceScore', 'ageYears'] }, then: { properties: { ageYears: { minimum: ICE_MIN_AGE_YEARS } } } },
    ],
  })
  .transform((o): Observation => {
    const temperature = o.temperatureC !== undefined ? { value: o.temperatureC, unit: 'c' as const } : { value: o.temperatureF as number, unit: 'f' as const };
    const vasopressors = (o.vasopressors ?? []).map(canonicalVasopressor);
    const child = o.ageYears !== undefined && o.ageYears < ICE_MIN_AGE_YEARS;
    return {
      temperatureC: celsius(temperature.value, temperature.unit),
      temperature,
      feverMasked: o.feverMasked,
      systolicBp: o.systolicBp ?? null,
      spo2: o.spo2 ?? null,
      hypotension: o.hypotension ?? (vasopressors.length > 0 ? 'vasopressors' : 'none'),
      vasopressors,
      oxygen: { device: o.oxygen?.device ?? 'room_air', flowLpm: o.oxygen?.flowLpm ?? null },
      iceScore: child ? null : (o.iceScore ?? 10),
      consciousness: o.consciousness,
      sedated: o.sedated,
      globalAphasia: o.globalAphasia,
      seizure: o.seizure,
      motorWeakness: o.motorWeakness,
      cerebralEdema: o.cerebralEdema,
      ageYears: o.ageYears ?? null,
    };
  });

/**
 * Validates one observation (the `casectl crs grade` JSON) and fills in the defaults:
 * not masked, no hypotension, room air, ICE 10 (12 and over), alert, not sedated, no aphasia,
 * no seizure, no motor weakness, no oedema. Throws an InputError naming each bad field.
 */
export function parseObservation(input: unknown): Observation {
  return parseInput(OBSERVATION_SCHEMA, input);
}
export const observationSchema = () => OBSERVATION_SCHEMA;

// ---------------------------------------------------------------------------------------------
// Grading

export type Grade = 0 | 1 | 2 | 3 | 4;

export interface DomainGrading {
  grade: Grade;
  clinicianReview: boolean;
  reason: string;
}

export interface Grading {
  crs: DomainGrading;
  icans: DomainGrading;
  tier: Tier;
}

export interface GradeOptions {
  /** The centre's "call us" fever threshold for the contact_team tier (default 38.0 °C). Grading always uses 38.0. */
  feverThresholdC?: number;
}

/** A graded finding: how severe, and how to say it. */
interface Finding {
  grade: Grade;
  text: string;
  review?: boolean;
}

function maxGrade(findings: Finding[]): Grade {
  return findings.reduce<Grade>((g, f) => (f.grade > g ? f.grade : g), 0);
}

/** The findings that set the grade, in words. */
function drivers(findings: Finding[], grade: Grade, joiner: string): string {
  return findings
    .filter((f) => f.grade === grade)
    .map((f) => f.text)
    .join(joiner);
}

function hypotensionFinding(obs: Observation): Finding | null {
  switch (obs.hypotension) {
    case 'none':
      return null;
    case 'fluids_only':
      return { grade: 2, text: 'hypotension needing fluids only' };
    case 'vasopressors': {
      const counted = obs.vasopressors.filter((v) => v !== 'vasopressin');
      const withVasopressin = obs.vasopressors.includes('vasopressin');
      if (counted.length === 0) {
        // Policy: ASTCT does not say; count vasopressin alone as one vasopressor and ask a clinician.
        return { grade: 3, text: 'vasopressin alone, counted as one vasopressor', review: true };
      }
      if (counted.length === 1) return { grade: 3, text: withVasopressin ? 'one vasopressor with vasopressin' : 'one vasopressor' };
      return { grade: 4, text: `${counted.length} vasopressors${withVasopressin ? ' (vasopressin not counted)' : ''}` };
    }
  }
}

const DEVICE_WORDS: Record<Exclude<OxygenDevice, 'room_air' | 'nasal_cannula' | 'high_flow_nasal_cannula'>, string> = {
  blow_by: 'blow-by oxygen',
  facemask: 'facemask oxygen',
  non_rebreather: 'non-rebreather mask',
  venturi: 'Venturi mask',
  cpap: 'CPAP',
  bipap: 'BiPAP',
  mechanical_ventilation: 'mechanical ventilation',
};

function hypoxiaFinding(obs: Observation): Finding | null {
  const { device, flowLpm } = obs.oxygen;
  switch (device) {
    case 'room_air':
      return null;
    case 'nasal_cannula': {
      const flow = flowLpm ?? 0;
      return flow <= LOW_FLOW_MAX_LPM
        ? { grade: 2, text: `low-flow nasal cannula ${flow} L/min` }
        : { grade: 3, text: `nasal cannula ${flow} L/min (high flow, over ${LOW_FLOW_MAX_LPM} L/min)` };
    }
    case 'high_flow_nasal_cannula':
      if (flowLpm !== null && flowLpm <= LOW_FLOW_MAX_LPM) {
        // ASTCT defines high flow by the flow (> 6 L/min), not by the device's name.
        return { grade: 2, text: `high-flow nasal cannula at only ${flowLpm} L/min, graded as low flow`, review: true };
      }
      return { grade: 3, text: flowLpm === null ? 'high-flow nasal cannula' : `high-flow nasal cannula ${flowLpm} L/min` };
    case 'blow_by':
      return { grade: 2, text: DEVICE_WORDS[device] };
    case 'facemask':
    case 'non_rebreather':
    case 'venturi':
      return { grade: 3, text: DEVICE_WORDS[device] };
    case 'cpap':
    case 'bipap':
    case 'mechanical_ventilation':
      return { grade: 4, text: DEVICE_WORDS[device] };
  }
}

/**
 * ASTCT CRS grade. Fever (>= 38.0 °C, or masked by treatment) is required; the grade is then the
 * more severe of hypotension and hypoxia. Organ toxicities never change it (they are not inputs).
 */
function gradeCrs(obs: Observation): DomainGrading {
  const temp = formatTemperature(obs.temperature.value, obs.temperature.unit);
  const fever = atOrAbove(obs.temperatureC, ASTCT_FEVER_C);
  const findings = [hypotensionFinding(obs), hypoxiaFinding(obs)].filter((f): f is Finding => f !== null);
  const worst = maxGrade(findings);
  const what = drivers(findings, worst, ' and ');
  const review = findings.some((f) => f.grade === worst && f.review === true);

  if (!fever && !obs.feverMasked) {
    // Not CRS by ASTCT; hypotension or oxygen need still escalates (see tierFor).
    return { grade: 0, clinicianReview: false, reason: findings.length === 0 ? `no fever (${temp})` : `no fever (${temp}), so not CRS by ASTCT; ${what}` };
  }
  if (!fever) {
    if (findings.length === 0) {
      // Policy where ASTCT is silent: masked fever with neither hypotension nor hypoxia has no
      // automatic grade. Grade 0 stands for "not graded", and a clinician must decide.
      return {
        grade: 0,
        clinicianReview: true,
        reason: 'masked fever with neither hypotension nor hypoxia: no automatic grade, clinician review needed',
      };
    }
    return { grade: worst, clinicianReview: review, reason: `masked fever; ${what}` };
  }
  if (findings.length === 0) return { grade: 1, clinicianReview: false, reason: `fever ${temp}, no hypotension or hypoxia` };
  return { grade: worst, clinicianReview: review, reason: what };
}

const CONSCIOUSNESS_FINDINGS: Record<Consciousness, Finding> = {
  alert: { grade: 0, text: 'alert' },
  awakens_spontaneously: { grade: 1, text: 'awakens spontaneously' },
  awakens_to_voice: { grade: 2, text: 'awakens to voice' },
  awakens_to_touch: { grade: 3, text: 'awakens only to touch' },
  unarousable: { grade: 4, text: 'unarousable' },
};

function iceGrade(ice: number): Grade {
  if (ice === 10) return 0;
  if (ice >= 7) return 1;
  if (ice >= 3) return 2;
  return 3; // 0-2; "0 and unarousable" is grade 4 through the consciousness domain.
}

/** ASTCT ICANS grade: the most severe domain wins. */
function gradeIcans(obs: Observation): DomainGrading {
  const findings: Finding[] = [];
  const notes: string[] = [];
  let review = false;

  if (obs.iceScore === null) notes.push(`under ${ICE_MIN_AGE_YEARS}: ICE not used, CAPD assessment by the team`);
  else findings.push({ grade: iceGrade(obs.iceScore), text: `ICE ${obs.iceScore}` });

  const consciousness = CONSCIOUSNESS_FINDINGS[obs.consciousness];
  if (obs.sedated && obs.consciousness !== 'alert') {
    // Depressed consciousness counts only when not explained by sedating medication.
    review = true;
    notes.push(`${consciousness.text} under sedation, not graded: clinician review needed`);
  } else {
    findings.push(consciousness);
  }

  if (obs.globalAphasia) findings.push({ grade: 3, text: 'global aphasia' });
  if (obs.seizure === 'resolved_rapidly') findings.push({ grade: 3, text: 'seizure, resolved rapidly' });
  if (obs.seizure === 'prolonged_or_repetitive') findings.push({ grade: 4, text: 'prolonged or repetitive seizure' });
  if (obs.motorWeakness) findings.push({ grade: 4, text: 'deep focal motor weakness' });
  if (obs.cerebralEdema === 'focal') findings.push({ grade: 3, text: 'focal cerebral oedema' });
  if (obs.cerebralEdema === 'diffuse') findings.push({ grade: 4, text: 'diffuse cerebral oedema' });

  const grade = maxGrade(findings);
  // Grade 0 lists what was checked ("ICE 10, alert"); otherwise the findings that set the grade.
  const main = grade === 0 ? findings.map((f) => f.text).join(', ') : drivers(findings, grade, ', ');
  const reason = [main, ...notes].filter((s) => s !== '').join('; ');
  return { grade, clinicianReview: review, reason };
}

function tierFor(obs: Observation, crs: DomainGrading, icans: DomainGrading, feverThresholdC: number): Tier {
  const unarousable = obs.consciousness === 'unarousable' && !obs.sedated;
  if (crs.grade >= 3 || icans.grade >= 3 || obs.seizure !== 'none' || unarousable) return 'critical';

  const oxygenNeed = obs.oxygen.device !== 'room_air';
  const lowSpo2 = obs.spo2 !== null && obs.spo2 < 90;
  // ASTCT has no systolic cut-off for grading; for escalation a systolic under 90 mmHg is treated
  // as hypotension (erring on the side of telling the team).
  const lowSystolic = obs.systolicBp !== null && obs.systolicBp < 90;
  if (crs.grade >= 2 || icans.grade >= 2 || obs.hypotension !== 'none' || oxygenNeed || lowSpo2 || lowSystolic) return 'urgent';

  const fever = atOrAbove(obs.temperatureC, feverThresholdC);
  const neuroSign =
    (obs.iceScore !== null && obs.iceScore <= 9) ||
    obs.consciousness !== 'alert' ||
    obs.globalAphasia ||
    obs.motorWeakness ||
    obs.cerebralEdema !== 'none';
  // "Needs clinician review" must reach a clinician, so it is never "recorded only".
  if (fever || neuroSign || crs.grade >= 1 || icans.grade >= 1 || crs.clinicianReview || icans.clinicianReview) return 'contact_team';
  return 'none';
}

/**
 * Grades one observation: ASTCT CRS and ICANS grades (0-4, each with a clinician-review flag and
 * a short reason) and the escalation tier. `feverThresholdC` only moves the contact_team tier.
 */
export function gradeObservation(obs: Observation, options: GradeOptions = {}): Grading {
  const feverThresholdC = checkFeverThreshold(options.feverThresholdC ?? DEFAULT_FEVER_THRESHOLD_C);
  const crs = gradeCrs(obs);
  const icans = gradeIcans(obs);
  return { crs, icans, tier: tierFor(obs, crs, icans, feverThresholdC) };
}
