// Every patch of the workflows, in one place. A patch keeps a running case on the commands its
// history recorded while new cases take the new path (README, "Changing a workflow"). Names go into
// history unencrypted: never anything about a case.
export const PATCHES = {
  /** Update handlers wait until the case's row is written, so no action writes about a case the database does not have yet. */
  caseRowFirst: 'case-row-first',
  /** A check-in's escalation is queued before its report is written, so no alert waits on the database. */
  escalateBeforeRecord: 'escalate-before-record',
  /** The admission stage sends the newest plan even when the confirmation arrived with it while an email was going out. */
  admissionPlanAlwaysSent: 'admission-plan-always-sent',
  /** A case ends only once the emails and records it started have finished: none is abandoned in flight. */
  effectsBeforeClose: 'effects-before-close',
  /** A check-in's reminder is recorded, so that Postgres shows the escalation the workflow reached. */
  reminderRecorded: 'reminder-recorded',
  /** Nothing goes to a hospital (translation requests, packets) before the family approves sharing with it. */
  familyApprovesSharing: 'family-approves-sharing',
  /** A hospital's request for more documents is emailed to the family at once, with their records link. */
  moreInfoAsksFamily: 'more-info-asks-family',
  /** A check-in answered in the same workflow task as its reminder's or expiry's timer stays answered, with no reminder. */
  answerWinsTimer: 'answer-wins-timer',
  /** A cancelled case's record carries every check-in as the workflow ends with it: a step the cancel cut short between its change and its record is not left out of Postgres. */
  cancelRecordsCheckins: 'cancel-records-checkins',
  /** A check-in's request email is sent while its "sent" record is written, not after it: the family's email does not wait a workflow task for the database. */
  checkinEmailWithRecord: 'checkin-email-with-record',
  /** An alert's emails to the treating team and to the coordinator go out together, not the coordinator's after the team's. */
  alertEmailsTogether: 'alert-emails-together',
} as const;
