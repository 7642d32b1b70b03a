// The typed shape of the project's Postgres tables (what coordinators look back on).
// Kept in step with db/migrations by hand; a migration test checks that every table exists.
import type { ColumnType, Generated } from 'kysely';
import type { AccessAction, AccessDetail, AccessParty } from '../domain/access.ts';
import type { Role } from '../domain/actions.ts';
import type { Decision, DocumentStatus, Stage, TranslationStatus } from '../domain/case.ts';
import type { Tier } from '../domain/crs.ts';
import type { EmailKind } from '../domain/emails.ts';
import type { ConsentKind, FileKind, FileSender, FileStatus } from '../domain/files.ts';
import type { CheckinStatus } from '../domain/monitoring.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp the database fills in (default now()): optional on insert. */
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface HospitalsTable {
  code: string;
  name: string;
  email: string;
  language: string;
  time_zone: string;
  phone: string | null;
  created_at: GeneratedTimestamp;
}

export interface CasesTable {
  case_id: string;
  patient_ref: string;
  diagnosis: string;
  therapy: string;
  stage: Stage;
  /** What the case waits for, as the workflow last reported it: { what, from, until }. */
  waiting_for: Json<unknown> | null;
  /** The order of the event that wrote the row (activities/case-records.ts rowOrder); pg reads a bigint as a string. */
  status_seq: ColumnType<string, string | undefined, string>;
  chosen_hospital: string | null;
  close_reason: string | null;
  opened_at: Timestamp;
  updated_at: Timestamp;
  closed_at: Timestamp | null;
}

export interface ContactsTable {
  case_id: string;
  role: string;
  name: string;
  email: string;
  language: string;
  time_zone: string;
}

export interface DocumentsTable {
  case_id: string;
  document_type: string;
  status: DocumentStatus;
  language: string | null;
  waive_reason: string | null;
  translation: TranslationStatus;
  updated_at: Timestamp;
  /** Sequence number of the case event that wrote the row's state last (newer wins). */
  /** The order of the event that wrote the row (activities/case-records.ts rowOrder); pg reads a bigint as a string. */
  status_seq: ColumnType<string, string | undefined, string>;
}

export interface SubmissionsTable {
  case_id: string;
  hospital_code: string;
  round: number;
  submitted_at: Timestamp;
  decision: Decision | null;
  decision_reason: string | null;
  requested_documents: Json<string[]> | null;
  decided_at: Timestamp | null;
  /** Sequence number of the case event that wrote the row's state last (newer wins). */
  /** The order of the event that wrote the row (activities/case-records.ts rowOrder); pg reads a bigint as a string. */
  status_seq: ColumnType<string, string | undefined, string>;
}

export interface AdmissionsTable {
  case_id: string;
  hospital_code: string;
  admission_at: Timestamp;
  contact: string | null;
  notes: string | null;
  confirmed_at: Timestamp | null;
  infusion_at: Timestamp | null;
  /** Sequence number of the case event that wrote the row's state last (newer wins). */
  /** The order of the event that wrote the row (activities/case-records.ts rowOrder); pg reads a bigint as a string. */
  status_seq: ColumnType<string, string | undefined, string>;
}

export interface EmailsTable {
  id: Generated<number>;
  idempotency_key: string;
  case_id: string | null;
  kind: EmailKind;
  to_address: string;
  subject: string;
  language: string;
  status: 'pending' | 'sent' | 'failed';
  error: string | null;
  message_id: string | null;
  created_at: GeneratedTimestamp;
  sent_at: Timestamp | null;
}

export interface TimelineTable {
  id: Generated<number>;
  case_id: string;
  event_key: string;
  at: Timestamp;
  kind: string;
  actor: string;
  summary: string;
  detail: Json<unknown> | null;
}

export interface ProtocolsTable {
  name: string;
  hospital_code: string | null;
  therapy: string | null;
  protocol: Json<unknown>;
  created_at: GeneratedTimestamp;
}

export interface AlertsTable {
  case_id: string;
  alert_id: string;
  kind: string;
  tier: Tier | null;
  message: string;
  raised_at: Timestamp;
  acknowledged_at: Timestamp | null;
  acknowledged_by: string | null;
  /** Sequence number of the case event that wrote the row's state last (newer wins). */
  /** The order of the event that wrote the row (activities/case-records.ts rowOrder); pg reads a bigint as a string. */
  status_seq: ColumnType<string, string | undefined, string>;
}

export interface CheckinsTable {
  case_id: string;
  checkin_id: number;
  day: number;
  due_at: Timestamp;
  expires_at: Timestamp;
  state: CheckinStatus['state'];
  answered_at: Timestamp | null;
  tier: Tier | null;
  temperature_c: number | null;
  report: Json<unknown> | null;
  escalation: string | null;
  /** Sequence number of the case event that wrote the row's state last (newer wins). */
  /** The order of the event that wrote the row (activities/case-records.ts rowOrder); pg reads a bigint as a string. */
  status_seq: ColumnType<string, string | undefined, string>;
}

export interface ObservationsTable {
  id: Generated<number>;
  case_id: string;
  event_key: string;
  at: Timestamp;
  actor: string;
  observation: Json<unknown>;
  crs_grade: number;
  icans_grade: number;
  tier: string;
  grading: Json<unknown>;
}

export interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: GeneratedTimestamp;
  disabled: Generated<boolean>;
  /** May manage accounts (the console's Accounts page). */
  admin: Generated<boolean>;
  /** TOTP secret (base32) once enrolment is confirmed. */
  totp_secret: string | null;
  /** A TOTP secret being enrolled, not yet confirmed with a code. */
  totp_pending: string | null;
  /** The last TOTP time step a code was accepted for (bigint comes back as a string). */
  totp_last_step: ColumnType<string | null, number | null, number | null>;
}

export interface RecoveryCodesTable {
  /** sha256 (hex) of the code as shown, without its dashes. */
  code_hash: string;
  user_id: number;
  used_at: Timestamp | null;
}

export interface PasswordLinksTable {
  /** sha256 (hex) of the token in the emailed link. */
  token_hash: string;
  user_id: number;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface SessionsTable {
  /** sha256 (hex) of the session token. */
  id: string;
  user_id: number;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
  csrf_token: string;
  /** Signed in with a password only, to set up the second factor the account must have. */
  pending_enrolment: Generated<boolean>;
}

export interface ApiTokensTable {
  /** sha256 (hex) of the token. */
  token_hash: string;
  user_id: number;
  name: string;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface SignInAttemptsTable {
  id: Generated<string>;
  /** `email:<sha256 of the address typed>` or `ip:<client address>`. */
  key: string;
  at: Timestamp;
}

export interface CaseKeysTable {
  case_id: string;
  /** The vault master key that wrapped it. */
  key_id: string;
  /** nonce | ciphertext | tag of the case's data key; null once shredded. */
  wrapped: Buffer | null;
  created_at: GeneratedTimestamp;
  shredded_at: Timestamp | null;
}

export interface FilesTable {
  id: string;
  case_id: string;
  document_type: string;
  /** As the sender named it: shown to staff, never logged or sent to Temporal. */
  file_name: string;
  /** Sniffed from the bytes, not taken from the sender. */
  content_type: string;
  size: ColumnType<string, number | string, number | string>;
  sha256: string;
  object_key: string;
  uploaded_by: FileSender;
  /** The staff account's email, or the party (family, hospital code, translator) for a link. */
  actor: string;
  uploaded_at: GeneratedTimestamp;
  status: Generated<FileStatus>;
  reason: string | null;
  reviewed_by: string | null;
  reviewed_at: Timestamp | null;
  replaces: string | null;
  /** An original the family or staff sent, or a translation of its document_type. */
  kind: Generated<FileKind>;
  /** For a translation: the language it is written in. */
  language: string | null;
}

export interface ConsentsTable {
  id: Generated<number>;
  case_id: string;
  kind: ConsentKind;
  hospital_code: string | null;
  /** The version of the words the family agreed to (domain/files.ts CONSENT_VERSION). */
  version: string;
  /** sha256 of the link's token: which email's link it came through. */
  link_hash: string;
  agreed_at: GeneratedTimestamp;
  withdrawn_at: Timestamp | null;
}

/** A resumable upload under way (client/uploads.ts); its pieces are encrypted vault objects. */
export interface UploadsTable {
  /** tus's upload id: 32 hex digits, random. */
  id: string;
  case_id: string;
  document_type: string;
  /** As the sender's device named it: never logged, never a path. */
  file_name: string;
  /** Upload-Length: the whole file's bytes. */
  size: ColumnType<string, number | string, number | string>;
  /** The tus offset: plaintext bytes in `parts`. */
  received: ColumnType<string, number | string | undefined, number | string>;
  /** Object ids under the case (staging/<id>/<random>), in order. */
  parts: ColumnType<string[], string[] | undefined, string[]>;
  created_at: GeneratedTimestamp;
  /** The last piece received: an upload left untouched past the expiry is removed. */
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** Who has seen or acted on a case's data (client/access-log.ts); detail holds ids only. */
export interface AccessLogTable {
  /** bigserial: bigint comes back as a string. */
  id: Generated<string>;
  /** No foreign key: the log outlives the case's row. */
  case_id: string;
  at: GeneratedTimestamp;
  party: AccessParty;
  /** A staff account's email, a hospital code, 'family', or the translator's address as the service knows it. */
  actor: string;
  action: AccessAction;
  detail: Json<AccessDetail> | null;
  /** The client's address as the HTTP server sees it (TRUST_PROXY); null for casectl. */
  client_address: string | null;
}

/** A one-time code emailed for a hospital's packet link (client/packets.ts). */
export interface PacketCodesTable {
  id: Generated<string>;
  /** sha256 (hex) of the link's token. */
  link_hash: string;
  case_id: string;
  hospital_code: string;
  round: number;
  /** sha256 (hex) of the link's hash and the code. */
  code_hash: string;
  expires_at: Timestamp;
  /** Wrong codes entered while this was the link's newest code. */
  attempts: Generated<number>;
  used_at: Timestamp | null;
  created_at: GeneratedTimestamp;
}

/** A hospital's session on its packet page, opened by a right code. */
export interface PacketSessionsTable {
  /** sha256 (hex) of the session cookie's token. */
  id: string;
  link_hash: string;
  case_id: string;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
}

/** A packet link locked for good after too many wrong codes. */
export interface PacketLocksTable {
  link_hash: string;
  case_id: string;
  hospital_code: string;
  round: number;
  locked_at: GeneratedTimestamp;
  /** When the case took packetLocked (the coordinator alerted); null until it has. */
  told_at: Timestamp | null;
}

export interface Database {
  hospitals: HospitalsTable;
  cases: CasesTable;
  contacts: ContactsTable;
  documents: DocumentsTable;
  submissions: SubmissionsTable;
  admissions: AdmissionsTable;
  emails: EmailsTable;
  timeline: TimelineTable;
  protocols: ProtocolsTable;
  alerts: AlertsTable;
  checkins: CheckinsTable;
  observations: ObservationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  sign_in_attempts: SignInAttemptsTable;
  case_keys: CaseKeysTable;
  files: FilesTable;
  consents: ConsentsTable;
  uploads: UploadsTable;
  recovery_codes: RecoveryCodesTable;
  password_links: PasswordLinksTable;
  access_log: AccessLogTable;
  packet_codes: PacketCodesTable;
  packet_sessions: PacketSessionsTable;
  packet_locks: PacketLocksTable;
}
