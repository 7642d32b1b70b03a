// The email contract between the case workflow and the email activity: which emails there are
// (`EmailKind`), the data each one carries (`EmailData`) and whom each one is for
// (`EMAIL_RECIPIENT`). The workflow decides that an email goes out and with what; the activity
// (activities/emails.ts) finds the address, renders the words (activities/email-templates.ts, from
// the catalogues in i18n/) and sends it. Pure and preloaded into the workflow bundle
// (worker/bundle.ts), so the workflows import this, never the renderer.
import type { Tier } from './crs.ts';

/** `team`: the hospital's treating team (clinicians), written to in the hospital's language. */
export type Recipient = 'family' | 'hospital' | 'coordinator' | 'translator' | 'team';

/** The tiers that raise an alert; `none` is recorded only. */
export type AlertTier = Exclude<Tier, 'none'>;
export type AlertSource = 'family_report' | 'clinical_observation' | 'fever_days';

export interface AlertEmailData {
  alertId: string;
  tier: AlertTier;
  source: AlertSource;
  reasons: string[];
  crsGrade?: number;
  icansGrade?: number;
  /** 1 for the first sending; urgent and critical alerts are sent again until acknowledged. */
  repeat: number;
}

export interface MonitoringHandoffData {
  windowEndedAt: string;
  highestCrsGrade: number;
  highestIcansGrade: number;
  answeredCheckins: number;
  missedCheckins: number;
  feverDays: number;
  openAlerts: { id: string; tier?: string; message: string }[];
}

/** What each kind of email says beyond the case itself. Dates are ISO 8601 strings. */
export interface EmailData {
  /** `link`: the family's records page, added by the email activity (a credential: never in history). */
  case_opened: { documents: string[]; link?: string };
  records_reminder: { missing: string[]; reminderNumber: number; link?: string };
  /** `reason`: the coordinator's words (why the last one could not be used). */
  document_request: { documentType: string; reason: string; link?: string };
  /** The family is asked to approve sharing the case with these hospitals (codes), on their records page. */
  sharing_request: { hospitals: string[]; reminder: boolean; link?: string };
  sharing_stalled: { hospitals: string[] };
  /** Files that arrived in the vault and wait for the coordinator's review (how many; `by`: family or a coordinator). */
  files_to_review: { count: number; waiting: number; by: string };
  consent_withdrawn: Record<string, never>;
  records_stalled: { missing: string[]; daysWaiting: number };
  /** `linkUntil`: when the translator's link stops opening (the activity adds `link`; absent in emails asked for before links). */
  translation_task: { documentType: string; fromLanguage: string; toLanguages: string[]; dueAt: string; linkUntil?: string; link?: string };
  translation_chase: { documentType: string; dueAt: string; toLanguages?: string[]; linkUntil?: string; link?: string };
  /** `reason`: the coordinator's words on what to change. */
  translation_rejected: { documentType: string; toLanguages: string[]; reason: string; linkUntil: string; link?: string };
  translation_overdue: { documentType: string; daysWaiting: number };
  /** `linkUntil`: when the hospital's packet link for the round stops opening (the activity adds `link`). */
  hospital_submission: { documents: string[]; round: number; replyBy: string; requestedDocuments?: string[]; linkUntil?: string; link?: string };
  hospital_reminder: { round: number; submittedAt: string; linkUntil?: string; link?: string };
  /** A hospital asked for more: the family is asked for those documents, with their link. */
  more_info_family: { hospitalCode: string; documents: string[]; link?: string };
  packet_locked: { hospitalCode: string; round: number };
  hospital_silent: { hospitalCode: string; daysWaiting: number };
  hospital_accepted_family: { hospitalCode: string };
  choose_hospital: { accepted: string[] };
  all_declined_family: Record<string, never>;
  navigation_needed: { declined: { hospitalCode: string; reason: string }[] };
  admission_plan: { hospitalCode: string; admissionAt: string; contact?: string; notes?: string };
  admission_reminder: { hospitalCode: string; admissionAt: string; daysBefore: number };
  follow_up_request: { day: number };
  case_closed: { reason?: string; hospitalCode?: string; infusionAt?: string; followUps: { day: number; outcome?: string }[] };
  case_cancelled_family: Record<string, never>;
  case_cancelled_hospital: { round: number };
  case_cancelled_coordinator: { reason: string; by: string };
  delivery_failed: { failedKind: string; to: string; error: string };
  /** A step of the case the database refused to record (`error`: the SQLSTATE, never the data). */
  record_failed: { step: string; error: string };
  checkin_request: { checkinId: number; day: number; link: string; expiresAt: string; teamPhone: string };
  checkin_reminder: { checkinId: number; day: number; link: string; expiresAt: string; teamPhone: string };
  /** `alertId`: the alert the missed check-in raised, when there is one (adds the command to acknowledge it). */
  checkin_missed_coordinator: { checkinId: number; day: number; dueAt: string; teamPhone: string; alertId?: string };
  checkin_missed_team: { checkinId: number; day: number; dueAt: string; alertId?: string };
  alert_team: AlertEmailData;
  alert_coordinator: AlertEmailData;
  monitoring_handoff_coordinator: MonitoringHandoffData;
  monitoring_handoff_team: MonitoringHandoffData;
}

export type EmailKind = keyof EmailData;

/** The emails that carry the family's link to their records page (upload and consent). */
export const RECORDS_LINK_KINDS: readonly EmailKind[] = ['case_opened', 'records_reminder', 'document_request', 'sharing_request', 'more_info_family'];
/** The emails that carry a hospital's link to its packet (the round's: `round` and `linkUntil` in their data). */
export const PACKET_LINK_KINDS: readonly EmailKind[] = ['hospital_submission', 'hospital_reminder'];
/** The emails that carry the translator's link to one document (`documentType`, `toLanguages`, `linkUntil`). */
export const TRANSLATION_LINK_KINDS: readonly EmailKind[] = ['translation_task', 'translation_chase', 'translation_rejected'];

export const EMAIL_RECIPIENT: Readonly<Record<EmailKind, Recipient>> = {
  case_opened: 'family',
  records_reminder: 'family',
  document_request: 'family',
  sharing_request: 'family',
  sharing_stalled: 'coordinator',
  files_to_review: 'coordinator',
  consent_withdrawn: 'coordinator',
  records_stalled: 'coordinator',
  translation_task: 'translator',
  translation_chase: 'translator',
  translation_rejected: 'translator',
  translation_overdue: 'coordinator',
  hospital_submission: 'hospital',
  hospital_reminder: 'hospital',
  more_info_family: 'family',
  packet_locked: 'coordinator',
  hospital_silent: 'coordinator',
  hospital_accepted_family: 'family',
  choose_hospital: 'coordinator',
  all_declined_family: 'family',
  navigation_needed: 'coordinator',
  admission_plan: 'family',
  admission_reminder: 'family',
  follow_up_request: 'family',
  case_closed: 'family',
  case_cancelled_family: 'family',
  case_cancelled_hospital: 'hospital',
  case_cancelled_coordinator: 'coordinator',
  delivery_failed: 'coordinator',
  record_failed: 'coordinator',
  checkin_request: 'family',
  checkin_reminder: 'family',
  checkin_missed_coordinator: 'coordinator',
  checkin_missed_team: 'team',
  alert_team: 'team',
  alert_coordinator: 'coordinator',
  monitoring_handoff_coordinator: 'coordinator',
  monitoring_handoff_team: 'team',
};

/** Every kind of email, in the order of a case's life. */
export const EMAIL_KINDS = Object.keys(EMAIL_RECIPIENT) as EmailKind[];
