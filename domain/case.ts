// The case: its stages, documents, settings and the inputs coordinators give. Pure, shared by
// the workflow (state and validators), the activities and every client (validation).
import { z } from 'zod';
import type { MonitoringStatus } from './monitoring.ts';
import type { Tier } from './crs.ts';

export const STAGES = ['inquiry', 'records', 'translation', 'hospital_review', 'navigation', 'admission', 'monitoring', 'follow_up', 'closed', 'cancelled'] as const;
export type Stage = (typeof STAGES)[number];
export const FINAL_STAGES: readonly Stage[] = ['closed', 'cancelled'];

export const DOCUMENT_TYPES = ['medical_report', 'scans', 'pathology', 'biomarkers', 'treatment_history'] as const;
export const DEFAULT_DOCUMENTS: string[] = [...DOCUMENT_TYPES];

/** Languages with email templates; any other preference falls back to English. */
export const TEMPLATE_LANGUAGES = ['en', 'zh', 'es'] as const;

const DAY = 24 * 3600 * 1000;

/** Timings a case runs on. Defaults follow what the navigation team does today; each is per case. */
export const settingsSchema = z
  .object({
    recordsReminderDays: z.array(z.number().positive()).default([3, 7, 14]),
    recordsStalledAfterDays: z.number().positive().default(21),
    translationChaseDays: z.number().positive().default(3),
    translationEscalateDays: z.number().positive().default(5),
    hospitalReminderDays: z.number().positive().default(7),
    hospitalEscalateDays: z.number().positive().default(14),
    admissionReminderDays: z.array(z.number().positive()).default([7, 1]),
    /** Local hour (family's time zone) at which admission reminders go out. */
    reminderLocalHour: z.number().int().min(0).max(23).default(10),
    followUpDays: z.array(z.number().positive()).default([28, 90]),
  })
  .strict();
export type CaseSettings = z.output<typeof settingsSchema>;

export const days = (n: number): number => n * DAY;

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const languageSchema = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language code such as en, zh or es');
export const timeZoneSchema = z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Madrid');
export const documentTypeSchema = z.string().regex(/^[a-z][a-z0-9_]{1,40}$/, 'must be a document type such as medical_report');
export const hospitalCodeSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'must be a hospital code (letters, digits, - or _)');
const text = (max: number) => z.string().trim().min(1, 'is required').max(max);
export const isoDateTimeSchema = z.iso.datetime({ offset: true, message: 'must be an ISO date-time with a time zone, e.g. 2026-12-01T09:00:00+01:00' });

export const familySchema = z
  .object({
    name: text(200),
    email: z.email('must be an email address'),
    language: languageSchema,
    timeZone: timeZoneSchema,
  })
  .strict();

/** What a coordinator gives to open a case (case.json). */
export const openCaseSchema = z
  .object({
    patientRef: text(64),
    diagnosis: text(2000),
    therapy: text(200),
    family: familySchema,
    requiredDocuments: z
      .array(documentTypeSchema)
      .min(1)
      .default(DEFAULT_DOCUMENTS)
      .refine((d) => new Set(d).size === d.length, 'lists a document twice'),
    settings: settingsSchema.default(settingsSchema.parse({})),
  })
  .strict();
export type OpenCase = z.output<typeof openCaseSchema>;

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
  closeReason?: string;
  cancelled?: { reason: string; by: string; at: string; fromStage: Stage };
  /** From the infusion on: the check-ins, grades and window of post-infusion monitoring. */
  monitoring?: MonitoringStatus;
}

export function missingDocuments(docs: Record<string, DocumentState>): string[] {
  return Object.entries(docs)
    .filter(([, d]) => d.status === 'missing')
    .map(([t]) => t);
}
