// The emails a case owes, from what it did: its final state (the workflow's result) and what its
// coordinator did (the journal). Only the emails that follow from the state are counted here; those
// that depend on when a timer fired (reminders, chases, an urgent alert's repeats) are checked
// against the workflow's own history instead (checks.ts): every email it recorded as sent arrived.
//
// A cancelled case owes every email of the stages before the one it was cancelled in, and the
// cancellation's; the emails of that stage may have been cut short by the cancellation.
import type { CaseStatus, Stage } from '../../domain/case.ts';
import { ESCALATED_ALERT_KINDS } from './coordinator.ts';
import type { CaseJournal } from './journal.ts';

/** Where each email kind is sent from: a cancellation in that stage may cut it. */
const SENT_IN: Record<string, Stage> = {
  translation_task: 'translation',
  hospital_submission: 'hospital_review',
  choose_hospital: 'hospital_review',
  all_declined_family: 'navigation',
  navigation_needed: 'navigation',
  hospital_accepted_family: 'admission',
  admission_plan: 'admission',
  checkin_request: 'monitoring',
  checkin_reminder: 'monitoring',
  checkin_missed_coordinator: 'monitoring',
  checkin_missed_team: 'monitoring',
  alert_team: 'monitoring',
  alert_coordinator: 'monitoring',
  monitoring_handoff_coordinator: 'follow_up',
  monitoring_handoff_team: 'follow_up',
  follow_up_request: 'follow_up',
};

/** How many emails of each kind the case must have sent, at least. */
export function expectedEmails(s: CaseStatus, journal: CaseJournal): Map<string, number> {
  const want = new Map<string, number>();
  const add = (kind: string, n: number) => {
    if (n > 0) want.set(kind, (want.get(kind) ?? 0) + n);
  };
  const checkins = s.monitoring?.checkins ?? [];
  const out = checkins.filter((c) => c.state !== 'upcoming');
  const reached = (steps: string[]) => out.filter((c) => c.escalation && steps.includes(c.escalation)).length;
  const followedUp = s.stage === 'closed' && s.closeReason === 'follow-up complete';

  add('case_opened', 1);
  add('translation_task', Object.values(s.documents).filter((d) => d.translation === 'done').length);
  // Every round of every hospital went out, but one still waiting to be sent.
  add('hospital_submission', s.submissions.reduce((n, x) => n + (x.status === 'to_send' ? x.round - 1 : x.round), 0));
  add('choose_hospital', journal.chose ? 1 : 0);
  add('all_declined_family', journal.navigation ? 1 : 0);
  add('navigation_needed', journal.navigation ? 1 : 0);
  add('hospital_accepted_family', s.admission ? 1 : 0);
  // A plan changed before its email went out is replaced by the newer one (the family gets the plan that
  // stands); every plan email the history says was sent is checked to have arrived.
  add('admission_plan', journal.plans > 0 ? 1 : 0);
  add('checkin_request', out.length);
  add('checkin_reminder', reached(['reminder', 'coordinator', 'team']));
  add('checkin_missed_coordinator', reached(['coordinator', 'team']));
  add('checkin_missed_team', reached(['team']));
  const escalated = s.alerts.filter((a) => ESCALATED_ALERT_KINDS.includes(a.kind)).length;
  add('alert_team', escalated);
  add('alert_coordinator', escalated);
  add('monitoring_handoff_coordinator', followedUp ? 1 : 0);
  add('monitoring_handoff_team', followedUp ? 1 : 0);
  add('follow_up_request', s.followUps.filter((f) => f.sentAt).length);
  add('case_closed', s.stage === 'closed' ? 1 : 0);
  if (s.cancelled) {
    add('case_cancelled_hospital', s.submissions.filter((x) => x.submittedAt).length);
    add('case_cancelled_family', 1);
    add('case_cancelled_coordinator', 1);
    for (const [kind, stage] of Object.entries(SENT_IN)) if (stage === s.cancelled.fromStage) want.delete(kind);
  }
  return want;
}
