import { describe, expect, it } from 'vitest';
import { caseMetricFamilies, createRequestCounter, renderFamilies } from './metrics.ts';

describe('case metrics exposition', () => {
  const metrics = {
    casesByStage: { records: 2, monitoring: 1 },
    emailsByStatus: { sent: 7, failed: 1 },
    checkinsByState: { upcoming: 20, answered: 1 },
    alertsOpen: 3,
    acknowledgement: { count: 2, sum: 400.5, buckets: [1, 1, 2, 2, 2, 2, 2, 2, 2] },
  };

  it('renders every known label value (zero when absent), and the histogram cumulatively up to +Inf', () => {
    const text = renderFamilies(caseMetricFamilies(metrics));
    expect(text).toContain('# TYPE cases_by_stage gauge\n');
    expect(text).toContain('cases_by_stage{stage="records"} 2\n');
    expect(text).toContain('cases_by_stage{stage="hospital_review"} 0\n');
    expect(text).toContain('emails_total{status="pending"} 0\n');
    expect(text).toContain('checkins_total{state="missed"} 0\n');
    expect(text).toContain('alerts_open 3\n');
    expect(text).toContain('# TYPE alert_acknowledgement_seconds histogram\n');
    const buckets = text.split('\n').filter((l) => l.startsWith('alert_acknowledgement_seconds_bucket'));
    expect(buckets[0]).toBe('alert_acknowledgement_seconds_bucket{le="60"} 1');
    expect(buckets.at(-1)).toBe('alert_acknowledgement_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('alert_acknowledgement_seconds_sum 400.5\n');
    expect(text).toContain('alert_acknowledgement_seconds_count 2\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('never turns free text from the database into a label value', () => {
    const text = renderFamilies(caseMetricFamilies({ ...metrics, casesByStage: { records: 1, 'Lucía Fernández': 1, 'x"}\n': 2 } }));
    expect(text).not.toContain('Lucía');
    expect(text).toContain('cases_by_stage{stage="other"} 3\n');
  });

  it('counts requests by route pattern and status, escaping label values', () => {
    const c = createRequestCounter();
    c.inc('/checkin/:token', 200);
    c.inc('/checkin/:token', 200);
    c.inc('/checkin/:token', 429);
    c.inc('a"b\\c', 500);
    const text = renderFamilies([c.family()]);
    expect(text).toBe(
      [
        '# HELP http_requests_total HTTP requests answered by this process, by route pattern and status.',
        '# TYPE http_requests_total counter',
        'http_requests_total{route="/checkin/:token",status="200"} 2',
        'http_requests_total{route="/checkin/:token",status="429"} 1',
        'http_requests_total{route="a\\"b\\\\c",status="500"} 1',
        '',
      ].join('\n'),
    );
  });
});
