// A coordinator working one case along its planned path through the JSON API, as the console
// would show it: waiting for the case to ask (its stage and what it waits for), pausing as a
// person does, and acknowledging every alert a while after it is raised. Each action has its own
// Idempotency-Key (the case id and the step), so a retry after a fault is applied once.
//
// Before the coordinator lets a case close, the escalations it started have reached people: every
// step of a missed check-in's ladder and every alert has its email in the mailbox. (A case that
// closes ends its workflow, and an escalation still in flight would end with it; in a real case
// weeks separate the two, here minutes.)
import type { CaseStatus, Stage } from '../../domain/case.ts';
import type { CaseJournal } from './journal.ts';
import type { Mailbox } from './mailbox.ts';
import { caseSettings, MORE_INFO_DOCUMENT, SLOW_HOSPITAL_MS } from './plan.ts';
import { RefusedError, type StaffApi } from './staff-api.ts';

/** Alerts that are emailed to the treating team and the coordinator (workflows/monitoring.ts escalate). */
export const ESCALATED_ALERT_KINDS = ['checkin_report', 'fever_days', 'clinical'];

const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown once the case is cancelled: the path ends there. */
class CaseCancelled extends Error {}

export interface CoordinatorContext {
  api: StaffApi;
  mailbox: Mailbox;
  journal: CaseJournal;
}

export async function driveCase(ctx: CoordinatorContext): Promise<void> {
  const { journal } = ctx;
  journal.openedAt = Date.now();
  try {
    await new CaseDriver(ctx).run();
  } catch (err) {
    if (!(err instanceof CaseCancelled)) journal.error = (err as Error).message;
  } finally {
    journal.done = true;
    journal.finishedAt = Date.now();
  }
}

class CaseDriver {
  private readonly api: StaffApi;
  private readonly mailbox: Mailbox;
  private readonly journal: CaseJournal;
  private caseId = '';
  /** When each open alert is to be acknowledged. */
  private readonly ackAt = new Map<string, number>();

  constructor(ctx: CoordinatorContext) {
    this.api = ctx.api;
    this.mailbox = ctx.mailbox;
    this.journal = ctx.journal;
  }

  private get plan() {
    return this.journal.plan;
  }

  async run(): Promise<void> {
    const { plan } = this;
    this.caseId = await this.api.openCase({
      patientRef: plan.patientRef,
      diagnosis: 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
      therapy: 'CD19 CAR-T',
      family: plan.family,
      settings: caseSettings(plan),
    });
    this.journal.caseId = this.caseId;
    let s = await this.until((x) => x.stage === 'records', 'records');
    await this.maybeCancel('records', s);

    await this.documents();
    s = await this.until((x) => x.stage === 'translation', 'all documents in');
    await this.maybeCancel('translation', s);
    await this.act('submitToHospitals', { hospitals: plan.hospitals }, 'submit');
    // The family is asked before anything goes to a hospital; they give their approval to the
    // coordinator, who records it (the chaos families answer check-in links only).
    await this.until((x) => x.stage === 'translation' && x.waitingFor.from === 'family', "the family's approval");
    for (const hospitalCode of plan.hospitals) await this.act('approveSharing', { hospitalCode }, `approve.${hospitalCode}`);
    s = await this.translateUntil((x) => this.sent(x, plan.hospitals, 1), 'packets sent');
    await this.maybeCancel('hospital_review', s);

    await this.decide();
    if (plan.base === 'navigation') {
      s = await this.until((x) => x.stage === 'navigation', 'navigation');
      this.journal.navigation = true;
      // As a coordinator closes a case: its alerts (a hospital that was silent) seen and acknowledged first.
      await this.until((x) => this.escalationsDone(x), 'every alert delivered and acknowledged before closing', 10 * MINUTE);
      await this.act('closeCase', { reason: 'The family chose a clinical trial at home' }, 'close');
      await this.until((x) => x.stage === 'closed', 'closed after navigation');
      return;
    }

    s = await this.until((x) => x.stage === 'admission', 'admission');
    await this.maybeCancel('admission', s);
    await this.admission(s);
    await this.until((x) => x.stage === 'monitoring', 'monitoring');
    await this.act('recordInfusion', { at: new Date(Date.now() - 1_000).toISOString() }, 'infusion');
    await this.monitoring();
    await this.followUp();
  }

  // ---- steps -------------------------------------------------------------------------------

  private async documents(): Promise<void> {
    for (const documentType of this.plan.documentOrder) {
      if (documentType === this.plan.waive) await this.act('waiveDocument', { documentType, reason: 'Not available from the referring hospital' }, `waive.${documentType}`);
      else await this.act('receiveDocument', { documentType, language: this.plan.family.language }, `doc.${documentType}`);
    }
  }

  /** The hospitals' answers, per path. */
  private async decide(): Promise<void> {
    const { plan } = this;
    const [first, second] = plan.hospitals as [string, string | undefined];
    if (plan.slowHospital) await sleep(SLOW_HOSPITAL_MS);
    const decision = (code: string, decision: string, extra: Record<string, unknown> = {}, round = 1) =>
      this.act('recordDecision', { hospitalCode: code, decision, ...extra }, `decision.${code}.${round}`);
    const declined = { reason: 'Outside the programme\'s eligibility criteria' };
    switch (plan.base) {
      case 'single':
        await decision(first, 'accepted');
        return;
      case 'decline':
        if (plan.index % 2 === 0) {
          await decision(second!, 'declined', declined);
          await decision(first, 'accepted');
        } else {
          await decision(first, 'accepted');
          await decision(second!, 'declined', declined);
        }
        return;
      case 'choice': {
        await decision(first, 'accepted');
        await decision(second!, 'accepted');
        // Chosen when the case asks for it, as the console shows it.
        await this.until((x) => x.stage === 'hospital_review' && x.waitingFor.from === 'coordinator', 'a choice of hospital');
        await this.act('chooseHospital', { hospitalCode: plan.choose }, 'choose');
        this.journal.chose = true;
        return;
      }
      case 'more_info': {
        await decision(first, 'more_info', { documents: [MORE_INFO_DOCUMENT], reason: 'Recent laboratory results needed' });
        await this.until((x) => x.stage === 'records' && x.documents[MORE_INFO_DOCUMENT]?.status === 'missing', 'records again for the requested document');
        await this.act('receiveDocument', { documentType: MORE_INFO_DOCUMENT, language: plan.family.language }, `doc.${MORE_INFO_DOCUMENT}`);
        await this.translateUntil((x) => this.sent(x, [first], 2), 'the packet sent again');
        await decision(first, 'accepted', {}, 2);
        return;
      }
      case 'navigation':
        await decision(first, 'declined', declined);
        await decision(second!, 'declined', { reason: 'No bed within the time the patient has' });
        return;
    }
  }

  private async admission(s: CaseStatus): Promise<void> {
    const plan = (n: number, days: number) =>
      this.act('planAdmission', { hospitalCode: s.chosenHospital, admissionAt: new Date(Date.now() + days * 86_400_000).toISOString(), contact: 'International office, Ms Chan', ...(n > 1 ? { notes: 'Moved by a day' } : {}) }, `plan.${n}`).then(() => {
        this.journal.plans = n;
      });
    await plan(1, 2);
    if (this.plan.replan) await plan(2, 3);
    await this.act('confirmAdmission', {}, 'confirm');
  }

  /**
   * Until the planned number of check-ins has gone out and the last is settled, then monitoring
   * ends early (the window is a day at least); then until every missed check-in's ladder and every
   * alert has reached people and every alert is acknowledged.
   */
  private async monitoring(): Promise<void> {
    await this.until((x) => x.monitoring !== undefined, 'monitoring started');
    const giveUpAt = Date.now() + 30 * MINUTE;
    for (;;) {
      if (Date.now() > giveUpAt) throw new Error('monitoring did not reach its planned check-ins in 30 min');
      const s = await this.until(() => true, 'monitoring status');
      if (s.stage !== 'monitoring') break;
      const out = s.monitoring!.checkins.filter((c) => c.state !== 'upcoming');
      if (out.length >= 1) await this.maybeCancel('monitoring', s);
      const last = out.at(-1);
      const settled = last && (last.state !== 'open' || this.plan.answers[last.id - 1] === 'miss');
      const next = s.monitoring!.checkins.find((c) => c.state === 'upcoming');
      const nothingSoon = !next || Date.parse(next.dueAt) - Date.now() > 10 * MINUTE;
      if ((out.length >= this.plan.checkins && settled) || (nothingSoon && (out.length === 0 || settled))) {
        await this.act('endMonitoring', {}, 'end-monitoring');
        break;
      }
      await sleep(this.plan.pollMaxMs);
    }
    const s = await this.until((x) => x.stage !== 'monitoring', 'follow-up');
    await this.maybeCancel('follow_up', s);
    await this.until((x) => this.escalationsDone(x), 'every escalation delivered and every alert acknowledged', 10 * MINUTE);
  }

  private async followUp(): Promise<void> {
    for (;;) {
      const s = await this.until((x) => x.stage === 'closed' || (x.stage === 'follow_up' && x.waitingFor.from === 'coordinator'), 'a follow-up contact or closed', 10 * MINUTE);
      if (s.stage === 'closed') return;
      const n = s.followUps.findIndex((f) => f.sentAt && !f.outcome);
      await this.act('recordFollowUp', { outcome: 'Doing well at home; no fever since discharge' }, `follow-up.${n}`);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** Every listed hospital's packet of `round` has gone out. */
  private sent(s: CaseStatus, hospitals: string[], round: number): boolean {
    return s.stage === 'hospital_review' && hospitals.every((h) => s.submissions.some((x) => x.hospitalCode === h && x.round === round && x.status === 'pending'));
  }

  /** Completes each translation the case asks for until `done`. */
  private async translateUntil(done: (s: CaseStatus) => boolean, what: string): Promise<CaseStatus> {
    for (;;) {
      const s = await this.until((x) => done(x) || Object.values(x.documents).some((d) => d.translation === 'pending'), what);
      if (done(s)) return s;
      for (const [documentType, d] of Object.entries(s.documents)) {
        if (d.translation === 'pending') await this.act('completeTranslation', { documentType }, `translation.${documentType}`);
      }
    }
  }

  /** Both ladders and alerts: what the case's final emails and acknowledgements need before it may close. */
  private escalationsDone(s: CaseStatus): boolean {
    const out = s.monitoring?.checkins.filter((c) => c.state !== 'upcoming') ?? [];
    if (out.some((c) => c.state !== 'answered' && c.escalation !== 'team')) return false;
    const reached = (steps: string[]) => out.filter((c) => c.escalation && steps.includes(c.escalation)).length;
    const delivered = (kind: string) => this.mailbox.of(this.caseId, kind).length;
    const escalated = s.alerts.filter((a) => ESCALATED_ALERT_KINDS.includes(a.kind)).length;
    return (
      delivered('checkin_reminder') >= reached(['reminder', 'coordinator', 'team']) &&
      delivered('checkin_missed_coordinator') >= reached(['coordinator', 'team']) &&
      delivered('checkin_missed_team') >= reached(['team']) &&
      delivered('alert_team') >= escalated &&
      delivered('alert_coordinator') >= escalated &&
      s.alerts.every((a) => a.acknowledgedAt)
    );
  }

  /**
   * Cancels the case here when its plan says so, acknowledging its open alerts first; an alert
   * raised since the read refuses the cancel (a case never ends over an unseen alert), so it is
   * read again, acknowledged, and the cancel asked for once more.
   */
  private async maybeCancel(stage: Stage, s: CaseStatus): Promise<void> {
    if (this.plan.cancelAt !== stage) return;
    await sleep(this.plan.think());
    for (let attempt = 1; ; attempt++) {
      await this.acknowledgeOpen(s, true);
      this.journal.cancelledIn = s.stage;
      try {
        await this.api.act(this.caseId, 'cancelCase', { reason: 'The family decided to stay home' }, `${this.caseId}.cancel.${attempt}`);
        break;
      } catch (err) {
        if (!(err instanceof RefusedError && /not acknowledged/.test(err.message))) {
          if (err instanceof RefusedError) this.journal.refusals.push(`cancel: ${err.message}`);
          throw err;
        }
        s = await this.until((x) => x.alerts.some((a) => !a.acknowledgedAt), 'the alert that refused the cancel');
      }
    }
    await this.until((x) => x.stage === 'cancelled', 'cancelled');
    throw new CaseCancelled();
  }

  /** Acknowledges the open alerts whose time has come (all of them when `now`). */
  private async acknowledgeOpen(s: CaseStatus, now = false): Promise<void> {
    if (s.stage === 'closed' || s.stage === 'cancelled') return;
    for (const a of s.alerts) {
      if (a.acknowledgedAt || this.journal.acknowledged.has(a.id)) continue;
      if (!this.ackAt.has(a.id)) this.ackAt.set(a.id, Date.now() + this.plan.ackDelay(a.tier));
      if (!now && Date.now() < this.ackAt.get(a.id)!) continue;
      try {
        await this.api.acknowledge(this.caseId, a.id, `${this.caseId}.ack.${a.id}`);
      } catch (err) {
        // Acknowledged by a request whose answer was lost: the same key answers 200, but an earlier
        // key-less path could not; either way it is acknowledged.
        if (!(err instanceof RefusedError && /already acknowledged/.test(err.message))) throw err;
      }
      this.journal.acknowledged.add(a.id);
    }
  }

  /** One action after a pause, with the key of its step; a refusal is the journal's and ends the path. */
  private async act(action: string, args: Record<string, unknown>, step: string): Promise<CaseStatus> {
    await sleep(this.plan.think());
    try {
      return await this.api.act(this.caseId, action, args, `${this.caseId}.${step}`);
    } catch (err) {
      if (err instanceof RefusedError) this.journal.refusals.push(`${step}: ${err.message}`);
      throw err;
    }
  }

  /**
   * Reads the case until `pred` holds on the workflow's own answer, acknowledging alerts as they
   * come due; a `recorded` answer (no worker answered) is asked again. Gives up after `timeoutMs`.
   */
  private async until(pred: (s: CaseStatus) => boolean, what: string, timeoutMs = 6 * MINUTE): Promise<CaseStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: CaseStatus | undefined;
    for (let n = 0; ; n++) {
      const s = await this.api.status(this.caseId);
      if (!s.recorded) {
        last = s;
        await this.acknowledgeOpen(s);
        if (pred(s)) return s;
      }
      if (Date.now() > deadline) throw new Error(`never reached ${what} in ${timeoutMs / MINUTE} min; last: ${last ? `${last.stage}, waiting for ${last.waitingFor.what} from ${last.waitingFor.from}` : 'no answer from the workflow'}`);
      await sleep(Math.min(1_000 * 1.5 ** n, this.plan.pollMaxMs));
    }
  }
}
