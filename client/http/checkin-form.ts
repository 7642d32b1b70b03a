// The check-in form and the report JSON: what the family typed (strings from a urlencoded body)
// becomes a CheckinReport through parseCheckinReport, or a set of field problems the page shows
// beside each field in the family's language. Pure apart from the clock and zone it is given.
import { SYMPTOMS, parseCheckinReport, type CheckinReport, type Symptom, type TemperatureUnit } from '../../domain/checkin-report.ts';
import { fromLocal, toLocal } from '../../domain/time.ts';
import { InputError, type FieldProblem } from '../../domain/validation.ts';

/** What the form holds, exactly as typed: shown again, unchanged, when something needs fixing. */
export interface CheckinFormValues {
  temperature: string;
  unit: TemperatureUnit;
  /** A `datetime-local` value, YYYY-MM-DDTHH:MM, in the family's time zone. */
  takenAt: string;
  noTemperature: boolean;
  admitted: '' | 'yes' | 'no';
  symptoms: Symptom[];
  notes: string;
}

export const FORM_FIELDS = ['temperature', 'unit', 'takenAt', 'admitted', 'symptoms', 'notes'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export type FormProblem =
  | 'temperatureMissing'
  | 'temperatureNotNumber'
  | 'temperatureBoth'
  | 'temperatureRange'
  | 'unit'
  | 'takenAtMissing'
  | 'takenAtInvalid'
  | 'takenAtFuture'
  | 'admittedMissing'
  | 'notesTooLong'
  | 'notesUnreadable'
  | 'other';

export type FieldProblems = Partial<Record<FormField, FormProblem>>;

/** How far ahead of the server's clock a "taken at" time may be (phone clocks drift). */
const FUTURE_TOLERANCE_MS = 10 * 60_000;
const MAX_FIELD_CHARS = 10_000;

const one = (v: unknown): string => {
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first.slice(0, MAX_FIELD_CHARS) : '';
};
const many = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');

/** Reads a parsed urlencoded body. Unknown fields are ignored; nothing here throws. */
export function readCheckinForm(body: unknown): CheckinFormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const unit = one(b.unit);
  const admitted = one(b.admitted);
  const ticked = new Set(many(b.symptoms));
  return {
    temperature: one(b.temperature).trim(),
    unit: unit === 'f' ? 'f' : 'c',
    takenAt: one(b.takenAt).trim(),
    noTemperature: one(b.noTemperature) !== '',
    admitted: admitted === 'yes' || admitted === 'no' ? admitted : '',
    symptoms: SYMPTOMS.filter((s) => ticked.has(s)),
    notes: one(b.notes).replace(/\r\n/g, '\n'),
  };
}

/** A fresh form: temperature in °C, "taken at" now in the family's time zone. */
export function emptyCheckinForm(nowMs: number, timeZone: string): CheckinFormValues {
  return { temperature: '', unit: 'c', takenAt: toDatetimeLocal(nowMs, timeZone), noTemperature: false, admitted: '', symptoms: [], notes: '' };
}

/** '38,2' (Spanish), '３８．２' (full-width), ' 38.2 ° ' → 38.2; anything else → undefined. */
export function parseTemperature(text: string): number | undefined {
  const t = text.normalize('NFKC').replace(/[。，]/g, (c) => (c === '。' ? '.' : ',')).replace(/\s+/g, '').replace(/°[CcFf]?$/, '').replace(',', '.');
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(t)) return undefined;
  return Number(t);
}

/** The local date and time of an instant, as a `datetime-local` value. */
export function toDatetimeLocal(epochMs: number, timeZone: string): string {
  const l = toLocal(epochMs, timeZone);
  return `${l.year}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}`;
}

/** ISO 8601 with the zone's offset at that instant, e.g. 2026-11-24T08:30:00+01:00. */
export function isoWithOffset(epochMs: number, timeZone: string): string {
  const whole = Math.floor(epochMs / 1000) * 1000;
  const l = toLocal(whole, timeZone);
  const offsetMin = Math.round((Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - whole) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${String(l.year).padStart(4, '0')}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A `datetime-local` value read in `timeZone`, as an instant; undefined when it is not a real date and time. */
export function fromDatetimeLocal(value: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d{1,3})?)?$/.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (year < 2000 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) return undefined;
  return fromLocal({ year, month, day, hour, minute }, timeZone);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Which form field a parseCheckinReport problem belongs to (the page's or the workflow's), and what to tell the family. */
export function formProblemOf({ field, message }: FieldProblem): [FormField, FormProblem] {
  if (field === 'temperature.value' || field === 'temperature') return ['temperature', 'temperatureRange'];
  if (field === 'temperature.unit') return ['unit', 'unit'];
  if (field === 'takenAt') return ['takenAt', 'takenAtInvalid'];
  if (field === 'admitted') return ['admitted', 'admittedMissing'];
  if (field === 'notes') return ['notes', /^at most/.test(message) ? 'notesTooLong' : 'notesUnreadable'];
  if (field.startsWith('symptoms')) return ['symptoms', 'other'];
  return ['notes', 'other'];
}

export type FormResult = { ok: true; report: CheckinReport } | { ok: false; problems: FieldProblems };

/**
 * The report JSON for parseCheckinReport: the temperature (or none, when "I could not take a
 * temperature" is ticked), when it was taken as an ISO date-time with the offset of the family's
 * zone, the admitted answer, every symptom, the notes. Problems the domain cannot see (a number
 * that is not a number, both or neither of temperature and "could not take", a time in the
 * future) are found here; the rest come from parseCheckinReport.
 */
export function reportFromForm(v: CheckinFormValues, opts: { timeZone: string; nowMs: number }): FormResult {
  const problems: FieldProblems = {};
  let temperature: { value: number; unit: TemperatureUnit } | null | undefined;
  let takenAt: string | null | undefined;

  if (v.noTemperature) {
    if (v.temperature !== '') problems.temperature = 'temperatureBoth';
    temperature = null;
    takenAt = null;
  } else if (v.temperature === '') {
    problems.temperature = 'temperatureMissing';
  } else {
    const value = parseTemperature(v.temperature);
    if (value === undefined) problems.temperature = 'temperatureNotNumber';
    else temperature = { value, unit: v.unit };
    if (v.takenAt === '') problems.takenAt = 'takenAtMissing';
    else {
      const at = fromDatetimeLocal(v.takenAt, opts.timeZone);
      if (at === undefined) problems.takenAt = 'takenAtInvalid';
      else if (at > opts.nowMs + FUTURE_TOLERANCE_MS) problems.takenAt = 'takenAtFuture';
      else takenAt = isoWithOffset(at, opts.timeZone);
    }
  }

  const candidate = {
    // Leave out what could not be read, so the domain reports only what is left.
    ...(temperature !== undefined ? { temperature } : {}),
    ...(takenAt !== undefined ? { takenAt } : {}),
    ...(v.admitted ? { admitted: v.admitted === 'yes' } : {}),
    symptoms: Object.fromEntries(SYMPTOMS.map((s) => [s, v.symptoms.includes(s)])),
    notes: v.notes.trim() === '' ? null : v.notes,
  };
  try {
    const report = parseCheckinReport(candidate);
    if (Object.keys(problems).length === 0) return { ok: true, report };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    for (const f of err.fields) {
      const [field, problem] = formProblemOf(f);
      // A problem found on the form says more than the domain's echo of it (e.g. takenAt missing).
      if (field === 'takenAt' && (problems.takenAt || problems.temperature)) continue;
      problems[field] ??= problem;
    }
  }
  return { ok: false, problems };
}
