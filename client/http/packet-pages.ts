// A hospital's packet page (client/http/packet.ts), in the hospital's language: the one-time code
// first, then the case, its documents and the decision form. Laid out like the families' pages
// (pages.ts): one column, large targets, no script, everything escaped.
import { documentName, messages, type MessageKey, type Values } from '../../i18n/index.ts';
import { DOCUMENT_TYPES } from '../../domain/case.ts';
import type { PacketSummary } from '../packets.ts';
import type { FileRow } from '../documents.ts';
import { escapeHtml, layout } from './pages.ts';
import { pageWords, type PageLanguage } from './texts.ts';

type PacketKey = MessageKey extends infer K ? (K extends `packetPages.${infer R}` ? R : never) : never;

export type HospitalDecision = 'accepted' | 'declined' | 'more_info';
export const DECISIONS: readonly HospitalDecision[] = ['accepted', 'declined', 'more_info'];

/** Why a code was not taken, or could not be sent (the page's words: `problems.<why>`). */
export type CodeProblem = 'wrong' | 'expired' | 'used' | 'none' | 'format' | 'tooSoon' | 'mailFailed';
/** A field of the decision form that is missing or wrong. */
export type DecisionProblem = 'decision' | 'reason' | 'documents' | 'text' | 'long';
/** The longest reason the case takes (domain/actions.ts). */
export const REASON_MAX = 2000;
export type RevokedWhy = 'closed' | 'consent' | 'superseded';

function words(lang: PageLanguage) {
  const m = messages(lang);
  return {
    t: (key: PacketKey, values?: Values) => escapeHtml(m.format(`packetPages.${key}` as MessageKey, values)),
    raw: (key: PacketKey, values?: Values) => m.format(`packetPages.${key}` as MessageKey, values),
    doc: (type: string) => documentName(m, type),
    language: (tag: string) => new Intl.DisplayNames([m.locale], { type: 'language' }).of(tag) ?? tag,
    size: (bytes: number) =>
      new Intl.NumberFormat(m.locale, { style: 'unit', unit: bytes >= 1024 ** 2 ? 'megabyte' : 'kilobyte', maximumFractionDigits: 1 }).format(bytes >= 1024 ** 2 ? bytes / 1024 ** 2 : Math.max(bytes / 1024, 0.1)),
  };
}
type Words = ReturnType<typeof words>;

const page = (lang: PageLanguage, title: string, body: string) => layout(pageWords(lang), title, body);

const alertBox = (lines: string[]) => (lines.length ? `<div class="summary" role="alert" tabindex="-1" autofocus><ul>${lines.map((l) => `<li>${l}</li>`).join('')}</ul></div>` : '');

/** The hospital's words for its one-time code mail: no patient data in it, the subject least of all. */
export function codeMail(lang: PageLanguage, code: string, hospital: string): { subject: string; text: string } {
  const w = words(lang);
  return { subject: w.raw('codeMail.subject'), text: w.raw('codeMail.body', { code, hospital }) };
}

export interface CodePageInput {
  lang: PageLanguage;
  hospital: string;
  /** The registered address, partly masked. */
  address: string;
  /** A code was sent (the redirect after sending says so): the page leads with the code's field. */
  sent?: boolean;
  problem?: CodeProblem;
  /** For `wrong`: wrong codes left before the link locks. For `tooSoon`: seconds to wait. */
  left?: number;
  seconds?: number;
}

export function codePage(input: CodePageInput): string {
  const { lang } = input;
  const w = words(lang);
  const problem = input.problem ? [w.t(`problems.${input.problem}`, { left: input.left ?? 0, seconds: input.seconds ?? 0 })] : [];
  const codeField = input.problem && input.problem !== 'tooSoon' && input.problem !== 'mailFailed';
  const body = `<div class="card">
<h1>${w.t('codeTitle')}</h1>
<p>${w.t('codeBody', { hospital: input.hospital, address: input.address })}</p>
</div>
${alertBox(problem)}
${input.sent ? `<div class="card done" role="status"><p>${w.t('codeSent', { address: input.address })}</p></div>` : ''}
<div class="card">
<form method="post" accept-charset="utf-8">
<input type="hidden" name="action" value="code">
<div class="field${codeField ? ' has-error' : ''}">
<label class="block" for="code">${w.t('codeLabel')}</label>
<p class="hint" id="code-hint">${w.t('codeHint')}</p>
<input type="text" id="code" name="code" class="short" inputmode="numeric" autocomplete="one-time-code" maxlength="12" aria-describedby="code-hint"${codeField ? ' aria-invalid="true"' : ''}>
</div>
<button type="submit" class="submit">${w.t('codeSubmit')}</button>
</form>
<form method="post" accept-charset="utf-8">
<input type="hidden" name="action" value="send">
<button type="submit" class="${input.sent ? 'link-button' : 'submit'}">${input.sent ? w.t('sendAgain') : w.t('sendCode')}</button>
</form>
</div>`;
  return page(lang, w.t('codeTitle'), body);
}

export interface PacketPageInput {
  lang: PageLanguage;
  summary: PacketSummary;
  round: number;
  /** The documents the hospital asked for before this round, when it is a resubmission. */
  requested: string[];
  files: FileRow[];
  /** Where each file downloads: the page's own path, then files/<id>. */
  filesPath: string;
  problems?: DecisionProblem[];
  /** What was sent with the form, chosen again when it comes back with a problem. */
  values?: { decision?: string; reason?: string; documents?: string[] };
}

function facts(rows: [string, string][]): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<div><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`;
}

function fileLine(w: Words, f: FileRow, href: string): string {
  const translation = f.kind === 'translation' ? f.language : null;
  const values = { document: w.doc(f.documentType), name: f.fileName, size: w.size(f.size), ...(translation ? { language: w.language(translation) } : {}) };
  return `<li><a href="${escapeHtml(href)}" download>${w.t(translation ? 'translated' : 'original', values)}</a></li>`;
}

export function packetPage(input: PacketPageInput): string {
  const { lang, summary } = input;
  const w = words(lang);
  const problems = input.problems ?? [];
  const v = input.values ?? {};
  const has = (p: DecisionProblem) => problems.includes(p);
  const checked = (on: boolean) => (on ? ' checked' : '');
  const decisions = DECISIONS.map(
    (d) => `<label class="choice"><input type="radio" name="decision" value="${d}"${checked(v.decision === d)}> ${w.t(`decisions.${d}`)}</label>`,
  ).join('\n');
  const documents = DOCUMENT_TYPES.map(
    (t) => `<label class="choice"><input type="checkbox" name="documents" value="${t}"${checked(v.documents?.includes(t) ?? false)}> ${escapeHtml(w.doc(t))}</label>`,
  ).join('\n');
  const body = `<div class="card">
<h1>${w.t('title')}</h1>
<h2>${w.t('summaryTitle')}</h2>
${facts([
  [w.t('patientRef'), summary.patientRef],
  [w.t('diagnosis'), summary.diagnosis],
  [w.t('therapy'), summary.therapy],
  [w.t('round'), String(input.round)],
])}
${input.requested.length ? `<h2>${w.t('requestedTitle')}</h2><ul class="files">${input.requested.map((t) => `<li>${escapeHtml(w.doc(t))}</li>`).join('')}</ul>` : ''}
</div>
${alertBox(problems.map((p) => w.t(`problems.${p}`, { max: REASON_MAX })))}
<div class="card">
<h2>${w.t('documentsTitle')}</h2>
${input.files.length ? `<p class="hint">${w.t('documentsHint')}</p><ul class="files" id="documents">${input.files.map((f) => fileLine(w, f, `${input.filesPath}/${f.id}`)).join('')}</ul>` : `<p>${w.t('documentsNone')}</p>`}
</div>
<div class="card">
<h2>${w.t('decisionTitle')}</h2>
<form method="post" accept-charset="utf-8">
<input type="hidden" name="action" value="decide">
<fieldset class="field${has('decision') ? ' has-error' : ''}">
<legend>${w.t('decisionLegend')}</legend>
${decisions}
</fieldset>
<div class="field${has('reason') || has('text') || has('long') ? ' has-error' : ''}">
<label class="block" for="reason">${w.t('reasonLabel')}</label>
<p class="hint" id="reason-hint">${w.t('reasonHint')}</p>
<textarea id="reason" name="reason" maxlength="${REASON_MAX}" aria-describedby="reason-hint"${has('reason') || has('text') || has('long') ? ' aria-invalid="true"' : ''}>${escapeHtml(v.reason ?? '')}</textarea>
</div>
<fieldset class="field${has('documents') ? ' has-error' : ''}">
<legend>${w.t('documentsLegend')}</legend>
<p class="hint">${w.t('documentsLegendHint')}</p>
${documents}
</fieldset>
<button type="submit" class="submit">${w.t('decide')}</button>
</form>
</div>`;
  return page(lang, w.t('title'), body);
}

export interface DecidedPageInput {
  lang: PageLanguage;
  decision: HospitalDecision;
  documents?: string[];
  /** Shown only to a hospital with a session: a bare link does not read what was typed. */
  reason?: string;
  /** Just recorded through this page (the redirect after the form), or refused as a different one. */
  as?: 'done' | 'refused';
}

export function decidedPage(input: DecidedPageInput): string {
  const { lang } = input;
  const w = words(lang);
  const decision = w.raw(`decisions.${input.decision}`);
  const title = input.as === 'done' ? w.t('doneTitle') : input.as === 'refused' ? w.t('refusedTitle') : w.t('decidedTitle');
  const body = `<div class="card${input.as === 'refused' ? '' : ' done'}">
<h1>${title}</h1>
<p>${input.as === 'refused' ? w.t('refusedBody', { decision }) : w.t('recorded', { decision })}</p>
${input.reason ? `<p>${w.t('reasonLabel')}: ${escapeHtml(input.reason)}</p>` : ''}
${input.documents?.length ? `<p>${w.t('recordedDocuments')}</p><ul class="files">${input.documents.map((t) => `<li>${escapeHtml(w.doc(t))}</li>`).join('')}</ul>` : ''}
</div>`;
  return page(lang, title, body);
}

/** A page that only says why the link opens nothing. */
export function packetMessagePage(lang: PageLanguage, which: 'locked' | 'expired' | { revoked: RevokedWhy }): string {
  const w = words(lang);
  if (which === 'locked' || which === 'expired') return page(lang, w.t(`${which}Title`), `<div class="card"><h1>${w.t(`${which}Title`)}</h1><p>${w.t(`${which}Body`)}</p></div>`);
  return page(lang, w.t('revokedTitle'), `<div class="card"><h1>${w.t('revokedTitle')}</h1><p>${w.t(`revoked.${which.revoked}`)}</p><p>${w.t('contactCoordinator')}</p></div>`);
}
