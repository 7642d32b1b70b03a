// Scenario 3, check-in burst: M cases whose first check-in falls due in the same minute (a
// protocol with one daily check-in at that minute, families in UTC, infusions recorded just
// before), and the delay from the due time to each check-in email being accepted by the SMTP sink.
// Baseline: M bare workflows whose timers fire at the same instant, each sending one email of the
// same size through pooled nodemailer from an activity.
//
// Scenario 4 (`reports`), check-in reports during the burst: as the families' emails arrive, their
// reports are POSTed to the HTTP server (client/http/server.ts, POST /checkin/:token with the form,
// tokens signed with the worker's secret) at a steady rate; end-to-end latency per request.
// Baseline: a bare Temporal Update (answered at once) to the bare burst workflows, same rate, during
// the bare burst.
//
// The alert scenario (`alertEvery`): every n-th of those reports is alarming (bare-activities.ts
// ALERT_REPORT: fever with dizziness, graded urgent), and the delay from sending it to the treating
// team's alert email being accepted by the SMTP sink is measured. Baseline: the bare report's
// Update is bareAlert instead, answered at once, after which the bare workflow sends one email of
// the alert's size from an activity; from sending the Update to that email accepted.
import { createHttpServer } from '../../client/http/server.ts';
import { toDatetimeLocal } from '../../client/http/checkin-form.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { connect } from '../../db/connect.ts';
import { bareClient, caseClient, type BenchContext } from '../context.ts';
import { benchActions, benchCase, driveToAdmission, driveToMonitoring, recordInfusion, setDailyProtocol, utcHourMinute, Watcher } from '../drive.ts';
import { measurePhase, perUnit, type PhaseMeasure } from '../phase.ts';
import { row, type ScenarioReport } from '../report.ts';
import { inParallel, percentile, sleep } from '../stats.ts';
import { startWorker } from '../workers.ts';
import { bareAlert, burstWorkflow, ping } from '../workflows.ts';
import { ALERT_REPORT, BARE_EMAIL_KIND } from '../bare-activities.ts';
import type { AcceptedMail } from '../smtp-sink.ts';

export interface BurstOptions {
  /** Cases (and bare workflows) due together. */
  cases: number;
  /** Scenario 4: reports through the HTTP server (bare: Updates) while the burst runs. */
  reports: boolean;
  /** Reports per second. */
  rate: number;
  /** Seconds of reports (fewer when the cases run out: one report per check-in). */
  duration: number;
  /** The alert scenario: every n-th report (the first included) raises a CRS alert; 0 for none. */
  alertEvery: number;
  /** Cases driven at once while setting up. */
  concurrency: number;
  /**
   * 'next-minute': the check-ins fall due at a whole minute after the setup (the real thing).
   * 'immediate': each check-in is already due when monitoring starts, and the delay counts from the
   * infusion being recorded (the smoke test's shortcut: no waiting for a minute to come round).
   */
  due: 'next-minute' | 'immediate';
  /** Least time between the end of the setup and the due minute. */
  leadSeconds: number;
  /** How long after the due time to wait for the last email. */
  timeoutSeconds: number;
  /** maxCachedWorkflows of both sides' workers (default: the SDK's). */
  cache?: number;
}

export const burstDefaults: BurstOptions = { cases: 200, reports: false, rate: 10, duration: 20, alertEvery: 0, concurrency: 24, due: 'next-minute', leadSeconds: 10, timeoutSeconds: 300 };
export const burstFull: BurstOptions = { ...burstDefaults, cases: 1000, rate: 50, duration: 60, timeoutSeconds: 900 };

/** Items arriving over time, taken in order; take() waits for the next one (or gives up). */
class Arrivals<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((item: T | undefined) => void)[] = [];
  push(item: T): void {
    const w = this.waiting.shift();
    if (w) w(item);
    else this.items.push(item);
  }
  take(timeoutMs: number): Promise<T | undefined> {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => {
      const w = (item: T | undefined) => {
        clearTimeout(timer);
        resolve(item);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.push(w);
    });
  }
}

interface LoadResult {
  latencies: number[];
  statuses: Map<string, number>;
  /** Time the generator spent waiting for a check-in to open (no email yet). */
  starvedMs: number;
  seconds: number;
}

/** Fires `fire(item, k)` at `rate` per second for `seconds` (open loop), the k-th on the next of at most `limit` arrivals. */
async function steadyLoad<T>(rate: number, seconds: number, limit: number, arrivals: Arrivals<T>, fire: (item: T, k: number) => Promise<string>): Promise<LoadResult> {
  const total = Math.min(limit, Math.max(1, Math.round(rate * seconds)));
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const inFlight: Promise<void>[] = [];
  let starvedMs = 0;
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    await sleep(t0 + (k * 1000) / rate - performance.now());
    const w0 = performance.now();
    const item = await arrivals.take(30_000);
    starvedMs += performance.now() - w0;
    if (item === undefined) break;
    const s = performance.now();
    inFlight.push(
      fire(item, k).then(
        (status) => {
          latencies.push(performance.now() - s);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        },
        (err: unknown) => {
          const key = `error ${(err as Error).name}: ${(err as Error).message.slice(0, 80)}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return { latencies, statuses, starvedMs, seconds: (performance.now() - t0) / 1000 };
}

interface BurstSide {
  /** Delay from due to accepted, per email, seconds. */
  delays: number[];
  expected: number;
  load?: LoadResult;
  alerts: AlertDelays;
  measure: PhaseMeasure;
  notes: string[];
}

/** The alerting reports sent, and when each alert's emails were accepted by the sink. */
class AlertDelays {
  readonly sentAt = new Map<string, number>();
  /** By the email's X-Email-Kind (the team's and the coordinator's for a case; one for a bare workflow). */
  readonly acceptedAt = new Map<string, Map<string, number>>();

  accept(kind: string, id: string, at: number): void {
    if (!this.sentAt.has(id)) return;
    const of = this.acceptedAt.get(kind) ?? new Map<string, number>();
    this.acceptedAt.set(kind, of);
    if (!of.has(id)) of.set(id, at);
  }

  accepted(kind: string): number {
    return this.acceptedAt.get(kind)?.size ?? 0;
  }

  /** Seconds from each report sent to its `kind` email accepted. */
  delays(kind: string): number[] {
    return [...(this.acceptedAt.get(kind) ?? [])].map(([id, at]) => (at - this.sentAt.get(id)!) / 1000);
  }

  async waitForAll(kind: string, deadline: number): Promise<void> {
    while (this.accepted(kind) < this.sentAt.size && Date.now() < deadline) await sleep(50);
  }
}

const max = (xs: number[]) => (xs.length ? Math.max(...xs) : Number.NaN);

function delayRows(service: BurstSide, bare: BurstSide) {
  const last = max(service.delays);
  const met = service.delays.length === service.expected && last <= 60 && last <= 1.5 * max(bare.delays);
  return [
    row('due → email accepted p50', 's', percentile(service.delays, 50), percentile(bare.delays, 50)),
    row('due → email accepted p99', 's', percentile(service.delays, 99), percentile(bare.delays, 99)),
    row('due → email accepted max', 's', last, max(bare.delays), { text: 'last ≤ 60 s and ≤ 1.5× bare', met }),
  ];
}

const minute = 60_000;

export async function runBurst(ctx: BenchContext, opts: BurstOptions): Promise<ScenarioReport[]> {
  const taskQueue = `bench-burst-${ctx.runId}`;
  const bareQueue = `bench-burst-bare-${ctx.runId}`;
  const hospital = `BU${ctx.runId}`;
  const client = caseClient(ctx);
  const bare = bareClient(ctx);
  const actions = await benchActions(client, ctx.db, taskQueue, hospital);
  const watcher = new Watcher(ctx.db);
  const d = { actions, watcher, hospital };
  const m = opts.cases;
  const alerting = (k: number) => opts.reports && opts.alertEvery > 0 && k % opts.alertEvery === 0;
  const caseIds: string[] = new Array(m);
  const bareIds = Array.from({ length: m }, (_, i) => `bench-burst-${ctx.runId}-${i}`);

  // ---- the service ----
  let service: BurstSide;
  const queryMs: number[] = [];
  const updateMs: number[] = [];
  const cache = opts.cache !== undefined ? { maxCachedWorkflows: opts.cache } : {};
  const worker = await startWorker(ctx, { kind: 'case', taskQueue, label: 'burst-case', ...cache });
  const httpDb = connect(ctx.databaseUrl, { max: 5 });
  const links = createCheckinLinks(ctx.linkSecret);
  const app = await createHttpServer({
    actions,
    db: httpDb,
    links,
    client,
    log: () => {},
    // The service's own functions, timed: where a request's time goes.
    getCaseStatus: async (caseId) => {
      const s = performance.now();
      try {
        return await actions.status(caseId);
      } finally {
        queryMs.push(performance.now() - s);
      }
    },
    submitCheckin: async (x) => {
      const s = performance.now();
      try {
        return await actions.submitCheckin(x.caseId, x.checkinId, x.report);
      } finally {
        updateMs.push(performance.now() - s);
      }
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const httpUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    ctx.log(`burst: driving ${m} cases to monitoring, ${opts.concurrency} at once`);
    const t0 = performance.now();
    await inParallel(m, opts.concurrency, async (i) => {
      const caseId = await driveToAdmission(d, benchCase(ctx.runId, 'burst', i, ['medical_report']));
      await driveToMonitoring(d, caseId);
      caseIds[i] = caseId;
    });
    const setupRate = m / ((performance.now() - t0) / 1000);

    // The due minute: far enough ahead for every infusion to be recorded first (recording them
    // took about a fifth of the setup's time per case in our runs; a third, plus the lead, to be safe).
    const now = Date.now();
    const dueAt = opts.due === 'immediate' ? Math.floor(now / minute) * minute : Math.ceil((now + opts.leadSeconds * 1000 + (m / setupRate) * 350) / minute) * minute;
    const infusionAt = opts.due === 'immediate' ? dueAt - minute : undefined;
    await setDailyProtocol(actions, hospital, utcHourMinute(dueAt));
    const dueOf = new Map<string, number>();
    ctx.log(`burst: recording ${m} infusions; check-ins due at ${new Date(dueAt).toISOString()}`);

    const arrivals = new Arrivals<string>();
    const accepted = new Map<string, number>();
    const alerts = new AlertDelays();
    const wanted = new Set(caseIds);
    const unsubscribe = ctx.smtp.onMail((mail: AcceptedMail) => {
      const caseId = mail.headers.get('x-case-id');
      const kind = mail.headers.get('x-email-kind');
      if (caseId && (kind === 'alert_team' || kind === 'alert_coordinator')) alerts.accept(kind, caseId, mail.at);
      if (kind !== 'checkin_request' || !caseId || !wanted.has(caseId) || accepted.has(caseId)) return;
      accepted.set(caseId, mail.at);
      arrivals.push(caseId);
    });
    await inParallel(m, opts.concurrency, async (i) => {
      // Immediate: the check-in is due as soon as the infusion is recorded; count from the request.
      // Next minute: from the due time, or from the request if the setup overran it.
      dueOf.set(caseIds[i]!, opts.due === 'immediate' ? Date.now() : Math.max(dueAt, Date.now()));
      await recordInfusion(d, caseIds[i]!, infusionAt ?? Date.now());
    });
    watcher.stop();
    const notes: string[] = [];
    const lateSetup = Date.now() - dueAt;
    if (opts.due === 'next-minute' && lateSetup > 0) notes.push(`the last infusions were recorded ${(lateSetup / 1000).toFixed(1)} s after the due time: their delays count from the infusion`);
    if (opts.due === 'next-minute') {
      const r = await ctx.db.selectFrom('checkins').select((eb) => eb.fn.countAll<string>().as('n')).where('checkin_id', '=', 1).where('due_at', '=', new Date(dueAt)).where('case_id', 'in', caseIds).executeTakeFirstOrThrow();
      if (Number(r.n) !== m) notes.push(`only ${r.n} of ${m} first check-ins are due at ${new Date(dueAt).toISOString()}`);
      ctx.log(`burst: ${r.n}/${m} first check-ins due at the same minute; waiting ${((dueAt - Date.now()) / 1000).toFixed(0)} s`);
      await sleep(dueAt - Date.now());
    }

    const form = (alarming: boolean) => {
      const f = new URLSearchParams({ temperature: alarming ? String(ALERT_REPORT.temperatureC) : '37.2', unit: 'c', takenAt: toDatetimeLocal(Date.now(), 'UTC'), admitted: 'no', notes: '', lang: 'en' });
      if (alarming) f.append('symptoms', ALERT_REPORT.symptom);
      return f.toString();
    };
    const post = async (caseId: string, k: number) => {
      const token = links.sign({ caseId, checkinId: 1, expiresAt: Date.now() + 86_400_000 });
      const body = form(alerting(k));
      if (alerting(k)) alerts.sentAt.set(caseId, Date.now());
      const res = await fetch(`${httpUrl}/checkin/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      await res.text();
      return String(res.status);
    };
    const { result, m: measure } = await measurePhase(ctx, worker, async () => {
      const load = opts.reports ? steadyLoad(opts.rate, opts.duration, m, arrivals, post) : undefined;
      const deadline = Date.now() + opts.timeoutSeconds * 1000;
      while (accepted.size < m && Date.now() < deadline) await sleep(50);
      const done = load ? await load : undefined;
      // The coordinator's email follows the team's (workflows/monitoring.ts escalate): both are in once it is.
      await alerts.waitForAll('alert_coordinator', deadline);
      return done;
    });
    unsubscribe();
    service = {
      delays: [...accepted].map(([id, at]) => (at - dueOf.get(id)!) / 1000),
      expected: m,
      ...(result ? { load: result } : {}),
      alerts,
      measure,
      notes,
    };
  } finally {
    watcher.stop();
    await app.close();
    await httpDb.destroy();
    await worker.stop();
  }

  // ---- bare Temporal ----
  let bareSide: BurstSide;
  const bareWorker = await startWorker(ctx, { kind: 'bare', taskQueue: bareQueue, label: 'burst-bare', ...cache });
  try {
    const arrivals = new Arrivals<string>();
    const accepted = new Map<string, number>();
    const alerts = new AlertDelays();
    const wanted = new Set(bareIds);
    const unsubscribe = ctx.smtp.onMail((mail) => {
      const id = mail.headers.get('x-bench-id');
      const kind = mail.headers.get('x-email-kind');
      if (id && kind === BARE_EMAIL_KIND.alert) alerts.accept(kind, id, mail.at);
      if (kind !== BARE_EMAIL_KIND.checkin || !id || !wanted.has(id) || accepted.has(id)) return;
      accepted.set(id, mail.at);
      arrivals.push(id);
    });
    const dueAt = opts.due === 'immediate' ? Date.now() : Date.now() + (opts.leadSeconds + m / 20) * 1000;
    const dueOf = new Map<string, number>();
    ctx.log(`burst: starting ${m} bare workflows due at ${new Date(dueAt).toISOString()}`);
    await inParallel(m, opts.concurrency, async (i) => {
      dueOf.set(bareIds[i]!, opts.due === 'immediate' ? Date.now() : Math.max(dueAt, Date.now()));
      await bare.workflow.start(burstWorkflow, { taskQueue: bareQueue, workflowId: bareIds[i]!, args: [{ id: bareIds[i]!, dueAt }] });
    });
    const notes: string[] = [];
    if (opts.due === 'next-minute') {
      if (Date.now() > dueAt) notes.push('some bare workflows were started after their due time: their delays count from their start');
      await sleep(dueAt - Date.now());
    }
    let n = 0;
    const update = async (id: string, k: number) => {
      if (alerting(k)) alerts.sentAt.set(id, Date.now());
      await bare.workflow.getHandle(id).executeUpdate(alerting(k) ? bareAlert : ping, { args: [{ n: n++ }] });
      return '200';
    };
    const { result, m: measure } = await measurePhase(ctx, bareWorker, async () => {
      const load = opts.reports ? steadyLoad(opts.rate, opts.duration, m, arrivals, update) : undefined;
      const deadline = Date.now() + opts.timeoutSeconds * 1000;
      while (accepted.size < m && Date.now() < deadline) await sleep(50);
      const done = load ? await load : undefined;
      await alerts.waitForAll(BARE_EMAIL_KIND.alert, deadline);
      return done;
    });
    unsubscribe();
    bareSide = {
      delays: [...accepted].map(([id, at]) => (at - dueOf.get(id)!) / 1000),
      expected: m,
      ...(result ? { load: result } : {}),
      alerts,
      measure,
      notes,
    };
  } finally {
    await bareWorker.stop();
  }
  ctx.log('burst: terminating the cases and bare workflows');
  await inParallel(m, 32, (i) => client.workflow.getHandle(`case-${caseIds[i]}`).terminate('benchmark over').catch(() => undefined));
  await inParallel(m, 32, (i) => bare.workflow.getHandle(bareIds[i]!).terminate('benchmark over').catch(() => undefined));

  for (const [name, side] of [['service', service], ['bare', bareSide]] as const) {
    if (side.delays.length < m) side.notes.push(`${name}: only ${side.delays.length} of ${m} emails arrived within ${opts.timeoutSeconds} s; the percentiles count those`);
  }
  const spread = (s: BurstSide) => (s.delays.length ? s.delays.length / Math.max(...s.delays) : Number.NaN);
  const burst: ScenarioReport = {
    scenario: 'burst',
    title: `${m} check-ins due in the same minute${opts.reports ? ', with check-in reports arriving meanwhile (scenario checkin)' : ''}`,
    baseline: `${m} bare workflows whose timers fire together, each sending one email of the same size (pooled nodemailer) from an activity`,
    params: { cases: m, due: opts.due, reports: opts.reports, cache: opts.cache ?? 'default' },
    rows: delayRows(service, bareSide),
    context: {
      'emails accepted, service / bare': `${service.delays.length}/${m} / ${bareSide.delays.length}/${m}`,
      'emails per second until the last one, service / bare': `${spread(service).toFixed(1)} / ${spread(bareSide).toFixed(1)}`,
      ...perUnit('service', service.measure, m, 'check-in'),
      ...perUnit('bare', bareSide.measure, m, 'workflow'),
    },
    notes: [...service.notes, ...bareSide.notes],
  };
  if (!opts.reports) return [burst];

  const s = service.load!;
  const b = bareSide.load!;
  const fmtStatuses = (x: LoadResult) => [...x.statuses].map(([k, v]) => `${k}×${v}`).join(', ');
  const checkin: ScenarioReport = {
    scenario: 'checkin',
    title: `check-in reports POSTed to the HTTP server at ${opts.rate}/s for up to ${opts.duration} s while the burst runs`,
    baseline: 'a bare Temporal Update answered at once (bench/workflows.ts ping) to the bare burst workflows, same rate, during the bare burst',
    params: { rate: opts.rate, duration: opts.duration, cases: m },
    rows: [
      row('POST /checkin end to end p50', 'ms', percentile(s.latencies, 50), percentile(b.latencies, 50)),
      // Issue 21's table sets none for the reports' page (the earlier target was p99 ≤ 2× bare and < 150 ms): context.
      row('POST /checkin end to end p99', 'ms', percentile(s.latencies, 99), percentile(b.latencies, 99)),
    ],
    context: {
      'requests, achieved rate (1/s): service / bare': `${s.latencies.length}, ${(s.latencies.length / s.seconds).toFixed(1)} / ${b.latencies.length}, ${(b.latencies.length / b.seconds).toFixed(1)}`,
      'responses: service': fmtStatuses(s),
      'responses: bare': fmtStatuses(b),
      'waiting for the next check-in email (s): service / bare': `${(s.starvedMs / 1000).toFixed(1)} / ${(b.starvedMs / 1000).toFixed(1)}`,
      // A POST asks for the status only to draw a page other than the result (a refused or invalid report).
      'inside POST: status queries, count, p50 / p99 (ms)': `${queryMs.length}, ${queryMs.length ? `${percentile(queryMs, 50).toFixed(1)} / ${percentile(queryMs, 99).toFixed(1)}` : '-'}`,
      'inside POST: submitCheckin Update p50 / p99 (ms)': `${percentile(updateMs, 50).toFixed(1)} / ${percentile(updateMs, 99).toFixed(1)}`,
    },
    notes: [
      'Latency is measured from sending the request to reading the whole response page; each report answers the check-in its email announced, in the order the emails arrived.',
      ...(opts.alertEvery > 0 ? [`one report in ${opts.alertEvery} (the first included) raised an alert (scenario alert); the bare side sent bareAlert for those`] : []),
    ],
  };
  if (opts.alertEvery === 0) return [burst, checkin];
  return [burst, checkin, alertReport(service.alerts, bareSide.alerts, opts)];
}

function alertReport(service: AlertDelays, bare: AlertDelays, opts: BurstOptions): ScenarioReport {
  const team = service.delays('alert_team');
  const coordinator = service.delays('alert_coordinator');
  const bareDelays = bare.delays(BARE_EMAIL_KIND.alert);
  const p99 = percentile(team, 99);
  const bareP99 = percentile(bareDelays, 99);
  const notes: string[] = [];
  for (const [name, got, sent] of [['service', team.length, service.sentAt.size], ['bare', bareDelays.length, bare.sentAt.size]] as const) {
    if (got < sent) notes.push(`${name}: only ${got} of ${sent} alert emails arrived within ${opts.timeoutSeconds} s of the due time; the percentiles count those`);
  }
  const ms = (xs: number[]) => `${(percentile(xs, 50) * 1000).toFixed(0)} / ${(percentile(xs, 99) * 1000).toFixed(0)}`;
  return {
    scenario: 'alert',
    title: `a family's alarming check-in report (${ALERT_REPORT.temperatureC} °C with ${ALERT_REPORT.symptom}, graded urgent) POSTed to the check-in page during the burst → the treating team's alert email accepted by the SMTP sink`,
    baseline: "a bare Update (bench/workflows.ts bareAlert) to the bare burst workflows during the bare burst, answered at once; the workflow then sends one email of the alert's size (pooled nodemailer) from an activity",
    params: { every: opts.alertEvery, cases: opts.cases, rate: opts.rate },
    rows: [
      row('report → alert email accepted p50', 's', percentile(team, 50), percentile(bareDelays, 50)),
      row('report → alert email accepted p99', 's', p99, bareP99, { text: 'p99 ≤ 5 s and ≤ 2× bare', met: notes.length === 0 && p99 <= 5 && p99 <= 2 * bareP99 }),
      row('report → alert email accepted max', 's', max(team), max(bareDelays)),
    ],
    context: {
      'alerting reports sent, team emails accepted: service / bare': `${service.sentAt.size}, ${team.length} / ${bare.sentAt.size}, ${bareDelays.length}`,
      'report → team email p50 / p99 (ms)': ms(team),
      "report → coordinator's email (sent with the team's since patch alert-emails-together) p50 / p99 (ms)": ms(coordinator),
      'report → bare alert email p50 / p99 (ms)': ms(bareDelays),
    },
    notes,
  };
}
