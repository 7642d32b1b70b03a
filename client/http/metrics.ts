// Case metrics for Prometheus (GET /metrics on the HTTP server), in the text exposition format.
// Counts come from Postgres at scrape time, in one statement of aggregates, so the database stays
// the one source of truth and any number of HTTP servers report the same values. Labels are
// stage, status and state names and route patterns: never a name, an address, a patient
// reference or a case id.
import { sql } from 'kysely';
import type { Db } from '../../db/connect.ts';
import { STAGES } from '../../domain/case.ts';

export const EMAIL_STATUSES = ['sent', 'failed', 'pending'] as const;
export const CHECKIN_STATES = ['answered', 'missed', 'open', 'upcoming'] as const;
/** Upper bounds (seconds) of the acknowledgement-time histogram: 1, 5, 15, 30 min, 1, 2, 4, 12, 24 h. */
export const ACK_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400] as const;

export interface CaseMetrics {
  casesByStage: Record<string, number>;
  emailsByStatus: Record<string, number>;
  checkinsByState: Record<string, number>;
  alertsOpen: number;
  /** Acknowledged alerts: how long each was open (acknowledged_at − raised_at). */
  acknowledgement: { count: number; sum: number; buckets: number[] };
}

const counts = (v: unknown): Record<string, number> => Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, n]) => [k, Number(n)]));

/** One round trip of aggregates over cases, emails, check-ins and alerts. */
export async function readCaseMetrics(db: Db): Promise<CaseMetrics> {
  const ack = sql.raw(ACK_BUCKETS.map((b) => `count(*) filter (where d <= ${b})`).join(', '));
  const { rows } = await sql<{ cases: unknown; emails: unknown; checkins: unknown; alerts_open: string | number; ack: { count: number; sum: number | string; buckets: number[] } }>`
    select
      (select coalesce(json_object_agg(stage, n), '{}'::json) from (select stage, count(*) as n from cases group by stage) s) as cases,
      (select coalesce(json_object_agg(status, n), '{}'::json) from (select status, count(*) as n from emails group by status) e) as emails,
      (select coalesce(json_object_agg(state, n), '{}'::json) from (select state, count(*) as n from checkins group by state) c) as checkins,
      (select count(*) from alerts where acknowledged_at is null) as alerts_open,
      (select json_build_object('count', count(*), 'sum', coalesce(sum(d), 0), 'buckets', json_build_array(${ack}))
         from (select greatest(extract(epoch from acknowledged_at - raised_at), 0) as d from alerts where acknowledged_at is not null) a) as ack
  `.execute(db);
  const r = rows[0]!;
  return {
    casesByStage: counts(r.cases),
    emailsByStatus: counts(r.emails),
    checkinsByState: counts(r.checkins),
    alertsOpen: Number(r.alerts_open),
    acknowledgement: { count: Number(r.ack.count), sum: Number(r.ack.sum), buckets: r.ack.buckets.map(Number) },
  };
}

// ---- exposition -------------------------------------------------------------------------------

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  samples: { suffix?: string; labels?: Labels; value: number }[];
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const formatValue = (v: number): string => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

export function renderFamilies(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = s.labels && Object.keys(s.labels).length ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${s.suffix ?? ''}${labels} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A label value from the database: a known name, else 'other' (a label never carries free text). */
const safeName = (v: string): string => (/^[a-z][a-z0-9_]{0,39}$/.test(v) ? v : 'other');

/** Every known value (zero when absent, so dashboards see a series), then any other the data holds. */
function byLabel(label: string, known: readonly string[], found: Record<string, number>): { labels: Labels; value: number }[] {
  const totals = new Map<string, number>(known.map((k) => [k, 0]));
  for (const [k, n] of Object.entries(found)) {
    const name = safeName(k);
    totals.set(name, (totals.get(name) ?? 0) + n);
  }
  return [...totals].map(([k, value]) => ({ labels: { [label]: k }, value }));
}

export function caseMetricFamilies(m: CaseMetrics): Family[] {
  const cumulative = m.acknowledgement.buckets;
  return [
    { name: 'cases_by_stage', help: 'Cases by stage (Postgres cases), at scrape time.', type: 'gauge', samples: byLabel('stage', STAGES, m.casesByStage) },
    {
      name: 'emails_total',
      help: 'Emails by delivery status (Postgres emails), at scrape time; pending ones move to sent or failed.',
      type: 'gauge',
      samples: byLabel('status', EMAIL_STATUSES, m.emailsByStatus),
    },
    { name: 'checkins_total', help: 'Post-infusion check-ins by state (Postgres checkins), at scrape time.', type: 'gauge', samples: byLabel('state', CHECKIN_STATES, m.checkinsByState) },
    { name: 'alerts_open', help: 'Alerts not yet acknowledged (Postgres alerts).', type: 'gauge', samples: [{ value: m.alertsOpen }] },
    {
      name: 'alert_acknowledgement_seconds',
      help: 'Time from raising an alert to its acknowledgement, over every acknowledged alert (Postgres alerts).',
      type: 'histogram',
      samples: [
        ...ACK_BUCKETS.map((le, i) => ({ suffix: '_bucket', labels: { le: String(le) }, value: cumulative[i] ?? 0 })),
        { suffix: '_bucket', labels: { le: '+Inf' }, value: m.acknowledgement.count },
        { suffix: '_sum', value: m.acknowledgement.sum },
        { suffix: '_count', value: m.acknowledgement.count },
      ],
    },
  ];
}

/** http_requests_total{route,status}, counted in this process. */
export function createRequestCounter() {
  const counts = new Map<string, { route: string; status: string; n: number }>();
  return {
    inc(route: string, status: number): void {
      const key = `${route}\u0000${status}`;
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { route, status: String(status), n: 1 });
    },
    family(): Family {
      return {
        name: 'http_requests_total',
        help: 'HTTP requests answered by this process, by route pattern and status.',
        type: 'counter',
        samples: [...counts.values()].map((c) => ({ labels: { route: c.route, status: c.status }, value: c.n })),
      };
    },
  };
}
export type RequestCounter = ReturnType<typeof createRequestCounter>;

export function databaseUpFamily(up: boolean): Family {
  return { name: 'case_metrics_database_up', help: 'Whether this scrape could read the case metrics from Postgres (1) or not (0).', type: 'gauge', samples: [{ value: up ? 1 : 0 }] };
}
