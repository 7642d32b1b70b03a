// The console's pages: sign-in, the case list, a case, opening a case. Rendered on the server from
// what the action layer and Postgres return; every action is a plain form (no scripts).
import { randomUUID } from 'node:crypto';
import { STAGES, type CaseStatus, type WaitingFor } from '../../../domain/case.ts';
import type { CaseList, CaseListItem } from '../../reads.ts';
import type { FileRow } from '../../documents.ts';
import type { AccessRecord } from '../../access-log.ts';
import type { FieldProblem } from '../../../domain/validation.ts';
import { html, page, type Html, type Viewer } from './html.ts';
import { offeredForms, renderForm, type FormContext, type Hospital } from './forms.ts';
import { monitoringChart, type ChartObservation } from './chart.ts';

const WHO: Record<WaitingFor['from'], string> = {
  coordinator: 'you (coordinator)',
  family: 'the family',
  hospital: 'the hospital',
  translator: 'the translator',
  treating_team: 'the treating team',
  nobody: 'nobody',
};
const ATTENTION_TEXT: Record<string, string> = { clinical_alert: 'clinical alert', alert: 'alert', overdue: 'overdue', none: '', closed: '' };

function when(iso: string | undefined | null, timeZone = 'UTC'): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) + (timeZone === 'UTC' ? ' UTC' : '');
}
const badge = (kind: string, text = kind.replaceAll('_', ' ')) => (text ? html`<span class="badge b-${kind}">${text}</span>` : html``);
const stageName = (s: string) => s.replaceAll('_', ' ');

function waitingLine(w: WaitingFor | null | undefined, now: number): Html {
  if (!w) return html`<span class="muted">–</span>`;
  const overdue = w.until !== undefined && Date.parse(w.until) < now;
  return html`${w.what}${w.from !== 'nobody' ? html` <span class="muted">from ${WHO[w.from]}</span>` : ''}${w.until ? html` <span class="${overdue ? 'error' : 'muted'}">${overdue ? 'overdue since' : 'until'} ${when(w.until)}</span>` : ''}`;
}

// ---- the case list --------------------------------------------------------------------------

export interface ListFilters {
  stage?: string;
  hospital?: string;
  alert?: string;
  search?: string;
}

export function caseListPage(viewer: Viewer, list: CaseList, filters: ListFilters, hospitals: Hospital[], now: number, errors: FieldProblem[] = []): string {
  const opt = (value: string, text: string, chosen: string | undefined) => html`<option value="${value}"${value === (chosen ?? '') ? html` selected` : ''}>${text}</option>`;
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  // Filters and paging post the form again, so that a searched name never goes into a URL.
  const pageButton = (n: number, text: string) => html`<button type="submit" name="page" value="${n}" class="secondary">${text}</button>`;
  const rows = list.cases.map(
    (c: CaseListItem) => html`<tr>
<td><a href="/console/cases/${c.caseId}">${c.familyName ?? c.patientRef}</a><br><span class="muted">${c.caseId} · ${c.patientRef}</span></td>
<td>${stageName(c.stage)}${c.hospital ? html`<br><span class="muted">${c.hospital}</span>` : ''}</td>
<td>${badge(c.attention, ATTENTION_TEXT[c.attention] ?? '')}${c.openAlerts ? html` ${c.openAlerts} open alert${c.openAlerts > 1 ? 's' : ''}` : ''}</td>
<td>${waitingLine(c.waitingFor, now)}</td>
<td>${when(c.updatedAt)}</td>
</tr>`,
  );
  return page(
    'Cases',
    html`<h1>Cases</h1>
${errors.length ? html`<p class="banner err" role="alert">${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}</p>` : ''}
<form class="filters card" method="post" action="/console/cases" aria-label="Filter cases">
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
<div><label for="search">Search</label><input type="search" id="search" name="search" value="${filters.search ?? ''}" placeholder="case id or family name"></div>
<div><label for="stage">Stage</label><select id="stage" name="stage">${opt('', 'any', filters.stage)}${STAGES.map((s) => opt(s, stageName(s), filters.stage))}</select></div>
<div><label for="hospital">Hospital</label><select id="hospital" name="hospital">${opt('', 'any', filters.hospital)}${hospitals.map((h) => opt(h.code, `${h.name} (${h.code})`, filters.hospital))}</select></div>
<div><label for="alert">Alerts</label><select id="alert" name="alert">${opt('', 'any', filters.alert)}${opt('open', 'open alerts', filters.alert)}${opt('clinical', 'open clinical alerts', filters.alert)}${opt('none', 'no open alerts', filters.alert)}</select></div>
<div><button type="submit" name="page" value="1">Show</button></div>
<div class="pager" aria-label="Pages">${list.page > 1 ? pageButton(list.page - 1, 'Previous page') : ''}<span>Page ${list.page} of ${pages} · ${list.total} case${list.total === 1 ? '' : 's'}</span>${list.page < pages ? pageButton(list.page + 1, 'Next page') : ''}</div>
</form>
<div class="card scroll"><table>
<caption class="sr-only">Cases, those needing attention first</caption>
<thead><tr><th scope="col">Family / case</th><th scope="col">Stage</th><th scope="col">Attention</th><th scope="col">Waiting for</th><th scope="col">Last change</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="5">No cases match.</td></tr>`}</tbody>
</table></div>`,
    viewer,
  );
}

// ---- a case -------------------------------------------------------------------------------

export interface CasePageData {
  status: CaseStatus;
  family: { name: string; email: string; language: string; timeZone: string } | undefined;
  patientRef: string;
  hospitals: Hospital[];
  emails: { to: string; subject: string; kind: string; status: string; sentAt: string | null; error: string | null }[];
  timeline: { at: string; kind: string; actor: string; summary: string }[];
  observations: ChartObservation[];
  temporalUrl?: string;
  now: number;
  /** The case's files (the vault), when the console has them. */
  files?: FileRow[];
  /** The newest entries of the case's access log, and whether there are older ones. */
  access?: { entries: AccessRecord[]; more: boolean };
  /** After a post: what was done, or the failed form's values, errors or refusal. */
  done?: string;
  form?: { action: string; values: Record<string, string | string[]>; errors: FieldProblem[]; refused?: string };
}

const DONE: Record<string, string> = {
  fileAccepted: 'File accepted: its document is recorded.',
  fileRejected: 'File rejected: the family is asked to send it again.',
  requestDocument: 'The family is asked for the document again.',
  receiveDocument: 'Document recorded.',
  waiveDocument: 'Document waived.',
  completeTranslation: 'Translation recorded.',
  rejectTranslation: 'The translation is sent back to the translator.',
  submitToHospitals: 'Submitted to the hospitals.',
  approveSharing: "The family's approval is recorded.",
  recordDecision: 'Decision recorded.',
  chooseHospital: 'Hospital chosen.',
  planAdmission: 'Admission planned; the family is told.',
  confirmAdmission: 'Admission confirmed.',
  recordInfusion: 'Infusion recorded: monitoring has started.',
  recordClinical: 'Observation graded and recorded.',
  endMonitoring: 'Monitoring ended.',
  recordFollowUp: 'Follow-up recorded.',
  closeCase: 'Case closed.',
  cancelCase: 'Case cancelled.',
  acknowledgeAlert: 'Alert acknowledged.',
  opened: 'Case opened: the family has been emailed.',
  existing: 'This patient already had a case: here it is.',
};

export function casePage(viewer: Viewer, d: CasePageData): string {
  const s = d.status;
  const zone = d.family?.timeZone ?? 'UTC';
  const overdue = s.waitingFor.until !== undefined && Date.parse(s.waitingFor.until) < d.now;
  const openAlerts = s.alerts.filter((a) => !a.acknowledgedAt);
  const canAck = viewer.role === 'coordinator' || viewer.role === 'clinician';
  const formCtx: FormContext = { status: s, hospitals: d.hospitals, now: d.now, values: d.form ? { ...d.form.values, __action: d.form.action } : {}, errors: d.form?.errors ?? [] };
  const forms = offeredForms(viewer.role as never, s);
  const hospitalName = (code: string) => d.hospitals.find((h) => h.code === code)?.name ?? code;

  const alerts = html`<section class="card" aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts</h2>
${d.form?.action === 'acknowledgeAlert' && d.form.refused ? html`<p class="error" role="alert">Refused: ${d.form.refused}</p>` : ''}
${
  s.alerts.length
    ? html`<div class="scroll"><table><thead><tr><th scope="col">Raised</th><th scope="col">Alert</th><th scope="col">Status</th></tr></thead><tbody>${[...s.alerts].reverse().map(
        (a) => html`<tr><td class="nowrap">${when(a.raisedAt)}</td><td>${a.tier ? html`${badge(a.tier)} ` : ''}${a.message}</td><td>${
          a.acknowledgedAt
            ? html`${badge('done', 'acknowledged')} <span class="muted">by ${a.acknowledgedBy ?? ''}, ${when(a.acknowledgedAt)}</span>`
            : canAck
              ? html`<form method="post" action="/console/cases/${s.caseId}/alerts/${a.id}/ack" class="inline"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="_request" value="${randomUUID()}"><button type="submit">Acknowledge</button></form>`
              : badge('open')
        }</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">No alerts.</p>`
}</section>`;

  const documents = html`<section class="card" aria-labelledby="docs-h"><h2 id="docs-h">Documents</h2><div class="scroll"><table><thead><tr><th scope="col">Document</th><th scope="col">Status</th><th scope="col">Translation</th></tr></thead><tbody>${Object.entries(s.documents).map(
    ([t, doc]) => html`<tr><td>${stageName(t)}</td><td>${badge(doc.status)}${doc.language ? html` <span class="muted">${doc.language}</span>` : ''}${doc.waiveReason ? html`<br><span class="muted">${doc.waiveReason}</span>` : ''}</td><td>${badge(doc.translation)}</td></tr>`,
  )}</tbody></table></div></section>`;

  const canReview = viewer.role === 'coordinator';
  // A translation arrives in use (the translator's page): it can only be sent back, with the reason the translator reads.
  const sendBack = (f: FileRow) =>
    html`<form method="post" action="/console/cases/${s.caseId}/files/${f.id}/reject"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="_request" value="${randomUUID()}"><label>Why (the translator reads this) <input type="text" name="reason" required maxlength="2000"></label> <button type="submit">Send back to the translator</button></form>`;
  const review = (f: FileRow) =>
    canReview && f.kind === 'translation' && f.status === 'accepted'
      ? sendBack(f)
      : canReview && f.status === 'pending_review'
      ? html`<form method="post" action="/console/cases/${s.caseId}/files/${f.id}/accept" class="inline"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="_request" value="${randomUUID()}"><label>as <select name="documentType">${[...new Set([f.documentType, ...Object.keys(s.documents)])].map((t) => html`<option value="${t}"${t === f.documentType ? ' selected' : ''}>${stageName(t)}</option>`)}</select></label> <button type="submit">Accept</button></form>
<form method="post" action="/console/cases/${s.caseId}/files/${f.id}/reject"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="_request" value="${randomUUID()}"><label>Why (the family reads this) <input type="text" name="reason" required maxlength="2000"></label> <button type="submit">Reject and ask again</button></form>`
      : html``;
  const files = d.files?.length
    ? html`<section class="card" aria-labelledby="files-h"><h2 id="files-h">Files</h2>${d.form?.action === 'reviewFile' && (d.form.refused || d.form.errors.length) ? html`<p class="error" role="alert">${d.form.refused ?? d.form.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}</p>` : ''}<div class="scroll"><table><thead><tr><th scope="col">File</th><th scope="col">From</th><th scope="col">Review</th></tr></thead><tbody>${d.files.map(
        (f) =>
          html`<tr><td><a href="/console/cases/${s.caseId}/files/${f.id}">${f.fileName}</a><br><span class="muted">${stageName(f.documentType)}${f.kind === 'translation' ? `, translation into ${f.language ?? '?'}` : ''}, ${(f.size / 1024 / 1024).toFixed(1)} MB</span></td><td>${f.uploadedBy}<br><span class="muted">${when(f.uploadedAt)}</span></td><td>${badge(f.status)}${f.reason ? html`<br>${f.reason}` : ''}${review(f)}</td></tr>`,
      )}</tbody></table></div></section>`
    : html``;

  const submissions = s.submissions.length
    ? html`<section class="card" aria-labelledby="subs-h"><h2 id="subs-h">Submissions and decisions</h2><div class="scroll"><table><thead><tr><th scope="col">Hospital</th><th scope="col">Submitted</th><th scope="col">Decision</th></tr></thead><tbody>${s.submissions.map(
        (x) =>
          html`<tr><td>${hospitalName(x.hospitalCode)} (${x.hospitalCode})${s.chosenHospital === x.hospitalCode ? html` ${badge('ok', 'chosen')}` : ''}</td><td>${when(x.submittedAt)}${x.round > 1 ? html` <span class="muted">round ${x.round}</span>` : ''}</td><td>${badge(x.status)}${x.reason ? html`<br>${x.reason}` : ''}${x.requestedDocuments?.length ? html`<br><span class="muted">needs ${x.requestedDocuments.join(', ')}</span>` : ''}</td></tr>`,
      )}</tbody></table></div></section>`
    : html``;

  const admission = s.admission
    ? html`<section class="card" aria-labelledby="adm-h"><h2 id="adm-h">Admission</h2><p>${hospitalName(s.admission.hospitalCode)}: ${when(s.admission.admissionAt, d.hospitals.find((h) => h.code === s.admission!.hospitalCode)?.timezone ?? 'UTC')} ${
        s.admission.confirmedAt ? badge('ok', 'confirmed') : badge('pending', 'not confirmed')
      }</p>${s.admission.contact ? html`<p>Contact: ${s.admission.contact}</p>` : ''}${s.admission.notes ? html`<p class="muted">${s.admission.notes}</p>` : ''}${s.infusionAt ? html`<p>Infusion (day 0): ${when(s.infusionAt)}</p>` : ''}</section>`
    : html``;

  const m = s.monitoring;
  const monitoring = m
    ? html`<section class="card" aria-labelledby="mon-h"><h2 id="mon-h">Post-infusion monitoring</h2>
<p>Day 0 ${when(m.infusionAt, zone)}; window ${m.ended ? html`ended ${when(m.ended.at, zone)} (${m.ended.reason})` : html`until ${when(m.windowEndsAt, zone)}`}. Highest CRS grade ${m.highestCrsGrade}, ICANS grade ${m.highestIcansGrade}; fever on ${m.feverDays} day${m.feverDays === 1 ? '' : 's'}.${m.nextCheckin ? html` Next check-in: day ${m.nextCheckin.day}, ${when(m.nextCheckin.dueAt, zone)}.` : ''}</p>
${monitoringChart({ infusionAt: m.infusionAt, windowEndsAt: m.windowEndsAt, now: new Date(d.now).toISOString(), timeZone: zone, checkins: m.checkins, observations: d.observations, ended: m.ended })}
</section>`
    : html``;

  const followUps = s.followUps.length
    ? html`<section class="card" aria-labelledby="fu-h"><h2 id="fu-h">Follow-up</h2><ul>${s.followUps.map((f) => html`<li>Day ${f.day}: ${f.sentAt ? `contacted ${when(f.sentAt)}` : 'not yet'}${f.outcome ? html` – ${f.outcome}` : ''}</li>`)}</ul></section>`
    : html``;

  const emails = html`<section class="card" aria-labelledby="em-h"><h2 id="em-h">Emails</h2>${
    d.emails.length
      ? html`<div class="scroll"><table><thead><tr><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Status</th></tr></thead><tbody>${d.emails.map(
          (e) => html`<tr><td>${e.to}</td><td>${e.subject}<br><span class="muted">${e.kind.replaceAll('_', ' ')}</span></td><td>${badge(e.status)}${e.sentAt ? html`<br><span class="muted nowrap">${when(e.sentAt)}</span>` : ''}${e.error ? html`<br><span class="error">${e.error}</span>` : ''}</td></tr>`,
        )}</tbody></table></div>`
      : html`<p class="muted">None yet.</p>`
  }</section>`;

  const timeline = html`<section class="card" aria-labelledby="tl-h"><h2 id="tl-h">Timeline</h2>${
    d.timeline.length
      ? html`<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th></tr></thead><tbody>${[...d.timeline].reverse().map(
          (t) => html`<tr><td class="nowrap">${when(t.at)}</td><td>${t.summary}</td><td>${t.actor}</td></tr>`,
        )}</tbody></table></div>`
      : html`<p class="muted">Nothing yet.</p>`
  }</section>`;

  const accessDetail = (r: AccessRecord) =>
    Object.entries(r.detail ?? {})
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
  const access = d.access
    ? html`<section class="card" aria-labelledby="seen-h"><h2 id="seen-h">Who has seen this case</h2>${
        d.access.entries.length
          ? html`<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">From</th></tr></thead><tbody>${d.access.entries.map(
              (r) => html`<tr><td class="nowrap">${when(r.at)}</td><td>${r.actor} <span class="muted">${r.party}</span></td><td>${r.action.replaceAll('_', ' ')}${r.detail ? html`<br><span class="muted">${accessDetail(r)}</span>` : ''}</td><td>${r.clientAddress ?? html`<span class="muted">–</span>`}</td></tr>`,
            )}</tbody></table></div>${
              d.access.more
                ? html`<p class="muted">The newest ${d.access.entries.length} entries; for all of them: <code>casectl access-log ${s.caseId}</code> or GET /api/cases/${s.caseId}/access-log.</p>`
                : ''
            }`
          : html`<p class="muted">Nobody yet.</p>`
      }</section>`
    : html``;

  const actionForms = forms.length
    ? html`<section aria-labelledby="act-h"><h2 id="act-h">Actions</h2><div class="actions">${forms.map((a) => renderForm(a, s.caseId, viewer.csrfToken, formCtx, d.form?.action === a ? d.form.refused : undefined))}</div></section>`
    : html``;

  const body = html`<p><a href="/console/">← All cases</a></p>
<h1>${d.family?.name ?? d.patientRef} <span class="muted">· ${s.caseId}</span></h1>
${d.done && Object.hasOwn(DONE, d.done) ? html`<p class="banner ok" role="status">${DONE[d.done]}</p>` : ''}
${d.form && (d.form.errors.length || d.form.refused) ? html`<p class="banner err" role="alert">${d.form.refused ? `Refused: ${d.form.refused}` : 'Not done: please correct the form below.'}</p>` : ''}
${s.recorded ? html`<p class="banner err" role="status">The case's worker did not answer in time: this is what was recorded at ${when(s.recorded.asOf)}. Follow-up contacts and monitoring are not shown; reload in a moment.</p>` : ''}
<div class="card">
<p>Stage: <strong>${stageName(s.stage)}</strong>${openAlerts.length ? html` ${badge(openAlerts.some((a) => a.tier) ? 'clinical_alert' : 'alert', `${openAlerts.length} open alert${openAlerts.length > 1 ? 's' : ''}`)}` : ''}</p>
<p class="waiting${overdue ? ' overdue' : ''}">Waiting for: ${waitingLine(s.waitingFor, d.now)}</p>
<p class="muted">Patient reference ${d.patientRef}${d.family ? html` · family ${d.family.email}, writes in ${d.family.language}, ${d.family.timeZone}` : ''}${s.cancelled ? html` · cancelled by ${s.cancelled.by}: ${s.cancelled.reason}` : ''}${s.closeReason ? html` · closed: ${s.closeReason}` : ''}</p>
${d.temporalUrl ? html`<p><a href="${d.temporalUrl}" rel="noreferrer">This case's workflow in the Temporal Web UI</a></p>` : ''}
</div>
${openAlerts.length ? alerts : ''}
${monitoring}
<div class="grid"><div>${actionForms}</div><div>${documents}${files}${submissions}${admission}${followUps}${openAlerts.length ? '' : alerts}</div></div>
${emails}${timeline}${access}`;
  return page(`${d.family?.name ?? s.caseId}`, body, viewer);
}

// ---- opening a case ----------------------------------------------------------------------------

export function openCasePage(viewer: Viewer, values: Record<string, string>, errors: FieldProblem[]): string {
  const field = (name: string, label: string, opts: { type?: string; hint?: string; textarea?: boolean } = {}) => {
    const errs = errors.filter((e) => e.field === name || e.field.startsWith(`${name}.`) || e.field.startsWith(`${name}[`));
    const id = `f-${name.replace(/\W/g, '-')}`;
    const invalid = errs.length ? html` aria-invalid="true" aria-describedby="${id}-err"` : html``;
    return html`<div class="field"><label for="${id}">${label}</label>${opts.hint ? html`<p class="hint">${opts.hint}</p>` : ''}${errs.length ? html`<p class="error" id="${id}-err">${errs.map((e) => e.message).join('; ')}</p>` : ''}${
      opts.textarea ? html`<textarea id="${id}" name="${name}"${invalid}>${values[name] ?? ''}</textarea>` : html`<input type="${opts.type ?? 'text'}" id="${id}" name="${name}" value="${values[name] ?? ''}"${invalid}>`
    }</div>`;
  };
  const other = errors.filter((e) => !['patientRef', 'diagnosis', 'therapy', 'family'].some((f) => e.field === f || e.field.startsWith(`${f}.`)));
  return page(
    'Open a case',
    html`<p><a href="/console/">← All cases</a></p><h1>Open a case</h1>
${errors.length ? html`<p class="banner err" role="alert">Not opened: please correct the fields marked below.${other.length ? html` ${other.map((e) => `${e.field}: ${e.message}`).join('; ')}` : ''}</p>` : ''}
<form method="post" action="/console/cases/new" class="card">
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
${field('patientRef', 'Patient reference', { hint: "your organisation's reference; the same reference always finds the same case" })}
${field('diagnosis', 'Diagnosis', { textarea: true })}
${field('therapy', 'Therapy sought', { hint: 'e.g. CD19 CAR-T' })}
<fieldset><legend>Family contact</legend>
${field('family.name', 'Name')}
${field('family.email', 'Email', { type: 'email' })}
${field('family.language', 'Language for emails', { hint: 'en, zh or es (others get English)' })}
${field('family.timeZone', 'Time zone', { hint: 'e.g. Europe/Madrid; check-ins follow it' })}
</fieldset>
<button type="submit">Open case</button>
</form>`,
    viewer,
  );
}

export function messagePage(viewer: Viewer | undefined, title: string, message: string): string {
  return page(title, html`<div class="card"><h1>${title}</h1><p>${message}</p><p><a href="/console/">Back to the cases</a></p></div>`, viewer);
}
