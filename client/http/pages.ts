// The family's check-in pages, rendered on the server: no JavaScript, no external resources, one
// inline stylesheet (allowed by its hash in the Content-Security-Policy). Mobile first: one column,
// touch targets of at least 44px, readable at 360px wide. Every value that is not a fixed string of
// this file is escaped, the catalogues' words too (texts.ts); the only markup built from data is the
// team's tel: link. A page is laid out in its language's direction (dir="rtl" for Arabic, say): the
// stylesheet names sides by where a line starts and ends, never left and right.
import { createHash } from 'node:crypto';
import { SYMPTOMS, type Tier } from '../../domain/checkin-report.ts';
import { NOTES_MAX_CHARS } from '../../domain/checkin-report.ts';
import { TEMPERATURE_RANGE } from '../../domain/crs.ts';
import type { CheckinFormValues, FieldProblems, FormField } from './checkin-form.ts';
import { pageWords, type PageKey, type PageLanguage, type PageWords } from './texts.ts';

/** The tiers that ask the family to call someone now. */
type ActionTier = Exclude<Tier, 'none'>;

// Colours (contrast on their background): ink #1f2933 on white 14.8:1, on #f3f4f6 13.4:1;
// link/button #0b57d0 6.4:1 on white, 5.6:1 on #e8f0fe; error #b3261e 6.5:1 on white, 5.7:1 on
// #fdecea; hint #4b5563 7.6:1; input borders #5f6b7a 5.4:1; white on #9a3412 7.3:1, on #8a1c14 9.3:1;
// #1e6b34 on #e6f4ea 5.8:1.
const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#1f2933;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;font-size:18px;line-height:1.5}
.top{background:#1f2933;color:#fff;padding:10px 16px;font-size:16px;font-weight:600}
.top p{margin:0 auto;max-width:40rem}
main{display:block;max-width:40rem;margin:0 auto;padding:16px 12px 40px}
.card{background:#fff;border-radius:10px;padding:20px 16px;margin:0 0 16px}
h1{font-size:1.55rem;line-height:1.25;margin:0 0 8px}
h2{font-size:1.2rem;line-height:1.3;margin:0 0 8px}
p{margin:0 0 12px}
.meta{color:#4b5563;margin:0}
a{color:#0b57d0;text-decoration:underline;text-underline-offset:2px}
.tel{white-space:nowrap;font-weight:700;direction:ltr;unicode-bidi:isolate}
:focus-visible{outline:3px solid #1f2933;outline-offset:3px}
.advice{background:#e8f0fe;border-inline-start:6px solid #0b57d0;border-radius:6px;padding:14px 14px 2px;margin:0 0 16px}
.advice p{font-weight:600}
.summary{background:#fff;border:3px solid #b3261e;border-radius:10px;padding:16px;margin:0 0 16px}
.summary ul{margin:0;padding-inline-start:20px}
.summary li{margin:0 0 8px;overflow-wrap:anywhere}
.summary a{color:#b3261e;font-weight:600}
form{margin:0}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{display:block;width:100%;padding:0;margin:0 0 8px;font-size:1.2rem;font-weight:700;line-height:1.3}
.field{margin:0 0 18px}
.field:last-child{margin-bottom:0}
input.short,select.short{max-width:14rem}
label.block{display:block;font-weight:600;margin:0 0 4px}
.hint{color:#4b5563;margin:0 0 6px;font-size:16px}
.error{color:#b3261e;font-weight:700;margin:0 0 6px}
.has-error{border-inline-start:4px solid #b3261e;padding-inline-start:12px}
input[type=file]{display:block;width:100%;min-height:48px;padding:10px 0;font:inherit}
.files{margin:0;padding-inline-start:20px}
.files li{margin:0 0 6px;overflow-wrap:anywhere}
.progress:empty{display:none}
.progress{margin-top:16px}
.progress li[role=alert]{color:#b3261e;font-weight:600}
.submit:disabled{opacity:.6;cursor:progress}
progress{display:block;width:100%;height:14px;margin:4px 0 0;accent-color:#0b57d0}
.link-button{display:inline-block;min-height:44px;padding:10px 0;font:inherit;color:#0b57d0;background:none;border:0;text-decoration:underline;cursor:pointer}
input[type=text],input[type=datetime-local],select,textarea{display:block;width:100%;min-height:48px;margin:0;padding:10px 12px;font:inherit;color:#1f2933;background:#fff;border:2px solid #5f6b7a;border-radius:6px}
input[type=datetime-local]{-webkit-appearance:none;appearance:none}
textarea{min-height:7.5rem;resize:vertical}
input[aria-invalid=true],select[aria-invalid=true],textarea[aria-invalid=true]{border-color:#b3261e;border-width:3px}
.choice{position:relative;display:block;min-height:48px;padding-block:11px;padding-inline:48px 0;margin:0 0 4px;cursor:pointer}
.choice input{position:absolute;inset-inline-start:4px;top:10px;width:28px;height:28px;margin:0;accent-color:#0b57d0;cursor:pointer}
.choices-inline{display:flex;flex-wrap:wrap;gap:0 24px}
.choices-inline .choice{min-width:7rem}
.submit{display:block;width:100%;min-height:56px;margin:8px 0 0;padding:12px 16px;font:inherit;font-size:1.2rem;font-weight:700;color:#fff;background:#0b57d0;border:0;border-radius:10px;cursor:pointer}
.act{border:3px solid #b3261e;background:#fdecea;border-radius:10px;padding:18px 16px;margin:0 0 16px}
.act-contact_team{border-color:#9a3412;background:#fff4e5}
.act .instruction{font-size:1.3rem;line-height:1.4;font-weight:700}
.call{display:block;min-height:56px;padding:14px 16px;margin:4px 0 4px;text-align:center;font-size:1.2rem;font-weight:700;text-decoration:none;color:#fff;background:#8a1c14;border-radius:10px}
.act-contact_team .call{background:#9a3412}
.call:visited{color:#fff}
.call-label,.call-number{display:block}
.call-number{white-space:nowrap;font-size:1.35rem;direction:ltr;unicode-bidi:isolate}
.done{border-inline-start:6px solid #1e6b34;background:#e6f4ea}
.done h1{color:#1e6b34}
@media (min-width:600px){main{padding:24px 16px 48px}.card{padding:28px 24px}}
`;

/** The Content-Security-Policy source for the one inline stylesheet. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** `tel:` target for a phone number as written ("+34 91 123 45 67" → "tel:+34911234567"), or undefined. */
export function telHref(phone: string): string | undefined {
  const digits = phone.replace(/[^\d]/g, '');
  if (digits.length < 3) return undefined;
  return `tel:${phone.trim().startsWith('+') ? '+' : ''}${digits}`;
}

function phoneLink(phone: string): string {
  const href = telHref(phone);
  return href ? `<a class="tel" href="${escapeHtml(href)}">${escapeHtml(phone)}</a>` : `<span class="tel">${escapeHtml(phone)}</span>`;
}

/** A sentence with the team's number where its {phone} is (as a tel: link), or its no-number form. */
function phoned(t: PageWords, sentence: 'advice' | `instruction.${ActionTier}`, phone: string | undefined): string {
  if (!phone) return escapeHtml(t.text(`${sentence}.noPhone`));
  return t
    .withPhone(`${sentence}.withPhone`, { phone })
    .map((part) => (typeof part === 'string' ? escapeHtml(part) : phoneLink(part.phone)))
    .join('');
}

function advice(t: PageWords, phone: string | undefined): string {
  return `<div class="advice" role="note"><p>${phoned(t, 'advice', phone)}</p></div>`;
}

export function layout(t: PageWords, title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(t.locale)}" dir="${t.dir}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    '<meta name="format-detection" content="telephone=no">',
    `<title>${escapeHtml(t.text('pageTitle', { title, service: t.text('service') }))}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<header class="top"><p>${escapeHtml(t.text('service'))}</p></header>`,
    `<main>${body}</main>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface PageContext {
  lang: PageLanguage;
  /** The treating team's 24/7 number, when the case's protocol names one. */
  phone?: string;
}

// ---------------------------------------------------------------------------------------------
// The form

export interface FormPageInput extends PageContext {
  /** Day after the infusion, shown under the title. */
  day?: number;
  /** The family's time zone: "taken at" is read in it. */
  timeZone: string;
  values: CheckinFormValues;
  problems?: FieldProblems;
}

const FIELD_ORDER: readonly FormField[] = ['temperature', 'unit', 'takenAt', 'admitted', 'symptoms', 'notes'];
const FIELD_TARGET: Record<FormField, string> = {
  temperature: 'temperature',
  unit: 'unit',
  takenAt: 'takenAt',
  admitted: 'admitted-yes',
  symptoms: `symptom-${SYMPTOMS[0]}`,
  notes: 'notes',
};

export function formPage(input: FormPageInput): string {
  const t = pageWords(input.lang);
  const v = input.values;
  const problems = input.problems ?? {};
  // What the problems may say: the bounds of a body temperature in the unit chosen, the longest note.
  const bounds = { unit: v.unit.toUpperCase(), min: TEMPERATURE_RANGE[v.unit].min, max: TEMPERATURE_RANGE[v.unit].max, limit: NOTES_MAX_CHARS };
  const message = (field: FormField): string | undefined => {
    const p = problems[field];
    return p && t.text(`problems.${p}`, bounds);
  };
  const errorP = (field: FormField): string => {
    const m = message(field);
    return m ? `<p class="error" id="${field}-error">${escapeHtml(m)}</p>` : '';
  };
  /** aria-describedby/aria-invalid for a control: its hint, then its error. */
  const described = (field: FormField, hint?: string): string => {
    const ids = [hint, problems[field] ? `${field}-error` : undefined].filter(Boolean).join(' ');
    return `${ids ? ` aria-describedby="${ids}"` : ''}${problems[field] ? ' aria-invalid="true"' : ''}`;
  };
  const fieldClass = (field: FormField) => `field${problems[field] ? ' has-error' : ''}`;
  const checked = (on: boolean) => (on ? ' checked' : '');

  const listed = FIELD_ORDER.filter((f) => problems[f]);
  const summary = listed.length
    ? `<div class="summary" role="alert" aria-labelledby="summary-title" tabindex="-1" autofocus>
<h2 id="summary-title">${escapeHtml(t.text('errorSummaryTitle'))}</h2>
<ul>${listed.map((f) => `<li><a href="#${FIELD_TARGET[f]}">${escapeHtml(message(f) ?? '')}</a></li>`).join('')}</ul>
</div>`
    : '';

  const body = `
<div class="card">
<h1>${escapeHtml(t.text('formTitle'))}</h1>
${input.day !== undefined ? `<p class="meta">${escapeHtml(t.text('day', { day: input.day }))}</p>` : ''}
</div>
${advice(t, input.phone)}
${summary}
<form method="post" accept-charset="utf-8" autocomplete="off" novalidate>
<input type="hidden" name="lang" value="${escapeHtml(input.lang)}">
<div class="card">
<fieldset>
<legend>${escapeHtml(t.text('temperatureLegend'))}</legend>
<div class="${fieldClass('temperature')}">
<label class="block" for="temperature">${escapeHtml(t.text('temperatureLabel'))}</label>
<p class="hint" id="temperature-hint">${escapeHtml(t.text('temperatureHint'))}</p>
${errorP('temperature')}
<input type="text" id="temperature" name="temperature" class="short" inputmode="decimal" maxlength="10" spellcheck="false" value="${escapeHtml(v.temperature)}"${described('temperature', 'temperature-hint')}>
</div>
<div class="${fieldClass('unit')}">
<label class="block" for="unit">${escapeHtml(t.text('unitLabel'))}</label>
${errorP('unit')}
<select id="unit" name="unit" class="short"${described('unit')}>
<option value="c"${v.unit === 'c' ? ' selected' : ''}>${escapeHtml(t.text('units.c'))}</option>
<option value="f"${v.unit === 'f' ? ' selected' : ''}>${escapeHtml(t.text('units.f'))}</option>
</select>
</div>
<div class="${fieldClass('takenAt')}">
<label class="block" for="takenAt">${escapeHtml(t.text('takenAtLabel'))}</label>
<p class="hint" id="takenAt-hint">${escapeHtml(t.text('takenAtHint', { timeZone: input.timeZone }))}</p>
${errorP('takenAt')}
<input type="datetime-local" id="takenAt" name="takenAt" value="${escapeHtml(v.takenAt)}"${described('takenAt', 'takenAt-hint')}>
</div>
<label class="choice" for="noTemperature"><input type="checkbox" id="noTemperature" name="noTemperature" value="yes"${checked(v.noTemperature)}>${escapeHtml(t.text('noTemperatureLabel'))}</label>
</fieldset>
</div>
<div class="card">
<fieldset${problems.admitted ? ' class="has-error" aria-describedby="admitted-error"' : ''}>
<legend>${escapeHtml(t.text('admittedLegend'))}</legend>
${errorP('admitted')}
<div class="choices-inline">
<label class="choice" for="admitted-yes"><input type="radio" id="admitted-yes" name="admitted" value="yes"${checked(v.admitted === 'yes')}>${escapeHtml(t.text('yes'))}</label>
<label class="choice" for="admitted-no"><input type="radio" id="admitted-no" name="admitted" value="no"${checked(v.admitted === 'no')}>${escapeHtml(t.text('no'))}</label>
</div>
</fieldset>
</div>
<div class="card">
<fieldset${problems.symptoms ? ' class="has-error"' : ''} aria-describedby="symptoms-hint${problems.symptoms ? ' symptoms-error' : ''}">
<legend>${escapeHtml(t.text('symptomsLegend'))}</legend>
<p class="hint" id="symptoms-hint">${escapeHtml(t.text('symptomsHint'))}</p>
${errorP('symptoms')}
${SYMPTOMS.map((s) => `<label class="choice" for="symptom-${s}"><input type="checkbox" id="symptom-${s}" name="symptoms" value="${s}"${checked(v.symptoms.includes(s))}>${escapeHtml(t.text(`symptoms.${s}`))}</label>`).join('\n')}
</fieldset>
</div>
<div class="card">
<div class="${fieldClass('notes')}">
<label class="block" for="notes">${escapeHtml(t.text('notesLabel'))}</label>
<p class="hint" id="notes-hint">${escapeHtml(t.text('notesHint'))}</p>
${errorP('notes')}
<textarea id="notes" name="notes" rows="4" maxlength="${NOTES_MAX_CHARS}"${described('notes', 'notes-hint')}>${escapeHtml(v.notes)}</textarea>
</div>
<button type="submit" class="submit">${escapeHtml(t.text('submit'))}</button>
</div>
</form>
${advice(t, input.phone)}`;
  return layout(t, t.text('formTitle'), body);
}

// ---------------------------------------------------------------------------------------------
// After a report

function actBox(t: PageWords, tier: ActionTier, phone: string | undefined, opts: { heading: 'h1' | 'h2'; lead?: string }): string {
  const href = phone ? telHref(phone) : undefined;
  const { heading: h, lead } = opts;
  return `<section class="act act-${tier}" aria-labelledby="act-title">
<${h} id="act-title">${escapeHtml(t.text('actNowTitle'))}</${h}>
${lead ? `<p>${escapeHtml(lead)}</p>` : ''}
<p class="instruction">${phoned(t, `instruction.${tier}`, phone)}</p>
${href && phone ? `<a class="call" href="${escapeHtml(href)}"><span class="call-label">${escapeHtml(t.text('callTeamButton'))}</span> <span class="call-number">${escapeHtml(phone)}</span></a>` : ''}
</section>`;
}

export function resultPage(input: PageContext & { tier: Tier }): string {
  const t = pageWords(input.lang);
  if (input.tier === 'none') {
    return layout(t, t.text('recordedTitle'), `<div class="card done"><h1>${escapeHtml(t.text('recordedTitle'))}</h1></div>\n${advice(t, input.phone)}`);
  }
  const body = `${actBox(t, input.tier, input.phone, { heading: 'h1' })}
<div class="card"><p>${escapeHtml(t.text('recordedSentence'))}</p></div>
${advice(t, input.phone)}`;
  return layout(t, t.text('actNowTitle'), body);
}

/** A check-in already answered: says so, and repeats what the answer asked the family to do. */
export function answeredPage(input: PageContext & { tier?: Tier }): string {
  const t = pageWords(input.lang);
  const again = input.tier && input.tier !== 'none' ? actBox(t, input.tier, input.phone, { heading: 'h2', lead: t.text('ifNotAlready') }) : '';
  const body = `<div class="card"><h1>${escapeHtml(t.text('answeredTitle'))}</h1><p>${escapeHtml(t.text('answeredBody'))}</p></div>
${again}
${advice(t, input.phone)}`;
  return layout(t, t.text('answeredTitle'), body);
}

/** A page that only says one thing: a title, a sentence, and the standing advice when there is a number to give. */
function simplePage(lang: PageLanguage, title: PageKey, text: PageKey, phone: string | undefined): string {
  const t = pageWords(lang);
  return layout(t, t.text(title), `<div class="card"><h1>${escapeHtml(t.text(title))}</h1><p>${escapeHtml(t.text(text))}</p></div>\n${advice(t, phone)}`);
}

export const closedPage = ({ lang, phone }: PageContext): string => simplePage(lang, 'closedTitle', 'closedBody', phone);
export const upcomingPage = ({ lang, phone }: PageContext): string => simplePage(lang, 'upcomingTitle', 'upcomingBody', phone);
export const invalidLinkPage = ({ lang }: PageContext): string => simplePage(lang, 'invalidTitle', 'invalidBody', undefined);
export const tooManyPage = ({ lang, phone }: PageContext): string => simplePage(lang, 'tooManyTitle', 'tooManyBody', phone);
export const errorPage = ({ lang, phone }: PageContext): string => simplePage(lang, 'errorTitle', 'errorBody', phone);
export const notFoundPage = ({ lang }: PageContext): string => simplePage(lang, 'notFoundTitle', 'notFoundBody', undefined);
