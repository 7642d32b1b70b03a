// The case's Update handlers, one per action of domain/actions.ts. Each validator refuses, before
// anything enters history, arguments that do not parse and actions that do not fit the case now
// (domain/case-rules.ts refusalOf); each handler applies the action, records it and answers.
import { ApplicationFailure, condition, patched, setHandler, type CancellationScope } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { actionNames, actionSchema, type ActionArgs, type ActionName } from '../domain/actions.ts';
import { caseOver, refusalOf, submissionTo } from '../domain/case-rules.ts';
import { InputError, parseInput } from '../domain/validation.ts';
import { actionUpdates, caseStatus } from './messages.ts';
import { PATCHES } from './patches.ts';
import { inBackground } from './monitoring.ts';
import type { CaseRun } from './case-run.ts';

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: 'ActionRefused', message, nonRetryable: true });
}

function parse<A extends ActionName>(name: A, raw: unknown): ActionArgs<A> {
  try {
    return parseInput(actionSchema(name), raw) as ActionArgs<A>;
  } catch (err) {
    if (err instanceof InputError) throw ApplicationFailure.create({ type: 'InputError', message: err.message, details: [err.fields], nonRetryable: true });
    throw err;
  }
}

/** What each action does once accepted; undefined answers with the case's status after it. */
type Handlers = { [A in ActionName]: (args: ActionArgs<A>) => Promise<unknown> };

export function registerHandlers(run: CaseRun, mainScope: CancellationScope): void {
  const { c, input, iso, record, rows, monitoring } = run;

  /**
   * Between the infusion and the window's start the protocol is still being read: an observation or
   * an early end waits for it rather than being refused to a clinician at the bedside. Called only
   * when monitoring has not started, so a running case's handlers run as their history recorded
   * them, without an extra await.
   */
  async function monitoringStarted(): Promise<void> {
    await condition(() => monitoring.started || c.cancelRequested);
    if (!monitoring.started) refuse(caseOver(c)!);
  }
  setHandler(caseStatus, run.status);

  /** A file's review is done, whatever its verdict: the case no longer waits for it. */
  function reviewed(fileId: string | undefined): void {
    if (!fileId || !c.filesToReview?.includes(fileId)) return;
    c.filesToReview = c.filesToReview.filter((f) => f !== fileId);
    run.publish();
  }

  const handlers: Handlers = {
    async receiveDocument({ documentType, language, actor, fileId }) {
      const doc = c.documents[documentType];
      reviewed(fileId);
      // A file of a document the case has (a second scan) or does not list: accepted, the documents stay as they were.
      if (!doc || doc.status !== 'missing') return record('file_accepted', `File accepted as ${documentType}`, { actor, detail: { fileId } });
      doc.status = 'received';
      doc.language = language ?? input.family.language;
      await record('document_received', `Document received: ${documentType}`, { actor, ...(fileId ? { detail: { fileId } } : {}), changes: [rows.document(documentType)] });
    },
    async waiveDocument({ documentType, reason, actor }) {
      const doc = c.documents[documentType]!;
      doc.status = 'waived';
      doc.waiveReason = reason;
      await record('document_waived', `Document waived: ${documentType}`, { actor, detail: { reason }, changes: [rows.document(documentType)] });
    },
    async requestDocument({ documentType, reason, actor, fileId }) {
      reviewed(fileId);
      await record('document_requested', `Document requested again: ${documentType}`, { actor, detail: { reason, ...(fileId ? { fileId } : {}) } });
      await run.email('document_request', { documentType, reason });
    },
    async filesUploaded({ fileIds, actor }) {
      const known = c.filesToReview ?? [];
      const added = fileIds.filter((f) => !known.includes(f));
      if (added.length === 0) return;
      c.filesToReview = [...known, ...added];
      run.publish();
      await record('files_uploaded', `${added.length} ${added.length === 1 ? 'file' : 'files'} to review`, { actor, detail: { fileIds: added } });
      // Answered once recorded: the family's page does not wait on the coordinator's email.
      inBackground(run.email('files_to_review', { count: added.length, waiting: c.filesToReview.length, by: actor }));
    },
    async recordConsent({ consent, actor }) {
      const withdrawn = consent === 'withdrawn';
      if (Boolean(c.consentWithdrawn) === withdrawn) return;
      c.consentWithdrawn = withdrawn;
      run.publish();
      if (!withdrawn) return record('consent_given', 'The family gave their consent again: sharing goes on', { actor });
      await run.raiseAlert('consent_withdrawn', 'The family withdrew their consent: nothing more is shared until they give it again');
      inBackground(run.email('consent_withdrawn', {}));
    },
    async approveSharing({ hospitalCode, actor }) {
      submissionTo(c, hospitalCode)!.sharingApproved = true;
      run.publish();
      await record('sharing_approved', `Sharing with ${hospitalCode} approved`, { actor, detail: { hospitalCode } });
    },
    async completeTranslation({ documentType, actor }) {
      c.documents[documentType]!.translation = 'done';
      await record('translation_done', `Translation done: ${documentType}`, { actor, changes: [rows.document(documentType)] });
    },
    async rejectTranslation({ documentType, reason, actor }) {
      const doc = c.documents[documentType]!;
      doc.translation = 'pending';
      run.publish();
      await record('translation_rejected', `Translation sent back: ${documentType}`, { actor, detail: { reason }, changes: [rows.document(documentType)] });
      const toLanguages = doc.translateInto ?? [];
      inBackground(run.email('translation_rejected', { documentType, toLanguages, reason, linkUntil: iso(run.translationLinkUntil()) }));
    },
    async packetOpened({ hospitalCode, round, actor }) {
      const s = submissionTo(c, hospitalCode)!;
      if (s.openedAt) return;
      s.openedAt = iso();
      run.publish();
      await record('packet_opened', `${hospitalCode} opened its packet (round ${round})`, { actor, detail: { hospitalCode, round } });
    },
    async packetLocked({ hospitalCode, round }) {
      await run.raiseAlert('packet_locked', `${hospitalCode}'s packet link (round ${round}) is locked after too many wrong one-time codes`);
      inBackground(run.email('packet_locked', { hospitalCode, round }));
    },
    async submitToHospitals({ hospitals, actor }) {
      for (const h of hospitals) {
        const previous = submissionTo(c, h.code);
        if (previous) {
          previous.status = 'to_send';
          previous.round += 1;
          previous.language = h.language;
          delete previous.reason;
          delete previous.openedAt;
        } else {
          c.submissions.push({ hospitalCode: h.code, language: h.language, round: 1, status: 'to_send' });
        }
      }
      run.publish();
      await record('hospitals_chosen', `To submit to: ${hospitals.map((h) => h.code).join(', ')}`, { actor });
    },
    async recordDecision({ hospitalCode, decision, reason, documents: requested, actor }) {
      const s = submissionTo(c, hospitalCode)!;
      s.status = decision;
      if (reason) s.reason = reason;
      if (decision === 'more_info') {
        s.requestedDocuments = requested ?? [];
        for (const d of s.requestedDocuments) c.documents[d] = { status: 'missing', translation: 'not_needed' };
        // Asked at once, with their link: the records stage's reminders come days later.
        if (patched(PATCHES.moreInfoAsksFamily)) inBackground(run.email('more_info_family', { hospitalCode, documents: s.requestedDocuments }));
      }
      await record('hospital_decision', `${hospitalCode}: ${decision}${reason ? ` (${reason})` : ''}`, {
        actor,
        detail: { hospitalCode, decision, reason, documents: requested },
        changes: [rows.submission(s), ...(s.requestedDocuments ?? []).map(rows.document)],
      });
    },
    async chooseHospital({ hospitalCode, actor }) {
      c.chosenHospital = hospitalCode;
      run.publish();
      await record('hospital_chosen', `Hospital chosen: ${hospitalCode}`, { actor, changes: [{ type: 'case', chosenHospital: hospitalCode }] });
    },
    async planAdmission({ hospitalCode, admissionAt, contact, notes, actor }) {
      c.admission = { hospitalCode, admissionAt: iso(Date.parse(admissionAt)), ...(contact ? { contact } : {}), ...(notes ? { notes } : {}) };
      c.admissionPlanVersion += 1;
      await record('admission_planned', `Admission planned at ${hospitalCode} for ${c.admission.admissionAt}`, { actor, changes: [rows.admission()] });
    },
    async confirmAdmission({ actor }) {
      c.admission!.confirmedAt = iso();
      await record('admission_confirmed', 'Admission confirmed', { actor, changes: [rows.admission()] });
    },
    async recordInfusion({ at, actor }) {
      c.infusionAt = iso(Date.parse(at));
      await record('infusion_recorded', `Infusion (day 0) at ${c.infusionAt}`, { actor, changes: [rows.admission()] });
    },
    async endMonitoring({ actor }) {
      if (!monitoring.started) await monitoringStarted();
      monitoring.end(`ended early by ${actor}`);
      await record('monitoring_ended', 'Post-infusion monitoring ended early', { actor });
    },
    submitCheckin: ({ checkinId, report }) => monitoring.submitCheckin(checkinId, report),
    recordClinical: ({ observation, actor }) =>
      monitoring.started ? monitoring.recordClinical(observation, actor) : monitoringStarted().then(() => monitoring.recordClinical(observation, actor)),
    async recordFollowUp({ outcome, actor }) {
      const open = c.followUps.find((f) => f.sentAt && !f.outcome)!;
      open.outcome = outcome;
      await record('follow_up_recorded', `Day ${open.day} follow-up: ${outcome}`, { actor, detail: { day: open.day } });
    },
    async closeCase({ reason, actor }) {
      run.closeRequest = { reason, actor };
      await condition(() => run.finished);
    },
    async cancelCase({ reason, actor }) {
      run.cancelRequest = { reason, actor };
      c.cancelRequested = true;
      mainScope.cancel();
      await condition(() => run.finished);
    },
    async acknowledgeAlert({ alertId, actor }) {
      const alert = c.alerts.find((a) => a.id === alertId)!;
      alert.acknowledgedAt = iso();
      alert.acknowledgedBy = actor;
      run.publish();
      await record('alert_acknowledged', `Alert ${alertId} acknowledged`, { actor, detail: { alertId }, changes: [rows.alert(alert)] });
    },
  };

  /** What the monitoring stage checks itself, beyond the case's rules. */
  const monitoringCheck = (name: ActionName, args: ActionArgs<ActionName>) => {
    if (name === 'submitCheckin') {
      const { checkinId, report } = args as ActionArgs<'submitCheckin'>;
      monitoring.validateCheckin(checkinId, report);
    }
    if (name === 'recordClinical') monitoring.validateClinical((args as ActionArgs<'recordClinical'>).observation);
  };

  for (const name of actionNames()) {
    const apply = handlers[name] as (args: ActionArgs<ActionName>) => Promise<unknown>;
    setHandler(
      actionUpdates[name] as unknown as UpdateDefinition<unknown, [unknown]>,
      async (raw) => {
        if (patched(PATCHES.caseRowFirst)) await condition(() => run.opened);
        return (await apply(parse(name, raw))) ?? run.status();
      },
      {
        validator: (raw) => {
          const over = caseOver(c);
          if (over) refuse(over);
          const args = parse(name, raw);
          const why = refusalOf(name as never, c, args as never, { now: run.now(), monitoring: { ended: monitoring.ended } });
          if (why) refuse(why);
          monitoringCheck(name, args);
        },
      },
    );
  }
}
