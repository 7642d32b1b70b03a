// The activities of a case, built from injected dependencies: production passes the real
// database and mailer, tests pass a test database and an SMTP server on loopback.
import type { Db } from '../db/connect.ts';
import type { AppConfig } from '../config.ts';
import type { Mailer } from './mailer.ts';
import type { CheckinLinks } from '../common/checkin-link.ts';
import { caseRecords } from './case-records.ts';
import { caseEmails } from './emails.ts';
import { retentionActivities } from './retention.ts';
import type { Vault } from './vault/vault.ts';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  config: AppConfig;
  /** Signs the families' check-in links. */
  links: CheckinLinks;
  /** The document vault, for the retention sweep (a worker without one refuses to shred). */
  vault?: Vault;
}

export function createActivities(deps: ActivityDeps) {
  return { ...caseRecords(deps.db), ...caseEmails(deps), ...retentionActivities({ db: deps.db, retentionDays: deps.config.vault.retentionDays, ...(deps.vault ? { vault: deps.vault } : {}) }) };
}

export type CaseActivities = ReturnType<typeof createActivities>;
export type RetentionActivities = ReturnType<typeof retentionActivities>;
export type { CaseEvent, RecordChange } from './case-records.ts';
export type { SendEmailInput, SendEmailResult } from './emails.ts';
