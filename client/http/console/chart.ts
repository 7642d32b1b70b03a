// The case page's post-infusion monitoring chart, drawn on the server as an inline SVG with the same
// figures in a table. The page's Content-Security-Policy allows no scripts and no style="" attributes,
// so the drawing uses SVG presentation attributes only and looks right without any page CSS. Markers
// differ in shape as well as colour (answered ●, missed ✕, open/upcoming ○, clinical observation ■)
// so the chart does not depend on colour vision; the table carries the exact values a drawing rounds
// or clamps, and is what a screen reader can step through.
//
// The x axis is the family's calendar (days in their zone, as the check-in schedule counts them), so
// a "day 3" check-in falls inside the band labelled 3 whatever the hour of the infusion.
import type { CheckinState, CheckinStatus } from '../../../domain/monitoring.ts';
import { ASTCT_FEVER_C, atOrAbove } from '../../../domain/crs.ts';
import { addLocalDays, fromLocal, toLocal } from '../../../domain/time.ts';
import { html, type Html } from './html.ts';

export interface ChartObservation {
  at: string;
  temperatureC: number | null;
  crsGrade: number;
  icansGrade: number;
}

export interface ChartData {
  /** Day 0. */
  infusionAt: string;
  /** End of the monitoring window (the schedule's, even when monitoring ended early). */
  windowEndsAt: string;
  /** The "now" line is drawn at this instant when it falls inside the window. */
  now: string;
  /** The family's IANA zone: day bands, day numbers and the table's times are theirs. */
  timeZone: string;
  checkins: CheckinStatus[];
  /** Clinical observations by the hospital team, with their ASTCT grades. */
  observations: ChartObservation[];
  /**
   * MonitoringStatus.ended. Optional, but without it a window ended early still shows its unsent
   * check-ins as upcoming, because the workflow leaves them in that state.
   */
  ended?: { at: string; reason: string };
}

// Geometry, in viewBox units (the SVG scales to its container's width).
const W = 720;
const H = 300;
const LEFT = 48;
const RIGHT = 16;
const TOP = 34;
const PLOT_BOTTOM = 226;
const T_MIN = 35;
const T_MAX = 41;
const DAY_MS = 86_400_000;

// Every colour used for meaning has at least 3:1 contrast on white (WCAG 1.4.11):
// ink #1f2933 14.8:1, blue #0b57d0 6.4:1, red #b3261e 6.5:1, grey #4b5563 7.6:1.
// The gridlines and the ended-window shading are decorative, so they may be fainter.
const INK = '#1f2933';
const BLUE = '#0b57d0';
const RED = '#b3261e';
const GREY = '#4b5563';
const GRID = '#e5e7eb';
const SHADE = '#f3f4f6';

/** A coordinate for an attribute: one decimal, so the markup stays small and stable. */
const n = (v: number): string => String(Math.round(v * 10) / 10);
const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * A temperature as a clinician should read it: one decimal when that is exact, else two, and never
 * rounded up across the fever line: 37.996 °C is not a fever and must not read "38.00".
 */
function celsiusText(c: number): string {
  // The tolerance is the domain's float tolerance (a billionth of a degree), so it cannot lift a
  // non-fever to "38.0".
  if (Math.abs(c * 10 - Math.round(c * 10)) < 1e-8) return `${c.toFixed(1)} °C`;
  let hundredths = Math.round(c * 100);
  if (!atOrAbove(c, ASTCT_FEVER_C) && hundredths >= ASTCT_FEVER_C * 100) hundredths = ASTCT_FEVER_C * 100 - 1;
  return `${(hundredths / 100).toFixed(2)} °C`;
}

type Shown = CheckinState | 'not sent';

/** A reported temperature at an instant. */
interface Reading {
  t: number;
  c: number;
}

export function monitoringChart(data: ChartData): Html {
  const zone = data.timeZone;
  const infusion = Date.parse(data.infusionAt);
  const now = Date.parse(data.now);
  const day0 = toLocal(infusion, zone);
  const midnight = (day: number) => fromLocal({ ...addLocalDays(day0, day), hour: 0, minute: 0 }, zone);
  const start = midnight(0);
  const windowEnd = Date.parse(data.windowEndsAt);
  // A window that ends on day 0 (or bad data) still gets day 0 whole, so the axis never collapses.
  const end = Number.isFinite(windowEnd) ? Math.max(windowEnd, midnight(1)) : midnight(1);

  const bounds: number[] = [];
  for (let day = 0; day <= 400; day++) {
    const m = midnight(day);
    if (m >= end) break;
    bounds.push(m);
  }
  const lastDay = bounds.length - 1;

  const x = (t: number) => LEFT + ((clamp(t, start, end) - start) / (end - start)) * (W - LEFT - RIGHT);
  const y = (c: number) => TOP + ((T_MAX - clamp(c, T_MIN, T_MAX)) / (T_MAX - T_MIN)) * (PLOT_BOTTOM - TOP);

  const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const time = (t: number) => (Number.isFinite(t) ? timeFormat.format(new Date(t)) : '–');
  /** The family's calendar day after infusion, counted the way the check-in schedule counts. */
  const dayOf = (t: number) => {
    if (!Number.isFinite(t)) return '–';
    const l = toLocal(t, zone);
    return String(Math.round((Date.UTC(l.year, l.month - 1, l.day) - Date.UTC(day0.year, day0.month - 1, day0.day)) / DAY_MS));
  };

  const endedAt = data.ended ? Date.parse(data.ended.at) : undefined;
  const closed = endedAt !== undefined || now >= end;
  const shown = (c: CheckinStatus): Shown => (c.state === 'upcoming' && closed ? 'not sent' : c.state);
  const checkinAt = (c: CheckinStatus) => Date.parse(c.state === 'answered' && c.answeredAt ? c.answeredAt : c.dueAt);
  const temp = (c: CheckinStatus) => (typeof c.temperatureC === 'number' ? c.temperatureC : null);

  // ---- the words: the SVG's accessible name, also shown under it ----------------------------
  const count = (s: Shown) => data.checkins.filter((c) => shown(c) === s).length;
  const counts = [`${plural(count('answered'), 'check-in')} answered`, `${count('missed')} missed`];
  if (count('open')) counts.push(`${count('open')} open now`);
  counts.push(`${count('upcoming')} upcoming`);
  if (count('not sent')) counts.push(`${count('not sent')} not sent`);

  const readings: Reading[] = [
    ...data.checkins.flatMap((c) => {
      const tc = temp(c);
      return c.state === 'answered' && tc !== null ? [{ t: checkinAt(c), c: tc }] : [];
    }),
    ...data.observations.flatMap((o) => (o.temperatureC === null ? [] : [{ t: Date.parse(o.at), c: o.temperatureC }])),
  ]
    .filter((r) => Number.isFinite(r.t) && Number.isFinite(r.c))
    .sort((a, b) => a.t - b.t);
  const hottest = readings.reduce<Reading | undefined>((h, r) => (h === undefined || r.c > h.c ? r : h), undefined);
  const temperatureWords = hottest
    ? `Highest temperature ${celsiusText(hottest.c)}${atOrAbove(hottest.c, ASTCT_FEVER_C) ? ', a fever' : ''}, on day ${dayOf(hottest.t)}.`
    : 'No temperature reported yet.';
  const gradeWords = data.observations.length
    ? `Highest clinical grades: CRS ${Math.max(...data.observations.map((o) => o.crsGrade))}, ICANS ${Math.max(...data.observations.map((o) => o.icansGrade))}.`
    : 'No clinical observation recorded.';
  const endedWords = data.ended ? ` Monitoring ended ${time(endedAt!)} (${data.ended.reason}).` : '';
  const summary = `${counts.join(', ')}. ${temperatureWords} ${gradeWords}${endedWords}`;
  const title = `Temperatures, check-ins and clinical grades, days 0 to ${lastDay} after infusion`;

  // ---- the drawing ------------------------------------------------------------------------------
  const svg: Html[] = [];
  for (let c = T_MIN; c <= T_MAX; c++) {
    svg.push(
      html`<line data-temp="${c}" x1="${n(LEFT)}" y1="${n(y(c))}" x2="${n(W - RIGHT)}" y2="${n(y(c))}" stroke="${GRID}" stroke-width="1"/>`,
      html`<text x="${n(LEFT - 6)}" y="${n(y(c) + 4)}" font-size="12" text-anchor="end" fill="${INK}">${c}</text>`,
    );
  }
  svg.push(html`<text x="${n(LEFT - 6)}" y="${n(TOP - 14)}" font-size="12" text-anchor="end" fill="${INK}">°C</text>`);

  if (endedAt !== undefined && Number.isFinite(endedAt) && endedAt < end) {
    const ex = x(endedAt);
    const nearRight = ex > W - RIGHT - 120;
    svg.push(
      html`<rect data-ended="" x="${n(ex)}" y="${n(TOP)}" width="${n(W - RIGHT - ex)}" height="${n(PLOT_BOTTOM - TOP)}" fill="${SHADE}"/>`,
      html`<line x1="${n(ex)}" y1="${n(TOP)}" x2="${n(ex)}" y2="${n(PLOT_BOTTOM)}" stroke="${INK}" stroke-width="1.5"/>`,
      html`<text x="${n(nearRight ? ex - 4 : ex + 4)}" y="${n(TOP - 4)}" font-size="12" text-anchor="${nearRight ? 'end' : 'start'}" fill="${INK}">monitoring ended</text>`,
    );
  }

  svg.push(
    html`<line data-fever="" x1="${n(LEFT)}" y1="${n(y(ASTCT_FEVER_C))}" x2="${n(W - RIGHT)}" y2="${n(y(ASTCT_FEVER_C))}" stroke="${RED}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    html`<text x="${n(W - RIGHT - 2)}" y="${n(y(ASTCT_FEVER_C) - 5)}" font-size="12" text-anchor="end" fill="${RED}">fever ${ASTCT_FEVER_C.toFixed(1)} °C</text>`,
    html`<line x1="${n(LEFT)}" y1="${n(PLOT_BOTTOM)}" x2="${n(W - RIGHT)}" y2="${n(PLOT_BOTTOM)}" stroke="${INK}" stroke-width="1"/>`,
    html`<line x1="${n(LEFT)}" y1="${n(TOP)}" x2="${n(LEFT)}" y2="${n(PLOT_BOTTOM)}" stroke="${INK}" stroke-width="1"/>`,
  );

  // Day bands: a tick at each local midnight, the day number in the middle of its band. Long
  // windows label every other day so the numbers never overlap.
  const every = lastDay > 21 ? 2 : 1;
  bounds.forEach((m, day) => {
    const bandEnd = bounds[day + 1] ?? end;
    svg.push(html`<line data-day="${day}" x1="${n(x(m))}" y1="${n(PLOT_BOTTOM)}" x2="${n(x(m))}" y2="${n(PLOT_BOTTOM + 5)}" stroke="${INK}" stroke-width="1"/>`);
    if (day % every === 0) svg.push(html`<text x="${n((x(m) + x(bandEnd)) / 2)}" y="${n(PLOT_BOTTOM + 18)}" font-size="12" text-anchor="middle" fill="${INK}">${day}</text>`);
  });
  svg.push(html`<text x="${n(W - RIGHT)}" y="${n(PLOT_BOTTOM + 34)}" font-size="12" text-anchor="end" fill="${INK}">day after infusion (${zone})</text>`);

  if (Number.isFinite(now) && now >= start && now <= end) {
    svg.push(
      html`<line data-now="" x1="${n(x(now))}" y1="${n(TOP)}" x2="${n(x(now))}" y2="${n(PLOT_BOTTOM)}" stroke="${GREY}" stroke-width="1.5" stroke-dasharray="2 3"/>`,
      html`<text x="${n(x(now))}" y="${n(TOP - 18)}" font-size="12" text-anchor="middle" fill="${GREY}">now</text>`,
    );
  }

  if (readings.length > 1) {
    svg.push(html`<polyline data-temperatures="" points="${readings.map((r) => `${n(x(r.t))},${n(y(r.c))}`).join(' ')}" fill="none" stroke="${BLUE}" stroke-width="2"/>`);
  }

  // A clamped point is drawn on the edge with its real value beside it, so the edge is not misread.
  const offScale = (px: number, py: number, c: number | null): Html | undefined =>
    c !== null && (c > T_MAX || c < T_MIN) ? html`<text x="${n(px + 8)}" y="${n(c > T_MAX ? py + 4 : py - 4)}" font-size="11" fill="${INK}">${c > T_MAX ? '↑' : '↓'}${celsiusText(c)}</text>` : undefined;

  for (const c of data.checkins) {
    const state = shown(c);
    const t = checkinAt(c);
    if (state === 'not sent' || !Number.isFinite(t)) continue;
    const tc = temp(c);
    const px = x(t);
    const py = tc === null ? PLOT_BOTTOM : y(tc);
    const label = html`<title>Day ${c.day} check-in ${c.id}: ${state}${tc === null ? '' : `, ${celsiusText(tc)}`}</title>`;
    if (state === 'answered') {
      svg.push(html`<circle data-checkin="${c.id}" data-state="${state}" cx="${n(px)}" cy="${n(py)}" r="5" fill="${BLUE}" stroke="${INK}" stroke-width="1">${label}</circle>`);
    } else if (state === 'missed') {
      const d = `M${n(px - 5)},${n(py - 5)}L${n(px + 5)},${n(py + 5)}M${n(px - 5)},${n(py + 5)}L${n(px + 5)},${n(py - 5)}`;
      svg.push(html`<path data-checkin="${c.id}" data-state="${state}" d="${d}" fill="none" stroke="${RED}" stroke-width="2.5">${label}</path>`);
    } else {
      // Open (link sent, not answered yet) and upcoming are both hollow; open is bolder and blue.
      const open = state === 'open';
      svg.push(html`<circle data-checkin="${c.id}" data-state="${state}" cx="${n(px)}" cy="${n(py)}" r="5" fill="#ffffff" stroke="${open ? BLUE : GREY}" stroke-width="${open ? 2.5 : 1.5}">${label}</circle>`);
    }
    const note = offScale(px, py, tc);
    if (note) svg.push(note);
  }

  data.observations.forEach((o, i) => {
    const t = Date.parse(o.at);
    if (!Number.isFinite(t)) return;
    const px = x(t);
    const py = o.temperatureC === null ? PLOT_BOTTOM : y(o.temperatureC);
    const graded = o.crsGrade > 0 || o.icansGrade > 0;
    const label = html`<title>Clinical observation, day ${dayOf(t)}: CRS ${o.crsGrade}, ICANS ${o.icansGrade}${o.temperatureC === null ? '' : `, ${celsiusText(o.temperatureC)}`}</title>`;
    svg.push(html`<rect data-observation="${i}" x="${n(px - 5)}" y="${n(py - 5)}" width="10" height="10" fill="${graded ? RED : INK}">${label}</rect>`);
    // "G" is the CRS grade as the brief for this chart names it; ICANS gets its own "I" so a
    // neurotoxicity grade is not hidden behind a CRS grade of 0.
    const tags = [o.crsGrade > 0 ? `G${o.crsGrade}` : '', o.icansGrade > 0 ? `I${o.icansGrade}` : ''].filter(Boolean).join(' ');
    if (tags) svg.push(html`<text x="${n(px)}" y="${n(py - 9)}" font-size="12" font-weight="700" text-anchor="middle" fill="${RED}">${tags}</text>`);
    const note = offScale(px, py, o.temperatureC);
    if (note) svg.push(note);
  });

  // The legend repeats each shape exactly as drawn in the plot.
  const row1 = PLOT_BOTTOM + 52;
  const row2 = PLOT_BOTTOM + 70;
  svg.push(
    html`<g font-size="12" fill="${INK}">`,
    html`<circle cx="${LEFT + 5}" cy="${row1 - 4}" r="5" fill="${BLUE}" stroke="${INK}" stroke-width="1"/><text x="${LEFT + 15}" y="${row1}">check-in answered</text>`,
    html`<path d="M${LEFT + 145},${row1 - 9}L${LEFT + 155},${row1 + 1}M${LEFT + 145},${row1 + 1}L${LEFT + 155},${row1 - 9}" fill="none" stroke="${RED}" stroke-width="2.5"/><text x="${LEFT + 162}" y="${row1}">missed</text>`,
    html`<circle cx="${LEFT + 230}" cy="${row1 - 4}" r="5" fill="#ffffff" stroke="${BLUE}" stroke-width="2.5"/><text x="${LEFT + 240}" y="${row1}">open</text>`,
    html`<circle cx="${LEFT + 295}" cy="${row1 - 4}" r="5" fill="#ffffff" stroke="${GREY}" stroke-width="1.5"/><text x="${LEFT + 305}" y="${row1}">upcoming</text>`,
    html`<line x1="${LEFT + 385}" y1="${row1 - 4}" x2="${LEFT + 409}" y2="${row1 - 4}" stroke="${BLUE}" stroke-width="2"/><text x="${LEFT + 415}" y="${row1}">temperature</text>`,
    html`<rect x="${LEFT}" y="${row2 - 9}" width="10" height="10" fill="${RED}"/><text x="${LEFT + 15}" y="${row2}">clinical observation (G CRS grade, I ICANS grade)</text>`,
    html`<line x1="${LEFT + 385}" y1="${row2 - 4}" x2="${LEFT + 409}" y2="${row2 - 4}" stroke="${RED}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${LEFT + 415}" y="${row2}">fever line</text>`,
    html`</g>`,
  );

  // ---- the table --------------------------------------------------------------------------------
  const temperatureCell = (c: number | null) => (c === null ? 'not taken' : `${celsiusText(c)}${atOrAbove(c, ASTCT_FEVER_C) ? ' (fever)' : ''}`);
  const rows = [
    ...data.checkins.map((c) => {
      const state = shown(c);
      const due = Date.parse(c.dueAt);
      const answered = c.answeredAt ? `, answered ${time(Date.parse(c.answeredAt))}` : '';
      const outcome = [state === 'not sent' ? 'not sent (monitoring ended)' : state, c.escalation ? `escalated to ${c.escalation}` : '', c.tier ? `tier: ${c.tier.replaceAll('_', ' ')}` : '']
        .filter(Boolean)
        .join('; ');
      const temperature = c.state === 'answered' ? temperatureCell(temp(c)) : '–';
      return { t: due, cells: [String(c.day), `${time(due)}${answered}`, `Check-in ${c.id}`, temperature, outcome] };
    }),
    ...data.observations.map((o) => {
      const t = Date.parse(o.at);
      return { t, cells: [dayOf(t), time(t), 'Clinical observation', temperatureCell(o.temperatureC), `CRS ${o.crsGrade}, ICANS ${o.icansGrade}`] };
    }),
  ].sort((a, b) => (Number.isFinite(a.t) ? a.t : Infinity) - (Number.isFinite(b.t) ? b.t : Infinity));

  const body = rows.length
    ? rows.map((r) => html`<tr><th scope="row">${r.cells[0]}</th>${r.cells.slice(1).map((cell) => html`<td>${cell}</td>`)}</tr>
`)
    : html`<tr><td colspan="5">No check-ins or observations yet.</td></tr>
`;

  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif">
<title id="chart-title">${title}</title>
<desc id="chart-desc">${summary}</desc>
${svg.map((part) => html`${part}
`)}
</svg>
<figcaption>${summary}</figcaption>
<details>
<summary>Every check-in and observation as a table</summary>
<div class="scroll">
<table>
<caption>Check-ins and clinical observations in time order; times in ${zone}</caption>
<thead><tr><th scope="col">Day</th><th scope="col">Time</th><th scope="col">Entry</th><th scope="col">Temperature</th><th scope="col">State or grades</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
</div>
</details>
</figure>`;
}
