// The check-in page's questions to the rest of the service: who the family is (Postgres), where
// the check-in stands (the case workflow's status), and sending the report (the submitCheckin Update).
import type { Db } from '../../db/connect.ts';
import type { CaseStatus } from '../../domain/case.ts';
import type { CheckinReport } from '../../domain/checkin-report.ts';
import type { CheckinStatus } from '../../domain/monitoring.ts';

export interface CheckinSubmission {
  caseId: string;
  checkinId: number;
  /** A report that passed parseCheckinReport. */
  report: CheckinReport;
}

export interface FamilyContact {
  language: string;
  timeZone: string;
}

/** The family's language and time zone, from the `contacts` row with role 'family'. */
export async function loadFamilyContact(db: Db, caseId: string): Promise<FamilyContact | undefined> {
  const row = await db.selectFrom('contacts').select(['language', 'time_zone']).where('case_id', '=', caseId).where('role', '=', 'family').executeTakeFirst();
  return row ? { language: row.language, timeZone: row.time_zone } : undefined;
}

/** Where one check-in stands, as the family's page needs it. */
export type CheckinView =
  | { kind: 'open'; checkin: CheckinStatus; phone?: string }
  | { kind: 'answered'; checkin: CheckinStatus; phone?: string }
  | { kind: 'upcoming'; checkin: CheckinStatus; phone?: string }
  | { kind: 'closed'; phone?: string };

const OVER: readonly string[] = ['closed', 'cancelled'];

export function checkinView(status: CaseStatus, checkinId: number): CheckinView {
  const monitoring = status.monitoring;
  const phone = monitoring?.protocol.team?.phone24h;
  const with_ = <T extends object>(v: T) => (phone ? { ...v, phone } : v);
  const checkin = monitoring?.checkins.find((c) => c.id === checkinId);
  if (!checkin) return with_({ kind: 'closed' as const });
  // An answer is an answer whatever happened since: the family sees what they were told.
  if (checkin.state === 'answered') return with_({ kind: 'answered' as const, checkin });
  if (checkin.state === 'missed' || monitoring?.ended || OVER.includes(status.stage)) return with_({ kind: 'closed' as const });
  if (checkin.state === 'upcoming') return with_({ kind: 'upcoming' as const, checkin });
  return with_({ kind: 'open' as const, checkin });
}
