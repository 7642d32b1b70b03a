// One running case: its state (domain/case-rules.ts CaseState) and the effects every stage and
// handler uses: recording events in Postgres, sending emails, raising alerts, deadlines, what ops
// see in the Web UI. Deterministic like all workflow code; the I/O is in the activities it calls.
import { ActivityCancellationType, ApplicationFailure, condition, isCancellation, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ActivityFailure, type ActivityOptions } from '@temporalio/common';
import type { CaseActivities, RecordChange } from '../activities/index.ts';
import { EMAIL_RECIPIENT, type EmailData, type EmailKind } from '../domain/emails.ts';
import type { Tier } from '../domain/crs.ts';
import { days, type CaseAlert, type CaseInput, type CaseStatus, type Stage, type SubmissionState } from '../domain/case.ts';
import { LINK_GRACE_DAYS, newCaseState, openAlerts, translationSchedule, waitingFor, type CaseState } from '../domain/case-rules.ts';
import { AlertOpenKey, CaseStageKey, HospitalCodeKey, NextDeadlineKey } from '../domain/search-attributes.ts';
import { RECORD_REFUSED } from '../domain/failures.ts';
import { createMonitoring, inBackground, type EmailOptions, type Monitoring, type RecordOptions } from './monitoring.ts';

const activityOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  // Cancelling a case abandons an in-flight activity (they do not heartbeat, so a cancel request
  // could not reach them anyway): each is one transaction keyed by its event, so it lands whole or
  // not at all, and the case row keeps the newest stage by sequence number even if an abandoned
  // write lands after the cancellation.
  cancellationType: ActivityCancellationType.ABANDON,
};
export const acts = proxyActivities<CaseActivities>(activityOptions);
/** Activity options with a summary for the Web UI (summaries go through the payload codec). */
const titled = (summary: string): ActivityOptions => ({ ...activityOptions, summary });
/**
 * Clinical escalations retry on a short leash: a mail server that comes back delays an alert by
 * seconds, not by the minutes of the usual back-off (the email activity does not wait on the database).
 */
const urgent = (summary: string): ActivityOptions => ({ ...titled(summary), startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' } });

/** The database refused an activity's write for good: the message says why (never the data). */
export function refusal(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === RECORD_REFUSED ? err.cause.message : undefined;
}

/** A step that fires at `at` (epoch ms) unless the wait is over by then. */
export interface TimedStep {
  at: number;
  run: () => Promise<void>;
}

export type CaseRun = ReturnType<typeof startCaseRun>;

export function startCaseRun(input: CaseInput) {
  const { caseId } = input;
  const { workflowId, runId } = workflowInfo();
  const now = () => Date.now();
  const iso = (ms: number = now()) => new Date(ms).toISOString();
  const c: CaseState = newCaseState(input);
  const facts = { patientRef: input.patientRef, diagnosis: input.diagnosis, therapy: input.therapy, family: input.family };
  let seq = 0;
  let mailSeq = 0;
  /** Emails and records under way, background ones included: the case does not end before they do. */
  let effects = 0;

  /** What the workflow alone knows: how the case ends, and whether its row is written yet. */
  const run = {
    input,
    c,
    now,
    iso,
    closeRequest: undefined as { reason: string; actor: string } | undefined,
    cancelRequest: undefined as { reason: string; actor: string } | undefined,
    cancelled: undefined as CaseStatus['cancelled'],
    closeReason: undefined as string | undefined,
    /** Set once closing or cancelling is recorded and everyone told: what close/cancel Updates wait for. */
    finished: false,
    /** Set once the case's row is written (or refused): what every action waits for before it writes. */
    opened: false,
    /** No email or record is under way. */
    idle: () => effects === 0,
    waitingFor: () => waitingFor(c, monitoring.waitingFor()),
    /** Until when a translator's link opens: past the translation's escalation from now, and a grace period. */
    translationLinkUntil: () => translationSchedule(now(), input.settings).escalateAt + days(LINK_GRACE_DAYS),
    status,
    publish,
    rows: { document: documentRow, submission: submissionRow, admission: admissionRow, alert: alertRow },
    record,
    reportRefusal,
    email,
    newAlert,
    raiseAlert,
    enterStage,
    setDeadline,
    waitWithSteps,
    monitoring: undefined as unknown as Monitoring,
  };

  // What a record writes of a row is its whole state, so that the newest event wins the row
  // (activities/case-records.ts) whatever order concurrent writes land in.
  function documentRow(documentType: string): RecordChange {
    const d = c.documents[documentType]!;
    return { type: 'document', documentType, status: d.status, language: d.language ?? null, waiveReason: d.waiveReason ?? null, translation: d.translation };
  }
  function submissionRow(s: SubmissionState): RecordChange {
    const decision = s.status === 'accepted' || s.status === 'declined' || s.status === 'more_info' ? s.status : null;
    return { type: 'submission', hospitalCode: s.hospitalCode, round: s.round, submittedAt: s.submittedAt!, decision, reason: s.reason ?? null, requestedDocuments: decision === 'more_info' ? (s.requestedDocuments ?? []) : null };
  }
  function admissionRow(): RecordChange {
    const a = c.admission!;
    return { type: 'admission', hospitalCode: a.hospitalCode, admissionAt: a.admissionAt, contact: a.contact ?? null, notes: a.notes ?? null, confirmedAt: a.confirmedAt ?? null, infusionAt: c.infusionAt ?? null };
  }
  function alertRow(a: CaseAlert): RecordChange {
    return { type: 'alert', alertId: a.id, kind: a.kind, tier: a.tier ?? null, message: a.message, raisedAt: a.raisedAt, acknowledgedAt: a.acknowledgedAt ?? null, acknowledgedBy: a.acknowledgedBy ?? null };
  }

  function status(): CaseStatus {
    const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
    return {
      caseId,
      stage: c.stage,
      waitingFor: run.waitingFor(),
      documents: copy(c.documents),
      submissions: copy(c.submissions),
      ...(c.chosenHospital ? { chosenHospital: c.chosenHospital } : {}),
      ...(c.admission ? { admission: { ...c.admission } } : {}),
      ...(c.infusionAt ? { infusionAt: c.infusionAt } : {}),
      followUps: copy(c.followUps),
      alerts: copy(c.alerts),
      ...(c.filesToReview?.length ? { filesToReview: [...c.filesToReview] } : {}),
      ...(c.consentWithdrawn ? { consentWithdrawn: true } : {}),
      ...(run.closeReason ? { closeReason: run.closeReason } : {}),
      ...(run.cancelled ? { cancelled: run.cancelled } : {}),
      ...(monitoring.started ? { monitoring: monitoring.status()! } : {}),
    };
  }

  function publish(): void {
    const w = run.waitingFor();
    // What ops see on the case in the Web UI: stage and what it waits for, never patient data.
    setCurrentDetails(`**Stage:** ${c.stage}\n\n**Waiting for:** ${w.what} (from ${w.from}${w.until ? `, until ${w.until}` : ''})\n\n**Open alerts:** ${openAlerts(c).length}`);
    const hospital = c.chosenHospital ?? c.submissions[0]?.hospitalCode;
    upsertSearchAttributes({
      [CaseStageKey.name]: [c.stage],
      [AlertOpenKey.name]: [openAlerts(c).length > 0],
      [NextDeadlineKey.name]: c.deadline === undefined ? [] : [new Date(c.deadline)],
      [HospitalCodeKey.name]: hospital ? [hospital] : [],
    });
  }

  /**
   * Records an event in Postgres. A write the database refuses for good does not hold the case up:
   * the case goes on, raises an alert and emails the coordinator the step it could not record.
   */
  async function record(kind: string, summary: string, opts: RecordOptions = {}): Promise<void> {
    const refused = await write(kind, summary, opts);
    // Told in the background: whoever waits on this record (a family's page) does not wait on the coordinator's email.
    if (refused !== undefined) inBackground(reportRefusal(kind, refused));
  }

  async function reportRefusal(step: string, why: string): Promise<void> {
    const { alert, change } = newAlert('record_failed', `The database refused to record ${step}`);
    // The alert may be writable where the event was not; if not, the email still tells.
    await write('alert_raised', alert.message, { detail: { alertId: alert.id, kind: alert.kind, step }, changes: [change] });
    await email('record_failed', { step, error: why }, { urgent: true });
  }

  /** Writes one event; answers why the database refused it for good, or undefined when written. */
  async function write(kind: string, summary: string, opts: RecordOptions): Promise<string | undefined> {
    const n = ++seq;
    effects++;
    try {
      await acts.recordEvent.executeWithOptions(titled(`record ${kind}`), [{
        caseId,
        eventKey: `${workflowId}/${runId}/${n}`,
        seq: n,
        at: iso(),
        actor: opts.actor ?? 'system',
        kind,
        summary,
        detail: opts.detail,
        stage: c.stage,
        waitingFor: run.waitingFor(),
        changes: opts.changes,
      }]);
      return undefined;
    } catch (err) {
      const why = refusal(err);
      if (why === undefined) throw err;
      return why;
    } finally {
      effects--;
    }
  }

  async function enterStage(next: Stage, actor = 'system'): Promise<void> {
    const from = c.stage;
    c.stage = next;
    c.deadline = undefined;
    publish();
    await record('stage_changed', `Stage ${from} → ${next}`, { actor, detail: { from, to: next } });
  }

  function setDeadline(at: number | undefined): void {
    c.deadline = at;
    publish();
  }

  /** Opens an alert in the case; the caller records its change (with whatever else it records). */
  function newAlert(kind: string, message: string, tier?: Tier): { alert: CaseAlert; change: RecordChange } {
    const alert: CaseAlert = { id: `a${c.alerts.length + 1}`, kind, message, raisedAt: iso(), ...(tier ? { tier } : {}) };
    c.alerts.push(alert);
    publish();
    return { alert, change: alertRow(alert) };
  }

  async function raiseAlert(kind: string, message: string): Promise<void> {
    const { alert, change } = newAlert(kind, message);
    await record('alert_raised', message, { detail: { alertId: alert.id, kind }, changes: [change] });
  }

  /** Sends one email; a failed delivery becomes an alert (and a note to the coordinator), never a failed case. */
  async function email<K extends EmailKind>(kind: K, data: EmailData[K], opts: EmailOptions = {}): Promise<void> {
    const key = `${workflowId}/${runId}/mail-${++mailSeq}`;
    const { hospitalCode } = opts;
    let failure: string | undefined;
    effects++;
    try {
      const options = (opts.urgent ? urgent : titled)(`email ${kind}`);
      // An escalation carries what the case knows, so that it does not wait for the database (activities/emails.ts).
      const r = await acts.sendEmail.executeWithOptions(options, [{ caseId, key, kind, data, at: iso(), ...(opts.urgent ? { facts } : {}), ...opts }]);
      if (r.status === 'failed') failure = r.error ?? 'refused by the mail server';
    } catch (err) {
      if (isCancellation(err)) throw err;
      failure = (err as Error).message;
    } finally {
      effects--;
    }
    if (failure === undefined) return;
    await raiseAlert('delivery_failed', `Email ${kind}${hospitalCode ? ` to ${hospitalCode}` : ''} could not be delivered`);
    if (kind !== 'delivery_failed') {
      await email('delivery_failed', { failedKind: kind, to: hospitalCode ?? EMAIL_RECIPIENT[kind], error: failure });
    }
  }

  /** Waits until `done`, running each step whose time comes first; reports the next step as the deadline. */
  async function waitWithSteps(done: () => boolean, steps: TimedStep[]): Promise<void> {
    for (const step of [...steps].sort((a, b) => a.at - b.at)) {
      if (done()) break;
      if (step.at <= now()) continue;
      setDeadline(step.at);
      if (await condition(done, step.at - now())) break;
      await step.run();
    }
    setDeadline(undefined);
    await condition(done);
  }

  const monitoring = createMonitoring({
    caseId,
    timeZone: input.family.timeZone,
    hospitalCode: () => c.chosenHospital!,
    now,
    iso,
    record,
    email,
    newAlert,
    isAcknowledged: (id) => c.alerts.some((a) => a.id === id && a.acknowledgedAt),
    setDeadline,
  });
  run.monitoring = monitoring;
  return run;
}
