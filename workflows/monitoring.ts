// The monitoring stage of a case: timed family check-ins over the CRS window, triage of their
// reports and grading of clinical observations, and escalation that keeps going until a human
// acknowledges. Runs inside the case workflow (same history, same cancellation scope).
import { ApplicationFailure, condition, isCancellation, patched } from '@temporalio/workflow';
import type { EmailData, EmailKind } from '../domain/emails.ts';
import type { RecordChange } from '../activities/case-records.ts';
import type { CaseAlert } from '../domain/case.ts';
import { countFeverDays, FEVER_DAYS_URGENT_AFTER, parseCheckinReport, triageReport, type CheckinReport } from '../domain/checkin-report.ts';
import { gradeObservation, parseObservation, tierRank, type Tier } from '../domain/crs.ts';
import { checkinSchedule, type CheckinOutcome, type CheckinStatus, type ClinicalOutcome, type MonitoringStatus, type Protocol, type ScheduledCheckin } from '../domain/monitoring.ts';
import { InputError } from '../domain/validation.ts';
import { PATCHES } from './patches.ts';

/** What the monitoring stage needs from the case workflow around it. */
export interface MonitoringHost {
  caseId: string;
  timeZone: string;
  hospitalCode: () => string;
  now: () => number;
  iso: (ms?: number) => string;
  record: (kind: string, summary: string, opts?: RecordOptions) => Promise<void>;
  email: <K extends EmailKind>(kind: K, data: EmailData[K], opts?: EmailOptions) => Promise<void>;
  newAlert: (kind: string, message: string, tier?: Tier) => { alert: CaseAlert; change: RecordChange };
  isAcknowledged: (alertId: string) => boolean;
  setDeadline: (at: number | undefined) => void;
}

export interface RecordOptions {
  actor?: string;
  detail?: unknown;
  changes?: RecordChange[];
}

export interface EmailOptions {
  /** A clinical escalation: short retries, and sent even when the database cannot answer (activities/emails.ts). */
  urgent?: boolean;
  hospitalCode?: string;
  team?: { name: string; email: string };
  checkinLink?: { checkinId: number; expiresAt: number };
}

interface Checkin extends ScheduledCheckin {
  state: CheckinStatus['state'];
  answeredAt?: string;
  tier?: Tier;
  temperatureC?: number | null;
  escalation?: CheckinStatus['escalation'];
}

interface Escalation {
  alert: CaseAlert;
  source: EmailData['alert_team']['source'];
  reasons: string[];
  grades?: { crsGrade: number; icansGrade: number };
}

const MINUTE = 60_000;

/**
 * Runs work alongside the stage (a ladder, a repeating alert). Cancelling the case ends it
 * quietly; any other failure is a bug and fails the workflow task loudly, so it is retried.
 */
export function inBackground(task: Promise<unknown>): void {
  task.catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });
}

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: 'ActionRefused', message, nonRetryable: true });
}

function asInputFailure<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InputError) throw ApplicationFailure.create({ type: 'InputError', message: err.message, details: [err.fields], nonRetryable: true });
    throw err;
  }
}

export function createMonitoring(host: MonitoringHost) {
  let protocol: Protocol | undefined;
  let infusionAt = 0;
  let windowEndsAt = 0;
  let checkins: Checkin[] = [];
  const reports: CheckinReport[] = [];
  let highestCrs = 0;
  let highestIcans = 0;
  let escalatedFeverDays = FEVER_DAYS_URGENT_AFTER;
  let ended: { at: string; reason: string } | undefined;
  const queue: Escalation[] = [];

  const team = () => ({ name: protocol!.team!.name, email: protocol!.team!.email });
  const teamPhone = () => protocol?.team?.phone24h ?? '';

  const view = (c: Checkin): CheckinStatus => ({
    id: c.id,
    day: c.day,
    dueAt: host.iso(c.dueAt),
    expiresAt: host.iso(c.expiresAt),
    state: c.state,
    ...(c.answeredAt ? { answeredAt: c.answeredAt } : {}),
    ...(c.tier ? { tier: c.tier } : {}),
    ...(c.temperatureC !== undefined ? { temperatureC: c.temperatureC } : {}),
    ...(c.escalation ? { escalation: c.escalation } : {}),
  });

  const checkinChange = (c: Checkin, report?: CheckinReport): RecordChange => ({
    type: 'checkin',
    checkinId: c.id,
    day: c.day,
    dueAt: host.iso(c.dueAt),
    expiresAt: host.iso(c.expiresAt),
    state: c.state,
    answeredAt: c.answeredAt ?? null,
    tier: c.tier ?? null,
    temperatureC: c.temperatureC ?? null,
    escalation: c.escalation ?? null,
    ...(report ? { report } : {}),
  });

  /**
   * Runs two steps at once where the patch applies, else one after the other as histories recorded
   * before it did; `first` is started first either way, so its commands keep their place.
   */
  async function togetherSince(patch: string, first: () => Promise<void>, second: () => Promise<void>): Promise<void> {
    if (patched(patch)) {
      await Promise.all([first(), second()]);
    } else {
      await first();
      await second();
    }
  }

  /** Emails the treating team and the coordinator about an alert; repeats urgent ones until acknowledged. */
  async function escalate(e: Escalation): Promise<void> {
    const tier = e.alert.tier as EmailData['alert_team']['tier'];
    const send = async (repeat: number) => {
      const data = { alertId: e.alert.id, tier, source: e.source, reasons: e.reasons, repeat, ...(e.grades ?? {}) };
      const toTeam = () => host.email('alert_team', data, { urgent: true, hospitalCode: host.hospitalCode(), team: team() });
      const toCoordinator = () => host.email('alert_coordinator', data, { urgent: true });
      await togetherSince(PATCHES.alertEmailsTogether, toTeam, toCoordinator);
    };
    await send(1);
    if (tierRank(tier) < tierRank('urgent')) return;
    for (let repeat = 2; ; repeat++) {
      if (await condition(() => host.isAcknowledged(e.alert.id), protocol!.alertRepeatMinutes * MINUTE)) return;
      await send(repeat);
    }
  }

  /** Drains escalations raised by Update handlers, inside the case's cancellation scope. */
  async function processEscalations(): Promise<never> {
    for (;;) {
      await condition(() => queue.length > 0);
      const e = queue.shift()!;
      inBackground(escalate(e));
    }
  }

  /** A check-in's missed-answer ladder: reminder, then coordinator, then treating team. */
  async function watch(c: Checkin): Promise<void> {
    const answered = () => c.state === 'answered';
    const steps: [number, () => Promise<void>][] = [
      [
        protocol!.reminderAfterMinutes,
        async () => {
          c.escalation = 'reminder';
          await host.email('checkin_reminder', { checkinId: c.id, day: c.day, link: '', expiresAt: host.iso(c.expiresAt), teamPhone: teamPhone() }, { checkinLink: { checkinId: c.id, expiresAt: c.expiresAt } });
          // After the email, which waits on nothing: Postgres then shows the escalation the check-in reached.
          if (patched(PATCHES.reminderRecorded)) await host.record('checkin_reminded', `Day ${c.day} check-in #${c.id} not answered yet: reminder sent`, { changes: [checkinChange(c)] });
        },
      ],
      [
        protocol!.coordinatorAfterMinutes,
        async () => {
          c.escalation = 'coordinator';
          const { alert, change } = host.newAlert('checkin_missed', `Day ${c.day} check-in #${c.id} not answered`, 'contact_team');
          await host.record('alert_raised', alert.message, { detail: { alertId: alert.id, kind: alert.kind, tier: alert.tier }, changes: [change, checkinChange(c)] });
          await host.email('checkin_missed_coordinator', { checkinId: c.id, day: c.day, dueAt: host.iso(c.dueAt), teamPhone: teamPhone() }, { urgent: true });
        },
      ],
      [
        protocol!.teamAfterMinutes,
        async () => {
          c.escalation = 'team';
          await host.record('checkin_escalated', `Day ${c.day} check-in #${c.id} still unanswered: treating team told`, { changes: [checkinChange(c)] });
          await host.email('checkin_missed_team', { checkinId: c.id, day: c.day, dueAt: host.iso(c.dueAt) }, { urgent: true, hospitalCode: host.hospitalCode(), team: team() });
        },
      ],
    ];
    for (const [minutes, run] of steps) {
      const at = c.dueAt + minutes * MINUTE;
      if (await condition(answered, Math.max(at - host.now(), 1))) return;
      if (answeredWithTimer(c)) return;
      await run();
    }
  }

  async function expire(c: Checkin): Promise<void> {
    if (await condition(() => c.state === 'answered', Math.max(c.expiresAt - host.now(), 1))) return;
    if (answeredWithTimer(c)) return;
    c.state = 'missed';
    await host.record('checkin_missed', `Day ${c.day} check-in #${c.id} missed`, { changes: [checkinChange(c)] });
  }

  /**
   * The family's report and the step's timer can come in the same workflow task, the timer first:
   * the wait then ends as timed out although the check-in is answered. The report wins. Asked only
   * in that case, so that a case whose history recorded the old way (a missed answered check-in)
   * replays as it ran.
   */
  function answeredWithTimer(c: Checkin): boolean {
    return c.state === 'answered' && patched(PATCHES.answerWinsTimer);
  }

  function current(checkinId: number): Checkin {
    const c = checkins.find((x) => x.id === checkinId);
    if (!c) refuse(`there is no check-in ${checkinId} on this case`);
    return c;
  }

  return {
    get started() {
      return protocol !== undefined;
    },
    get ended() {
      return ended !== undefined;
    },

    status(): MonitoringStatus | undefined {
      if (!protocol) return undefined;
      const all = checkins.map(view);
      const last = [...all].reverse().find((c) => c.state === 'answered');
      const next = all.find((c) => c.state === 'open' || c.state === 'upcoming');
      return {
        protocol,
        infusionAt: host.iso(infusionAt),
        windowEndsAt: host.iso(windowEndsAt),
        checkins: all,
        highestCrsGrade: highestCrs,
        highestIcansGrade: highestIcans,
        feverDays: countFeverDays(reports, { feverThresholdC: protocol.feverThresholdC }),
        ...(last ? { lastCheckin: last } : {}),
        ...(next ? { nextCheckin: next } : {}),
        ...(ended ? { ended } : {}),
      };
    },

    /** What the family is asked for now, for the case's "waiting for". */
    waitingFor(): { what: string; until: string } | undefined {
      const c = checkins.find((x) => x.state === 'open') ?? checkins.find((x) => x.state === 'upcoming');
      if (!c) return undefined;
      return c.state === 'open'
        ? { what: `answer to the day ${c.day} check-in #${c.id}`, until: host.iso(c.expiresAt) }
        : { what: `day ${c.day} check-in #${c.id}`, until: host.iso(c.dueAt) };
    },

    validateCheckin(checkinId: number, report: unknown): void {
      const c = current(checkinId);
      if (c.state === 'answered') refuse('this check-in was already answered');
      if (c.state !== 'open') refuse(`this check-in is ${c.state === 'upcoming' ? 'not open yet' : 'closed'}`);
      asInputFailure(() => parseCheckinReport(report));
    },

    /** Records a family's report and answers with the tier; escalation follows outside the Update. */
    async submitCheckin(checkinId: number, raw: unknown): Promise<CheckinOutcome> {
      const c = current(checkinId);
      const report = parseCheckinReport(raw);
      const triage = triageReport(report, { feverThresholdC: protocol!.feverThresholdC });
      reports.push(report);
      c.state = 'answered';
      c.answeredAt = host.iso();
      c.tier = triage.tier;
      c.temperatureC = triage.feverC;

      const changes: RecordChange[] = [checkinChange(c, report)];
      const raise: Escalation[] = [];
      if (triage.tier !== 'none') {
        const { alert, change } = host.newAlert('checkin_report', `Day ${c.day} check-in: ${triage.tier.replace('_', ' ')}`, triage.tier);
        changes.push(change);
        raise.push({ alert, source: 'family_report', reasons: triage.reasons });
      }
      const feverDays = countFeverDays(reports, { feverThresholdC: protocol!.feverThresholdC });
      if (feverDays > escalatedFeverDays) {
        escalatedFeverDays = feverDays;
        const { alert, change } = host.newAlert('fever_days', `Fever reported on ${feverDays} days`, 'urgent');
        changes.push(change);
        raise.push({ alert, source: 'fever_days', reasons: [`fever on ${feverDays} separate days (more than ${FEVER_DAYS_URGENT_AFTER})`] });
      }
      // The alert goes out whatever the database does with the report.
      const escalateFirst = patched(PATCHES.escalateBeforeRecord);
      if (escalateFirst) queue.push(...raise);
      await host.record('checkin_answered', `Day ${c.day} check-in #${c.id} answered: ${triage.tier}`, { actor: 'family', detail: { checkinId: c.id, tier: triage.tier }, changes });
      if (!escalateFirst) queue.push(...raise);
      const tier = raise.reduce<Tier>((t, e) => (tierRank(e.alert.tier!) > tierRank(t) ? e.alert.tier! : t), triage.tier);
      return { checkinId: c.id, tier, reasons: [...triage.reasons, ...raise.filter((e) => e.source === 'fever_days').flatMap((e) => e.reasons)], teamPhone: teamPhone() };
    },

    validateClinical(observation: unknown): void {
      asInputFailure(() => parseObservation(observation));
    },

    async recordClinical(raw: unknown, actor: string): Promise<ClinicalOutcome> {
      const observation = parseObservation(raw);
      const grading = gradeObservation(observation, { feverThresholdC: protocol!.feverThresholdC });
      highestCrs = Math.max(highestCrs, grading.crs.grade);
      highestIcans = Math.max(highestIcans, grading.icans.grade);
      const changes: RecordChange[] = [
        { type: 'observation', observation: raw, crsGrade: grading.crs.grade, icansGrade: grading.icans.grade, tier: grading.tier, grading },
      ];
      let alertId: string | undefined;
      if (grading.tier !== 'none') {
        const { alert, change } = host.newAlert('clinical', `Clinical observation: CRS ${grading.crs.grade}, ICANS ${grading.icans.grade} (${grading.tier.replace('_', ' ')})`, grading.tier);
        alertId = alert.id;
        changes.push(change);
        queue.push({ alert, source: 'clinical_observation', reasons: [grading.crs.reason, grading.icans.reason], grades: { crsGrade: grading.crs.grade, icansGrade: grading.icans.grade } });
      }
      await host.record('clinical_observation', `CRS grade ${grading.crs.grade} (${grading.crs.reason}), ICANS grade ${grading.icans.grade} (${grading.icans.reason}): ${grading.tier}`, {
        actor,
        detail: grading,
        changes,
      });
      return { ...grading, ...(alertId ? { alertId } : {}) };
    },

    /** Every check-in's row as it stands (none before the window starts). */
    checkinRows: (): RecordChange[] => checkins.map((c) => checkinChange(c)),

    end(reason: string): void {
      ended ??= { at: host.iso(), reason };
    },

    /** Runs the window: each check-in at its time, then the hand-off. Returns when the window is over. */
    async run(startedAt: number, chosen: Protocol): Promise<void> {
      protocol = chosen;
      infusionAt = startedAt;
      const schedule = checkinSchedule(startedAt, chosen, host.timeZone);
      windowEndsAt = schedule.windowEndsAt;
      checkins = schedule.checkins.map((c) => ({ ...c, state: 'upcoming' }));
      await host.record('monitoring_started', `Monitoring started: protocol ${chosen.name}, ${checkins.length} check-ins until ${host.iso(windowEndsAt)}`, {
        detail: { protocol: chosen.name, checkins: checkins.length },
        changes: checkins.map((c) => checkinChange(c)),
      });
      inBackground(processEscalations());
      if (!teamPhone()) {
        const { alert, change } = host.newAlert('no_team_phone', 'The treating team has no 24/7 phone number: families cannot be told whom to call');
        await host.record('alert_raised', alert.message, { changes: [change] });
      }

      for (const c of checkins) {
        if (ended) break;
        host.setDeadline(c.dueAt);
        if (c.dueAt > host.now() && (await condition(() => ended !== undefined, c.dueAt - host.now()))) break;
        c.state = 'open';
        const sent = () => host.record('checkin_sent', `Day ${c.day} check-in #${c.id} sent`, { changes: [checkinChange(c)] });
        const request = () => host.email('checkin_request', { checkinId: c.id, day: c.day, link: '', expiresAt: host.iso(c.expiresAt), teamPhone: teamPhone() }, { checkinLink: { checkinId: c.id, expiresAt: c.expiresAt } });
        // The family's page reads the check-in from the workflow, which has it open already, not from the record.
        await togetherSince(PATCHES.checkinEmailWithRecord, sent, request);
        inBackground(watch(c));
        inBackground(expire(c));
      }
      host.setDeadline(windowEndsAt);
      if (!ended && windowEndsAt > host.now()) await condition(() => ended !== undefined, windowEndsAt - host.now());
      host.setDeadline(undefined);
      this.end(ended?.reason ?? 'the monitoring window ended');
    },

    /** The hand-off to follow-up: never a silent close. */
    handoffSummary(openAlerts: CaseAlert[]): EmailData['monitoring_handoff_team'] {
      return {
        windowEndedAt: ended?.at ?? host.iso(),
        highestCrsGrade: highestCrs,
        highestIcansGrade: highestIcans,
        answeredCheckins: checkins.filter((c) => c.state === 'answered').length,
        // The last check-in may close at the very moment the window does.
        missedCheckins: checkins.filter((c) => c.state === 'missed' || (c.state === 'open' && c.expiresAt <= host.now())).length,
        feverDays: protocol ? countFeverDays(reports, { feverThresholdC: protocol.feverThresholdC }) : 0,
        openAlerts: openAlerts.map((a) => ({ id: a.id, ...(a.tier ? { tier: a.tier } : {}), message: a.message })),
      };
    },

    teamRecipient: () => ({ hospitalCode: host.hospitalCode(), team: team() }),
  };
}

export type Monitoring = ReturnType<typeof createMonitoring>;
