// The case page's monitoring chart: temperatures reported at check-ins and in clinical observations
// over the window, check-ins by state and clinical grades, as an inline SVG drawn on the server, with
// the same figures as a table (the exact values, and what a screen reader reads). Markers differ in
// shape as well as colour; only SVG presentation attributes are used (the CSP allows no style="").
import type { CheckinStatus } from '../../../domain/monitoring.ts';
import { html, type Html } from './html.ts';

export interface ChartObservation {
  at: string;
  temperatureC: number | null;
  crsGrade: number;
  icansGrade: number;
}

export interface ChartData {
  infusionAt: string;
  windowEndsAt: string;
  now: string;
  /** The family's zone: days and times are theirs. */
  timeZone: string;
  checkins: CheckinStatus[];
  observations: ChartObservation[];
}

const W = 720;
const H = 260;
const PAD = { left: 44, right: 12, top: 14, bottom: 34 };
const T_MIN = 35;
const T_MAX = 41;
const FEVER_C = 38;
const DAY_MS = 86_400_000;
const INK = '#1f2933';
const BLUE = '#0b57d0';
const RED = '#b3261e';
const GREY = '#4b5563';

const r1 = (n: number) => Math.round(n * 10) / 10;

export function monitoringChart(d: ChartData): string {
  const start = Date.parse(d.infusionAt);
  const end = Math.max(Date.parse(d.windowEndsAt), start + DAY_MS);
  const days = Math.ceil((end - start) / DAY_MS);
  const x = (t: number) => r1(PAD.left + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * (W - PAD.left - PAD.right));
  const y = (c: number) => r1(PAD.top + ((T_MAX - Math.min(Math.max(c, T_MIN), T_MAX)) / (T_MAX - T_MIN)) * (H - PAD.top - PAD.bottom));
  const bottom = H - PAD.bottom;
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: d.timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

  const readings = [
    ...d.checkins.filter((c) => typeof c.temperatureC === 'number').map((c) => ({ t: Date.parse(c.answeredAt ?? c.dueAt), c: c.temperatureC as number })),
    ...d.observations.filter((o) => o.temperatureC !== null).map((o) => ({ t: Date.parse(o.at), c: o.temperatureC as number })),
  ].sort((a, b) => a.t - b.t);

  const answered = d.checkins.filter((c) => c.state === 'answered');
  const missed = d.checkins.filter((c) => c.state === 'missed');
  const upcoming = d.checkins.filter((c) => c.state !== 'answered' && c.state !== 'missed');
  const highestT = readings.length ? Math.max(...readings.map((r) => r.c)) : undefined;
  const highestCrs = Math.max(0, ...d.observations.map((o) => o.crsGrade));
  const highestIcans = Math.max(0, ...d.observations.map((o) => o.icansGrade));
  const summary = `${answered.length} check-in${answered.length === 1 ? '' : 's'} answered, ${missed.length} missed, ${upcoming.length} upcoming. ${
    highestT === undefined ? 'No temperature reported yet.' : `Highest temperature ${highestT.toFixed(1)} °C.`
  } Highest clinical grades: CRS ${highestCrs}, ICANS ${highestIcans}.`;

  const ticks: Html[] = [];
  for (let day = 0; day <= days; day++) {
    const tx = x(start + day * DAY_MS);
    ticks.push(html`<line x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 4}" stroke="${GREY}"/>`);
    if (day % (days > 16 ? 2 : 1) === 0) ticks.push(html`<text x="${tx}" y="${bottom + 16}" font-size="11" text-anchor="middle" fill="${INK}">${day}</text>`);
  }
  const tempTicks = [35, 36, 37, 38, 39, 40, 41].map(
    (c) => html`<text x="${PAD.left - 6}" y="${y(c) + 4}" font-size="11" text-anchor="end" fill="${INK}">${c}</text><line x1="${PAD.left}" y1="${y(c)}" x2="${W - PAD.right}" y2="${y(c)}" stroke="#e5e7eb"/>`,
  );
  const nowT = Date.parse(d.now);
  const nowLine = nowT >= start && nowT <= end ? html`<line x1="${x(nowT)}" y1="${PAD.top}" x2="${x(nowT)}" y2="${bottom}" stroke="${GREY}" stroke-dasharray="2 3"/><text x="${x(nowT) + 3}" y="${PAD.top + 10}" font-size="10" fill="${GREY}">now</text>` : '';
  const line = readings.length > 1 ? html`<polyline points="${readings.map((r) => `${x(r.t)},${y(r.c)}`).join(' ')}" fill="none" stroke="${BLUE}" stroke-width="2"/>` : '';

  const marker = (c: CheckinStatus): Html => {
    const cx = x(Date.parse(c.state === 'answered' && c.answeredAt ? c.answeredAt : c.dueAt));
    const cy = typeof c.temperatureC === 'number' ? y(c.temperatureC) : bottom;
    const label = html`<title>Day ${c.day} check-in ${c.id}: ${c.state}</title>`;
    if (c.state === 'answered') return html`<circle data-checkin="${c.id}" data-state="answered" cx="${cx}" cy="${cy}" r="5" fill="${BLUE}">${label}</circle>`;
    if (c.state === 'missed')
      return html`<path data-checkin="${c.id}" data-state="missed" d="M${r1(cx - 5)},${r1(cy - 5)} L${r1(cx + 5)},${r1(cy + 5)} M${r1(cx - 5)},${r1(cy + 5)} L${r1(cx + 5)},${r1(cy - 5)}" stroke="${RED}" stroke-width="2.5">${label}</path>`;
    return html`<circle data-checkin="${c.id}" data-state="${c.state}" cx="${cx}" cy="${cy}" r="4.5" fill="#fff" stroke="${GREY}" stroke-width="1.5">${label}</circle>`;
  };
  const observationMarks = d.observations.map((o) => {
    const ox = x(Date.parse(o.at));
    const oy = o.temperatureC === null ? bottom : y(o.temperatureC);
    return html`<rect data-observation="${o.at}" x="${r1(ox - 5)}" y="${r1(oy - 5)}" width="10" height="10" fill="${o.crsGrade > 0 || o.icansGrade > 0 ? RED : INK}"><title>Clinical observation: CRS ${o.crsGrade}, ICANS ${o.icansGrade}</title></rect>${
      o.crsGrade > 0 ? html`<text x="${ox}" y="${r1(oy - 9)}" font-size="11" text-anchor="middle" fill="${RED}">G${o.crsGrade}</text>` : ''
    }`;
  });
  const ly = H - 6;
  const legend = html`<g font-size="11" fill="${INK}">
<circle cx="${PAD.left + 6}" cy="${ly - 4}" r="5" fill="${BLUE}"/><text x="${PAD.left + 15}" y="${ly}">answered</text>
<path d="M${PAD.left + 95},${ly - 9} l10,10 m-10,0 l10,-10" stroke="${RED}" stroke-width="2.5"/><text x="${PAD.left + 110}" y="${ly}">missed</text>
<circle cx="${PAD.left + 170}" cy="${ly - 4}" r="4.5" fill="#fff" stroke="${GREY}" stroke-width="1.5"/><text x="${PAD.left + 179}" y="${ly}">upcoming</text>
<rect x="${PAD.left + 245}" y="${ly - 9}" width="10" height="10" fill="${INK}"/><text x="${PAD.left + 260}" y="${ly}">clinical observation (G = CRS grade)</text>
<line x1="${PAD.left + 470}" y1="${ly - 4}" x2="${PAD.left + 490}" y2="${ly - 4}" stroke="${RED}" stroke-dasharray="5 4"/><text x="${PAD.left + 495}" y="${ly}">fever 38 °C</text>
</g>`;

  const rows = [
    ...d.checkins.map((c) => ({
      t: Date.parse(c.dueAt),
      cells: html`<td>${c.day}</td><td>check-in ${c.id}: ${time.format(new Date(c.dueAt))}</td><td>${c.state}${c.escalation ? ` (escalated: ${c.escalation})` : ''}</td><td>${typeof c.temperatureC === 'number' ? `${c.temperatureC.toFixed(1)} °C` : '–'}</td><td>${c.tier ? c.tier.replaceAll('_', ' ') : '–'}</td>`,
    })),
    ...d.observations.map((o) => ({
      t: Date.parse(o.at),
      cells: html`<td>${Math.floor((Date.parse(o.at) - start) / DAY_MS)}</td><td>clinical observation: ${time.format(new Date(o.at))}</td><td>CRS ${o.crsGrade}, ICANS ${o.icansGrade}</td><td>${o.temperatureC === null ? '–' : `${o.temperatureC.toFixed(1)} °C`}</td><td>–</td>`,
    })),
  ].sort((a, b) => a.t - b.t);

  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">Temperatures and check-ins over the ${days}-day window</title>
<desc id="chart-desc">${summary}</desc>
${tempTicks}
<line data-fever="" x1="${PAD.left}" y1="${y(FEVER_C)}" x2="${W - PAD.right}" y2="${y(FEVER_C)}" stroke="${RED}" stroke-dasharray="5 4"/>
<line x1="${PAD.left}" y1="${bottom}" x2="${W - PAD.right}" y2="${bottom}" stroke="${INK}"/>
${ticks}
<text x="${W - PAD.right}" y="${bottom + 28}" font-size="11" text-anchor="end" fill="${GREY}">day after infusion</text>
<text x="4" y="${PAD.top + 2}" font-size="11" fill="${GREY}">°C</text>
${nowLine}${line}${d.checkins.map(marker)}${observationMarks}
${legend}
</svg>
<figcaption>${summary}</figcaption>
<details><summary>The figures as a table</summary><div class="scroll"><table><caption class="sr-only">Check-ins and clinical observations</caption>
<thead><tr><th scope="col">Day</th><th scope="col">What, when</th><th scope="col">State / grades</th><th scope="col">Temperature</th><th scope="col">Tier</th></tr></thead>
<tbody>${rows.length ? rows.map((r) => html`<tr>${r.cells}</tr>`) : html`<tr><td colspan="5">Nothing yet.</td></tr>`}</tbody></table></div></details>
</figure>`.value;
}
