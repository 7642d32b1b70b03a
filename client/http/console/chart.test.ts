// The monitoring chart as a coordinator meets it: the summary in words, the exact figures in the
// table, shapes that do not rely on colour at the right day, the fever line, clamped points with
// exact table values, the unusual windows (nothing answered, ended early, all on day 0), and nothing
// the console's Content-Security-Policy would block. Positions are checked against the chart's own
// day ticks and temperature gridlines, so the tests hold if the layout's margins change but fail if
// a point lands on the wrong day or temperature.
import { describe, expect, it } from 'vitest';
import { checkinSchedule, protocolSchema, type CheckinStatus } from '../../../domain/monitoring.ts';
import { monitoringChart as drawChart, type ChartData } from './chart.ts';

const monitoringChart = (data: ChartData): string => drawChart(data).value;

const ZONE = 'Europe/Madrid'; // UTC+1 in December: 08:00Z is 09:00 local
const INFUSION = '2026-12-01T08:00:00.000Z';
const schedule = checkinSchedule(Date.parse(INFUSION), protocolSchema().parse({}), ZONE);
const iso = (t: number) => new Date(t).toISOString();
const planned: CheckinStatus[] = schedule.checkins.map((c) => ({ id: c.id, day: c.day, dueAt: iso(c.dueAt), expiresAt: iso(c.expiresAt), state: 'upcoming' }));
const withState = (id: number, patch: Partial<CheckinStatus>) => planned.map((c) => (c.id === id ? { ...c, ...patch } : c));

function progress(...patches: [number, Partial<CheckinStatus>][]): CheckinStatus[] {
  return patches.reduce((list, [id, patch]) => list.map((c) => (c.id === id ? { ...c, ...patch } : c)), planned);
}

const data: ChartData = {
  infusionAt: INFUSION,
  windowEndsAt: iso(schedule.windowEndsAt),
  now: '2026-12-03T21:00:00.000Z',
  timeZone: ZONE,
  checkins: progress(
    [1, { state: 'answered', answeredAt: '2026-12-01T20:10:00.000Z', temperatureC: 37.2, tier: 'none' }],
    [2, { state: 'answered', answeredAt: '2026-12-02T08:30:00.000Z', temperatureC: 42.3, tier: 'urgent' }],
    [3, { state: 'missed', escalation: 'coordinator' }],
    [4, { state: 'answered', answeredAt: '2026-12-03T08:05:00.000Z', temperatureC: null, tier: 'none' }],
    [5, { state: 'open' }],
  ),
  observations: [
    { at: '2026-12-02T11:00:00.000Z', temperatureC: 39.1, crsGrade: 2, icansGrade: 1 },
    { at: '2026-12-03T09:00:00.000Z', temperatureC: 34.2, crsGrade: 0, icansGrade: 0 },
  ],
};

// ---- reading the markup ------------------------------------------------------------------------

type Attrs = Record<string, string>;
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

function svgOf(markup: string): string {
  const m = /<svg[\s\S]*?<\/svg>/.exec(markup);
  if (!m) throw new Error('no <svg>');
  return m[0];
}

function elements(markup: string, tag: string): Attrs[] {
  const found: Attrs[] = [];
  for (const m of svgOf(markup).matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))) {
    found.push(Object.fromEntries([...m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
  }
  return found;
}

function one(markup: string, tag: string, where: Attrs): Attrs {
  const hits = elements(markup, tag).filter((e) => Object.entries(where).every(([k, v]) => e[k] === v));
  expect(hits, `${tag} ${JSON.stringify(where)}`).toHaveLength(1);
  return hits[0]!;
}

function tableRows(markup: string): string[][] {
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(markup)![1]!;
  return [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => unescape(c[1]!)));
}

/** Where the chart puts an instant: inside the band of its local day, in proportion to its local time. */
function expectedX(markup: string, day: number, localHour: number, localMinute: number): number {
  const from = Number(one(markup, 'line', { 'data-day': String(day) }).x1);
  const to = Number(one(markup, 'line', { 'data-day': String(day + 1) }).x1);
  return from + ((localHour * 60 + localMinute) / (24 * 60)) * (to - from);
}

/** Where the chart puts a temperature, from its own 35 and 41 °C gridlines. */
function expectedY(markup: string, c: number): number {
  const y35 = Number(one(markup, 'line', { 'data-temp': '35' }).y1);
  const y41 = Number(one(markup, 'line', { 'data-temp': '41' }).y1);
  return y35 + ((c - 35) / 6) * (y41 - y35);
}

// ---- the tests ---------------------------------------------------------------------------------

describe('the monitoring chart', () => {
  const out = monitoringChart(data);

  it('summarises in words what the drawing shows: counts, the highest temperature and grades', () => {
    const summary = '3 check-ins answered, 1 missed, 1 open now, 17 upcoming. Highest temperature 42.3 °C, a fever, on day 1. Highest clinical grades: CRS 2, ICANS 1.';
    expect(out).toMatch(/^<figure class="chart">/);
    expect(out).toMatch(/<svg viewBox="0 0 \d+ \d+"[^>]* role="img" aria-labelledby="chart-title chart-desc"/);
    expect(out).toContain('<title id="chart-title">Temperatures, check-ins and clinical grades, days 0 to 14 after infusion</title>');
    expect(out).toContain(`<desc id="chart-desc">${summary}</desc>`);
    expect(out).toContain(`<figcaption>${summary}</figcaption>`);
  });

  it('lists every check-in and observation in time order with times in the family zone and exact values', () => {
    expect(out).toContain('<caption>Check-ins and clinical observations in time order; times in Europe/Madrid</caption>');
    expect(out).toMatch(/<th scope="col">Day<\/th>.*<th scope="col">Temperature<\/th>/);
    const rows = tableRows(out);
    expect(rows).toHaveLength(planned.length + data.observations.length);
    expect(rows.slice(0, 7)).toEqual([
      ['0', 'Tue 1 Dec, 21:00, answered Tue 1 Dec, 21:10', 'Check-in 1', '37.2 °C', 'answered; tier: none'],
      ['1', 'Wed 2 Dec, 09:00, answered Wed 2 Dec, 09:30', 'Check-in 2', '42.3 °C (fever)', 'answered; tier: urgent'],
      ['1', 'Wed 2 Dec, 12:00', 'Clinical observation', '39.1 °C (fever)', 'CRS 2, ICANS 1'],
      ['1', 'Wed 2 Dec, 21:00', 'Check-in 3', '–', 'missed; escalated to coordinator'],
      ['2', 'Thu 3 Dec, 09:00, answered Thu 3 Dec, 09:05', 'Check-in 4', 'not taken', 'answered; tier: none'],
      ['2', 'Thu 3 Dec, 10:00', 'Clinical observation', '34.2 °C', 'CRS 0, ICANS 0'],
      ['2', 'Thu 3 Dec, 21:00', 'Check-in 5', '–', 'open'],
    ]);
    expect(rows.at(-1)).toEqual(['14', 'Tue 15 Dec, 09:00', 'Check-in 22', '–', 'upcoming']);
    expect(out).toMatch(/<tr><th scope="row">0<\/th>/);
  });

  it('draws an answered check-in as a filled circle on its day at its temperature, a missed one as a cross, open and upcoming ones hollow', () => {
    // Check-in 1 was answered at 21:10 on day 0, 37.2 °C.
    const answered = one(out, 'circle', { 'data-checkin': '1' });
    expect(answered['data-state']).toBe('answered');
    expect(answered.fill).toBe('#0b57d0');
    expect(Math.abs(Number(answered.cx) - expectedX(out, 0, 21, 10))).toBeLessThanOrEqual(0.15);
    expect(Math.abs(Number(answered.cy) - expectedY(out, 37.2))).toBeLessThanOrEqual(0.15);

    // Check-in 3 (day 1, due 21:00) was missed: two crossing strokes centred there, on the axis bottom.
    const missed = one(out, 'path', { 'data-checkin': '3' });
    expect(missed['data-state']).toBe('missed');
    expect(missed.fill).toBe('none');
    expect(missed.stroke).toBe('#b3261e');
    const [a, b, c, d] = [...missed.d!.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    const centre = [(a![0] + b![0]) / 2, (a![1] + b![1]) / 2];
    expect(Math.abs(centre[0]! - expectedX(out, 1, 21, 0))).toBeLessThanOrEqual(0.15);
    expect(Math.abs(centre[1]! - expectedY(out, 35))).toBeLessThanOrEqual(0.15);
    expect([(c![0] + d![0]) / 2, (c![1] + d![1]) / 2]).toEqual(centre);
    expect(Math.sign(b![1] - a![1])).toBe(-Math.sign(d![1] - c![1])); // the strokes cross, not overlap
    expect(elements(out, 'circle').filter((e) => e['data-checkin'] === '3')).toHaveLength(0);

    const open = one(out, 'circle', { 'data-checkin': '5' });
    const upcoming = one(out, 'circle', { 'data-checkin': '6' });
    expect([open['data-state'], open.fill, upcoming['data-state'], upcoming.fill]).toEqual(['open', '#ffffff', 'upcoming', '#ffffff']);
    expect(Math.abs(Number(upcoming.cx) - expectedX(out, 3, 9, 0))).toBeLessThanOrEqual(0.15);
  });

  it('puts an answered check-in without a temperature on the axis bottom and leaves it out of the line', () => {
    const noTemperature = one(out, 'circle', { 'data-checkin': '4' });
    expect(noTemperature.fill).toBe('#0b57d0');
    expect(Math.abs(Number(noTemperature.cy) - expectedY(out, 35))).toBeLessThanOrEqual(0.15);
    const points = one(out, 'polyline', {}).points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    // 37.2 (day 0), 42.3 clamped to 41 (day 1), 39.1 (day 1, observation), 34.2 clamped to 35 (day 2): chronological.
    expect(points).toHaveLength(4);
    expect(points.map(([x]) => x)).toEqual([...points.map(([x]) => x)].sort((p, q) => p - q));
    [37.2, 41, 39.1, 35].forEach((c, i) => expect(Math.abs(points[i]![1] - expectedY(out, c))).toBeLessThanOrEqual(0.15));

    // An observation taken before the first check-in answer comes first on the line.
    const earlyObservation = monitoringChart({ ...data, observations: [{ at: '2026-12-01T10:00:00.000Z', temperatureC: 36.9, crsGrade: 0, icansGrade: 0 }] });
    const ys = one(earlyObservation, 'polyline', {}).points!.split(' ').map((p) => Number(p.split(',')[1]));
    expect(Math.abs(ys[0]! - expectedY(earlyObservation, 36.9))).toBeLessThanOrEqual(0.15);
    expect(Math.abs(ys[1]! - expectedY(earlyObservation, 37.2))).toBeLessThanOrEqual(0.15);
  });

  it('draws the fever line at 38 °C, and a clinical observation as a square labelled with its grades', () => {
    const fever = one(out, 'line', { 'data-fever': '' });
    expect(Math.abs(Number(fever.y1) - expectedY(out, 38))).toBeLessThanOrEqual(0.05);
    expect(fever.y2).toBe(fever.y1);
    expect(fever['stroke-dasharray']).toBeTruthy();
    expect(out).toContain('>fever 38.0 °C</text>');

    const graded = one(out, 'rect', { 'data-observation': '0' });
    expect([graded.width, graded.height, graded.fill]).toEqual(['10', '10', '#b3261e']);
    expect(Math.abs(Number(graded.x) + 5 - expectedX(out, 1, 12, 0))).toBeLessThanOrEqual(0.15);
    expect(Math.abs(Number(graded.y) + 5 - expectedY(out, 39.1))).toBeLessThanOrEqual(0.15);
    expect(out).toMatch(/<text [^>]*>G2 I1<\/text>/);
    // A grade-0 observation is a square without a grade label.
    expect(one(out, 'rect', { 'data-observation': '1' }).fill).toBe('#1f2933');
    expect(out.match(/>G\d/g)).toHaveLength(1);
  });

  it('clamps a temperature outside 35–41 °C to the edge of the drawing, with its exact value beside it and in the table', () => {
    const hot = one(out, 'circle', { 'data-checkin': '2' });
    expect(Math.abs(Number(hot.cy) - expectedY(out, 41))).toBeLessThanOrEqual(0.05);
    expect(out).toContain('>↑42.3 °C</text>');
    expect(tableRows(out).find((r) => r[2] === 'Check-in 2')![3]).toBe('42.3 °C (fever)');

    const cold = one(out, 'rect', { 'data-observation': '1' });
    expect(Math.abs(Number(cold.y) + 5 - expectedY(out, 35))).toBeLessThanOrEqual(0.05);
    expect(out).toContain('>↓34.2 °C</text>');
  });

  it('draws a "now" line at data.now, inside the window only', () => {
    const now = one(out, 'line', { 'data-now': '' });
    expect(Math.abs(Number(now.x1) - expectedX(out, 2, 22, 0))).toBeLessThanOrEqual(0.15);
    expect(elements(monitoringChart({ ...data, now: '2027-01-10T00:00:00.000Z' }), 'line').filter((e) => 'data-now' in e)).toHaveLength(0);
  });

  it('gives every coordinate at most one decimal', () => {
    const numbers = [...svgOf(out).matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height|points|d)="([^"]*)"/g)].flatMap((m) => m[1]!.match(/-?\d+(?:\.\d+)?/g) ?? []);
    expect(numbers.length).toBeGreaterThan(100);
    expect(numbers.filter((v) => /\.\d{2,}/.test(v))).toEqual([]);
  });

  it('says so when nothing is answered yet and draws no temperature line', () => {
    const fresh = monitoringChart({ ...data, now: '2026-12-01T09:00:00.000Z', checkins: planned, observations: [] });
    expect(fresh).toContain('<desc id="chart-desc">0 check-ins answered, 0 missed, 22 upcoming. No temperature reported yet. No clinical observation recorded.</desc>');
    expect(elements(fresh, 'polyline')).toHaveLength(0);
    expect(elements(fresh, 'circle').filter((e) => e['data-state'] === 'upcoming')).toHaveLength(22);
    expect(tableRows(fresh)[0]).toEqual(['0', 'Tue 1 Dec, 21:00', 'Check-in 1', '–', 'upcoming']);

    const empty = monitoringChart({ ...data, checkins: [], observations: [] });
    expect(tableRows(empty)).toEqual([['No check-ins or observations yet.']]);
  });

  it('shows a window ended early: unsent check-ins are neither upcoming nor drawn, and the rest of the window is shaded', () => {
    const ended = monitoringChart({ ...data, ended: { at: '2026-12-03T10:00:00.000Z', reason: 'ended early by coordinator@care.example' } });
    expect(ended).toContain(
      '<desc id="chart-desc">3 check-ins answered, 1 missed, 1 open now, 0 upcoming, 17 not sent. Highest temperature 42.3 °C, a fever, on day 1. Highest clinical grades: CRS 2, ICANS 1. Monitoring ended Thu 3 Dec, 11:00 (ended early by coordinator@care.example).</desc>',
    );
    expect(elements(ended, 'circle').filter((e) => e['data-state'] === 'upcoming' || e['data-checkin'] === '6')).toHaveLength(0);
    expect(tableRows(ended).find((r) => r[2] === 'Check-in 6')![4]).toBe('not sent (monitoring ended)');
    const shade = one(ended, 'rect', { 'data-ended': '' });
    expect(Math.abs(Number(shade.x) - expectedX(ended, 2, 11, 0))).toBeLessThanOrEqual(0.15);
    expect(ended).toContain('>monitoring ended</text>');
  });

  it('keeps a one-day axis when all data is on day 0 and the window ends there', () => {
    const day0 = monitoringChart({
      ...data,
      windowEndsAt: INFUSION,
      now: '2026-12-01T12:00:00.000Z',
      checkins: [{ ...planned[0]!, state: 'answered', answeredAt: '2026-12-01T20:00:00.000Z', temperatureC: 38.4, tier: 'contact_team' }],
      observations: [{ at: '2026-12-01T10:00:00.000Z', temperatureC: 37.1, crsGrade: 0, icansGrade: 0 }],
    });
    expect(day0).toContain('days 0 to 0 after infusion');
    expect(elements(day0, 'line').filter((e) => 'data-day' in e)).toHaveLength(1);
    const dot = one(day0, 'circle', { 'data-checkin': '1' });
    const left = Number(one(day0, 'line', { 'data-day': '0' }).x1);
    const right = Number(one(day0, 'line', { 'data-temp': '35' }).x2);
    expect(Math.abs(Number(dot.cx) - (left + (21 / 24) * (right - left)))).toBeLessThanOrEqual(0.15);
    expect(day0).not.toMatch(/NaN|Infinity/);
    expect(tableRows(day0).map((r) => r[0])).toEqual(['0', '0']);
  });

  it('never rounds a temperature up across the fever line, and shows a converted °F reading as given', () => {
    const rows = tableRows(
      monitoringChart({
        ...data,
        checkins: withState(1, { state: 'answered', answeredAt: '2026-12-01T20:10:00.000Z', temperatureC: 37.996, tier: 'none' }),
        observations: [{ at: '2026-12-02T11:00:00.000Z', temperatureC: ((100.4 - 32) * 5) / 9, crsGrade: 1, icansGrade: 0 }],
      }),
    );
    expect(rows.find((r) => r[2] === 'Check-in 1')![3]).toBe('37.99 °C');
    expect(rows.find((r) => r[2] === 'Clinical observation')![3]).toBe('38.0 °C (fever)');
  });

  it('escapes text from the data and uses no inline style or script', () => {
    const hostile = '<img src=x onerror=alert(1)> & "quoted"';
    const out2 = monitoringChart({
      ...data,
      checkins: withState(1, { state: hostile as CheckinStatus['state'], tier: hostile as CheckinStatus['tier'] }),
      ended: { at: '2026-12-03T10:00:00.000Z', reason: hostile },
    });
    expect(out2).not.toContain('<img');
    expect(out2).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;');
    expect(out2).toMatch(/data-state="&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quoted&quot;"/);
    for (const markup of [out, out2, monitoringChart({ ...data, checkins: [], observations: [] })]) {
      expect(markup).not.toMatch(/\sstyle\s*=/i);
      expect(markup).not.toMatch(/<script|<style|\son\w+\s*=\s*"/i);
    }
  });
});
