// How casectl shows things to a person: plain text, aligned tables, UTC times. Pure functions of
// the action layer's results (the --json output is those results as they are).
import type { CaseStatus, DocumentState, SubmissionState, WaitingFor } from '../domain/case.ts';

/** "2026-11-24 15:40 UTC" for an ISO date-time; anything unparseable as given. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "in 3d", "in 5h", "2d ago": how far `iso` is from `now`, roughly. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const diff = ms - now;
  const abs = Math.abs(diff);
  const unit = abs >= 86_400_000 ? `${Math.round(abs / 86_400_000)}d` : abs >= 3_600_000 ? `${Math.round(abs / 3_600_000)}h` : `${Math.max(1, Math.round(abs / 60_000))}m`;
  return diff >= 0 ? `in ${unit}` : `${unit} ago`;
}

/** "family: documents: scans (until 2026-11-27 15:40 UTC, in 3d)": who the case waits for, and for what. */
export function formatWaitingFor(w: WaitingFor | null | undefined, now: number = Date.now()): string {
  if (!w) return '-';
  const who = w.from === 'nobody' ? '' : `${w.from.replace('_', ' ')}: `;
  const until = w.until ? ` (until ${formatTime(w.until)}, ${relativeTime(w.until, now)})` : '';
  return `${who}${w.what}${until}`;
}

/** A short waiting-for for a table cell: "documents: scans (family)". */
export function shortWaitingFor(w: unknown): string {
  if (!w || typeof w !== 'object') return '-';
  const { what, from } = w as Partial<WaitingFor>;
  if (typeof what !== 'string') return '-';
  return from && from !== 'nobody' ? `${what} (${from.replace('_', ' ')})` : what;
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** The two lines printed after every case action: stage, and what the case waits for. */
export function statusSummary(s: CaseStatus, now: number = Date.now()): string {
  const recorded = s.recorded ? `\n(as recorded at ${formatTime(s.recorded.asOf)}: the case's worker did not answer in time, so this is what the database holds)` : '';
  return `Case ${s.caseId}: stage ${s.stage}\nWaiting for: ${formatWaitingFor(s.waitingFor, now)}${recorded}`;
}

function documentLine(type: string, d: DocumentState): string {
  const mark = d.status === 'received' ? '[x]' : d.status === 'waived' ? '[-]' : '[ ]';
  const detail: string[] = [d.status];
  if (d.language) detail.push(`language ${d.language}`);
  if (d.waiveReason) detail.push(`reason: ${d.waiveReason}`);
  if (d.translation !== 'not_needed') detail.push(`translation ${d.translation}`);
  return `  ${mark} ${type}: ${detail.join(', ')}`;
}

function submissionLine(s: SubmissionState): string {
  const detail: string[] = [`round ${s.round}`, s.status.replace('_', ' ')];
  if (s.submittedAt) detail.push(`submitted ${formatTime(s.submittedAt)}`);
  if (s.reason) detail.push(`reason: ${s.reason}`);
  if (s.requestedDocuments?.length) detail.push(`asks for ${s.requestedDocuments.join(', ')}`);
  return `  ${s.hospitalCode} (${s.language}): ${detail.join(', ')}`;
}

/** Everything `casectl case show` prints. */
export function caseDetails(s: CaseStatus, now: number = Date.now()): string {
  const out: string[] = [statusSummary(s, now)];
  const docs = Object.entries(s.documents);
  out.push('', 'Documents:', ...(docs.length ? docs.map(([t, d]) => documentLine(t, d)) : ['  (none required)']));
  out.push('', 'Submissions:', ...(s.submissions.length ? s.submissions.map(submissionLine) : ['  (none yet)']));
  if (s.chosenHospital) out.push('', `Chosen hospital: ${s.chosenHospital}`);
  if (s.admission) {
    const a = s.admission;
    out.push('', `Admission: ${a.hospitalCode} on ${formatTime(a.admissionAt)}${a.confirmedAt ? ` (confirmed ${formatTime(a.confirmedAt)})` : ' (not confirmed)'}`);
    if (a.contact) out.push(`  contact: ${a.contact}`);
    if (a.notes) out.push(`  notes: ${a.notes}`);
  }
  if (s.infusionAt) out.push(`Infusion (day 0): ${formatTime(s.infusionAt)}`);
  if (s.followUps.some((f) => f.sentAt)) {
    out.push('', 'Follow-up:');
    for (const f of s.followUps) out.push(`  day ${f.day}: ${f.sentAt ? `contacted ${formatTime(f.sentAt)}` : 'not yet'}${f.outcome ? `, outcome: ${f.outcome}` : ''}`);
  }
  const open = s.alerts.filter((a) => !a.acknowledgedAt);
  out.push('', `Alerts: ${s.alerts.length ? `${open.length} open of ${s.alerts.length}` : 'none'}`);
  for (const a of s.alerts) {
    out.push(`  ${a.id} [${a.kind}] ${a.message} (raised ${formatTime(a.raisedAt)}${a.acknowledgedAt ? `; acknowledged by ${a.acknowledgedBy ?? '?'} ${formatTime(a.acknowledgedAt)}` : ''})`);
  }
  if (open.length) out.push(`  acknowledge with: casectl alert ack ${s.caseId} <alertId>`);
  const m = s.monitoring;
  if (m) {
    const count = (state: string) => m.checkins.filter((c) => c.state === state).length;
    out.push(
      '',
      `Monitoring (protocol ${m.protocol.name}, fever threshold ${m.protocol.feverThresholdC} °C, window until ${formatTime(m.windowEndsAt)}${m.ended ? `; ended: ${m.ended.reason}` : ''}):`,
      `  highest CRS grade ${m.highestCrsGrade}, highest ICANS grade ${m.highestIcansGrade}, fever on ${m.feverDays} day(s)`,
      `  check-ins: ${count('answered')} answered, ${count('missed')} missed, ${count('open')} open, ${count('upcoming')} upcoming`,
      `  last: ${m.lastCheckin ? `day ${m.lastCheckin.day} #${m.lastCheckin.id}, ${m.lastCheckin.tier}${m.lastCheckin.temperatureC != null ? `, ${m.lastCheckin.temperatureC} °C` : ''}` : 'none yet'}`,
      `  next: ${m.nextCheckin ? `day ${m.nextCheckin.day} #${m.nextCheckin.id} due ${formatTime(m.nextCheckin.dueAt)} (${relativeTime(m.nextCheckin.dueAt, now)})` : 'none'}`,
      `  treating team: ${m.protocol.team?.name ?? '?'}, 24/7 ${m.protocol.team?.phone24h || '(no number)'}`,
    );
  }
  if (s.closeReason) out.push('', `Closed: ${s.closeReason}`);
  if (s.cancelled) out.push('', `Cancelled in ${s.cancelled.fromStage} by ${s.cancelled.by} at ${formatTime(s.cancelled.at)}: ${s.cancelled.reason}`);
  return out.join('\n');
}

export interface CaseRow {
  caseId: string;
  patientRef: string;
  stage: string;
  attention: string;
  openAlerts: number;
  waitingFor: unknown;
  updatedAt: string;
}

const ATTENTION_TEXT: Record<string, string> = { clinical_alert: 'CLINICAL ALERT', alert: 'alert', overdue: 'overdue', none: '', closed: '' };

export function caseTable(rows: CaseRow[]): string {
  if (!rows.length) return 'No cases.';
  return table(
    ['CASE', 'PATIENT', 'STAGE', 'ATTENTION', 'WAITING FOR', 'UPDATED'],
    rows.map((r) => [r.caseId, r.patientRef, r.stage, ATTENTION_TEXT[r.attention] ?? r.attention, shortWaitingFor(r.waitingFor), formatTime(r.updatedAt)]),
  );
}

export interface HospitalRow {
  code: string;
  name: string;
  email: string;
  language: string;
  timezone: string;
  phone?: string | null;
}

export function hospitalTable(rows: HospitalRow[]): string {
  if (!rows.length) return 'No hospitals yet (casectl hospital add).';
  return table(
    ['CODE', 'NAME', 'EMAIL', 'LANGUAGE', 'TIME ZONE', 'PHONE'],
    rows.map((h) => [h.code, h.name, h.email, h.language, h.timezone, h.phone ?? '']),
  );
}

export interface EmailRow {
  to: string;
  subject: string;
  kind: string;
  status: string;
  sentAt: string | null;
  error?: string | null;
}

export function emailTable(rows: EmailRow[]): string {
  if (!rows.length) return 'No emails yet.';
  return table(
    ['SENT', 'STATUS', 'KIND', 'TO', 'SUBJECT'],
    rows.map((e) => [formatTime(e.sentAt), e.error ? `${e.status} (${e.error})` : e.status, e.kind, e.to, e.subject]),
  );
}

export interface TimelineRow {
  at: string;
  kind: string;
  actor: string;
  summary: string;
}

export function timelineText(rows: TimelineRow[]): string {
  if (!rows.length) return 'Nothing recorded yet.';
  return table(
    ['AT', 'BY', 'WHAT'],
    rows.map((r) => [formatTime(r.at), r.actor, r.summary]),
  );
}

export interface AccessRow {
  at: string;
  party: string;
  actor: string;
  action: string;
  detail: Record<string, unknown> | null;
  clientAddress: string | null;
}

/** The access log, a line per entry; the time to the second, as an audit asks. */
export function accessLogText(rows: AccessRow[]): string {
  if (!rows.length) return 'Nobody has seen this case yet.';
  return table(
    ['AT', 'PARTY', 'ACTOR', 'ACTION', 'DETAIL', 'ADDRESS'],
    rows.map((r) => [r.at, r.party, r.actor, r.action, Object.entries(r.detail ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',') || '-', r.clientAddress ?? '-']),
  );
}
