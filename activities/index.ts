// The activities of a case, built from injected dependencies: production passes the real
// database and mailer, tests pass a test database and an SMTP server on loopback.
import type { Db } from '../db/connect.ts';
import type { AppConfig } from '../config.ts';
import type { Mailer } from './mailer.ts';
import type { CheckinLinks } from '../common/checkin-link.ts';
import { caseRecords } from './case-records.ts';
import { caseEmails } from './emails.ts';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  config: AppConfig;
  /** Signs the families' check-in links. */
  links: CheckinLinks;
}

export function createActivities(deps: ActivityDeps) {
  return { ...caseRecords(deps.db), ...caseEmails(deps) };
}

export type CaseActivities = ReturnType<typeof createActivities>;
export type { CaseEvent, RecordChange } from './case-records.ts';
export type { SendEmailInput, SendEmailResult } from './emails.ts';
