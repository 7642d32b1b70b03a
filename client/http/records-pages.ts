// The family's records page (client/http/records.ts), in their language: consent first, then what
// is missing, what has come, and a plain multipart form that works without JavaScript. Laid out like
// the check-in pages (pages.ts): one column, large targets, everything escaped.
import { documentName, messages, type MessageKey, type Values } from '../../i18n/index.ts';
import type { FamilyView, FileRow, UploadRefusal } from '../documents.ts';
import type { Script } from './assets.ts';
import { escapeHtml, layout } from './pages.ts';
import { pageWords, type PageLanguage } from './texts.ts';

type RecordsKey = MessageKey extends infer K ? (K extends `recordsPages.${infer R}` ? R : never) : never;

function words(lang: PageLanguage) {
  const m = messages(lang);
  return {
    /** A message, escaped (its values are given as plain text). */
    t: (key: RecordsKey, values?: Values) => escapeHtml(m.format(`recordsPages.${key}` as MessageKey, values)),
    raw: (key: RecordsKey, values?: Values) => m.format(`recordsPages.${key}` as MessageKey, values),
    doc: (type: string) => documentName(m, type),
    date: (iso: string) => new Intl.DateTimeFormat(m.locale, { dateStyle: 'long' }).format(new Date(iso)),
    size: (bytes: number) =>
      new Intl.NumberFormat(m.locale, { style: 'unit', unit: bytes >= 1024 ** 3 ? 'gigabyte' : 'megabyte', maximumFractionDigits: 1 }).format(bytes >= 1024 ** 3 ? bytes / 1024 ** 3 : bytes / 1024 ** 2),
  };
}

const page = (lang: PageLanguage, title: string, body: string) => layout(pageWords(lang), title, body);

/** One file the page could not take, and why (in the family's words). */
export interface FileProblem {
  name: string;
  reason: UploadRefusal;
}

export interface RecordsPageInput {
  lang: PageLanguage;
  view: FamilyView;
  /** Document types the family may choose from: the case's, then "another". */
  documentTypes: string[];
  maxFileBytes: number;
  problems?: FileProblem[];
  /** A field the form needs and did not get. */
  missingField?: 'noFile' | 'documentType';
  /** The type the family chose for what they sent last: chosen again, so a retry is not filed as another. */
  documentType?: string;
  /** The scripts that make the form's uploads resumable (assets.ts); without them the form posts as it is. */
  scripts?: readonly Script[];
  /** Hospitals chosen for the case that wait for the family's approval (code and name). */
  toApprove?: { code: string; name: string }[];
  /** A hospital the family has just approved (its name). */
  approved?: string;
}

/** The words the page's script says, as data-* attributes of the form: `{name}` and `{percent}` it fills in itself. */
function scriptWords(w: ReturnType<typeof words>, max: string): string {
  const name = '{name}';
  const said: Record<string, string> = {
    sending: w.raw('sending', { name, percent: '{percent}' }),
    arrived: w.raw('arrived', { name }),
    interrupted: w.raw('interrupted', { name }),
    'problem-type': w.raw('problems.type', { name, max }),
    'problem-too-large': w.raw('problems.too_large', { name, max }),
    'problem-case-full': w.raw('problems.case_full', { name, max }),
    'problem-empty': w.raw('problems.empty', { name, max }),
    'problem-unavailable': w.raw('problems.unavailable'),
  };
  return Object.entries(said)
    .map(([key, text]) => ` data-${key}="${escapeHtml(text)}"`)
    .join('');
}

function fileLine(w: ReturnType<typeof words>, f: FileRow): string {
  return `<li>${w.t('received', { name: f.fileName, document: w.doc(f.documentType), status: w.raw(`status.${f.status}`, { reason: f.reason ?? '' }) })}</li>`;
}

export function consentPage(lang: PageLanguage): string {
  const w = words(lang);
  const body = `<div class="card">
<h1>${w.t('consentTitle')}</h1>
<p>${w.t('consentBody')}</p>
<form method="post" accept-charset="utf-8">
<input type="hidden" name="consent" value="agree">
<button type="submit" class="submit">${w.t('consentAgree')}</button>
</form>
</div>`;
  return page(lang, w.t('consentTitle'), body);
}

export function recordsPage(input: RecordsPageInput): string {
  const { lang, view } = input;
  const w = words(lang);
  const max = w.size(input.maxFileBytes);
  const problems = [
    ...(input.problems ?? []).map((p) => w.t(`problems.${p.reason}`, { name: p.name, max })),
    ...(input.missingField ? [w.t(`problems.${input.missingField}`)] : []),
  ];
  const summary = problems.length ? `<div class="summary" role="alert" tabindex="-1" autofocus><ul>${problems.map((p) => `<li>${p}</li>`).join('')}</ul></div>` : '';
  const selected = (t: string) => (t === input.documentType ? ' selected' : '');
  const options = [...input.documentTypes.map((t) => `<option value="${escapeHtml(t)}"${selected(t)}>${escapeHtml(w.doc(t))}</option>`), `<option value="other"${selected('other')}>${w.t('otherDocument')}</option>`].join('');
  const approval = input.toApprove?.length
    ? `<div class="card" id="sharing">
<h2>${w.t('shareTitle')}</h2>
<p>${w.t('shareBody')}</p>
${input.toApprove
  .map(
    (h) => `<form method="post" accept-charset="utf-8"><input type="hidden" name="consent" value="share"><input type="hidden" name="hospital" value="${escapeHtml(h.code)}"><button type="submit" class="submit">${w.t('shareApprove', { hospital: h.name })}</button></form>`,
  )
  .join('\n')}
</div>`
    : '';
  const body = `<div class="card">
<h1>${w.t('title')}</h1>
<p>${w.t('intro')}</p>
</div>
${input.approved ? `<div class="card done" role="status"><p>${w.t('shareApproved', { hospital: input.approved })}</p></div>` : ''}
${summary}
${approval}
<div class="card">
<h2>${w.t('missingTitle')}</h2>
${view.missing.length ? `<ul class="files">${view.missing.map((t) => `<li>${escapeHtml(w.doc(t))}</li>`).join('')}</ul>` : `<p>${w.t('missingNone')}</p>`}
</div>
<div class="card">
<h2>${w.t('sendTitle')}</h2>
<form method="post" enctype="multipart/form-data" accept-charset="utf-8" id="records-form"${input.scripts?.length ? scriptWords(w, max) : ''}>
<div class="field">
<label class="block" for="documentType">${w.t('documentTypeLabel')}</label>
<select id="documentType" name="documentType">${options}</select>
</div>
<div class="field">
<label class="block" for="file">${w.t('fileLabel')}</label>
<p class="hint" id="file-hint">${w.t('fileHint', { max })}</p>
<input type="file" id="file" name="file" multiple aria-describedby="file-hint" accept=".pdf,.jpg,.jpeg,.png,.heic,.heif,.dcm,.zip,application/pdf,image/*,application/dicom,application/zip">
</div>
<button type="submit" class="submit">${w.t('submit')}</button>
</form>
<ul class="files progress" id="upload-progress"></ul>
</div>
<div class="card">
<h2>${w.t('receivedTitle')}</h2>
${view.files.length ? `<ul class="files">${view.files.map((f) => fileLine(w, f)).join('')}</ul>` : `<p>${w.t('receivedNone')}</p>`}
</div>
${
  view.consentedAt
    ? `<div class="card"><p class="meta">${w.t('consentGiven', { date: w.date(view.consentedAt) })}</p>
<form method="post" accept-charset="utf-8"><input type="hidden" name="consent" value="withdraw"><button type="submit" class="link-button">${w.t('consentWithdraw')}</button></form></div>`
    : ''
}
${(input.scripts ?? []).map((s) => `<script src="${escapeHtml(s.src)}" integrity="${escapeHtml(s.integrity)}" defer></script>`).join('\n')}`;
  return page(lang, w.t('title'), body);
}

export function sentPage(lang: PageLanguage, count: number): string {
  const w = words(lang);
  return page(lang, w.t('sentTitle', { count }), `<div class="card done"><h1>${w.t('sentTitle', { count })}</h1><p>${w.t('sentBody')}</p><p><a href="?">${w.t('backToPage')}</a></p></div>`);
}

export function withdrawnPage(lang: PageLanguage): string {
  const w = words(lang);
  return page(lang, w.t('withdrawnTitle'), `<div class="card"><h1>${w.t('withdrawnTitle')}</h1><p>${w.t('withdrawnBody')}</p><p><a href="?">${w.t('backToPage')}</a></p></div>`);
}

export function recordsMessagePage(lang: PageLanguage, which: 'closed' | 'expired' | 'unavailable'): string {
  const w = words(lang);
  if (which === 'unavailable') return page(lang, w.t('title'), `<div class="card"><h1>${w.t('title')}</h1><p>${w.t('problems.unavailable')}</p></div>`);
  return page(lang, w.t(`${which}Title`), `<div class="card"><h1>${w.t(`${which}Title`)}</h1><p>${w.t(`${which}Body`)}</p></div>`);
}
