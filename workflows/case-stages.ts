// The stages of a case, in the order a case goes through them (lifecycle, at the end): records,
// translation, hospital review (or navigation when every hospital declines), admission, monitoring
// (workflows/monitoring.ts), follow-up, closed; or cancelled from any of them. Each stage tests the
// case's state rather than waiting for a change in it, so that what arrives while it sends an email
// or writes a record is never missed.
import { condition, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { days, missingDocuments, type SubmissionState } from '../domain/case.ts';
import {
  acceptedHospitals,
  admissionReminders,
  followUpDue,
  hospitalDeadline,
  hospitalSchedule,
  LINK_GRACE_DAYS,
  openAlerts,
  pendingHospitals,
  recordsSchedule,
  sharingSchedule,
  targetLanguages,
  unapprovedHospitals,
  translationSchedule,
} from '../domain/case-rules.ts';
import { inBackground } from './monitoring.ts';
import { PATCHES } from './patches.ts';
import { acts, refusal, type CaseRun } from './case-run.ts';

export function caseStages(run: CaseRun) {
  const { input, c, now, iso, record, email, raiseAlert, enterStage, setDeadline, waitWithSteps, monitoring, rows } = run;
  const { settings } = input;

  async function recordsStage(): Promise<void> {
    if (missingDocuments(c.documents).length === 0) return;
    await enterStage('records');
    const { reminders, stalledAt } = recordsSchedule(now(), settings);
    await waitWithSteps(() => missingDocuments(c.documents).length === 0, [
      ...reminders.map(({ at, number }) => ({ at, run: () => email('records_reminder', { missing: missingDocuments(c.documents), reminderNumber: number }) })),
      {
        at: stalledAt,
        run: async () => {
          await raiseAlert('records_stalled', `Records stalled: ${missingDocuments(c.documents).join(', ')} still missing after ${settings.recordsStalledAfterDays} days`);
          await email('records_stalled', { missing: missingDocuments(c.documents), daysWaiting: settings.recordsStalledAfterDays });
        },
      },
    ]);
  }

  /** Asks the family to approve the hospitals chosen, and waits until every one is (reminder, then an alert). */
  async function familyApproval(): Promise<void> {
    const waiting = unapprovedHospitals(c);
    if (waiting.length === 0) return;
    c.awaitingApproval = true;
    const { reminderAt, alertAt } = sharingSchedule(now());
    setDeadline(reminderAt);
    // Recorded so that the case's row (the console's and the API's lists) says whom the case waits for.
    await record('sharing_requested', `Family asked to approve sharing with ${waiting.join(', ')}`, { detail: { hospitals: waiting } });
    await email('sharing_request', { hospitals: waiting, reminder: false });
    await waitWithSteps(() => unapprovedHospitals(c).length === 0, [
      { at: reminderAt, run: () => email('sharing_request', { hospitals: unapprovedHospitals(c), reminder: true }) },
      {
        at: alertAt,
        run: async () => {
          await raiseAlert('sharing_not_approved', `The family has not approved sharing with ${unapprovedHospitals(c).join(', ')}`);
          await email('sharing_stalled', { hospitals: unapprovedHospitals(c) });
        },
      },
    ]);
    c.awaitingApproval = false;
    run.publish();
  }

  /**
   * Nothing of the family's goes to a translator or a hospital while their consent is withdrawn.
   * Called only then, so that a case whose family never withdrew runs as its history recorded it
   * (not one await more).
   */
  async function consentGivenAgain(): Promise<void> {
    setDeadline(undefined);
    await condition(() => !c.consentWithdrawn || c.cancelRequested);
  }

  async function translationStage(): Promise<void> {
    await enterStage('translation');
    await condition(() => targetLanguages(c).length > 0);
    if (patched(PATCHES.familyApprovesSharing)) await familyApproval();
    if (c.consentWithdrawn) await consentGivenAgain();
    const languages = targetLanguages(c);
    const needed = Object.entries(c.documents).filter(([, d]) => d.status === 'received' && d.translation !== 'done' && languages.some((l) => l !== d.language));
    const { dueAt, escalateAt } = translationSchedule(now(), settings);
    const linkUntil = iso(run.translationLinkUntil());
    // All pending at once, so the case reports (and accepts completion of) every translation it waits for.
    for (const [, doc] of needed) {
      doc.translation = 'pending';
      doc.translateInto = languages.filter((l) => l !== doc.language);
    }
    for (const [documentType, doc] of needed) {
      const toLanguages = doc.translateInto!;
      await record('translation_requested', `Translation requested: ${documentType} (${doc.language} → ${toLanguages.join(', ')})`, { changes: [rows.document(documentType)] });
      await email('translation_task', { documentType, fromLanguage: doc.language ?? input.family.language, toLanguages, dueAt: iso(dueAt), linkUntil });
    }
    const awaitTranslations = (docs: typeof needed, due: number, escalate: number) =>
      Promise.all(
        docs.map(([documentType, doc]) =>
          waitWithSteps(() => doc.translation === 'done', [
            { at: due, run: () => email('translation_chase', { documentType, dueAt: iso(due), toLanguages: doc.translateInto!, linkUntil }) },
            {
              at: escalate,
              run: async () => {
                await raiseAlert('translation_overdue', `Translation of ${documentType} overdue`);
                await email('translation_overdue', { documentType, daysWaiting: settings.translationEscalateDays });
              },
            },
          ]),
        ),
      );
    await awaitTranslations(needed, dueAt, escalateAt);
    // A translation sent back (rejectTranslation) while others were still awaited is awaited again, on a schedule of its own.
    const sentBack = () => needed.filter(([, d]) => d.translation !== 'done');
    while (sentBack().length > 0) {
      const next = translationSchedule(now(), settings);
      await awaitTranslations(sentBack(), next.dueAt, next.escalateAt);
    }
  }

  /** Sends every packet waiting to go, then watches each hospital until it answers. */
  async function sendPackets(): Promise<void> {
    for (const s of c.submissions.filter((x) => x.status === 'to_send')) {
      if (c.consentWithdrawn) await consentGivenAgain();
      s.status = 'pending';
      s.submittedAt = iso();
      const replyBy = iso(hospitalSchedule(now(), settings).reminderAt);
      const packet = Object.entries(c.documents).filter(([, d]) => d.status === 'received').map(([t]) => t);
      await record('submitted', `Submitted to ${s.hospitalCode} (round ${s.round})`, { changes: [rows.submission(s)] });
      await email(
        'hospital_submission',
        { documents: packet, round: s.round, replyBy, ...(s.requestedDocuments ? { requestedDocuments: s.requestedDocuments } : {}), linkUntil: iso(packetLinkUntil(s)) },
        { hospitalCode: s.hospitalCode },
      );
      delete s.requestedDocuments;
      inBackground(watchHospital(s, s.round));
    }
  }

  /** A round's packet link opens until the hospital's escalation, and a grace period after. */
  const packetLinkUntil = (s: SubmissionState) => hospitalSchedule(Date.parse(s.submittedAt!), settings).escalateAt + days(LINK_GRACE_DAYS);

  async function watchHospital(s: SubmissionState, round: number): Promise<void> {
    const { reminderAt, escalateAt } = hospitalSchedule(now(), settings);
    const answered = () => s.round !== round || s.status !== 'pending';
    for (const [at, step] of [
      [reminderAt, () => email('hospital_reminder', { round, submittedAt: s.submittedAt!, linkUntil: iso(packetLinkUntil(s)) }, { hospitalCode: s.hospitalCode })],
      [
        escalateAt,
        async () => {
          await raiseAlert('hospital_silent', `${s.hospitalCode} has not answered in ${settings.hospitalEscalateDays} days`);
          await email('hospital_silent', { hospitalCode: s.hospitalCode, daysWaiting: settings.hospitalEscalateDays });
        },
      ],
    ] as const) {
      if (await condition(answered, Math.max(at - now(), 1))) return;
      await step();
    }
  }

  async function reviewStage(): Promise<'accepted' | 'declined' | 'more_info'> {
    await enterStage('hospital_review');
    await sendPackets();
    if (pendingHospitals(c).length) setDeadline(hospitalDeadline(c, settings));
    // Decisions may have arrived while packets were going out: test the state, not a change in it.
    await condition(() => c.chosenHospital !== undefined || c.submissions.some((s) => s.status === 'more_info') || pendingHospitals(c).length === 0);
    setDeadline(undefined);
    if (c.chosenHospital) return 'accepted';
    if (c.submissions.some((s) => s.status === 'more_info')) return 'more_info';
    const yes = acceptedHospitals(c);
    if (yes.length === 0) return 'declined';
    if (yes.length === 1) {
      c.chosenHospital = yes[0]!.hospitalCode;
      run.publish();
      await record('hospital_chosen', `Hospital chosen: ${c.chosenHospital} (the only acceptance)`, { changes: [{ type: 'case', chosenHospital: c.chosenHospital }] });
      return 'accepted';
    }
    await email('choose_hospital', { accepted: yes.map((s) => s.hospitalCode) });
    await condition(() => c.chosenHospital !== undefined);
    return 'accepted';
  }

  async function navigationStage(): Promise<'resubmit' | 'closed'> {
    await enterStage('navigation');
    await email('all_declined_family', {});
    await email('navigation_needed', { declined: c.submissions.map((s) => ({ hospitalCode: s.hospitalCode, reason: s.reason ?? '' })) });
    await condition(() => run.closeRequest !== undefined || c.submissions.some((s) => s.status === 'to_send'));
    return run.closeRequest ? 'closed' : 'resubmit';
  }

  const planEmail = () => {
    const plan = c.admission!;
    return email('admission_plan', { hospitalCode: plan.hospitalCode, admissionAt: plan.admissionAt, ...(plan.contact ? { contact: plan.contact } : {}), ...(plan.notes ? { notes: plan.notes } : {}) });
  };
  const remindersOf = (hospitalCode: string, admissionAt: string) =>
    admissionReminders(Date.parse(admissionAt), settings, input.family.timeZone).map(({ at, daysBefore }) => ({ at, run: () => email('admission_reminder', { hospitalCode, admissionAt, daysBefore }) }));

  async function admissionStage(): Promise<void> {
    await enterStage('admission');
    await email('hospital_accepted_family', { hospitalCode: c.chosenHospital! });
    if (!patched(PATCHES.admissionPlanAlwaysSent)) return admissionLoopBefore20261207();
    let sent = 0;
    for (;;) {
      // A plan (or a new one) and the confirmation can both arrive while an email is going out:
      // the family gets the newest plan whatever else happened meanwhile.
      await condition(() => c.admissionPlanVersion > sent || c.admission?.confirmedAt !== undefined);
      if (c.admissionPlanVersion > sent) {
        sent = c.admissionPlanVersion;
        await planEmail();
      }
      if (c.admission?.confirmedAt) return;
      if (c.admissionPlanVersion > sent) continue;
      const { admissionAt, hospitalCode } = c.admission!;
      await waitWithSteps(() => c.admissionPlanVersion !== sent || c.admission?.confirmedAt !== undefined, remindersOf(hospitalCode, admissionAt));
    }
  }

  /** Cases whose admission stage began before 2026-12-07 (no patch marker): a plan confirmed while an email went out was never sent. */
  async function admissionLoopBefore20261207(): Promise<void> {
    let sent = 0;
    while (!c.admission?.confirmedAt) {
      await condition(() => c.admissionPlanVersion > sent || c.admission?.confirmedAt !== undefined);
      if (c.admission?.confirmedAt) break;
      const { admissionAt, hospitalCode } = c.admission!;
      sent = c.admissionPlanVersion;
      await planEmail();
      await waitWithSteps(() => c.admissionPlanVersion !== sent || c.admission?.confirmedAt !== undefined, remindersOf(hospitalCode, admissionAt));
    }
  }

  async function monitoringStage(): Promise<void> {
    await enterStage('monitoring');
    await condition(() => c.infusionAt !== undefined);
    // The protocol is fixed when monitoring starts: a running case keeps the one it started with.
    const protocol = await acts.resolveProtocol({ hospitalCode: c.chosenHospital!, therapy: input.therapy });
    await monitoring.run(Date.parse(c.infusionAt!), protocol);
  }

  /** The hand-off at the end of the window: the coordinator and the treating team get the summary. */
  async function handOff(): Promise<void> {
    const summary = monitoring.handoffSummary(openAlerts(c));
    await record('monitoring_handoff', `Monitoring hand-off: highest CRS ${summary.highestCrsGrade}, ICANS ${summary.highestIcansGrade}, ${summary.missedCheckins} missed check-ins, ${summary.openAlerts.length} open alerts`, {
      detail: summary,
    });
    await email('monitoring_handoff_coordinator', summary);
    await email('monitoring_handoff_team', summary, monitoring.teamRecipient());
  }

  async function followUpStage(): Promise<void> {
    await enterStage('follow_up');
    await handOff();
    const day0 = Date.parse(c.infusionAt!);
    for (const contact of c.followUps) {
      const due = followUpDue(day0, contact.day);
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
    run.closeReason = reason;
    await enterStage('closed', actor);
    await record('case_closed', `Case closed: ${reason}`, { actor, changes: [{ type: 'case', closeReason: reason, closedAt: iso() }] });
    await email('case_closed', {
      ...(reason !== 'follow-up complete' ? { reason } : {}),
      ...(c.chosenHospital ? { hospitalCode: c.chosenHospital } : {}),
      ...(c.infusionAt ? { infusionAt: c.infusionAt } : {}),
      followUps: c.followUps.map((f) => ({ day: f.day, ...(f.outcome ? { outcome: f.outcome } : {}) })),
    });
    run.finished = true;
  }

  /** The case from its first record to closed. */
  async function lifecycle(): Promise<void> {
    const refused = await acts.recordCaseOpened({ ...input, at: iso(), eventKey: `${workflowInfo().workflowId}/opened` }).then(
      () => undefined,
      (err: unknown) => {
        if (refusal(err) === undefined) throw err;
        return refusal(err);
      },
    );
    run.opened = true;
    run.publish();
    if (refused !== undefined) await run.reportRefusal('case_opened', refused);
    await email('case_opened', { documents: input.requiredDocuments });
    for (;;) {
      await recordsStage();
      // Records are complete again: hospitals that asked for more get the packet anew.
      for (const s of c.submissions.filter((x) => x.status === 'more_info')) {
        s.status = 'to_send';
        s.round += 1;
        delete s.openedAt;
      }
      await translationStage();
      const outcome = await reviewStage();
      if (outcome === 'accepted') break;
      if (outcome === 'declined' && (await navigationStage()) === 'closed') {
        await close(run.closeRequest!.reason, run.closeRequest!.actor);
        return;
      }
    }
    await admissionStage();
    await monitoringStage();
    await followUpStage();
    await close('follow-up complete');
  }

  /** Cancelled, from any stage: recorded, and the hospitals that have the case, the family and the coordinator told. */
  async function cancel(): Promise<void> {
    const by = run.cancelRequest ?? { reason: 'cancelled from Temporal', actor: 'temporal' };
    const fromStage = c.stage;
    const cancelled = { reason: by.reason, by: by.actor, at: iso(), fromStage };
    run.cancelled = cancelled;
    c.stage = 'cancelled';
    c.deadline = undefined;
    run.publish();
    await record('case_cancelled', `Case cancelled in ${fromStage}: ${by.reason}`, {
      actor: by.actor,
      detail: { fromStage },
      changes: [{ type: 'case', closeReason: by.reason, closedAt: cancelled.at }, ...(patched(PATCHES.cancelRecordsCheckins) ? monitoring.checkinRows() : [])],
    });
    for (const s of c.submissions.filter((x) => x.submittedAt)) await email('case_cancelled_hospital', { round: s.round }, { hospitalCode: s.hospitalCode });
    await email('case_cancelled_family', {});
    await email('case_cancelled_coordinator', { reason: by.reason, by: by.actor });
    run.finished = true;
  }

  return { lifecycle, cancel };
}
