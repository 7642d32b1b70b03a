// The monitoring chart shows what a coordinator needs at a glance and the exact figures beside it:
// shapes that do not rely on colour, the fever line, clamped points with exact table values, and
// nothing the page's Content-Security-Policy would block.
import { describe, expect, it } from 'vitest';
import type { CheckinStatus } from '../../../domain/monitoring.ts';
import { monitoringChart, type ChartData } from './chart.ts';

const DAY = 86_400_000;
const day0 = Date.parse('2026-12-01T08:00:00Z');
const at = (d: number, h = 0) => new Date(day0 + d * DAY + h * 3_600_000).toISOString();
const checkin = (id: number, day: number, state: CheckinStatus['state'], extra: Partial<CheckinStatus> = {}): CheckinStatus => ({ id, day, dueAt: at(day, 1), expiresAt: at(day + 1, 1), state, ...extra });

const data: ChartData = {
  infusionAt: at(0),
  windowEndsAt: at(14),
  now: at(2, 6),
  timeZone: 'Europe/Madrid',
  checkins: [
    checkin(1, 0, 'answered', { answeredAt: at(0, 1), temperatureC: 37.2, tier: 'none' }),
    checkin(2, 1, 'answered', { answeredAt: at(1, 1), temperatureC: 42.3, tier: 'urgent' }),
    checkin(3, 2, 'missed', { escalation: 'coordinator' }),
    checkin(4, 3, 'upcoming'),
  ],
  observations: [{ at: at(1, 3), temperatureC: 39.1, crsGrade: 2, icansGrade: 1 }],
};

/** The x of the plot for a day, as the chart lays it out (44 px left, 12 px right, 720 wide, 14 days). */
const xOf = (t: number) => Math.round((44 + ((t - day0) / (14 * DAY)) * (720 - 44 - 12)) * 10) / 10;
const yOf = (c: number) => Math.round((14 + ((41 - c) / 6) * (260 - 14 - 34)) * 10) / 10;

describe('the monitoring chart', () => {
  const out = monitoringChart(data);

  it('summarises in words what the shapes show', () => {
    const summary = '2 check-ins answered, 1 missed, 1 upcoming. Highest temperature 42.3 °C. Highest clinical grades: CRS 2, ICANS 1.';
    expect(out).toContain(`<desc id="chart-desc">${summary}</desc>`);
    expect(out).toContain(`<figcaption>${summary}</figcaption>`);
    expect(out).toMatch(/role="img" aria-labelledby="chart-title chart-desc"/);
  });

  it('draws an answered check-in as a filled circle at its time and temperature, a missed one as a cross', () => {
    expect(out).toContain(`<circle data-checkin="1" data-state="answered" cx="${xOf(Date.parse(at(0, 1)))}" cy="${yOf(37.2)}" r="5" fill="#0b57d0">`);
    const missed = new RegExp(`<path data-checkin="3" data-state="missed" d="M${xOf(Date.parse(at(2, 1))) - 5},`);
    expect(out).toMatch(missed);
    expect(out).toMatch(/<circle data-checkin="4" data-state="upcoming"[^>]*fill="#fff"/);
  });

  it('marks the fever line at 38 °C and the clinical observation with its CRS grade', () => {
    expect(out).toContain(`<line data-fever="" x1="44" y1="${yOf(38)}"`);
    expect(out).toContain(`>G2</text>`);
  });

  it('clamps a temperature above the axis in the drawing but gives it exactly in the table', () => {
    expect(out).toContain(`<circle data-checkin="2" data-state="answered" cx="${xOf(Date.parse(at(1, 1)))}" cy="${yOf(41)}"`);
    expect(out).toContain('<td>42.3 °C</td>');
    expect(out).toContain('missed (escalated: coordinator)');
    // Times in the family's zone: 09:00 UTC is 10:00 in Madrid in December.
    expect(out).toContain('check-in 1: 1 Dec, 10:00');
  });

  it('uses no inline style and no script, and says so when nothing is reported yet', () => {
    expect(out).not.toMatch(/style=|<script/i);
    const empty = monitoringChart({ ...data, checkins: [checkin(1, 0, 'upcoming')], observations: [] });
    expect(empty).toContain('0 check-ins answered, 0 missed, 1 upcoming. No temperature reported yet.');
    expect(empty).not.toContain('<polyline');
  });
});
