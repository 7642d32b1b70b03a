// Case metrics for Prometheus (GET /metrics on the HTTP server), through prom-client. Counts come
// from Postgres at scrape time, in one statement of aggregates, so the database stays the one
// source of truth and any number of HTTP servers report the same values. Labels are stage, status
// and state names and route patterns: never a name, an address, a patient reference or a case id.
//
// Each read of the database becomes a Registry of its own (caseMetricsRegistry): scrapes that
// arrive together share one read and so one registry, and a later read never changes the values of
// a scrape being rendered. The request counter lives in the process's own registry; a scrape
// renders both (createHttpMetrics).
import { sql } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../../db/connect.ts';
import { STAGES } from '../../domain/case.ts';

export const EMAIL_STATUSES = ['sent', 'failed', 'pending'] as const;
export const CHECKIN_STATES = ['answered', 'missed', 'open', 'upcoming'] as const;
/** Upper bounds (seconds) of the acknowledgement-time histogram: 1, 5, 15, 30 min, 1, 2, 4, 12, 24 h. */
export const ACK_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400] as const;

/** Acknowledged alerts whose time to acknowledgement falls in one slot: how many, and their seconds in total. */
export interface AckSlot {
  count: number;
  seconds: number;
}

export interface CaseMetrics {
  casesByStage: Record<string, number>;
  emailsByStatus: Record<string, number>;
  checkinsByState: Record<string, number>;
  alertsOpen: number;
  /**
   * Acknowledged alerts by how long each was open (acknowledged_at − raised_at): slot i holds those
   * above ACK_BUCKETS[i - 1] up to ACK_BUCKETS[i]; the last slot, those above every bound.
   */
  acknowledged: AckSlot[];
}

const counts = (v: unknown): Record<string, number> => Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, n]) => [k, Number(n)]));

/** One round trip of aggregates over cases, emails, check-ins and alerts. */
export async function readCaseMetrics(db: Db): Promise<CaseMetrics> {
  // A duration's slot is how many bounds lie below it: Prometheus buckets hold values up to and including their bound.
  const bounds = sql.raw(`array[${ACK_BUCKETS.join(',')}]::numeric[]`);
  const { rows } = await sql<{ cases: unknown; emails: unknown; checkins: unknown; alerts_open: string | number; ack: { slot: number; count: number; seconds: number | string }[] }>`
    select
      (select coalesce(json_object_agg(stage, n), '{}'::json) from (select stage, count(*) as n from cases group by stage) s) as cases,
      (select coalesce(json_object_agg(status, n), '{}'::json) from (select status, count(*) as n from emails group by status) e) as emails,
      (select coalesce(json_object_agg(state, n), '{}'::json) from (select state, count(*) as n from checkins group by state) c) as checkins,
      (select count(*) from alerts where acknowledged_at is null) as alerts_open,
      (select coalesce(json_agg(json_build_object('slot', slot, 'count', n, 'seconds', total)), '[]'::json)
         from (select slot, count(*) as n, sum(d) as total
                 from (select d, (select count(*) from unnest(${bounds}) as b where b < d) as slot
                         from (select greatest(extract(epoch from acknowledged_at - raised_at), 0) as d from alerts where acknowledged_at is not null) a) s
                group by slot) g) as ack
  `.execute(db);
  const r = rows[0]!;
  const acknowledged: AckSlot[] = Array.from({ length: ACK_BUCKETS.length + 1 }, () => ({ count: 0, seconds: 0 }));
  for (const { slot, count, seconds } of r.ack) acknowledged[slot] = { count: Number(count), seconds: Number(seconds) };
  return {
    casesByStage: counts(r.cases),
    emailsByStatus: counts(r.emails),
    checkinsByState: counts(r.checkins),
    alertsOpen: Number(r.alerts_open),
    acknowledged,
  };
}

/** A label value from the database: a known name, else 'other' (a label never carries free text). */
const safeName = (v: string): string => (/^[a-z][a-z0-9_]{0,39}$/.test(v) ? v : 'other');

/** Every known value (zero when absent, so dashboards see a series), then any other the data holds. */
function setByLabel(gauge: Gauge<string>, label: string, known: readonly string[], found: Record<string, number>): void {
  const totals = new Map<string, number>(known.map((k) => [k, 0]));
  for (const [k, n] of Object.entries(found)) {
    const name = safeName(k);
    totals.set(name, (totals.get(name) ?? 0) + n);
  }
  for (const [k, n] of totals) gauge.set({ [label]: k }, n);
}

const DATABASE_UP = { name: 'case_metrics_database_up', help: 'Whether this scrape could read the case metrics from Postgres (1) or not (0).' };

/** The metrics of one read as a Registry of their own; undefined: the read failed, and only says so. */
export function caseMetricsRegistry(m: CaseMetrics | undefined): Registry {
  const registry = new Registry();
  const registers = [registry];
  if (!m) {
    new Gauge({ ...DATABASE_UP, registers }).set(0);
    return registry;
  }
  setByLabel(new Gauge({ name: 'cases_by_stage', help: 'Cases by stage (Postgres cases), at scrape time.', labelNames: ['stage'], registers }), 'stage', STAGES, m.casesByStage);
  setByLabel(
    new Gauge({ name: 'emails_total', help: 'Emails by delivery status (Postgres emails), at scrape time; pending ones move to sent or failed.', labelNames: ['status'], registers }),
    'status',
    EMAIL_STATUSES,
    m.emailsByStatus,
  );
  setByLabel(new Gauge({ name: 'checkins_total', help: 'Post-infusion check-ins by state (Postgres checkins), at scrape time.', labelNames: ['state'], registers }), 'state', CHECKIN_STATES, m.checkinsByState);
  new Gauge({ name: 'alerts_open', help: 'Alerts not yet acknowledged (Postgres alerts).', registers }).set(m.alertsOpen);

  const ack = new Histogram({
    name: 'alert_acknowledgement_seconds',
    help: 'Time from raising an alert to its acknowledgement, over every acknowledged alert (Postgres alerts).',
    buckets: [...ACK_BUCKETS],
    registers,
  });
  // prom-client's Histogram takes observations, not counts read elsewhere (it has no call to set a
  // bucket: prometheus/client_js#241). The alerts of a slot lie between two bounds, and so does
  // their mean: observing the mean once per alert gives the database's buckets, count and sum.
  // One call per acknowledged alert, well under a millisecond per thousand.
  for (const [slot, { count, seconds }] of m.acknowledged.entries()) {
    // Rounding must not carry the mean past its slot's bound.
    const mean = Math.min(seconds / count, ACK_BUCKETS[slot] ?? Infinity);
    for (let i = 0; i < count; i++) ack.observe(mean);
  }

  new Gauge({ ...DATABASE_UP, registers }).set(1);
  return registry;
}

export interface HttpMetrics {
  /** Counts a request answered: http_requests_total{route,status}, in this process. */
  countRequest(route: string, status: number): void;
  /** The exposition text of one scrape: the case metrics of a (shared) read, then this process's requests. */
  scrape(): Promise<string>;
  /** The Prometheus text format's content type. */
  contentType: string;
}

export function createHttpMetrics(opts: {
  /** Reads the case metrics (bounded in time by the caller). */
  read: () => Promise<CaseMetrics>;
  /** Told once per failed read (the scrapes that shared it answer with case_metrics_database_up 0). */
  onReadFailed?: (err: unknown) => void;
}): HttpMetrics {
  const own = new Registry();
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered by this process, by route pattern and status.', labelNames: ['route', 'status'], registers: [own] });

  /** Scrapes that arrive together share one read of the database. */
  let reading: Promise<Registry> | undefined;
  const read = () =>
    (reading ??= opts
      .read()
      .then(caseMetricsRegistry, (err: unknown) => {
        opts.onReadFailed?.(err);
        return caseMetricsRegistry(undefined);
      })
      .finally(() => {
        reading = undefined;
      }));

  return {
    countRequest: (route, status) => requests.inc({ route, status }),
    scrape: async () => Registry.merge([await read(), own]).metrics(),
    contentType: own.contentType,
  };
}
