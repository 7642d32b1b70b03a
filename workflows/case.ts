// One durable workflow per case, from inquiry to follow-up. It decides; activities do the I/O.
// Coordinator actions arrive as Updates whose validators refuse, before anything enters
// history, an action that does not fit the case's state.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ActivityFailure, type ActivityOptions, type UpdateDefinition } from '@temporalio/common';
import type { CaseActivities, RecordChange } from '../activities/index.ts';
import { EMAIL_RECIPIENT, type EmailData, type EmailKind } from '../activities/email-templates.ts';
import type { Tier } from '../domain/crs.ts';
import { createMonitoring, inBackground, type EmailOptions, type RecordOptions } from './monitoring.ts';
import {
  type AdmissionPlan,
  type CaseAlert,
  type CaseInput,
  type CaseStatus,
  type DocumentState,
  type FollowUpContact,
  type Stage,
  type SubmissionState,
  type WaitingFor,
  FINAL_STAGES,
  days,
  missingDocuments,
} from '../domain/case.ts';
import { actionSchema, type ActionArgs, type ActionName } from '../domain/actions.ts';
import { InputError, parseInput } from '../domain/validation.ts';
import { localHourDaysBefore } from '../domain/time.ts';
import { AlertOpenKey, CaseStageKey, HospitalCodeKey, NextDeadlineKey } from '../domain/search-attributes.ts';
import { RECORD_REFUSED } from '../domain/failures.ts';
import * as msg from './messages.ts';
import { PATCHES } from './patches.ts';

const activityOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  // Cancelling a case abandons an in-flight activity (they do not heartbeat, so a cancel request
  // could not reach them anyway): each is one transaction keyed by its event, so it lands whole or
  // not at all, and the case row keeps the newest stage by sequence number even if an abandoned
  // write lands after the cancellation.
  cancellationType: ActivityCancellationType.ABANDON,
};
const acts = proxyActivities<CaseActivities>(activityOptions);
/** Activity options with a summary for the Web UI (summaries go through the payload codec). */
const titled = (summary: string): ActivityOptions => ({ ...activityOptions, summary });
/**
 * Clinical escalations retry on a short leash: a mail server that comes back delays an alert by
 * seconds, not by the minutes of the usual back-off (the email activity does not wait on the database).
 */
const urgent = (summary: string): ActivityOptions => ({ ...titled(summary), startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' } });

/** The database refused an activity's write for good: the message says why (never the data). */
function refusal(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === RECORD_REFUSED ? err.cause.message : undefined;
}

/** A step that fires at `at` (epoch ms) unless the wait is over by then. */
interface TimedStep {
  at: number;
  run: () => Promise<void>;
}

export async function caseWorkflow(input: CaseInput): Promise<CaseStatus> {
  const { caseId, settings } = input;
  const { workflowId, runId } = workflowInfo();
  const now = () => Date.now();
  const iso = (ms: number = now()) => new Date(ms).toISOString();

  // ---- state -------------------------------------------------------------------------------
  let stage: Stage = 'inquiry';
  const documents: Record<string, DocumentState> = Object.fromEntries(
    input.requiredDocuments.map((d) => [d, { status: 'missing', translation: 'not_needed' } satisfies DocumentState]),
  );
  const submissions: SubmissionState[] = [];
  let chosenHospital: string | undefined;
  let admission: AdmissionPlan | undefined;
  let admissionPlanVersion = 0;
  let infusionAt: string | undefined;
  const followUps: FollowUpContact[] = settings.followUpDays.map((day) => ({ day }));
  const alerts: CaseAlert[] = [];
  let closeRequest: { reason: string; actor: string } | undefined;
  let cancelRequest: { reason: string; actor: string } | undefined;
  let cancelled: CaseStatus['cancelled'];
  let closeReason: string | undefined;
  let deadline: number | undefined;
  /** Set once closing or cancelling is recorded and everyone told: what close/cancel Updates wait for. */
  let finished = false;
  /** Set once the case's row is written (or refused): what every action waits for before it writes. */
  let opened = false;
  const facts = { patientRef: input.patientRef, diagnosis: input.diagnosis, therapy: input.therapy, family: input.family };
  let seq = 0;
  let mailSeq = 0;

  const current = (code: string) => submissions.find((s) => s.hospitalCode === code);
  const pendingHospitals = () => submissions.filter((s) => s.status === 'pending');
  const accepted = () => submissions.filter((s) => s.status === 'accepted');
  const targetLanguages = () => [...new Set(submissions.filter((s) => s.status === 'to_send').map((s) => s.language))];
  const translationsPending = () => Object.entries(documents).filter(([, d]) => d.translation === 'pending').map(([t]) => t);

  // What a record writes of a row is its whole state now, so that the newest event wins the row
  // (activities/case-records.ts) whatever order concurrent writes land in.
  const documentRow = (documentType: string): RecordChange => {
    const d = documents[documentType]!;
    return { type: 'document', documentType, status: d.status, language: d.language ?? null, waiveReason: d.waiveReason ?? null, translation: d.translation };
  };
  const submissionRow = (s: SubmissionState): RecordChange => {
    const decision = s.status === 'accepted' || s.status === 'declined' || s.status === 'more_info' ? s.status : null;
    return { type: 'submission', hospitalCode: s.hospitalCode, round: s.round, submittedAt: s.submittedAt!, decision, reason: s.reason ?? null, requestedDocuments: decision === 'more_info' ? (s.requestedDocuments ?? []) : null };
  };
  const admissionRow = (): RecordChange => {
    const a = admission!;
    return { type: 'admission', hospitalCode: a.hospitalCode, admissionAt: a.admissionAt, contact: a.contact ?? null, notes: a.notes ?? null, confirmedAt: a.confirmedAt ?? null, infusionAt: infusionAt ?? null };
  };
  const alertRow = (a: CaseAlert): RecordChange => ({
    type: 'alert',
    alertId: a.id,
    kind: a.kind,
    tier: a.tier ?? null,
    message: a.message,
    raisedAt: a.raisedAt,
    acknowledgedAt: a.acknowledgedAt ?? null,
    acknowledgedBy: a.acknowledgedBy ?? null,
  });

  function waitingFor(): WaitingFor {
    const until = deadline === undefined ? {} : { until: iso(deadline) };
    switch (stage) {
      case 'inquiry':
        return { what: 'acknowledgement to the family', from: 'nobody' };
      case 'records':
        return { what: `documents: ${missingDocuments(documents).join(', ')}`, from: 'family', ...until };
      case 'translation':
        if (targetLanguages().length === 0) return { what: 'hospitals to submit to (casectl hospital submit)', from: 'coordinator' };
        // Between the choice of hospitals and the translation requests, nobody is waited for.
        if (translationsPending().length === 0) return { what: 'packets for the hospitals', from: 'nobody' };
        return { what: `translations: ${translationsPending().join(', ')}`, from: 'translator', ...until };
      case 'hospital_review': {
        const pending = pendingHospitals().map((s) => s.hospitalCode);
        if (pending.length > 0) return { what: `decisions from ${pending.join(', ')}`, from: 'hospital', ...until };
        const yes = accepted().map((s) => s.hospitalCode);
        // One acceptance or none: the case moves on by itself in a moment; nobody needs to act.
        if (yes.length < 2 || chosenHospital) return { what: 'moving on to the next stage', from: 'nobody' };
        return { what: `choice of hospital among ${yes.join(', ')}`, from: 'coordinator' };
      }
      case 'navigation':
        return { what: 'next step after every hospital declined: submit to other hospitals or close the case', from: 'coordinator' };
      case 'admission':
        if (!admission) return { what: 'admission plan', from: 'coordinator' };
        return { what: 'admission confirmation', from: 'coordinator', until: admission.admissionAt };
      case 'monitoring': {
        if (!infusionAt) return { what: 'infusion record', from: 'coordinator' };
        const next = monitoring.waitingFor();
        if (next) return { ...next, from: 'family' };
        return { what: 'end of the monitoring window', from: 'nobody', ...until };
      }
      case 'follow_up': {
        const open = followUps.find((f) => f.sentAt && !f.outcome);
        if (open) return { what: `outcome of the day ${open.day} follow-up`, from: 'coordinator' };
        const next = followUps.find((f) => !f.sentAt);
        return { what: `day ${next?.day ?? '?'} follow-up contact`, from: 'nobody', ...until };
      }
      case 'closed':
      case 'cancelled':
        return { what: 'nothing', from: 'nobody' };
    }
  }

  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  const status = (): CaseStatus => ({
    caseId,
    stage,
    waitingFor: waitingFor(),
    documents: copy(documents),
    submissions: copy(submissions),
    ...(chosenHospital ? { chosenHospital } : {}),
    ...(admission ? { admission: { ...admission } } : {}),
    ...(infusionAt ? { infusionAt } : {}),
    followUps: copy(followUps),
    alerts: copy(alerts),
    ...(closeReason ? { closeReason } : {}),
    ...(cancelled ? { cancelled } : {}),
    ...(monitoring.started ? { monitoring: monitoring.status()! } : {}),
  });

  function publishSearchAttributes(): void {
    const w = waitingFor();
    // What ops see on the case in the Web UI: stage and what it waits for, never patient data.
    setCurrentDetails(`**Stage:** ${stage}\n\n**Waiting for:** ${w.what} (from ${w.from}${w.until ? `, until ${w.until}` : ''})\n\n**Open alerts:** ${alerts.filter((a) => !a.acknowledgedAt).length}`);
    const hospital = chosenHospital ?? submissions[0]?.hospitalCode;
    upsertSearchAttributes({
      [CaseStageKey.name]: [stage],
      [AlertOpenKey.name]: [alerts.some((a) => !a.acknowledgedAt)],
      [NextDeadlineKey.name]: deadline === undefined ? [] : [new Date(deadline)],
      [HospitalCodeKey.name]: hospital ? [hospital] : [],
    });
  }

  // ---- effects -----------------------------------------------------------------------------
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
        stage,
        waitingFor: waitingFor(),
        changes: opts.changes,
      }]);
      return undefined;
    } catch (err) {
      const why = refusal(err);
      if (why === undefined) throw err;
      return why;
    }
  }

  async function enterStage(next: Stage, actor = 'system'): Promise<void> {
    const from = stage;
    stage = next;
    deadline = undefined;
    publishSearchAttributes();
    await record('stage_changed', `Stage ${from} → ${next}`, { actor, detail: { from, to: next } });
  }

  function setDeadline(at: number | undefined): void {
    deadline = at;
    publishSearchAttributes();
  }

  /** Opens an alert in the case; the caller records its change (with whatever else it records). */
  function newAlert(kind: string, message: string, tier?: Tier): { alert: CaseAlert; change: RecordChange } {
    const alert: CaseAlert = { id: `a${alerts.length + 1}`, kind, message, raisedAt: iso(), ...(tier ? { tier } : {}) };
    alerts.push(alert);
    publishSearchAttributes();
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
    try {
      const options = (opts.urgent ? urgent : titled)(`email ${kind}`);
      // An escalation carries what the case knows, so that it does not wait for the database (activities/emails.ts).
      const r = await acts.sendEmail.executeWithOptions(options, [{ caseId, key, kind, data, at: iso(), ...(opts.urgent ? { facts } : {}), ...opts }]);
      if (r.status === 'failed') failure = r.error ?? 'refused by the mail server';
    } catch (err) {
      if (isCancellation(err)) throw err;
      failure = (err as Error).message;
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
    hospitalCode: () => chosenHospital!,
    now,
    iso,
    record,
    email,
    newAlert,
    isAcknowledged: (id) => alerts.some((a) => a.id === id && a.acknowledgedAt),
    setDeadline,
  });

  // ---- coordinator actions -----------------------------------------------------------------
  function refuse(message: string): never {
    throw ApplicationFailure.create({ type: 'ActionRefused', message, nonRetryable: true });
  }

  /**
   * Registers an Update whose validator parses the arguments and checks the case's state. The
   * handler answers with what `apply` returns, or with the case's status after the action.
   */
  function action<A extends ActionName>(
    def: { name: string },
    name: A,
    check: (args: ActionArgs<A>) => void,
    apply: (args: ActionArgs<A>) => Promise<unknown>,
  ): void {
    const parse = (raw: unknown): ActionArgs<A> => {
      try {
        return parseInput(actionSchema(name), raw) as ActionArgs<A>;
      } catch (err) {
        if (err instanceof InputError) throw ApplicationFailure.create({ type: 'InputError', message: err.message, details: [err.fields], nonRetryable: true });
        throw err;
      }
    };
    const update = def as unknown as UpdateDefinition<unknown, [unknown]>;
    setHandler(
      update,
      async (raw) => {
        if (patched(PATCHES.caseRowFirst)) await condition(() => opened);
        return (await apply(parse(raw))) ?? status();
      },
      {
        validator: (raw) => {
          if (FINAL_STAGES.includes(stage) || cancelRequest) refuse(`the case is ${cancelRequest ? 'cancelled' : stage}`);
          check(parse(raw));
        },
      },
    );
  }

  const inStages = (allowed: Stage[], what: string) => {
    if (!allowed.includes(stage)) refuse(`${what} is not possible while the case is in ${stage}`);
  };

  setHandler(msg.caseStatus, status);

  action(msg.receiveDocument, 'receiveDocument',
    ({ documentType }) => {
      const doc = documents[documentType];
      if (!doc) refuse(`${documentType} is not on this case's document list (${Object.keys(documents).join(', ')})`);
      if (doc.status !== 'missing') refuse(`${documentType} is already ${doc.status}`);
    },
    async ({ documentType, language, actor }) => {
      const doc = documents[documentType]!;
      doc.status = 'received';
      doc.language = language ?? input.family.language;
      await record('document_received', `Document received: ${documentType}`, { actor, changes: [documentRow(documentType)] });
    });

  action(msg.waiveDocument, 'waiveDocument',
    ({ documentType }) => {
      const doc = documents[documentType];
      if (!doc) refuse(`${documentType} is not on this case's document list (${Object.keys(documents).join(', ')})`);
      if (doc.status !== 'missing') refuse(`${documentType} is already ${doc.status}`);
    },
    async ({ documentType, reason, actor }) => {
      const doc = documents[documentType]!;
      doc.status = 'waived';
      doc.waiveReason = reason;
      await record('document_waived', `Document waived: ${documentType}`, { actor, detail: { reason }, changes: [documentRow(documentType)] });
    });

  action(msg.completeTranslation, 'completeTranslation',
    ({ documentType }) => {
      const doc = documents[documentType];
      if (!doc) refuse(`${documentType} is not on this case's document list`);
      if (doc.translation !== 'pending') refuse(`${documentType} has no translation in progress`);
    },
    async ({ documentType, actor }) => {
      documents[documentType]!.translation = 'done';
      await record('translation_done', `Translation done: ${documentType}`, { actor, changes: [documentRow(documentType)] });
    });

  action(msg.submitToHospitals, 'submitToHospitals',
    ({ hospitals }) => {
      inStages(['inquiry', 'records', 'translation', 'navigation'], 'Submitting to hospitals');
      for (const h of hospitals) {
        const s = current(h.code);
        if (s && s.status !== 'declined') refuse(`${h.code} already has this case (${s.status})`);
      }
    },
    async ({ hospitals, actor }) => {
      for (const h of hospitals) {
        const previous = current(h.code);
        if (previous) {
          previous.status = 'to_send';
          previous.round += 1;
          previous.language = h.language;
          delete previous.reason;
        } else {
          submissions.push({ hospitalCode: h.code, language: h.language, round: 1, status: 'to_send' });
        }
      }
      publishSearchAttributes();
      await record('hospitals_chosen', `To submit to: ${hospitals.map((h) => h.code).join(', ')}`, { actor });
    });

  action(msg.recordDecision, 'recordDecision',
    ({ hospitalCode }) => {
      const s = current(hospitalCode);
      if (!s || s.status === 'to_send') refuse(`${hospitalCode} has not been sent this case`);
      if (s.status !== 'pending') refuse(`${hospitalCode} has already answered (${s.status})`);
    },
    async ({ hospitalCode, decision, reason, documents: requested, actor }) => {
      const s = current(hospitalCode)!;
      s.status = decision;
      if (reason) s.reason = reason;
      if (decision === 'more_info') {
        s.requestedDocuments = requested ?? [];
        for (const d of s.requestedDocuments) documents[d] = { status: 'missing', translation: 'not_needed' };
      }
      await record('hospital_decision', `${hospitalCode}: ${decision}${reason ? ` (${reason})` : ''}`, {
        actor,
        detail: { hospitalCode, decision, reason, documents: requested },
        changes: [
          submissionRow(s),
          ...(s.requestedDocuments ?? []).map(documentRow),
        ],
      });
    });

  action(msg.chooseHospital, 'chooseHospital',
    ({ hospitalCode }) => {
      inStages(['hospital_review'], 'Choosing a hospital');
      if (current(hospitalCode)?.status !== 'accepted') refuse(`${hospitalCode} has not accepted this case (accepted: ${accepted().map((s) => s.hospitalCode).join(', ') || 'none'})`);
    },
    async ({ hospitalCode, actor }) => {
      chosenHospital = hospitalCode;
      publishSearchAttributes();
      await record('hospital_chosen', `Hospital chosen: ${hospitalCode}`, { actor, changes: [{ type: 'case', chosenHospital: hospitalCode }] });
    });

  action(msg.planAdmission, 'planAdmission',
    ({ hospitalCode }) => {
      inStages(['admission'], 'Planning admission');
      if (admission?.confirmedAt) refuse('admission is already confirmed');
      if (hospitalCode !== chosenHospital) refuse(`the chosen hospital is ${chosenHospital}, not ${hospitalCode}`);
    },
    async ({ hospitalCode, admissionAt, contact, notes, actor }) => {
      admission = { hospitalCode, admissionAt: iso(Date.parse(admissionAt)), ...(contact ? { contact } : {}), ...(notes ? { notes } : {}) };
      admissionPlanVersion += 1;
      await record('admission_planned', `Admission planned at ${hospitalCode} for ${admission.admissionAt}`, {
        actor,
        changes: [admissionRow()],
      });
    });

  action(msg.confirmAdmission, 'confirmAdmission',
    () => {
      inStages(['admission'], 'Confirming admission');
      if (!admission) refuse('there is no admission plan to confirm yet');
    },
    async ({ actor }) => {
      admission!.confirmedAt = iso();
      await record('admission_confirmed', 'Admission confirmed', { actor, changes: [admissionRow()] });
    });

  action(msg.recordInfusion, 'recordInfusion',
    ({ at }) => {
      inStages(['monitoring'], 'Recording the infusion');
      if (infusionAt) refuse(`the infusion was already recorded (${infusionAt})`);
      if (Date.parse(at) > now() + days(1)) refuse('the infusion time is in the future');
    },
    async ({ at, actor }) => {
      infusionAt = iso(Date.parse(at));
      await record('infusion_recorded', `Infusion (day 0) at ${infusionAt}`, { actor, changes: [admissionRow()] });
    });

  action(msg.endMonitoring, 'endMonitoring',
    () => {
      inStages(['monitoring'], 'Ending monitoring');
      if (!monitoring.started) refuse('monitoring has not started: record the infusion first');
      if (monitoring.ended) refuse('monitoring has already ended');
    },
    async ({ actor }) => {
      monitoring.end(`ended early by ${actor}`);
      await record('monitoring_ended', 'Post-infusion monitoring ended early', { actor });
    });

  action(msg.submitCheckin, 'submitCheckin',
    ({ checkinId, report }) => {
      inStages(['monitoring'], 'A check-in report');
      monitoring.validateCheckin(checkinId, report);
    },
    ({ checkinId, report }) => monitoring.submitCheckin(checkinId, report));

  action(msg.recordClinical, 'recordClinical',
    ({ observation }) => {
      inStages(['monitoring', 'follow_up'], 'Recording a clinical observation');
      monitoring.validateClinical(observation);
    },
    ({ observation, actor }) => monitoring.recordClinical(observation, actor));

  action(msg.recordFollowUp, 'recordFollowUp',
    () => {
      inStages(['follow_up'], 'Recording a follow-up outcome');
      if (!followUps.some((f) => f.sentAt && !f.outcome)) {
        const next = followUps.find((f) => !f.sentAt);
        refuse(`no follow-up contact is waiting for an outcome${next ? ` (next: day ${next.day})` : ''}`);
      }
    },
    async ({ outcome, actor }) => {
      const open = followUps.find((f) => f.sentAt && !f.outcome)!;
      open.outcome = outcome;
      await record('follow_up_recorded', `Day ${open.day} follow-up: ${outcome}`, { actor, detail: { day: open.day } });
    });

  action(msg.closeCase, 'closeCase',
    () => inStages(['navigation'], 'Closing the case (use cancel otherwise)'),
    async ({ reason, actor }) => {
      closeRequest = { reason, actor };
      await condition(() => finished);
    });

  action(msg.cancelCase, 'cancelCase',
    () => {},
    async ({ reason, actor }) => {
      cancelRequest = { reason, actor };
      mainScope.cancel();
      await condition(() => finished);
    });

  action(msg.acknowledgeAlert, 'acknowledgeAlert',
    ({ alertId }) => {
      const alert = alerts.find((a) => a.id === alertId);
      if (!alert) refuse(`there is no alert ${alertId} on this case`);
      if (alert.acknowledgedAt) refuse(`alert ${alertId} was already acknowledged by ${alert.acknowledgedBy}`);
    },
    async ({ alertId, actor }) => {
      const alert = alerts.find((a) => a.id === alertId)!;
      alert.acknowledgedAt = iso();
      alert.acknowledgedBy = actor;
      publishSearchAttributes();
      await record('alert_acknowledged', `Alert ${alertId} acknowledged`, {
        actor,
        detail: { alertId },
        changes: [alertRow(alert)],
      });
    });

  // ---- stages ------------------------------------------------------------------------------
  async function recordsStage(): Promise<void> {
    if (missingDocuments(documents).length === 0) return;
    await enterStage('records');
    const start = now();
    const done = () => missingDocuments(documents).length === 0;
    await waitWithSteps(done, [
      ...settings.recordsReminderDays.map((d, i) => ({
        at: start + days(d),
        run: () => email('records_reminder', { missing: missingDocuments(documents), reminderNumber: i + 1 }),
      })),
      {
        at: start + days(settings.recordsStalledAfterDays),
        run: async () => {
          await raiseAlert('records_stalled', `Records stalled: ${missingDocuments(documents).join(', ')} still missing after ${settings.recordsStalledAfterDays} days`);
          await email('records_stalled', { missing: missingDocuments(documents), daysWaiting: settings.recordsStalledAfterDays });
        },
      },
    ]);
  }

  async function translationStage(): Promise<void> {
    await enterStage('translation');
    await condition(() => targetLanguages().length > 0);
    const languages = targetLanguages();
    const needed = Object.entries(documents).filter(
      ([, d]) => d.status === 'received' && d.translation !== 'done' && languages.some((l) => l !== d.language),
    );
    const start = now();
    // All pending at once, so the case reports (and accepts completion of) every translation it waits for.
    for (const [, doc] of needed) doc.translation = 'pending';
    for (const [documentType, doc] of needed) {
      const toLanguages = languages.filter((l) => l !== doc.language);
      await record('translation_requested', `Translation requested: ${documentType} (${doc.language} → ${toLanguages.join(', ')})`, {
        changes: [documentRow(documentType)],
      });
      await email('translation_task', { documentType, fromLanguage: doc.language ?? input.family.language, toLanguages, dueAt: iso(start + days(settings.translationChaseDays)) });
    }
    await Promise.all(
      needed.map(([documentType, doc]) =>
        waitWithSteps(() => doc.translation === 'done', [
          { at: start + days(settings.translationChaseDays), run: () => email('translation_chase', { documentType, dueAt: iso(start + days(settings.translationChaseDays)) }) },
          {
            at: start + days(settings.translationEscalateDays),
            run: async () => {
              await raiseAlert('translation_overdue', `Translation of ${documentType} overdue`);
              await email('translation_overdue', { documentType, daysWaiting: settings.translationEscalateDays });
            },
          },
        ]),
      ),
    );
  }

  /** Sends every packet waiting to go, then watches each hospital until it answers. */
  async function sendPackets(): Promise<void> {
    for (const s of submissions.filter((x) => x.status === 'to_send')) {
      s.status = 'pending';
      s.submittedAt = iso();
      const replyBy = iso(now() + days(settings.hospitalReminderDays));
      const packet = Object.entries(documents).filter(([, d]) => d.status === 'received').map(([t]) => t);
      await record('submitted', `Submitted to ${s.hospitalCode} (round ${s.round})`, {
        changes: [submissionRow(s)],
      });
      await email('hospital_submission', { documents: packet, round: s.round, replyBy, ...(s.requestedDocuments ? { requestedDocuments: s.requestedDocuments } : {}) }, { hospitalCode: s.hospitalCode });
      delete s.requestedDocuments;
      inBackground(watchHospital(s, s.round));
    }
  }

  async function watchHospital(s: SubmissionState, round: number): Promise<void> {
    const start = now();
    const answered = () => s.round !== round || s.status !== 'pending';
    for (const [d, run] of [
      [settings.hospitalReminderDays, () => email('hospital_reminder', { round, submittedAt: s.submittedAt! }, { hospitalCode: s.hospitalCode })],
      [
        settings.hospitalEscalateDays,
        async () => {
          await raiseAlert('hospital_silent', `${s.hospitalCode} has not answered in ${settings.hospitalEscalateDays} days`);
          await email('hospital_silent', { hospitalCode: s.hospitalCode, daysWaiting: settings.hospitalEscalateDays });
        },
      ],
    ] as const) {
      if (await condition(answered, Math.max(start + days(d) - now(), 1))) return;
      await run();
    }
  }

  async function reviewStage(): Promise<'accepted' | 'declined' | 'more_info'> {
    await enterStage('hospital_review');
    await sendPackets();
    const hospitalDeadline = () => Math.min(...pendingHospitals().map((s) => Date.parse(s.submittedAt!) + days(settings.hospitalReminderDays)));
    if (pendingHospitals().length) setDeadline(hospitalDeadline());
    // Decisions may have arrived while packets were going out: test the state, not a change in it.
    await condition(() => chosenHospital !== undefined || submissions.some((s) => s.status === 'more_info') || pendingHospitals().length === 0);
    setDeadline(undefined);
    if (chosenHospital) return 'accepted';
    if (submissions.some((s) => s.status === 'more_info')) return 'more_info';
    const yes = accepted();
    if (yes.length === 0) return 'declined';
    if (yes.length === 1) {
      chosenHospital = yes[0]!.hospitalCode;
      publishSearchAttributes();
      await record('hospital_chosen', `Hospital chosen: ${chosenHospital} (the only acceptance)`, { changes: [{ type: 'case', chosenHospital }] });
      return 'accepted';
    }
    await email('choose_hospital', { accepted: yes.map((s) => s.hospitalCode) });
    await condition(() => chosenHospital !== undefined);
    return 'accepted';
  }

  async function navigationStage(): Promise<'resubmit' | 'closed'> {
    await enterStage('navigation');
    await email('all_declined_family', {});
    await email('navigation_needed', { declined: submissions.map((s) => ({ hospitalCode: s.hospitalCode, reason: s.reason ?? '' })) });
    await condition(() => closeRequest !== undefined || submissions.some((s) => s.status === 'to_send'));
    return closeRequest ? 'closed' : 'resubmit';
  }

  async function admissionStage(): Promise<void> {
    await enterStage('admission');
    await email('hospital_accepted_family', { hospitalCode: chosenHospital! });
    if (!patched(PATCHES.admissionPlanAlwaysSent)) return admissionLoopBefore20261207();
    let sent = 0;
    for (;;) {
      // A plan (or a new one) and the confirmation can both arrive while an email is going out:
      // the family gets the newest plan whatever else happened meanwhile.
      await condition(() => admissionPlanVersion > sent || admission?.confirmedAt !== undefined);
      if (admissionPlanVersion > sent) {
        const plan = admission!;
        sent = admissionPlanVersion;
        await email('admission_plan', { hospitalCode: plan.hospitalCode, admissionAt: plan.admissionAt, ...(plan.contact ? { contact: plan.contact } : {}), ...(plan.notes ? { notes: plan.notes } : {}) });
      }
      if (admission?.confirmedAt) return;
      if (admissionPlanVersion > sent) continue;
      const { admissionAt, hospitalCode } = admission!;
      await waitWithSteps(
        () => admissionPlanVersion !== sent || admission?.confirmedAt !== undefined,
        settings.admissionReminderDays.map((d) => ({
          at: localHourDaysBefore(Date.parse(admissionAt), d, settings.reminderLocalHour, input.family.timeZone),
          run: () => email('admission_reminder', { hospitalCode, admissionAt, daysBefore: d }),
        })),
      );
    }
  }

  /** Cases whose admission stage began before 2026-12-07 (no patch marker): a plan confirmed while an email went out was never sent. */
  async function admissionLoopBefore20261207(): Promise<void> {
    let sent = 0;
    while (!admission?.confirmedAt) {
      await condition(() => admissionPlanVersion > sent || admission?.confirmedAt !== undefined);
      if (admission?.confirmedAt) break;
      const plan = admission!;
      sent = admissionPlanVersion;
      await email('admission_plan', { hospitalCode: plan.hospitalCode, admissionAt: plan.admissionAt, ...(plan.contact ? { contact: plan.contact } : {}), ...(plan.notes ? { notes: plan.notes } : {}) });
      const at = Date.parse(plan.admissionAt);
      await waitWithSteps(
        () => admissionPlanVersion !== sent || admission?.confirmedAt !== undefined,
        settings.admissionReminderDays.map((d) => ({
          at: localHourDaysBefore(at, d, settings.reminderLocalHour, input.family.timeZone),
          run: () => email('admission_reminder', { hospitalCode: plan.hospitalCode, admissionAt: plan.admissionAt, daysBefore: d }),
        })),
      );
    }
  }

  async function monitoringStage(): Promise<void> {
    await enterStage('monitoring');
    await condition(() => infusionAt !== undefined);
    // The protocol is fixed when monitoring starts: a running case keeps the one it started with.
    const protocol = await acts.resolveProtocol({ hospitalCode: chosenHospital!, therapy: input.therapy });
    await monitoring.run(Date.parse(infusionAt!), protocol);
  }

  /** The hand-off at the end of the window: the coordinator and the treating team get the summary. */
  async function handOff(): Promise<void> {
    const summary = monitoring.handoffSummary(alerts.filter((a) => !a.acknowledgedAt));
    await record('monitoring_handoff', `Monitoring hand-off: highest CRS ${summary.highestCrsGrade}, ICANS ${summary.highestIcansGrade}, ${summary.missedCheckins} missed check-ins, ${summary.openAlerts.length} open alerts`, {
      detail: summary,
    });
    await email('monitoring_handoff_coordinator', summary);
    await email('monitoring_handoff_team', summary, monitoring.teamRecipient());
  }

  async function followUpStage(): Promise<void> {
    await enterStage('follow_up');
    await handOff();
    const day0 = Date.parse(infusionAt!);
    for (const contact of followUps) {
      const due = day0 + days(contact.day);
      if (due > now()) {
        setDeadline(due);
        await sleep(due - now());
      }
      setDeadline(undefined);
      contact.sentAt = iso();
      await email('follow_up_request', { day: contact.day });
      await record('follow_up_sent', `Day ${contact.day} follow-up contact sent`);
      await condition(() => contact.outcome !== undefined);
    }
  }

  async function close(reason: string, actor = 'system'): Promise<void> {
    closeReason = reason;
    await enterStage('closed', actor);
    await record('case_closed', `Case closed: ${reason}`, { actor, changes: [{ type: 'case', closeReason: reason, closedAt: iso() }] });
    await email('case_closed', {
      ...(reason !== 'follow-up complete' ? { reason } : {}),
      ...(chosenHospital ? { hospitalCode: chosenHospital } : {}),
      ...(infusionAt ? { infusionAt } : {}),
      followUps: followUps.map((f) => ({ day: f.day, ...(f.outcome ? { outcome: f.outcome } : {}) })),
    });
    finished = true;
  }

  async function lifecycle(): Promise<void> {
    const refused = await acts.recordCaseOpened({ ...input, at: iso(), eventKey: `${workflowId}/opened` }).then(
      () => undefined,
      (err: unknown) => {
        if (refusal(err) === undefined) throw err;
        return refusal(err);
      },
    );
    opened = true;
    publishSearchAttributes();
    if (refused !== undefined) await reportRefusal('case_opened', refused);
    await email('case_opened', { documents: input.requiredDocuments });
    for (;;) {
      await recordsStage();
      // Records are complete again: hospitals that asked for more get the packet anew.
      for (const s of submissions.filter((x) => x.status === 'more_info')) {
        s.status = 'to_send';
        s.round += 1;
      }
      await translationStage();
      const outcome = await reviewStage();
      if (outcome === 'accepted') break;
      if (outcome === 'declined' && (await navigationStage()) === 'closed') {
        await close(closeRequest!.reason, closeRequest!.actor);
        return;
      }
    }
    await admissionStage();
    await monitoringStage();
    await followUpStage();
    await close('follow-up complete');
  }

  async function cancel(): Promise<void> {
    const by = cancelRequest ?? { reason: 'cancelled from Temporal', actor: 'temporal' };
    const fromStage = stage;
    cancelled = { reason: by.reason, by: by.actor, at: iso(), fromStage };
    stage = 'cancelled';
    deadline = undefined;
    publishSearchAttributes();
    await record('case_cancelled', `Case cancelled in ${fromStage}: ${by.reason}`, {
      actor: by.actor,
      detail: { fromStage },
      changes: [{ type: 'case', closeReason: by.reason, closedAt: cancelled.at }],
    });
    for (const s of submissions.filter((x) => x.submittedAt)) await email('case_cancelled_hospital', { round: s.round }, { hospitalCode: s.hospitalCode });
    await email('case_cancelled_family', {});
    await email('case_cancelled_coordinator', { reason: by.reason, by: by.actor });
    finished = true;
  }

  // Everything that can wait runs in this scope, so cancelling the case stops every timer at once.
  const mainScope = new CancellationScope();
  try {
    await mainScope.run(lifecycle);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(cancel);
  }
  await condition(allHandlersFinished);
  return status();
}
