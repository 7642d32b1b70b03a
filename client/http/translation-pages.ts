// The translator's page (client/http/translation.ts): the document to translate, its original to
// download, the translations sent so far, and a plain multipart form for one translation at a time.
// Laid out like the family's records page (records-pages.ts); the words are the catalogues'
// `translatorPages` (the translator reads English, as their emails are).
import { documentName, messages, type MessageKey, type Values } from '../../i18n/index.ts';
import type { FileRow } from '../documents.ts';
import type { FileProblem } from './records-pages.ts';
import { escapeHtml, layout } from './pages.ts';
import { pageWords, type PageLanguage } from './texts.ts';

type TranslatorKey = MessageKey extends infer K ? (K extends `translatorPages.${infer R}` ? R : never) : never;

function words(lang: PageLanguage) {
  const m = messages(lang);
  const names = new Intl.DisplayNames(m.locale, { type: 'language', fallback: 'code' });
  const language = (code: string) => {
    try {
      return names.of(code) ?? code;
    } catch {
      // A tag Intl cannot read is shown as it is.
      return code;
    }
  };
  return {
    t: (key: TranslatorKey, values?: Values) => escapeHtml(m.format(`translatorPages.${key}` as MessageKey, values)),
    raw: (key: TranslatorKey, values?: Values) => m.format(`translatorPages.${key}` as MessageKey, values),
    doc: (type: string) => documentName(m, type),
    language,
    languages: (codes: readonly string[]) => new Intl.ListFormat(m.locale, { type: 'conjunction' }).format(codes.map(language)),
    // The translator's zone is not known: the day as the case counts it.
    date: (iso: string) => new Intl.DateTimeFormat(m.locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(iso)),
    size: (bytes: number) => new Intl.NumberFormat(m.locale, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(bytes / 1024 ** 2),
  };
}

const page = (lang: PageLanguage, title: string, body: string) => layout(pageWords(lang), title, body);

/** What became of an upload, said on the page it redirects to. */
export type UploadOutcome = { kind: 'partial'; remaining: string[] } | { kind: 'complete' | 'notAwaited' | 'notTold' };

export interface TranslationPageInput {
  lang: PageLanguage;
  /** The page's own path (the link), under which the originals download. */
  base: string;
  documentType: string;
  /** The original's language, when the case knows it. */
  fromLanguage?: string;
  /** The languages the link asks for. */
  languages: readonly string[];
  dueAt?: string;
  /** The case has the translation (done): nothing more is asked. */
  done: boolean;
  originals: FileRow[];
  translations: FileRow[];
  maxFileBytes: number;
  problems?: FileProblem[];
  missingField?: 'noFile' | 'language';
  /** The language chosen for what was sent last: chosen again, so a retry is not filed under another. */
  language?: string;
  outcome?: UploadOutcome;
}

export function translationPage(input: TranslationPageInput): string {
  const { lang } = input;
  const w = words(lang);
  const max = w.size(input.maxFileBytes);
  const problems = [
    ...(input.problems ?? []).map((p) => w.t(`problems.${p.reason}`, { name: p.name, max })),
    ...(input.missingField === 'language' ? [w.t('problems.language', { languages: w.languages(input.languages) })] : input.missingField ? [w.t('problems.noFile')] : []),
  ];
  const summary = problems.length ? `<div class="summary" role="alert" tabindex="-1" autofocus><ul>${problems.map((p) => `<li>${p}</li>`).join('')}</ul></div>` : '';
  const outcome = input.outcome
    ? `<div class="card done" role="status"><p>${input.outcome.kind === 'partial' ? w.t('outcome.partial', { languages: w.languages(input.outcome.remaining) }) : w.t(`outcome.${input.outcome.kind}`)}</p></div>`
    : '';
  const facts = [
    w.t('document', { document: w.doc(input.documentType) }),
    ...(input.fromLanguage ? [w.t('from', { language: w.language(input.fromLanguage) })] : []),
    w.t('into', { languages: w.languages(input.languages) }),
    ...(input.dueAt && !input.done ? [w.t('due', { date: w.date(input.dueAt) })] : []),
  ];
  const originals = input.originals.length
    ? `<ul class="files">${input.originals.map((f) => `<li><a href="${escapeHtml(`${input.base}/files/${f.id}`)}" download>${w.t('download', { name: f.fileName })}</a></li>`).join('')}</ul>`
    : `<p>${w.t('originalsNone')}</p>`;
  const sent = input.translations.length
    ? `<ul class="files">${input.translations
        .map((f) => `<li>${w.t('sentLine', { language: w.language(f.language ?? ''), name: f.fileName, status: w.raw(`status.${f.status}`, { reason: f.reason ?? '' }) })}</li>`)
        .join('')}</ul>`
    : `<p>${w.t('sentNone')}</p>`;
  const selected = (l: string) => (l === input.language ? ' selected' : '');
  const body = `<div class="card">
<h1>${w.t('title')}</h1>
<p>${w.t('intro')}</p>
<ul class="files">${facts.map((f) => `<li>${f}</li>`).join('')}</ul>
${input.done ? `<p>${w.t('done')}</p>` : ''}
</div>
${outcome}
${summary}
<div class="card">
<h2>${w.t('originalsTitle')}</h2>
${originals}
</div>
<div class="card">
<h2>${w.t('sendTitle')}</h2>
<form method="post" enctype="multipart/form-data" accept-charset="utf-8" id="translation-form">
<div class="field">
<label class="block" for="language">${w.t('languageLabel')}</label>
<select id="language" name="language">${input.languages.map((l) => `<option value="${escapeHtml(l)}"${selected(l)}>${escapeHtml(w.language(l))}</option>`).join('')}</select>
</div>
<div class="field">
<label class="block" for="file">${w.t('fileLabel')}</label>
<p class="hint" id="file-hint">${w.t('fileHint', { max })}</p>
<input type="file" id="file" name="file" aria-describedby="file-hint" accept=".pdf,.jpg,.jpeg,.png,.heic,.heif,application/pdf,image/*">
</div>
<button type="submit" class="submit">${w.t('submit')}</button>
</form>
</div>
<div class="card">
<h2>${w.t('sentTitle')}</h2>
${sent}
</div>`;
  return page(lang, w.t('title'), body);
}

export function translationMessagePage(lang: PageLanguage, which: 'closed' | 'expired' | 'unavailable'): string {
  const w = words(lang);
  if (which === 'unavailable') return page(lang, w.t('title'), `<div class="card"><h1>${w.t('title')}</h1><p>${w.t('problems.unavailable')}</p></div>`);
  return page(lang, w.t(`${which}Title`), `<div class="card"><h1>${w.t(`${which}Title`)}</h1><p>${w.t(`${which}Body`)}</p></div>`);
}
