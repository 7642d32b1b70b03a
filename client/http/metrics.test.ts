import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACK_BUCKETS, caseMetricsRegistry, createHttpMetrics, readCaseMetrics, type AckSlot, type CaseMetrics } from './metrics.ts';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';

/** Slots for ACK_BUCKETS from [slot, count, seconds] triples; every other slot empty. */
function slots(...filled: [number, number, number][]): AckSlot[] {
  const out: AckSlot[] = Array.from({ length: ACK_BUCKETS.length + 1 }, () => ({ count: 0, seconds: 0 }));
  for (const [slot, count, seconds] of filled) out[slot] = { count, seconds };
  return out;
}

const metrics: CaseMetrics = {
  casesByStage: { records: 2, monitoring: 1 },
  emailsByStatus: { sent: 7, failed: 1 },
  checkinsByState: { upcoming: 20, answered: 1 },
  alertsOpen: 3,
  // One alert acknowledged after 40 s, two after 180.25 s each: 400.5 s over three.
  acknowledged: slots([0, 1, 40], [1, 2, 360.5]),
};

/** The value of one sample (`name{labels}`, labels in the order rendered), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('case metrics of one read (prom-client)', () => {
  it('renders every known label value (zero when absent), alerts open, and says the database was read', async () => {
    const text = await caseMetricsRegistry(metrics).metrics();
    expect(text).toContain('# TYPE cases_by_stage gauge\n');
    expect(text).toContain('cases_by_stage{stage="records"} 2\n');
    expect(text).toContain('cases_by_stage{stage="hospital_review"} 0\n');
    expect(text).toContain('# TYPE emails_total gauge\n');
    expect(text).toContain('emails_total{status="pending"} 0\n');
    expect(text).toContain('checkins_total{state="missed"} 0\n');
    expect(text).toContain('checkins_total{state="upcoming"} 20\n');
    expect(text).toContain('alerts_open 3\n');
    expect(sample(text, 'case_metrics_database_up')).toBe(1);
  });

  it('rebuilds the acknowledgement histogram from the slots: cumulative buckets up to +Inf, the exact sum and count', async () => {
    const text = await caseMetricsRegistry(metrics).metrics();
    expect(text).toContain('# TYPE alert_acknowledgement_seconds histogram\n');
    const buckets = text.split('\n').filter((l) => l.startsWith('alert_acknowledgement_seconds_bucket'));
    expect(buckets).toEqual([...ACK_BUCKETS.map((le) => `alert_acknowledgement_seconds_bucket{le="${le}"} ${le === 60 ? 1 : 3}`), 'alert_acknowledgement_seconds_bucket{le="+Inf"} 3']);
    expect(sample(text, 'alert_acknowledgement_seconds_sum')).toBeCloseTo(400.5, 9);
    expect(sample(text, 'alert_acknowledgement_seconds_count')).toBe(3);
  });

  it('keeps an alert on its bucket bound in that bucket, and one past every bound only in +Inf', async () => {
    // Three alerts of exactly 300 s (their mean must not round past the bound), one of two days.
    const text = await caseMetricsRegistry({ ...metrics, acknowledged: slots([1, 3, 900], [ACK_BUCKETS.length, 1, 172_800]) }).metrics();
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="60"}')).toBe(0);
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="300"}')).toBe(3);
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="86400"}')).toBe(3);
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(sample(text, 'alert_acknowledgement_seconds_sum')).toBe(173_700);
  });

  it('never turns free text from the database into a label value', async () => {
    const text = await caseMetricsRegistry({ ...metrics, casesByStage: { records: 1, 'Lucía Fernández': 1, 'x"}\n': 2 } }).metrics();
    expect(text).not.toContain('Lucía');
    expect(text).toContain('cases_by_stage{stage="other"} 3\n');
  });
});

describe('GET /metrics scrapes (createHttpMetrics)', () => {
  it('counts requests by route pattern and status, escaping label values, in the text format', async () => {
    const m = createHttpMetrics({ read: async () => metrics });
    m.countRequest('/checkin/:token', 200);
    m.countRequest('/checkin/:token', 200);
    m.countRequest('/checkin/:token', 429);
    m.countRequest('a"b\\c', 500);
    const text = await m.scrape();
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain(
      [
        '# HELP http_requests_total HTTP requests answered by this process, by route pattern and status.',
        '# TYPE http_requests_total counter',
        'http_requests_total{route="/checkin/:token",status="200"} 2',
        'http_requests_total{route="/checkin/:token",status="429"} 1',
        'http_requests_total{route="a\\"b\\\\c",status="500"} 1',
        '',
      ].join('\n'),
    );
    expect(text).toContain('cases_by_stage{stage="records"} 2\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('scrapes that arrive together share one read; the next scrape reads again', async () => {
    let reads = 0;
    let release!: () => void;
    const m = createHttpMetrics({
      read: () => {
        reads++;
        return new Promise((resolve) => (release = () => resolve({ ...metrics, alertsOpen: reads })));
      },
    });
    const together = [m.scrape(), m.scrape(), m.scrape()];
    release();
    const texts = await Promise.all(together);
    expect(reads).toBe(1);
    for (const t of texts) expect(sample(t, 'alerts_open')).toBe(1);
    const next = m.scrape();
    release();
    expect(sample(await next, 'alerts_open')).toBe(2);
    expect(reads).toBe(2);
  });

  it('without the database: case_metrics_database_up 0, no case metric at all, requests still counted; told once per read', async () => {
    const failures: unknown[] = [];
    const m = createHttpMetrics({ read: () => Promise.reject(new Error('connect ECONNREFUSED')), onReadFailed: (err) => failures.push(err) });
    m.countRequest('/metrics', 401);
    const [text] = await Promise.all([m.scrape(), m.scrape()]);
    expect(sample(text!, 'case_metrics_database_up')).toBe(0);
    for (const name of ['cases_by_stage', 'emails_total', 'checkins_total', 'alerts_open', 'alert_acknowledgement_seconds']) expect(text).not.toContain(name);
    expect(sample(text!, 'http_requests_total{route="/metrics",status="401"}')).toBe(1);
    expect(failures).toHaveLength(1);
  });
});

describe('readCaseMetrics (Postgres)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('counts alerts by their time to acknowledgement, a bound belonging to the bucket it closes', async () => {
    const db = database.db;
    const t0 = new Date('2026-11-24T08:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    await db.insertInto('cases').values({ case_id: 'c0123456789ab', patient_ref: 'P-1', diagnosis: 'd', therapy: 't', stage: 'monitoring', waiting_for: null, chosen_hospital: null, close_reason: null, opened_at: t0, updated_at: t0, closed_at: null }).execute();
    const alert = (id: string, acknowledgedAfter: number | null) => ({
      case_id: 'c0123456789ab',
      alert_id: id,
      kind: 'checkin_missed',
      tier: null,
      message: 'm',
      raised_at: t0,
      acknowledged_at: acknowledgedAfter === null ? null : at(acknowledgedAfter),
      acknowledged_by: acknowledgedAfter === null ? null : 'a',
    });
    await db.insertInto('alerts').values([alert('a1', 60), alert('a2', 61.5), alert('a3', 300), alert('a4', 100_000), alert('a5', null)]).execute();

    const m = await readCaseMetrics(db);
    expect(m.alertsOpen).toBe(1);
    expect(m.casesByStage).toEqual({ monitoring: 1 });
    expect(m.acknowledged).toEqual(slots([0, 1, 60], [1, 2, 361.5], [ACK_BUCKETS.length, 1, 100_000]));
    const text = await caseMetricsRegistry(m).metrics();
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="60"}')).toBe(1);
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="300"}')).toBe(3);
    expect(sample(text, 'alert_acknowledgement_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(sample(text, 'alert_acknowledgement_seconds_sum')).toBeCloseTo(100_421.5, 6);
  });
});
