// The rules of a case as pure functions of its state: what it waits for (and from whom), which
// coordinator actions fit it now and why not, and when its timed steps fall due. The case workflow
// keeps the state and applies these rules; domain/case-rules.test.ts checks them without a server.
import type { ActionArgs, StaffAction } from './actions.ts';
import {
  FINAL_STAGES,
  days,
  missingDocuments,
  type AdmissionPlan,
  type CaseAlert,
  type CaseSettings,
  type DocumentState,
  type FollowUpContact,
  type Stage,
  type SubmissionState,
  type WaitingFor,
} from './case.ts';
import { localHourDaysBefore } from './time.ts';

/** What the case workflow knows of a case, but monitoring's own state (workflows/monitoring.ts). */
export interface CaseState {
  stage: Stage;
  documents: Record<string, DocumentState>;
  submissions: SubmissionState[];
  chosenHospital?: string;
  admission?: AdmissionPlan;
  /** Counts plans and re-plans, so that the admission stage knows when one is new. */
  admissionPlanVersion: number;
  infusionAt?: string;
  followUps: FollowUpContact[];
  alerts: CaseAlert[];
  /** When the case next does something by itself (epoch ms), for "until" and the Web UI. */
  deadline?: number;
  /** Cancelling was asked for: from then on every other action is refused. */
  cancelRequested: boolean;
  /** The family has been asked to approve the hospitals chosen, and the case waits for them. */
  awaitingApproval?: boolean;
  /** Files in the vault that wait for a coordinator's review (their ids, in the order they came). */
  filesToReview?: string[];
  /** The family withdrew their consent on their records page: nothing more goes to a hospital until they give it again. */
  consentWithdrawn?: boolean;
}

export function newCaseState(input: { requiredDocuments: readonly string[]; settings: CaseSettings }): CaseState {
  return {
    stage: 'inquiry',
    documents: Object.fromEntries(input.requiredDocuments.map((d) => [d, { status: 'missing', translation: 'not_needed' } satisfies DocumentState])),
    submissions: [],
    admissionPlanVersion: 0,
    followUps: input.settings.followUpDays.map((day) => ({ day })),
    alerts: [],
    cancelRequested: false,
  };
}

export const submissionTo = (s: CaseState, hospitalCode: string): SubmissionState | undefined => s.submissions.find((x) => x.hospitalCode === hospitalCode);
export const pendingHospitals = (s: CaseState): SubmissionState[] => s.submissions.filter((x) => x.status === 'pending');
export const acceptedHospitals = (s: CaseState): SubmissionState[] => s.submissions.filter((x) => x.status === 'accepted');
/** The languages of the packets waiting to go: what the documents must be translated into. */
export const targetLanguages = (s: CaseState): string[] => [...new Set(s.submissions.filter((x) => x.status === 'to_send').map((x) => x.language))];
/**
 * A hospital chosen whose packet waits for the family's approval to share the case with it. A
 * hospital sent the case before (asking for more, or declining and chosen again) has it already:
 * approved then, or sent before approval was asked for (cases chosen before the patch).
 */
export const awaitsApproval = (x: SubmissionState): boolean => x.status === 'to_send' && !x.sharingApproved && !x.submittedAt;
/** The hospitals whose packet waits for the family's approval (codes, in the order chosen). */
export const unapprovedHospitals = (s: Pick<CaseState, 'submissions'>): string[] => s.submissions.filter(awaitsApproval).map((x) => x.hospitalCode);
export const translationsPending = (s: CaseState): string[] => Object.entries(s.documents).filter(([, d]) => d.translation === 'pending').map(([t]) => t);
export const openAlerts = (s: CaseState): CaseAlert[] => s.alerts.filter((a) => !a.acknowledgedAt);
/** Stages in which a case still gathers and shares records (a file may come, or be reviewed). */
const RECORDS_STAGES: readonly Stage[] = ['inquiry', 'records', 'translation', 'hospital_review', 'navigation'];

// ---- waiting for ---------------------------------------------------------------------------------

/**
 * What the case waits for, from whom, until when: the one answer the console, casectl, the API,
 * the projection and the Web UI show. `monitoring` is what the monitoring stage waits for, if anything.
 */
export function waitingFor(s: CaseState, monitoring?: { what: string; until: string }): WaitingFor {
  const wait = stageWait(s, monitoring);
  if (FINAL_STAGES.includes(s.stage)) return wait;
  const gathering = RECORDS_STAGES.includes(s.stage);
  // While records are gathered and shared, nothing goes on without the family's consent.
  if (s.consentWithdrawn && (s.stage === 'records' || s.stage === 'translation' || s.submissions.some((x) => x.status === 'to_send'))) {
    return { what: `the family's consent to process their records, withdrawn on their records page (then: ${wait.what})`, from: 'family' };
  }
  const files = s.filesToReview?.length ?? 0;
  if (files === 0) return wait;
  const review = `review of ${files} uploaded ${files === 1 ? 'file' : 'files'} (casectl docs list)`;
  // The family's wait for records is the coordinator's while the files they sent are not looked at.
  if (gathering && (wait.from === 'family' || wait.from === 'nobody')) return { what: `${review}, then ${wait.what}`, from: 'coordinator' };
  return { ...wait, what: `${wait.what}; and ${review}` };
}

function stageWait(s: CaseState, monitoring?: { what: string; until: string }): WaitingFor {
  const until = s.deadline === undefined ? {} : { until: new Date(s.deadline).toISOString() };
  switch (s.stage) {
    case 'inquiry':
      return { what: 'acknowledgement to the family', from: 'nobody' };
    case 'records':
      return { what: `documents: ${missingDocuments(s.documents).join(', ')}`, from: 'family', ...until };
    case 'translation':
      if (targetLanguages(s).length === 0) return { what: 'hospitals to submit to (casectl hospital submit)', from: 'coordinator' };
      // Once the last approval is in, the case moves on by itself.
      if (s.awaitingApproval && unapprovedHospitals(s).length > 0) return { what: `the family's approval to share the case with ${unapprovedHospitals(s).join(', ')}`, from: 'family', ...until };
      // Between the choice of hospitals and the translation requests, nobody is waited for.
      if (translationsPending(s).length === 0) return { what: 'packets for the hospitals', from: 'nobody' };
      return { what: `translations: ${translationsPending(s).join(', ')}`, from: 'translator', ...until };
    case 'hospital_review': {
      const pending = pendingHospitals(s);
      // A hospital that opened its packet and one that never did are chased differently.
      const named = pending.map((x) => (x.openedAt ? `${x.hospitalCode} (packet opened)` : x.hospitalCode));
      if (pending.length > 0) return { what: `decisions from ${named.join(', ')}`, from: 'hospital', ...until };
      const yes = acceptedHospitals(s).map((x) => x.hospitalCode);
      // One acceptance or none: the case moves on by itself in a moment; nobody needs to act.
      if (yes.length < 2 || s.chosenHospital) return { what: 'moving on to the next stage', from: 'nobody' };
      return { what: `choice of hospital among ${yes.join(', ')}`, from: 'coordinator' };
    }
    case 'navigation':
      return { what: 'next step after every hospital declined: submit to other hospitals or close the case', from: 'coordinator' };
    case 'admission':
      if (!s.admission) return { what: 'admission plan', from: 'coordinator' };
      return { what: 'admission confirmation', from: 'coordinator', until: s.admission.admissionAt };
    case 'monitoring':
      if (!s.infusionAt) return { what: 'infusion record', from: 'coordinator' };
      if (monitoring) return { ...monitoring, from: 'family' };
      return { what: 'end of the monitoring window', from: 'nobody', ...until };
    case 'follow_up': {
      const open = s.followUps.find((f) => f.sentAt && !f.outcome);
      if (open) return { what: `outcome of the day ${open.day} follow-up`, from: 'coordinator' };
      const next = s.followUps.find((f) => !f.sentAt);
      return { what: `day ${next?.day ?? '?'} follow-up contact`, from: 'nobody', ...until };
    }
    case 'closed':
    case 'cancelled':
      return { what: 'nothing', from: 'nobody' };
  }
}

// ---- which actions fit -------------------------------------------------------------------------

/** What the monitoring stage tells the guards (workflows/monitoring.ts checks check-ins and observations itself). */
export interface MonitoringFacts {
  ended: boolean;
}

/** Actions only outside parties take, through their own doors. */
type PartyAction = 'submitCheckin' | 'filesUploaded' | 'recordConsent' | 'packetOpened' | 'packetLocked';

type Guard<A extends StaffAction> = (s: CaseState, args: ActionArgs<A>, ctx: { now: number; monitoring: MonitoringFacts }) => string | undefined;

const notIn = (s: CaseState, allowed: readonly Stage[], what: string) => (allowed.includes(s.stage) ? undefined : `${what} is not possible while the case is in ${s.stage}`);
const missingDocument = (s: CaseState, documentType: string) => {
  const doc = s.documents[documentType];
  if (!doc) return `${documentType} is not on this case's document list (${Object.keys(s.documents).join(', ')})`;
  return doc.status !== 'missing' ? `${documentType} is already ${doc.status}` : undefined;
};
/** A confirmed admission moves the case on to monitoring, which waits for the infusion. */
const admissionOpen = (s: CaseState) => notIn(s, ['admission'], 'Planning admission');

const NO_INFUSION = 'monitoring has not started: record the infusion first';

const GUARDS: { [A in StaffAction]: Guard<A> } = {
  // A file under review is accepted whatever the case has of its document (a second scan, a paper off the list): the review is done.
  receiveDocument: (s, { documentType, fileId }) => (fileId && s.filesToReview?.includes(fileId) ? undefined : missingDocument(s, documentType)),
  waiveDocument: (s, { documentType }) => missingDocument(s, documentType),
  requestDocument: (s) => notIn(s, RECORDS_STAGES, 'Asking the family for a document'),
  approveSharing: (s, { hospitalCode }) => {
    if (s.consentWithdrawn) return 'the family has withdrawn their consent: nothing is shared until they give it again on their records page';
    const submission = submissionTo(s, hospitalCode);
    if (!submission) return `${hospitalCode} is not among the hospitals chosen for this case`;
    return submission.sharingApproved ? `sharing with ${hospitalCode} is already approved` : undefined;
  },
  rejectTranslation: (s, { documentType }) => {
    const stage = notIn(s, ['translation', 'hospital_review'], 'Sending a translation back');
    if (stage) return stage;
    const doc = s.documents[documentType];
    if (!doc) return `${documentType} is not on this case's document list`;
    // Pending too: one language's translation can be sent back while another is still awaited.
    return doc.translation === 'not_needed' ? `${documentType} has no translation to send back` : undefined;
  },
  completeTranslation: (s, { documentType }) => {
    const doc = s.documents[documentType];
    if (!doc) return `${documentType} is not on this case's document list`;
    return doc.translation !== 'pending' ? `${documentType} has no translation in progress` : undefined;
  },
  submitToHospitals: (s, { hospitals }) => {
    const stage = notIn(s, ['inquiry', 'records', 'translation', 'navigation'], 'Submitting to hospitals');
    if (stage) return stage;
    for (const h of hospitals) {
      const x = submissionTo(s, h.code);
      if (x && x.status !== 'declined') return `${h.code} already has this case (${x.status})`;
    }
    return undefined;
  },
  recordDecision: (s, { hospitalCode }) => {
    const x = submissionTo(s, hospitalCode);
    if (!x || x.status === 'to_send') return `${hospitalCode} has not been sent this case`;
    return x.status !== 'pending' ? `${hospitalCode} has already answered (${x.status})` : undefined;
  },
  chooseHospital: (s, { hospitalCode }) =>
    notIn(s, ['hospital_review'], 'Choosing a hospital') ??
    (submissionTo(s, hospitalCode)?.status !== 'accepted' ? `${hospitalCode} has not accepted this case (accepted: ${acceptedHospitals(s).map((x) => x.hospitalCode).join(', ') || 'none'})` : undefined),
  planAdmission: (s, { hospitalCode }) => {
    const stage = admissionOpen(s);
    if (stage) return stage;
    if (s.admission?.confirmedAt) return 'admission is already confirmed';
    return hospitalCode !== s.chosenHospital ? `the chosen hospital is ${s.chosenHospital}, not ${hospitalCode}` : undefined;
  },
  confirmAdmission: (s) => notIn(s, ['admission'], 'Confirming admission') ?? (s.admission ? undefined : 'there is no admission plan to confirm yet'),
  recordInfusion: (s, { at }, { now }) => {
    const stage = notIn(s, ['monitoring'], 'Recording the infusion');
    if (stage) return stage;
    if (s.infusionAt) return `the infusion was already recorded (${s.infusionAt})`;
    return Date.parse(at) > now + days(1) ? 'the infusion time is in the future' : undefined;
  },
  endMonitoring: (s, _args, { monitoring }) => {
    const stage = notIn(s, ['monitoring'], 'Ending monitoring');
    if (stage) return stage;
    if (!s.infusionAt) return NO_INFUSION;
    return monitoring.ended ? 'monitoring has already ended' : undefined;
  },
  // Accepted from the moment the infusion is recorded: the workflow holds it until the window's protocol is read.
  recordClinical: (s) => notIn(s, ['monitoring', 'follow_up'], 'Recording a clinical observation') ?? (s.stage === 'monitoring' && !s.infusionAt ? NO_INFUSION : undefined),
  recordFollowUp: (s) => {
    const stage = notIn(s, ['follow_up'], 'Recording a follow-up outcome');
    if (stage) return stage;
    if (s.followUps.some((f) => f.sentAt && !f.outcome)) return undefined;
    const next = s.followUps.find((f) => !f.sentAt);
    return `no follow-up contact is waiting for an outcome${next ? ` (next: day ${next.day})` : ''}`;
  },
  closeCase: (s) => notIn(s, ['navigation'], 'Closing the case (use cancel otherwise)') ?? unseenAlerts(s, 'closed'),
  cancelCase: (s) => unseenAlerts(s, 'cancelled'),
  acknowledgeAlert: (s, { alertId }) => {
    const alert = s.alerts.find((a) => a.id === alertId);
    if (!alert) return `there is no alert ${alertId} on this case`;
    return alert.acknowledgedAt ? `alert ${alertId} was already acknowledged by ${alert.acknowledgedBy}` : undefined;
  },
};

/**
 * A case is not ended over a clinical alert (a report, an observation or a missed check-in: those
 * with a tier) no one has acknowledged: one raised a moment before the coordinator acted would
 * otherwise end with the case, unseen. The case's own alerts (a silent hospital, stalled records)
 * are about the case and end with it.
 */
function unseenAlerts(s: CaseState, ending: string): string | undefined {
  const open = s.alerts.filter((a) => a.tier && !a.acknowledgedAt);
  if (!open.length) return undefined;
  return `the case cannot be ${ending} while ${open.length === 1 ? 'a clinical alert is' : `${open.length} clinical alerts are`} not acknowledged (${open.map((a) => `${a.id}: ${a.message}`).join('; ')}): acknowledge ${open.length === 1 ? 'it' : 'them'} first (casectl alert ack)`;
}

/** A case closed, cancelled or being cancelled takes no action: why, or undefined. */
export function caseOver(s: CaseState): string | undefined {
  return FINAL_STAGES.includes(s.stage) || s.cancelRequested ? `the case is ${s.cancelRequested ? 'cancelled' : s.stage}` : undefined;
}

/**
 * Why `action` does not fit the case now, in words for the person who asked, or undefined when it
 * does: what the workflow's Update validators refuse with, before anything enters history.
 */
export function refusalOf<A extends StaffAction | PartyAction>(action: A, s: CaseState, args: ActionArgs<A>, ctx: { now: number; monitoring: MonitoringFacts }): string | undefined {
  const over = caseOver(s);
  if (over) return over;
  if (action === 'submitCheckin') return notIn(s, ['monitoring'], 'A check-in report');
  // Files and consent come through the family's records page, open until the case is over.
  if (action === 'filesUploaded' || action === 'recordConsent') return undefined;
  if (action === 'packetOpened' || action === 'packetLocked') {
    const { hospitalCode, round } = args as ActionArgs<'packetOpened'>;
    const x = submissionTo(s, hospitalCode);
    if (!x || !x.submittedAt) return `${hospitalCode} has not been sent this case`;
    return x.round !== round ? `round ${round} of ${hospitalCode}'s packet is superseded by round ${x.round}` : undefined;
  }
  return (GUARDS[action as StaffAction] as Guard<StaffAction>)(s, args as ActionArgs<StaffAction>, ctx);
}

// ---- when ----------------------------------------------------------------------------------------

/** The records stage from `start`: a reminder to the family on each reminder day, then the coordinator alerted. */
export function recordsSchedule(start: number, settings: CaseSettings): { reminders: { at: number; number: number }[]; stalledAt: number } {
  return { reminders: settings.recordsReminderDays.map((d, i) => ({ at: start + days(d), number: i + 1 })), stalledAt: start + days(settings.recordsStalledAfterDays) };
}

/** The family asked at `start` to approve hospitals: reminded after 2 days, the coordinator alerted after 4. */
export function sharingSchedule(start: number): { reminderAt: number; alertAt: number } {
  return { reminderAt: start + days(2), alertAt: start + days(4) };
}

/** Days a hospital's packet link or a translator's link stays open past the step's escalation. */
export const LINK_GRACE_DAYS = 14;

/** A translation requested at `start`: chased when due, escalated later. */
export function translationSchedule(start: number, settings: CaseSettings): { dueAt: number; escalateAt: number } {
  return { dueAt: start + days(settings.translationChaseDays), escalateAt: start + days(settings.translationEscalateDays) };
}

/** A hospital that has the packet since `start`: reminded, then the coordinator alerted. */
export function hospitalSchedule(start: number, settings: CaseSettings): { reminderAt: number; escalateAt: number } {
  return { reminderAt: start + days(settings.hospitalReminderDays), escalateAt: start + days(settings.hospitalEscalateDays) };
}

/** The soonest reminder due to a hospital that has not answered yet: the review stage's deadline. */
export function hospitalDeadline(s: CaseState, settings: CaseSettings): number {
  return Math.min(...pendingHospitals(s).map((x) => hospitalSchedule(Date.parse(x.submittedAt!), settings).reminderAt));
}

/** Admission reminders to the family, at the settings' local hour in the family's zone, the given days before. */
export function admissionReminders(admissionAt: number, settings: CaseSettings, timeZone: string): { at: number; daysBefore: number }[] {
  return settings.admissionReminderDays.map((d) => ({ at: localHourDaysBefore(admissionAt, d, settings.reminderLocalHour, timeZone), daysBefore: d }));
}

/** When a follow-up contact falls due: so many days after the infusion. */
export const followUpDue = (infusionAt: number, day: number): number => infusionAt + days(day);
