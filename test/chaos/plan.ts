// What a chaos run will do, decided up front from its seed: the path of every case (spread over
// the cases so that a handful already covers each), what each family answers, the protocol and case
// settings that make a months-long case happen in minutes, and the schedule of faults. The same
// seed gives the same plan; the run's timing (the machine, the faults) still varies.
import { randomBytes } from 'node:crypto';
import { DOCUMENT_TYPES, type Stage } from '../../domain/case.ts';

/** A seeded random source (mulberry32): numbers in [0, 1). */
export type Rng = () => number;
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (r: Rng, min: number, max: number) => min + r() * (max - min);
const pick = <T>(r: Rng, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
function shuffled<T>(r: Rng, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The paths of the issue: one hospital accepts; several, one declines and one accepts; two accept
 * and the coordinator chooses; a hospital asks for more and the case goes round again; every
 * hospital declines (navigation, then closed); cancelled at some stage of one of the others.
 */
export const PATHS = ['single', 'decline', 'choice', 'more_info', 'navigation', 'cancel'] as const;
export type PathKind = (typeof PATHS)[number];
export type AcceptingPath = 'single' | 'decline' | 'choice' | 'more_info';
export const CANCEL_STAGES: readonly Stage[] = ['records', 'translation', 'hospital_review', 'admission', 'monitoring', 'follow_up'];

/** Four hospitals in three languages: a family's documents in another language than a hospital's are translated first. */
export const HOSPITALS = [
  { code: 'CHX-HK', name: 'Chaos Hong Kong Haematology', email: 'intl@chx-hk.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' },
  { code: 'CHX-LON', name: 'Chaos London Cell Therapy', email: 'intl@chx-lon.test', language: 'en', timezone: 'Europe/London', phone: '+44 20 5555 0100' },
  { code: 'CHX-SH', name: 'Chaos Shanghai CAR-T Centre', email: 'intl@chx-sh.test', language: 'zh', timezone: 'Asia/Shanghai', phone: '+86 21 5555 0100' },
  { code: 'CHX-MAD', name: 'Chaos Madrid Hematología', email: 'intl@chx-mad.test', language: 'es', timezone: 'Europe/Madrid', phone: '+34 91 555 0100' },
] as const;

/** What a family does with a check-in: answers well, with a fever (contact the team), with fever and dizziness (urgent: repeated until acknowledged), or not at all. */
export const ANSWERS = ['well', 'fever', 'urgent', 'miss'] as const;
export type Answer = (typeof ANSWERS)[number];

/** The document a hospital asks for in a more-info round. */
export const MORE_INFO_DOCUMENT = 'lab_results';

export interface RunShape {
  cases: number;
  minutes: number;
  seed: number;
  /** Minutes between check-ins: 1 in a short run, 2 in a longer one (a family then has time to answer late). */
  checkinEveryMinutes: number;
  /** The protocol's missed-check-in ladder, whole minutes after the check-in is due. */
  ladder: { reminder: number; coordinator: number; team: number };
  /** Coordinators' pauses before each step, ms. */
  think: { min: number; max: number };
  /** The longest a coordinator waits between two reads of a case, ms: more cases, fewer reads each. */
  pollMaxMs: number;
  /** Cases are opened over this long from the start, ms. */
  openOverMs: number;
  /** Faults happen until this long after the start, ms. */
  faultsUntilMs: number;
}

export function runShape(cases: number, minutes: number, seed: number): RunShape {
  const short = minutes < 10;
  return {
    cases,
    minutes,
    seed,
    checkinEveryMinutes: short ? 1 : 2,
    // A missed check-in climbs the whole ladder within the run; in a short one, all of it at once
    // a minute after the check-in is due (the steps run in order), so that a case takes 3 minutes.
    ladder: short ? { reminder: 1, coordinator: 1, team: 1 } : { reminder: 1, coordinator: 2, team: 3 },
    think: { min: 300, max: short ? 2_000 : Math.min(18_000, minutes * 600) },
    pollMaxMs: Math.min(10_000, Math.max(4_000, cases * 50)),
    openOverMs: minutes * 60_000 * (short ? 0.15 : 0.5),
    faultsUntilMs: minutes * 60_000,
  };
}

export interface CasePlan {
  index: number;
  patientRef: string;
  path: PathKind;
  /** The path the case follows until it is cancelled (the path itself otherwise). */
  base: AcceptingPath | 'navigation';
  cancelAt?: Stage;
  family: { name: string; email: string; language: string; timeZone: string };
  /** Submitted to, in this order; the first is the one that accepts (or asks for more), the second the one that declines or also accepts. */
  hospitals: string[];
  /** choice: the hospital the coordinator picks. */
  choose?: string;
  /** The order the documents come in. */
  documentOrder: string[];
  /** A document the coordinator waives instead of receiving. */
  waive?: string;
  /** The admission is planned twice before it is confirmed. */
  replan: boolean;
  /** The hospital takes long enough for its reminder and its silence alert. */
  slowHospital: boolean;
  /** Check-ins the case goes through before the coordinator ends monitoring. */
  checkins: number;
  /** What the family does with check-in #n (index n-1). */
  answers: Answer[];
  /** How long after the email the family answers check-in #n, ms. */
  answerDelays: number[];
  /** How long after an alert (of this tier) is raised the coordinator acknowledges it, ms. */
  ackDelay: (tier: string | undefined) => number;
  followUpDays: number[];
  /** When the case is opened, ms after the start. */
  openAtMs: number;
  /** The coordinator's pauses. */
  think: () => number;
  /** The longest between two reads of the case, ms. */
  pollMaxMs: number;
}

export function planCases(shape: RunShape): CasePlan[] {
  const r = rng(shape.seed);
  const pathOffset = Math.floor(r() * PATHS.length);
  const plans: CasePlan[] = [];
  const tag = randomBytes(3).toString('hex');
  let cancels = 0;
  let monitored = 0;
  for (let index = 0; index < shape.cases; index++) {
    const c = rng(shape.seed * 7919 + index);
    const path = PATHS[(index + pathOffset) % PATHS.length]!;
    const base: CasePlan['base'] = path === 'cancel' ? pick(c, ['single', 'decline', 'choice', 'more_info'] as const) : path;
    const cancelAt = path === 'cancel' ? CANCEL_STAGES[(cancels++ + index) % CANCEL_STAGES.length] : undefined;
    const codes = shuffled(c, HOSPITALS.map((h) => h.code));
    const hospitals = base === 'single' || base === 'more_info' ? codes.slice(0, 1) : codes.slice(0, 2);
    const checkins = shape.checkinEveryMinutes === 1 ? 2 : 2 + Math.floor(c() * 2);
    // The first check-in of successive monitored cases cycles through every answer, so a handful of
    // cases already has a fever, an urgent one and a miss; the rest are drawn.
    const reachesMonitoring = base !== 'navigation' && (cancelAt === undefined || cancelAt === 'monitoring' || cancelAt === 'follow_up');
    const first = ANSWERS[reachesMonitoring ? monitored++ % ANSWERS.length : 0]!;
    const answers = [first, ...Array.from({ length: checkins + 2 }, () => drawAnswer(c))];
    const spacing = shape.checkinEveryMinutes * 60_000;
    // Most answer well within the check-in's time; with 2 minutes between check-ins, some answer
    // after the reminder (1 minute) has gone out.
    const answerDelays = answers.map(() => (spacing > 60_000 && c() < 0.25 ? between(c, 65_000, 85_000) : between(c, 2_000, spacing * 0.45)));
    const language = pick(c, ['en', 'en', 'es', 'zh']);
    plans.push({
      index,
      patientRef: `CHAOS-${tag}-${String(index).padStart(4, '0')}`,
      path,
      base,
      ...(cancelAt ? { cancelAt } : {}),
      family: { name: `Family ${index}`, email: `family-${index}-${tag}@chaos.test`, language, timeZone: 'UTC' },
      hospitals,
      documentOrder: shuffled(c, DOCUMENT_TYPES),
      ...(base === 'choice' ? { choose: pick(c, hospitals) } : {}),
      ...(c() < 0.15 ? { waive: pick(c, DOCUMENT_TYPES.filter((d) => d !== 'medical_report')) } : {}),
      replan: c() < 0.2,
      slowHospital: shape.minutes >= 10 && c() < 0.1,
      checkins,
      answers,
      answerDelays,
      // Most within the minute; a case's first urgent (or critical) alert after it has gone out
      // again (alertRepeatMinutes is 1), so that every run repeats some.
      ackDelay: (() => {
        let repeated = false;
        return (tier: string | undefined) => {
          if (!repeated && (tier === 'urgent' || tier === 'critical')) {
            repeated = true;
            return between(c, 65_000, 80_000);
          }
          return between(c, 3_000, shape.checkinEveryMinutes === 1 ? 50_000 : 100_000);
        };
      })(),
      // Due by the time monitoring ends (a short run's 2 check-ins take 2 minutes or so), some with a second contact.
      followUpDays: shape.checkinEveryMinutes === 1 ? (c() < 0.5 ? [0.001] : [0.001, 0.0015]) : c() < 0.5 ? [0.002] : [0.002, 0.003],
      openAtMs: shape.cases === 1 ? 0 : (index / (shape.cases - 1)) * shape.openOverMs,
      think: () => between(c, shape.think.min, shape.think.max),
      pollMaxMs: shape.pollMaxMs,
    });
  }
  return plans;
}

function drawAnswer(r: Rng): Answer {
  const x = r();
  return x < 0.5 ? 'well' : x < 0.7 ? 'fever' : x < 0.85 ? 'urgent' : 'miss';
}

/**
 * Timings that make a case happen in minutes (domain/case.ts: days may be fractional): reminders
 * to the family, the translator and the hospitals within a minute, so that they fire during the
 * run; escalations (records stalled, translation overdue, hospital silent) only for a slow
 * hospital; follow-up contacts a few minutes after the infusion.
 */
export function caseSettings(plan: CasePlan): Record<string, unknown> {
  return {
    recordsReminderDays: [0.0005, 0.001],
    recordsStalledAfterDays: 0.02,
    translationChaseDays: 0.0005,
    translationEscalateDays: 0.02,
    hospitalReminderDays: 0.0005,
    hospitalEscalateDays: 0.0015,
    admissionReminderDays: [1],
    followUpDays: plan.followUpDays,
  };
}

/** How long a slow hospital takes to answer: past its reminder and its silence alert (hospitalEscalateDays). */
export const SLOW_HOSPITAL_MS = 0.0015 * 86_400_000 + 15_000;

/**
 * The run's check-in protocol, the default for every case: a check-in every few minutes of the
 * family's day (UTC) from now until well after the run, in rows of at most 24 times, with a short
 * ladder and urgent alerts repeated every minute until acknowledged.
 */
export function protocolFor(shape: RunShape, startMs: number): Record<string, unknown> {
  const untilMs = startMs + shape.minutes * 60_000 + 30 * 60_000;
  const step = shape.checkinEveryMinutes * 60_000;
  const times: string[] = [];
  for (let t = Math.ceil(startMs / step) * step + step; t <= untilMs; t += step) times.push(new Date(t).toISOString().slice(11, 16));
  const unique = [...new Set(times)];
  if (unique.length > 240) throw new Error(`a ${shape.minutes}-minute run needs ${unique.length} check-in times, more than a protocol holds (240)`);
  const rows = [];
  for (let i = 0; i < unique.length; i += 24) rows.push({ fromDay: 0, toDay: 1, times: unique.slice(i, i + 24) });
  return {
    windowDays: 1,
    schedule: rows,
    reminderAfterMinutes: shape.ladder.reminder,
    coordinatorAfterMinutes: shape.ladder.coordinator,
    teamAfterMinutes: shape.ladder.team,
    alertRepeatMinutes: 1,
  };
}

export type FaultKind = 'kill_worker' | 'kill_both_workers' | 'kill_http' | 'restart_postgres' | 'stop_mail';
export interface FaultEvent {
  atMs: number;
  kind: FaultKind;
  /** Which process (kill_worker, kill_http). */
  target?: number;
  /** How long it stays away. */
  downMs: number;
}

/**
 * Faults spread over the run: workers SIGKILLed often, an HTTP server now and then, PostgreSQL
 * restarted at least once (twice in a 30-minute run), both workers at once in a longer run, and
 * the mail server away for a minute (less in a short run) once.
 */
export function planFaults(shape: RunShape): FaultEvent[] {
  const r = rng(shape.seed ^ 0x5eed);
  const m = shape.minutes;
  const counts: [FaultKind, number][] = [
    ['kill_worker', Math.max(2, Math.round(m * 0.8))],
    ['kill_http', Math.max(1, Math.round(m / 4))],
    ['restart_postgres', Math.max(1, Math.round(m / 15))],
    ['kill_both_workers', m >= 10 ? 1 : 0],
  ];
  const span = shape.faultsUntilMs;
  const events: FaultEvent[] = [];
  for (const [kind, n] of counts) {
    for (let i = 0; i < n; i++) {
      // Evenly spread, jittered within each slot, between 5% and 90% of the run.
      const atMs = span * (0.05 + (0.85 * (i + r())) / n);
      const downMs = kind === 'kill_worker' ? between(r, 2_000, 15_000) : kind === 'kill_http' ? between(r, 2_000, 10_000) : kind === 'restart_postgres' ? between(r, 3_000, 8_000) : 15_000;
      events.push({ atMs, kind, ...(kind === 'kill_worker' || kind === 'kill_http' ? { target: Math.floor(r() * 2) } : {}), downMs });
    }
  }
  events.push({ atMs: span * between(r, 0.25, 0.55), kind: 'stop_mail', downMs: Math.min(60_000, m * 10_000) });
  return events.sort((a, b) => a.atMs - b.atMs);
}
