// The case: its stages, documents, settings and the inputs coordinators give. Pure, shared by
// the workflow (state and validators), the activities and every client (validation).
import { z } from 'zod';
import type { MonitoringStatus } from './monitoring.ts';
import { textSchema } from './validation.ts';
import type { Tier } from './crs.ts';

export const STAGES = ['inquiry', 'records', 'translation', 'hospital_review', 'navigation', 'admission', 'monitoring', 'follow_up', 'closed', 'cancelled'] as const;
export type Stage = (typeof STAGES)[number];
export const FINAL_STAGES: readonly Stage[] = ['closed', 'cancelled'];

export const DOCUMENT_TYPES = ['medical_report', 'scans', 'pathology', 'biomarkers', 'treatment_history'] as const;
export const DEFAULT_DOCUMENTS: string[] = [...DOCUMENT_TYPES];

const DAY = 24 * 3600 * 1000;

/** How far ahead any step of a case may be set: a case that waits longer than this for anything is a setting gone wrong. */
export const CASE_HORIZON_DAYS = 365;
/** Long-term follow-up after CAR-T runs for years; a contact further out than this is not a follow-up of this case. */
export const FOLLOW_UP_HORIZON_DAYS = 5 * 365;
/** Reminders and follow-up contacts a setting may list. */
export const MAX_SCHEDULED_ENTRIES = 10;

const dayCount = (maxDays: number) =>
  z
    .number({ error: 'must be a number of days' })
    .positive('must be more than 0 days')
    .max(maxDays, `must be at most ${maxDays} days`);
const dayList = (maxDays: number) => z.array(dayCount(maxDays)).max(MAX_SCHEDULED_ENTRIES, `at most ${MAX_SCHEDULED_ENTRIES} entries`);

/** Timings a case runs on. Defaults follow what the navigation team does today; each is per case. */
const SETTINGS_SCHEMA = z
  .object({
    recordsReminderDays: dayList(CASE_HORIZON_DAYS).default([3, 7, 14]),
    recordsStalledAfterDays: dayCount(CASE_HORIZON_DAYS).default(21),
    translationChaseDays: dayCount(CASE_HORIZON_DAYS).default(3),
    translationEscalateDays: dayCount(CASE_HORIZON_DAYS).default(5),
    hospitalReminderDays: dayCount(CASE_HORIZON_DAYS).default(7),
    hospitalEscalateDays: dayCount(CASE_HORIZON_DAYS).default(14),
    admissionReminderDays: dayList(CASE_HORIZON_DAYS).default([7, 1]),
    /** Local hour (family's time zone) at which admission reminders go out. */
    reminderLocalHour: z.number().int('must be a whole hour').min(0, 'must be an hour from 0 to 23').max(23, 'must be an hour from 0 to 23').default(10),
    followUpDays: dayList(FOLLOW_UP_HORIZON_DAYS).default([28, 90]),
  })
  .strict();
export type CaseSettings = z.output<typeof SETTINGS_SCHEMA>;

export const days = (n: number): number => n * DAY;

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const LANGUAGE_SCHEMA = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language code such as en, zh or es');
const TIME_ZONE_SCHEMA = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Madrid')
  // For the API's document: the zones this runtime knows by their canonical names (isTimeZone also
  // takes their aliases, any letter case and UTC offsets, which a list cannot name).
  .meta({ description: 'an IANA time zone such as Europe/Madrid', enum: ['UTC', ...Intl.supportedValuesOf('timeZone')] });
const DOCUMENT_TYPE_SCHEMA = z.string().regex(/^[a-z][a-z0-9_]{1,40}$/, 'must be a document type such as medical_report');
const HOSPITAL_CODE_SCHEMA = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'must be a hospital code (letters, digits, - or _)');
const ISO_DATE_TIME_SCHEMA = z.iso.datetime({ offset: true, message: 'must be an ISO date-time with a time zone, e.g. 2026-12-01T09:00:00+01:00' });

const FAMILY_SCHEMA = z
  .object({
    name: textSchema(200),
    email: z.email('must be an email address'),
    language: LANGUAGE_SCHEMA,
    timeZone: TIME_ZONE_SCHEMA,
  })
  .strict();

/** What a coordinator gives to open a case (case.json). */
const OPEN_CASE_SCHEMA = z
  .object({
    patientRef: textSchema(64),
    diagnosis: textSchema(2000, { multiline: true }),
    therapy: textSchema(200),
    family: FAMILY_SCHEMA,
    requiredDocuments: z
      .array(DOCUMENT_TYPE_SCHEMA)
      .min(1, 'name at least one document')
      .max(20, 'at most 20 documents')
      .default(DEFAULT_DOCUMENTS)
      .refine((d) => new Set(d).size === d.length, 'lists a document twice')
      .meta({ uniqueItems: true }),
    settings: SETTINGS_SCHEMA.default(SETTINGS_SCHEMA.parse({})),
  })
  .strict();
export type OpenCase = z.output<typeof OPEN_CASE_SCHEMA>;

/** What a case id can look like (an opaque `c` + hex today); anything else names no case and is never sent on. */
const CASE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const isCaseId = (s: string): boolean => CASE_ID.test(s);
/** isCaseId as a schema (the API's path parameter); a case id that is not one names no case: 404, not 400. */
const CASE_ID_SCHEMA = z.string().regex(CASE_ID).meta({ description: 'a case id, as POST /api/cases answers it (e.g. c1a2b3c4d5e6)' });

// Schemas leave this module only through functions: the worker shares this module across all
// workflows and deep-freezes what it exports (worker/bundle.ts), and a zod schema must stay mutable
// (it memoizes on first use).
export const languageSchema = () => LANGUAGE_SCHEMA;
export const timeZoneSchema = () => TIME_ZONE_SCHEMA;
export const documentTypeSchema = () => DOCUMENT_TYPE_SCHEMA;
export const hospitalCodeSchema = () => HOSPITAL_CODE_SCHEMA;
export const isoDateTimeSchema = () => ISO_DATE_TIME_SCHEMA;
export const openCaseSchema = () => OPEN_CASE_SCHEMA;
export const caseIdSchema = () => CASE_ID_SCHEMA;

/** The workflow's input: the validated case plus its opaque id. */
export interface CaseInput extends OpenCase {
  caseId: string;
  openedBy: string;
}

export type DocumentStatus = 'missing' | 'received' | 'waived';
export type TranslationStatus = 'not_needed' | 'pending' | 'done';
export interface DocumentState {
  status: DocumentStatus;
  language?: string;
  waiveReason?: string;
  translation: TranslationStatus;
  /** The languages its translation was last asked into. */
  translateInto?: string[];
}

export type Decision = 'accepted' | 'declined' | 'more_info';
export interface SubmissionState {
  hospitalCode: string;
  language: string;
  round: number;
  /** Pending until the hospital answers; a submission waiting for requested documents is `more_info`. */
  status: 'to_send' | 'pending' | Decision;
  reason?: string;
  requestedDocuments?: string[];
  submittedAt?: string;
  /** The family approved sharing the case with this hospital (asked before anything goes to it). */
  sharingApproved?: boolean;
  /** When the hospital first opened this round's packet page (with its one-time code). */
  openedAt?: string;
}

export interface AdmissionPlan {
  hospitalCode: string;
  admissionAt: string;
  contact?: string;
  notes?: string;
  confirmedAt?: string;
}

export interface CaseAlert {
  id: string;
  kind: string;
  /** For clinical alerts: the escalation tier that raised it. */
  tier?: Tier;
  message: string;
  raisedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
}

export interface WaitingFor {
  what: string;
  from: 'coordinator' | 'family' | 'hospital' | 'translator' | 'treating_team' | 'nobody';
  until?: string;
}

export interface FollowUpContact {
  day: number;
  sentAt?: string;
  outcome?: string;
}

/** What the case query reports: the stage, what it waits for, the key facts. No secrets, no raw input. */
export interface CaseStatus {
  caseId: string;
  stage: Stage;
  waitingFor: WaitingFor;
  documents: Record<string, DocumentState>;
  submissions: SubmissionState[];
  chosenHospital?: string;
  admission?: AdmissionPlan;
  infusionAt?: string;
  followUps: FollowUpContact[];
  alerts: CaseAlert[];
  /** Files in the vault waiting for a coordinator's review (ids: casectl docs list). */
  filesToReview?: string[];
  /** The family withdrew their consent on their records page and has not given it again. */
  consentWithdrawn?: boolean;
  closeReason?: string;
  cancelled?: { reason: string; by: string; at: string; fromStage: Stage };
  /** From the infusion on: the check-ins, grades and window of post-infusion monitoring. */
  monitoring?: MonitoringStatus;
  /**
   * Set when the case's workflow did not answer (no worker in time) and this was read from the
   * Postgres projection instead: as of when, and what it lacks (the workflow's own state is newer).
   */
  recorded?: { asOf: string };
}

export function missingDocuments(docs: Record<string, DocumentState>): string[] {
  return Object.entries(docs)
    .filter(([, d]) => d.status === 'missing')
    .map(([t]) => t);
}
