// Every email the service sends, in English, Simplified Chinese and Spanish. Pure: the message is a
// function of its kind, language, context and data (no clock, no I/O, no environment), so a retried
// activity renders exactly the same email.
//
// Templates never write HTML. Each one returns a subject and a few plain-text blocks (paragraphs,
// lists, label/value rows, commands); `toText` and `toHtml` lay them out, and `toHtml` escapes every
// value on the way, so a name like `<script>` can never become markup.
//
// Monitoring emails (check-ins, alerts, the hand-off after the CRS window) follow the reference's
// rules: they never give treatment advice; every one to the family about symptoms says to call the
// treating team's 24/7 number now, or emergency services, if they are worried; a missed check-in is
// an alert, never good news; the end of the window is a hand-off to follow-up, never a silent close.
import { DOCUMENT_TYPES, TEMPLATE_LANGUAGES } from '../domain/case.ts';
import { EMAIL_RECIPIENT, type AlertEmailData, type AlertSource, type AlertTier, type EmailData, type EmailKind, type MonitoringHandoffData, type Recipient } from '../domain/emails.ts';
import { keptIntl } from '../domain/time.ts';

export { TEMPLATE_LANGUAGES };

export interface EmailContext {
  caseId: string;
  patientRef: string;
  familyName: string;
  diagnosis: string;
  therapy: string;
  recipientName: string;
  timeZone: string;
  appBaseUrl: string;
  hospitalNames: Record<string, string>;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** The template language actually used: 'en', 'zh' or 'es'. */
  language: string;
}

type Lang = (typeof TEMPLATE_LANGUAGES)[number];
type KnownDocument = (typeof DOCUMENT_TYPES)[number];

/** 'zh-CN' → 'zh', 'es_MX' → 'es'; anything without templates → 'en'. */
function resolveLanguage(language: string): Lang {
  const primary = language.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return (TEMPLATE_LANGUAGES as readonly string[]).includes(primary) ? (primary as Lang) : 'en';
}

export function documentLabel(documentType: string, language: string): string {
  const labels = LOCALES[resolveLanguage(language)].documents;
  return Object.hasOwn(labels, documentType) ? labels[documentType as KnownDocument] : humanise(documentType);
}

/** 'genetic_panel' → 'Genetic panel'. */
function humanise(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').trim().replace(/\s+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A subject is one header line: no CR, LF, other control or line-separator characters. */
const oneLine = (s: string): string => s.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').replace(/ {2,}/g, ' ').trim();

/** Quotes a command-line argument unless it is plainly safe to paste into a shell. */
const shellArg = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const casectl = {
  receive: (caseId: string, documentType: string) => `casectl records receive ${shellArg(caseId)} ${shellArg(documentType)}`,
  translationDone: (caseId: string, documentType: string) => `casectl translation done ${shellArg(caseId)} ${shellArg(documentType)}`,
  choose: (caseId: string, hospitalCode: string) => `casectl hospital choose ${shellArg(caseId)} ${shellArg(hospitalCode)}`,
  submit: (caseId: string) => `casectl hospital submit ${shellArg(caseId)} <hospitalCode>…`,
  close: (caseId: string) => `casectl case close ${shellArg(caseId)} --reason "…"`,
  show: (caseId: string) => `casectl case show ${shellArg(caseId)}`,
  ack: (caseId: string, alertId: string) => `casectl alert ack ${shellArg(caseId)} ${shellArg(alertId)}`,
};

/** The case's page in the coordinators' web app. */
const caseUrl = (ctx: EmailContext): string => `${ctx.appBaseUrl.replace(/\/+$/, '')}/cases/${encodeURIComponent(ctx.caseId)}`;

// ---------------------------------------------------------------------------------------------
// Blocks and their two layouts

type Block =
  | { type: 'p'; text: string }
  | { type: 'list'; items: string[] }
  | { type: 'facts'; rows: [string, string][] }
  | { type: 'pre'; lines: string[] }
  | { type: 'link'; label: string; href: string }
  | { type: 'button'; label: string; href: string }
  | { type: 'rich'; parts: Inline[] };

/** A piece of a paragraph: text, or a phone number that becomes a `tel:` link in HTML. */
type Inline = string | { tel: string };

/** A template's body may hold `false`/`undefined` for parts that do not apply. */
type Part = Block | false | undefined;

const p = (text: string): Block => ({ type: 'p', text });
const list = (items: string[]): Block => ({ type: 'list', items });
const pre = (...lines: string[]): Block => ({ type: 'pre', lines });
const link = (label: string, href: string): Block => ({ type: 'link', label, href });
/** The one thing the email asks for, as a big button (HTML) and the bare URL on its own line (text). */
const button = (label: string, href: string): Block => ({ type: 'button', label, href });
/** A paragraph with phone numbers in it: `say('Call ', tel(phone), ' now.')`. */
const say = (...parts: Inline[]): Block => ({ type: 'rich', parts });
const tel = (phone: string): Inline => ({ tel: phone.trim() });
/** Label/value rows; rows whose value is missing are left out. */
const facts = (...rows: (readonly [string, string | number | undefined] | false)[]): Block => ({
  type: 'facts',
  rows: rows.flatMap((r) => (r && r[1] !== undefined && r[1] !== '' ? [[r[0], String(r[1])] as [string, string]] : [])),
});

const present = (b: Part): b is Block => {
  if (!b) return false;
  if (b.type === 'list') return b.items.length > 0;
  if (b.type === 'facts') return b.rows.length > 0;
  if (b.type === 'pre') return b.lines.length > 0;
  if (b.type === 'rich') return b.parts.length > 0;
  return true;
};

/** Only web links become links: a configured URL can never turn into `javascript:`. */
const isWebUrl = (href: string): boolean => /^https?:\/\/\S+$/i.test(href);

/** What a `tel:` link dials: '+34 91 727-70-00' → '+34917277000'; undefined unless it is plainly a number. */
function dialable(phone: string): string | undefined {
  const dial = phone.trim().replace(/[\s().-]/g, '');
  return /^\+?\d{3,20}$/.test(dial) ? dial : undefined;
}

const inlineText = (parts: Inline[]): string => parts.map((i) => (typeof i === 'string' ? i : i.tel)).join('');

const indent = (s: string, by: string): string => s.replace(/\n/g, `\n${by}`);

function toText(blocks: Block[], colon: string): string {
  const render = (b: Block): string => {
    switch (b.type) {
      case 'p':
        return b.text;
      case 'list':
        return b.items.map((i) => `- ${indent(i, '  ')}`).join('\n');
      case 'facts':
        return b.rows.map(([k, v]) => `${k}${colon}${v}`).join('\n');
      case 'pre':
        return b.lines.map((l) => `    ${indent(l, '    ')}`).join('\n');
      case 'link':
        return `${b.label}${colon}${b.href}`;
      case 'button':
        return `${b.label}${colon.trimEnd()}\n${b.href}`;
      case 'rich':
        return inlineText(b.parts);
    }
  };
  return `${blocks.map(render).join('\n\n')}\n`;
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif";
const MONO = "ui-monospace,Menlo,Consolas,'Liberation Mono',monospace";
const INK = '#1f2933'; // on white: 14.7:1
const STYLE = {
  p: 'margin:0 0 16px;',
  ul: 'margin:0 0 16px;padding-left:24px;',
  li: 'margin:0 0 4px;',
  table: 'border-collapse:collapse;margin:0 0 16px;width:100%;',
  th: 'text-align:left;vertical-align:top;padding:4px 16px 4px 0;font-weight:600;white-space:nowrap;',
  td: 'vertical-align:top;padding:4px 0;overflow-wrap:anywhere;',
  pre: `margin:0 0 16px;padding:12px;background-color:#eef1f4;color:${INK};border-radius:4px;font-family:${MONO};font-size:14px;line-height:1.5;white-space:pre-wrap;overflow-wrap:anywhere;`,
  a: 'color:#0b57d0;text-decoration:underline;', // on white: 6.6:1
  // White on #0b57d0: 6.6:1; about 50px tall, an easy target for a thumb.
  button: 'display:inline-block;padding:12px 28px;background-color:#0b57d0;color:#ffffff;border-radius:6px;font-weight:600;font-size:18px;line-height:1.4;text-decoration:none;',
};

/** Escapes a value for HTML and keeps its line breaks. */
const html = (s: string): string => escapeHtml(s).replace(/\r?\n/g, '<br>');

function telLink(phone: string): string {
  const dial = dialable(phone);
  return dial ? `<a href="tel:${dial}" style="${STYLE.a}white-space:nowrap;">${html(phone.trim())}</a>` : html(phone);
}

function toHtml(blocks: Block[], lang: string, title: string): string {
  const render = (b: Block): string => {
    switch (b.type) {
      case 'p':
        return `<p style="${STYLE.p}">${html(b.text)}</p>`;
      case 'list':
        return `<ul style="${STYLE.ul}">${b.items.map((i) => `<li style="${STYLE.li}">${html(i)}</li>`).join('')}</ul>`;
      case 'facts':
        return `<table style="${STYLE.table}">${b.rows.map(([k, v]) => `<tr><th scope="row" style="${STYLE.th}">${html(k)}</th><td style="${STYLE.td}">${html(v)}</td></tr>`).join('')}</table>`;
      case 'pre':
        return `<pre style="${STYLE.pre}"><code>${b.lines.map(escapeHtml).join('\n')}</code></pre>`;
      case 'link':
        return isWebUrl(b.href)
          ? `<p style="${STYLE.p}"><a href="${escapeHtml(b.href)}" style="${STYLE.a}">${html(b.label)}</a></p>`
          : `<p style="${STYLE.p}">${html(`${b.label}: ${b.href}`)}</p>`;
      case 'button':
        return isWebUrl(b.href)
          ? `<p style="margin:8px 0 24px;"><a href="${escapeHtml(b.href)}" style="${STYLE.button}">${html(b.label)}</a></p>`
          : `<p style="${STYLE.p}">${html(`${b.label}: ${b.href}`)}</p>`;
      case 'rich':
        return `<p style="${STYLE.p}">${b.parts.map((i) => (typeof i === 'string' ? html(i) : telLink(i.tel))).join('')}</p>`;
    }
  };
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(lang)}" dir="ltr">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${html(title)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background-color:#f3f4f6;color:${INK};">`,
    `<div style="max-width:600px;margin:0 auto;padding:16px 8px;">`,
    `<div style="background-color:#ffffff;color:${INK};border-radius:8px;padding:24px 20px;font-family:${FONT};font-size:16px;line-height:1.6;">`,
    ...blocks.map(render),
    '</div>',
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Languages

/** What a template gets besides its data: the context and formatting in the email's language. */
interface Helpers {
  ctx: EmailContext;
  ref: string;
  id: string;
  date(iso: string): string;
  doc(documentType: string): string;
  docs(documentTypes: readonly string[]): string[];
  hospital(code: string): string;
  language(code: string): string;
  days(n: number): string;
  round(n: number): string;
}

interface Draft {
  subject: string;
  body: Part[];
}

type Templates = { [K in EmailKind]: (data: EmailData[K], x: Helpers) => Draft };

interface Locale {
  /** The root element's `lang`. */
  htmlLang: string;
  colon: string;
  documents: Record<KnownDocument, string>;
  /** A formatted date with the zone it is shown in. */
  zoned(formatted: string, timeZone: string): string;
  days(n: number): string;
  round(n: number): string;
  greeting: Record<Recipient, (name: string) => string>;
  anonymousGreeting: Record<Recipient, string>;
  signOff: Record<Recipient, string>;
  labels: { patientRef: string; caseId: string; family: string };
  familyContact: string;
  translatorContact: string;
  hospitalReference(caseId: string): string;
  openCase: string;
  templates: Templates;
}

// ----- Monitoring: what every language shares -------------------------------------------------

/** The words of the monitoring emails in one language. */
interface MonitoringWords {
  /** What an alert subject starts with: the tier, loud for urgent and critical. */
  tierWord: Record<AlertTier, string>;
  tierName: Record<AlertTier, string>;
  sourceName: Record<AlertSource, string>;
  crsGrade(n: number): string;
  icansGrade(n: number): string;
  repeat(n: number): string;
  labels: {
    alert: string;
    tier: string;
    source: string;
    crs: string;
    icans: string;
    windowEnded: string;
    highestCrs: string;
    highestIcans: string;
    answered: string;
    missed: string;
    feverDays: string;
  };
  /** One open alert in a list: id, tier when known, message. */
  openAlert(id: string, tier: string | undefined, message: string): string;
}

/** A tier's name in the language; a tier this version does not know is shown as given. */
const tierLabel = (M: MonitoringWords, tier: string): string => (Object.hasOwn(M.tierName, tier) ? M.tierName[tier as AlertTier] : tier);

/** What an alert subject says after the tier: grades when known, the source, the repeat after the first. */
const alertSubjectParts = (M: MonitoringWords, d: AlertEmailData): string[] =>
  [d.crsGrade !== undefined && M.crsGrade(d.crsGrade), d.icansGrade !== undefined && M.icansGrade(d.icansGrade), M.sourceName[d.source], d.repeat > 1 && M.repeat(d.repeat)].filter(
    (s): s is string => typeof s === 'string',
  );

const alertFacts = (M: MonitoringWords, d: AlertEmailData): Block =>
  facts([M.labels.alert, d.alertId], [M.labels.tier, M.tierName[d.tier]], [M.labels.source, M.sourceName[d.source]], [M.labels.crs, d.crsGrade], [M.labels.icans, d.icansGrade]);

const handoffFacts = (M: MonitoringWords, d: MonitoringHandoffData, x: Helpers): Block =>
  facts(
    [M.labels.windowEnded, x.date(d.windowEndedAt)],
    [M.labels.highestCrs, d.highestCrsGrade],
    [M.labels.highestIcans, d.highestIcansGrade],
    [M.labels.answered, d.answeredCheckins],
    [M.labels.missed, d.missedCheckins],
    [M.labels.feverDays, d.feverDays],
  );

const openAlertList = (M: MonitoringWords, d: MonitoringHandoffData): Block => list(d.openAlerts.map((a) => M.openAlert(a.id, a.tier === undefined ? undefined : tierLabel(M, a.tier), a.message)));

const ackCommands = (d: MonitoringHandoffData, x: Helpers): Block => pre(...d.openAlerts.map((a) => casectl.ack(x.id, a.id)));

// ----- English --------------------------------------------------------------------------------

const EN_L = {
  patientRef: 'Patient reference',
  caseId: 'Case number',
  family: 'Family contact',
  diagnosis: 'Diagnosis',
  therapy: 'Requested therapy',
  round: 'Round',
  hospital: 'Hospital',
  admission: 'Admission',
  contact: 'Contact at the hospital',
  notes: 'Notes',
  infusion: 'Infusion',
  closeNote: 'Note',
  reason: 'Reason',
  cancelledBy: 'Cancelled by',
  document: 'Document',
  from: 'From',
  into: 'Into',
  due: 'Due',
};

const EN_M: MonitoringWords = {
  tierWord: { contact_team: 'Contact', urgent: 'URGENT', critical: 'CRITICAL' },
  tierName: { contact_team: 'Contact team', urgent: 'Urgent', critical: 'Critical (highest priority)' },
  sourceName: { family_report: "family's check-in report", clinical_observation: 'clinical observation', fever_days: 'fever on more than 3 days' },
  crsGrade: (n) => `CRS grade ${n}`,
  icansGrade: (n) => `ICANS grade ${n}`,
  repeat: (n) => `repeat ${n}`,
  labels: {
    alert: 'Alert',
    tier: 'Tier',
    source: 'Source',
    crs: 'CRS grade (ASTCT)',
    icans: 'ICANS grade (ASTCT)',
    windowEnded: 'Monitoring window ended',
    highestCrs: 'Highest CRS grade (ASTCT)',
    highestIcans: 'Highest ICANS grade (ASTCT)',
    answered: 'Check-ins answered',
    missed: 'Check-ins missed',
    feverDays: 'Days with fever',
  },
  openAlert: (id, tier, message) => `${id}${tier ? ` (${tier})` : ''}: ${message}`,
};

/** What every family email about symptoms says. */
const enAdvice = (phone: string): Block =>
  say("If you are worried about the patient, call the treating team's 24/7 number now: ", tel(phone), ', or your local emergency services. Do not wait for a check-in or for a reply from us.');

const en: Locale = {
  htmlLang: 'en',
  colon: ': ',
  documents: {
    medical_report: 'Medical reports',
    scans: 'Scans (CT, MRI, PET)',
    pathology: 'Pathology reports',
    biomarkers: 'Biomarker results',
    treatment_history: 'Treatment history',
  },
  zoned: (d, tz) => `${d} (${tz} time)`,
  days: (n) => `${n} ${n === 1 ? 'day' : 'days'}`,
  round: (n) => `round ${n}`,
  greeting: { family: (n) => `Dear ${n},`, hospital: (n) => `Dear colleagues at ${n},`, coordinator: (n) => `Hello ${n},`, translator: (n) => `Hello ${n},`, team: (n) => `Dear ${n},` },
  anonymousGreeting: { family: 'Hello,', hospital: 'Dear colleagues,', coordinator: 'Hello,', translator: 'Hello,', team: 'Dear colleagues,' },
  signOff: {
    family: 'With warm wishes,\nYour care coordination team',
    hospital: 'Yours sincerely,\nInternational Patient Coordination',
    coordinator: '— Case coordination service',
    translator: 'Thank you,\nThe care coordination team',
    team: '— International Patient Coordination',
  },
  labels: EN_L,
  familyContact: 'If you have any questions, just reply to this email. It goes straight to your coordination team.',
  translatorContact: 'If you have any questions, just reply to this email.',
  hospitalReference: (id) => `Our reference: ${id}. Please keep it in your reply.`,
  openCase: 'Open the case',
  templates: {
    case_opened: (d, x) => ({
      subject: `We have received your request (${x.ref})`,
      body: [
        p('Thank you for reaching out to us. We have opened your case, and our coordination team will be with you at every step.'),
        p(`The first step is to gather the medical documents that hospitals need to see whether the patient can receive ${x.ctx.therapy}:`),
        list(x.docs(d.documents)),
        p('Please send what you already have, even if it is not everything yet. The documents can be in any language: we take care of the translations. Clear photos or scans are fine, as long as every page is easy to read. If you are not sure how to send them, reply to this email and we will help.'),
      ],
    }),
    records_reminder: (d, x) => ({
      subject: `Documents still needed (${x.ref})`,
      body: [
        p(d.reminderNumber <= 1 ? 'A gentle reminder: before we can send the case to hospitals, we still need these documents:' : 'We are still waiting for these documents before we can send the case to hospitals:'),
        list(x.docs(d.missing)),
        p('These are the only documents still missing.'),
        p('We know that gathering medical records takes time. If a document is hard to get, reply and tell us: we can often help, or find another way.'),
      ],
    }),
    records_stalled: (d, x) => ({
      subject: `[${x.id}] Records stalled for ${x.days(d.daysWaiting)} (${x.ref})`,
      body: [
        p(`${x.ref} has been waiting ${x.days(d.daysWaiting)} for these documents:`),
        list(d.missing.map((t) => `${x.doc(t)} (${t})`)),
        p('Call the family to find out what is holding things up. When a document arrives, record it:'),
        pre(...d.missing.map((t) => casectl.receive(x.id, t))),
        p('If the family has decided not to go on, close the case:'),
        pre(casectl.close(x.id)),
      ],
    }),
    translation_task: (d, x) => ({
      subject: `Translation request: ${x.doc(d.documentType)} (${d.fromLanguage} → ${d.toLanguages.join(', ')}), case ${x.id}`,
      body: [
        p(`Could you translate this document for case ${x.id}, please?`),
        facts([EN_L.document, x.doc(d.documentType)], [EN_L.from, x.language(d.fromLanguage)], [EN_L.into, d.toLanguages.map(x.language).join(', ')], [EN_L.due, x.date(d.dueAt)], [EN_L.patientRef, x.ref]),
        p('The coordinator will share the document with you through the secure channel; please do not send it by email. When you are done, return the translation through the same channel and reply to this email to let us know. If the deadline does not work for you, tell us as soon as you can.'),
      ],
    }),
    translation_chase: (d, x) => ({
      subject: `Overdue: translation of ${x.doc(d.documentType)}, case ${x.id}`,
      body: [
        p(`The translation of “${x.doc(d.documentType)}” for case ${x.id} (patient reference ${x.ref}) was due on ${x.date(d.dueAt)}.`),
        p('Could you reply to let us know when you expect to finish? If something is holding you up, tell us and we will help.'),
      ],
    }),
    translation_overdue: (d, x) => ({
      subject: `[${x.id}] Translation overdue: ${x.doc(d.documentType)} (${x.days(d.daysWaiting)})`,
      body: [
        p(`The translation of “${x.doc(d.documentType)}” for ${x.ref} has been waiting ${x.days(d.daysWaiting)}.`),
        p('Contact the translator, or give the document to another translator. When the translation is done, record it:'),
        pre(casectl.translationDone(x.id, d.documentType)),
      ],
    }),
    hospital_submission: (d, x) => ({
      subject: `Request for review: patient ${x.ref}, ${x.ctx.therapy}${d.round > 1 ? `, ${x.round(d.round)}` : ''}`,
      body: [
        p(`We are writing on behalf of the family of patient ${x.ref} to ask whether your hospital can accept the patient for ${x.ctx.therapy}.`),
        d.round > 1 && p(`This is ${x.round(d.round)} of our submission for this patient.${d.requestedDocuments?.length ? ' It includes the additional documents you asked for:' : ''}`),
        d.round > 1 && list(x.docs(d.requestedDocuments ?? [])),
        facts([EN_L.patientRef, x.ref], [EN_L.diagnosis, x.ctx.diagnosis], [EN_L.therapy, x.ctx.therapy], d.round > 1 && [EN_L.round, d.round]),
        p('Documents enclosed:'),
        list(x.docs(d.documents)),
        p('The coordinator will share the documents through the secure channel.'),
        p(`Please reply to this email by ${x.date(d.replyBy)} with your decision:`),
        list(['Accepted', 'Declined, with the reason', 'More information needed, with the documents or details you need']),
        p('Thank you for your time and consideration.'),
      ],
    }),
    hospital_reminder: (d, x) => ({
      subject: `Reminder: decision for patient ${x.ref}${d.round > 1 ? `, ${x.round(d.round)}` : ''}`,
      body: [
        p(`On ${x.date(d.submittedAt)} we sent you the case of patient ${x.ref} to review for ${x.ctx.therapy}${d.round > 1 ? ` (${x.round(d.round)})` : ''}. We have not yet received your decision.`),
        p('The family is waiting to plan the next steps. Could you reply to this email to let us know whether the patient is accepted, declined (with the reason), or whether you need more information?'),
        p('If the documents did not reach you, the coordinator can share them again through the secure channel.'),
        facts([EN_L.patientRef, x.ref], [EN_L.diagnosis, x.ctx.diagnosis], [EN_L.therapy, x.ctx.therapy]),
      ],
    }),
    hospital_silent: (d, x) => ({
      subject: `[${x.id}] No reply from ${x.hospital(d.hospitalCode)} for ${x.days(d.daysWaiting)}`,
      body: [
        p(`${x.hospital(d.hospitalCode)} has not replied about ${x.ref} for ${x.days(d.daysWaiting)}.`),
        p('Call their international department to ask about the decision. If the review cannot go ahead, submit the case to another hospital:'),
        pre(casectl.submit(x.id)),
      ],
    }),
    hospital_accepted_family: (d, x) => ({
      subject: `Good news from ${x.hospital(d.hospitalCode)} (${x.ref})`,
      body: [
        p(`We are very happy to tell you that ${x.hospital(d.hospitalCode)} has reviewed the case and has accepted the patient for treatment.`),
        p('What happens next: your coordinator will contact you in the next few days to plan the journey and the admission together: dates, travel documents and visas, accommodation, and what to bring.'),
        p('Please do not book any travel yet; wait until we have confirmed the admission date with the hospital.'),
      ],
    }),
    choose_hospital: (d, x) => ({
      subject: `[${x.id}] ${d.accepted.length} hospitals accepted ${x.ref}: choose one`,
      body: [
        p(`These hospitals have accepted ${x.ref}:`),
        list(d.accepted.map(x.hospital)),
        p('Talk it through with the family, then record the hospital they choose:'),
        pre(...d.accepted.map((c) => casectl.choose(x.id, c))),
      ],
    }),
    all_declined_family: (_d, x) => ({
      subject: `An update on your case (${x.ref})`,
      body: [
        p('We are so sorry to tell you that the hospitals we contacted are not able to accept the patient for this treatment at this time. We know how hard this news is, and we are thinking of you.'),
        p('This does not mean there are no options left. Your coordinator will look at other possibilities with you, such as other hospitals, other treatments and clinical trials, and will be in touch with you soon.'),
        p("Your doctors remain the best people to talk to about the patient's care. If you would like to talk with us before then, simply reply to this email."),
      ],
    }),
    navigation_needed: (d, x) => ({
      subject: `[${x.id}] All hospitals declined ${x.ref}`,
      body: [
        p(`Every hospital declined ${x.ref}:`),
        list(d.declined.map((h) => `${x.hospital(h.hospitalCode)}: ${h.reason}`)),
        p('Call the family, and explore other treatments and clinical trials with them. To submit the case to other hospitals:'),
        pre(casectl.submit(x.id)),
        p('or, if there is no way forward, close the case:'),
        pre(casectl.close(x.id)),
      ],
    }),
    admission_plan: (d, x) => ({
      subject: `Your admission at ${x.hospital(d.hospitalCode)}: the details (${x.ref})`,
      body: [
        p(`The admission at ${x.hospital(d.hospitalCode)} is planned. Here are the details:`),
        facts([EN_L.hospital, x.hospital(d.hospitalCode)], [EN_L.admission, x.date(d.admissionAt)], [EN_L.contact, d.contact], [EN_L.notes, d.notes]),
        p('Please check that everything looks right, and reply to this email if anything is unclear or needs to change. We will send you a reminder before the admission.'),
      ],
    }),
    admission_reminder: (d, x) => {
      const when = d.daysBefore <= 0 ? 'today' : d.daysBefore === 1 ? 'tomorrow' : `in ${x.days(d.daysBefore)}`;
      return {
        subject: `Reminder: admission at ${x.hospital(d.hospitalCode)} ${when} (${x.ref})`,
        body: [
          p(`Just a reminder: the admission at ${x.hospital(d.hospitalCode)} is ${when}, on ${x.date(d.admissionAt)}.`),
          p('Please remember your passports and any documents the hospital has asked for.'),
          p('If your plans change or you have a question, reply to this email and we will help.'),
        ],
      };
    },
    follow_up_request: (d, x) => ({
      subject: `How is the patient doing? (${x.ref})`,
      body: [
        p(`It has been about ${x.days(d.day)} since the infusion, and we would like to know how the patient is doing.`),
        p('Please reply to this email and tell us in your own words how things are going: how the patient is feeling, any visits to the doctor or hospital, and anything that worries you.'),
        p('If something is urgent, please contact the treating team or your local emergency services straight away; do not wait for us.'),
      ],
    }),
    case_closed: (d, x) => {
      const summary = facts(d.hospitalCode !== undefined && [EN_L.hospital, x.hospital(d.hospitalCode)], d.infusionAt !== undefined && [EN_L.infusion, x.date(d.infusionAt)], [EN_L.closeNote, d.reason]);
      const outcomes = d.followUps.filter((f) => f.outcome);
      return {
        subject: `Your case is now closed (${x.ref})`,
        body: [
          p(present(summary) ? 'We are now closing your case. Here is a short summary:' : 'We are now closing your case.'),
          summary,
          outcomes.length > 0 && p('Follow-up:'),
          list(outcomes.map((f) => `Day ${f.day}: ${f.outcome}`)),
          p("Thank you for trusting us with your family's journey. It has been a privilege to walk alongside you. If you ever need us again, simply reply to this email."),
        ],
      };
    },
    case_cancelled_family: (_d, x) => ({
      subject: `Your case has been closed (${x.ref})`,
      body: [
        p('We are writing to let you know that our coordination team has closed your case.'),
        p('If you have any questions about this, or would like to talk it over, please reply to this email. We will be glad to help.'),
      ],
    }),
    case_cancelled_hospital: (d, x) => ({
      subject: `Withdrawn: patient ${x.ref}${d.round > 1 ? `, ${x.round(d.round)}` : ''}`,
      body: [
        p(`We are writing to withdraw our submission for patient ${x.ref}${d.round > 1 ? ` (${x.round(d.round)})` : ''}. Please disregard it; no decision is needed any more.`),
        p('If you have received documents for this patient through the secure channel, please handle them according to your data-protection procedures.'),
        p('Thank you for your time and consideration.'),
      ],
    }),
    case_cancelled_coordinator: (d, x) => ({
      subject: `[${x.id}] Case cancelled by ${d.by}`,
      body: [p(`${d.by} cancelled the case of ${x.ref}.`), facts([EN_L.reason, d.reason], [EN_L.cancelledBy, d.by]), p('No action is needed unless this is unexpected.')],
    }),
    delivery_failed: (d, x) => ({
      subject: `[${x.id}] Email not delivered to ${d.to}`,
      body: [
        p(`The “${d.failedKind}” email to ${d.to} could not be delivered. The error was:`),
        pre(d.error),
        p('Check the address with the recipient, and reach them another way if the message was urgent.'),
      ],
    }),
    record_failed: (d, x) => ({
      subject: `[${x.id}] A step could not be recorded`,
      body: [
        p(`The database refused to record “${d.step}” for ${x.ref} (${d.error}). The case goes on and shows the step; the case list and timeline may not.`),
        p('Check the case in the console and tell the team that runs the service.'),
      ],
    }),
    checkin_request: (d, x) => ({
      subject: `Day ${d.day} check-in: how is the patient today? (${x.ref})`,
      body: [
        p(`It is time for the day ${d.day} check-in: a few short questions about the patient's temperature and how they are feeling. It only takes a few minutes. Thank you for helping us look after the patient.`),
        button('Answer the check-in', d.link),
        p(`Please answer by ${x.date(d.expiresAt)}, even if the patient feels well or is in hospital. Please answer through the link rather than by replying to this email, so that your answers reach the right people straight away.`),
        enAdvice(d.teamPhone),
      ],
    }),
    checkin_reminder: (d, x) => ({
      subject: `Reminder: day ${d.day} check-in (${x.ref})`,
      body: [
        p(`A gentle reminder: we have not received the answers to the day ${d.day} check-in yet. It only takes a few minutes.`),
        button('Answer the check-in', d.link),
        p(`Please answer by ${x.date(d.expiresAt)}.`),
        say('If you cannot answer the check-in, please call the treating team instead: ', tel(d.teamPhone), '.'),
        enAdvice(d.teamPhone),
      ],
    }),
    checkin_missed_coordinator: (d, x) => ({
      subject: `[${x.id}] Missed check-in: day ${d.day}, ${x.ref}`,
      body: [
        p(`The family of ${x.ref} has not answered the day ${d.day} check-in (no. ${d.checkinId}), which was due on ${x.date(d.dueAt)}.`),
        p('A missed check-in during monitoring is an alert, not good news: right now nobody knows how the patient is.'),
        p("Call the family now. If they are worried or describe symptoms, direct them to the treating team's 24/7 number or emergency services; do not give medical advice."),
        say('If you cannot reach the family, call the treating team: ', tel(d.teamPhone), '.'),
        p('The check-ins and alerts of the case:'),
        pre(casectl.show(x.id)),
        d.alertId !== undefined && p('Once the family has been reached, acknowledge the alert:'),
        d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    checkin_missed_team: (d, x) => ({
      subject: `Missed check-in: patient ${x.ref}, day ${d.day} after infusion (case ${x.id})`,
      body: [
        p(`Patient ${x.ref} (${x.ctx.therapy}): the family has not answered the day ${d.day} post-infusion check-in (no. ${d.checkinId}), due ${x.date(d.dueAt)}. Current status unknown.`),
        p('Please contact the patient.'),
        d.alertId !== undefined && p('Acknowledge once the patient has been reached:'),
        d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    alert_team: (d, x) => ({
      subject: `${EN_M.tierWord[d.tier]}: patient ${x.ref}, ${alertSubjectParts(EN_M, d).join(', ')} (case ${x.id})`,
      body: [
        p({ critical: 'Critical alert, highest priority. Please contact the patient now.', urgent: 'Urgent alert. Please contact the patient now.', contact_team: 'Please review and contact the patient.' }[d.tier]),
        d.repeat > 1 && p(`Repeat ${d.repeat}: this alert has not been acknowledged yet.`),
        alertFacts(EN_M, d),
        d.reasons.length > 0 && p('Reasons:'),
        list(d.reasons),
        d.source === 'family_report' && p('Reported by the caregiver at a check-in: not a clinical assessment.'),
        p(d.tier === 'contact_team' ? 'Acknowledge once handled:' : 'This alert is sent again until someone acknowledges it. Acknowledge once the patient has been reached:'),
        pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    alert_coordinator: (d, x) => ({
      subject: `${EN_M.tierWord[d.tier]}: [${x.id}] ${x.ref}, alert ${d.alertId}, ${alertSubjectParts(EN_M, d).join(', ')}`,
      body: [
        p(`Alert ${d.alertId} on ${x.ref}: ${EN_M.tierName[d.tier]}.`),
        d.repeat > 1 && p(`Repeat ${d.repeat}: nobody has acknowledged this alert yet.`),
        alertFacts(EN_M, d),
        d.reasons.length > 0 && p('Reasons:'),
        list(d.reasons),
        p('Make sure the treating team has been reached: if you are not sure they have seen this alert, call them.'),
        p("If the family contacts you, direct them to the treating team's 24/7 number or emergency services; do not give medical advice."),
        p('Once the treating team has it in hand, acknowledge the alert:'),
        pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    monitoring_handoff_coordinator: (d, x) => {
      const open = d.openAlerts.length;
      return {
        subject: `[${x.id}] Monitoring window ended: ${x.ref} moves to follow-up${open ? `, ${open} open ${open === 1 ? 'alert' : 'alerts'}` : ''}`,
        body: [
          p(`The CRS monitoring window for ${x.ref} ended on ${x.date(d.windowEndedAt)}. The case now moves to follow-up.`),
          p('Follow-up continues: neurotoxicity (ICANS) can start late, weeks or even months after the infusion. This is a hand-off, not a close.'),
          handoffFacts(EN_M, d, x),
          p(open ? `Open alerts (${open}). They stay open until someone acknowledges them:` : 'No alerts are open.'),
          openAlertList(EN_M, d),
          ackCommands(d, x),
          p("Make sure the family knows that follow-up continues and that, if they are worried, they should still call the treating team's 24/7 number or emergency services; and that the treating team knows the case has moved to follow-up."),
          p('The whole monitoring record:'),
          pre(casectl.show(x.id)),
        ],
      };
    },
    monitoring_handoff_team: (d, x) => ({
      subject: `CRS monitoring window ended: patient ${x.ref}, handed over to follow-up (case ${x.id})`,
      body: [
        p(`Patient ${x.ref} (${x.ctx.therapy}): the post-infusion CRS monitoring window ended ${x.date(d.windowEndedAt)}. Handed over to follow-up; the case is not closed.`),
        handoffFacts(EN_M, d, x),
        p(d.openAlerts.length ? `Open alerts (${d.openAlerts.length}), still open until acknowledged:` : 'No open alerts.'),
        openAlertList(EN_M, d),
        ackCommands(d, x),
        p('Late neurotoxicity (ICANS) remains possible weeks to months after infusion. The coordinator continues follow-up with the family.'),
      ],
    }),
  },
};

// ----- Simplified Chinese ---------------------------------------------------------------------

const ZH_L = {
  patientRef: '患者编号',
  caseId: '病例编号',
  family: '家属联系人',
  diagnosis: '诊断',
  therapy: '申请的治疗',
  round: '轮次',
  hospital: '医院',
  admission: '入院时间',
  contact: '医院联系人',
  notes: '备注',
  infusion: '回输时间',
  closeNote: '说明',
  reason: '原因',
  cancelledBy: '操作人',
  document: '文件',
  from: '原文语言',
  into: '译入语言',
  due: '截止时间',
};

const ZH_M: MonitoringWords = {
  tierWord: { contact_team: '需联系', urgent: '紧急', critical: '危急' },
  tierName: { contact_team: '需联系治疗团队', urgent: '紧急', critical: '危急（最高优先级）' },
  sourceName: { family_report: '家属健康打卡报告', clinical_observation: '临床观察记录', fever_days: '发热超过 3 天' },
  crsGrade: (n) => `CRS ${n} 级`,
  icansGrade: (n) => `ICANS ${n} 级`,
  repeat: (n) => `第 ${n} 次发送`,
  labels: {
    alert: '警报编号',
    tier: '级别',
    source: '来源',
    crs: 'CRS 分级（ASTCT）',
    icans: 'ICANS 分级（ASTCT）',
    windowEnded: '监测期结束时间',
    highestCrs: '最高 CRS 分级（ASTCT）',
    highestIcans: '最高 ICANS 分级（ASTCT）',
    answered: '已完成打卡',
    missed: '未完成打卡',
    feverDays: '发热天数',
  },
  openAlert: (id, tier, message) => `${id}${tier ? `（${tier}）` : ''}：${message}`,
};

const zhAdvice = (phone: string): Block => say('如果您担心患者的情况，请立即拨打治疗团队的 24 小时电话：', tel(phone), '，或拨打当地急救电话。不要等待打卡或我们的回复。');

const zh: Locale = {
  htmlLang: 'zh-Hans',
  colon: '：',
  documents: {
    medical_report: '病历报告',
    scans: '影像检查（CT、MRI、PET）',
    pathology: '病理报告',
    biomarkers: '生物标志物检测结果',
    treatment_history: '既往治疗记录',
  },
  zoned: (d, tz) => `${d}（${tz} 时间）`,
  days: (n) => `${n} 天`,
  round: (n) => `第 ${n} 轮`,
  greeting: { family: (n) => `${n}，您好：`, hospital: (n) => `尊敬的${n}国际医疗部：`, coordinator: (n) => `${n}，您好：`, translator: (n) => `${n}，您好：`, team: (n) => `尊敬的${n}：` },
  anonymousGreeting: { family: '您好：', hospital: '尊敬的国际医疗部同仁：', coordinator: '您好：', translator: '您好：', team: '各位同仁：' },
  signOff: {
    family: '祝您和家人一切顺利！\n您的患者协调团队',
    hospital: '此致\n敬礼！\n国际患者协调团队',
    coordinator: '—— 病例协调系统',
    translator: '谢谢！\n患者协调团队',
    team: '—— 国际患者协调团队',
  },
  labels: ZH_L,
  familyContact: '如有任何问题，直接回复这封邮件即可，邮件会送到您的协调团队。',
  translatorContact: '如有任何问题，请直接回复这封邮件。',
  hospitalReference: (id) => `我方参考编号：${id}，回复时请保留。`,
  openCase: '打开病例',
  templates: {
    case_opened: (d, x) => ({
      subject: `我们已收到您的咨询（${x.ref}）`,
      body: [
        p('感谢您联系我们。我们已为您建立病例，协调团队会在每一步陪伴您、帮助您。'),
        p(`第一步，我们需要收集医院评估患者能否接受${x.ctx.therapy}所需的医疗资料：`),
        list(x.docs(d.documents)),
        p('手头已有的资料可以先发给我们，不必等全部备齐。资料是什么语言都可以，翻译由我们负责。用手机拍照或扫描都可以，只要每一页都清晰可读。如果不确定怎样发送，直接回复这封邮件，我们会帮您。'),
      ],
    }),
    records_reminder: (d, x) => ({
      subject: `还需要补充的资料（${x.ref}）`,
      body: [
        p(d.reminderNumber <= 1 ? '温馨提醒：在把病例提交给医院之前，我们还需要以下资料：' : '我们仍在等待以下资料，收到后才能把病例提交给医院：'),
        list(x.docs(d.missing)),
        p('目前只缺以上这些资料。'),
        p('我们知道整理病历需要时间。如果某份资料不好获取，请直接回复告诉我们，我们常常可以帮忙，或者一起想其他办法。'),
      ],
    }),
    records_stalled: (d, x) => ({
      subject: `[${x.id}] 资料收集已停滞 ${x.days(d.daysWaiting)}（${x.ref}）`,
      body: [
        p(`${x.ref} 已等待以下资料 ${x.days(d.daysWaiting)}：`),
        list(d.missing.map((t) => `${x.doc(t)}（${t}）`)),
        p('请致电家属，了解卡在哪里。收到资料后，请登记：'),
        pre(...d.missing.map((t) => casectl.receive(x.id, t))),
        p('如果家属决定不再继续，请关闭病例：'),
        pre(casectl.close(x.id)),
      ],
    }),
    translation_task: (d, x) => ({
      subject: `翻译请求：${x.doc(d.documentType)}（${d.fromLanguage} → ${d.toLanguages.join('、')}），病例 ${x.id}`,
      body: [
        p(`请帮忙翻译病例 ${x.id} 的以下文件：`),
        facts([ZH_L.document, x.doc(d.documentType)], [ZH_L.from, x.language(d.fromLanguage)], [ZH_L.into, d.toLanguages.map(x.language).join('、')], [ZH_L.due, x.date(d.dueAt)], [ZH_L.patientRef, x.ref]),
        p('协调员会通过安全渠道把文件发给您，请勿通过电子邮件传送。完成后，请通过同一安全渠道交回译稿，并回复这封邮件告诉我们。如果截止时间不合适，请尽早告诉我们。'),
      ],
    }),
    translation_chase: (d, x) => ({
      subject: `翻译已逾期：${x.doc(d.documentType)}，病例 ${x.id}`,
      body: [
        p(`病例 ${x.id}（患者编号 ${x.ref}）的“${x.doc(d.documentType)}”翻译原定于 ${x.date(d.dueAt)}完成。`),
        p('能否回复告诉我们预计何时完成？如果遇到困难，请告诉我们，我们会协助。'),
      ],
    }),
    translation_overdue: (d, x) => ({
      subject: `[${x.id}] 翻译逾期：${x.doc(d.documentType)}（${x.days(d.daysWaiting)}）`,
      body: [
        p(`${x.ref} 的“${x.doc(d.documentType)}”翻译已等待 ${x.days(d.daysWaiting)}。`),
        p('请联系译员，或改由其他译员翻译。翻译完成后，请登记：'),
        pre(casectl.translationDone(x.id, d.documentType)),
      ],
    }),
    hospital_submission: (d, x) => ({
      subject: `病例评估申请：患者 ${x.ref}，${x.ctx.therapy}${d.round > 1 ? `（${x.round(d.round)}）` : ''}`,
      body: [
        p(`您好！我们谨代表患者 ${x.ref} 的家属来信，恳请贵院评估能否接收该患者接受${x.ctx.therapy}。`),
        d.round > 1 && p(`这是该患者的${x.round(d.round)}提交。${d.requestedDocuments?.length ? '本次已包含贵院要求补充的资料：' : ''}`),
        d.round > 1 && list(x.docs(d.requestedDocuments ?? [])),
        facts([ZH_L.patientRef, x.ref], [ZH_L.diagnosis, x.ctx.diagnosis], [ZH_L.therapy, x.ctx.therapy], d.round > 1 && [ZH_L.round, x.round(d.round)]),
        p('随附资料清单：'),
        list(x.docs(d.documents)),
        p('协调员将通过安全渠道向贵院提供上述资料。'),
        p(`请于 ${x.date(d.replyBy)}前回复本邮件，告知贵院的决定：`),
        list(['接收', '不予接收（请注明原因）', '需要补充信息（请注明所需的资料或信息）']),
        p('感谢贵院拨冗审阅。'),
      ],
    }),
    hospital_reminder: (d, x) => ({
      subject: `提醒：患者 ${x.ref} 的评估结果${d.round > 1 ? `（${x.round(d.round)}）` : ''}`,
      body: [
        p(`您好！我们于 ${x.date(d.submittedAt)}向贵院提交了患者 ${x.ref} 的${x.ctx.therapy}评估申请${d.round > 1 ? `（${x.round(d.round)}）` : ''}，目前尚未收到贵院的决定。`),
        p('家属正在等待结果，以便安排下一步。烦请回复本邮件告知：接收、不予接收（请注明原因），或需要补充信息。'),
        p('如未收到资料，协调员可通过安全渠道重新提供。'),
        facts([ZH_L.patientRef, x.ref], [ZH_L.diagnosis, x.ctx.diagnosis], [ZH_L.therapy, x.ctx.therapy]),
      ],
    }),
    hospital_silent: (d, x) => ({
      subject: `[${x.id}] ${x.hospital(d.hospitalCode)} 已 ${x.days(d.daysWaiting)}未回复`,
      body: [
        p(`${x.hospital(d.hospitalCode)} 已有 ${x.days(d.daysWaiting)}未就 ${x.ref} 作出回复。`),
        p('请致电其国际医疗部询问评估进展。如果评估无法继续，请将病例提交给其他医院：'),
        pre(casectl.submit(x.id)),
      ],
    }),
    hospital_accepted_family: (d, x) => ({
      subject: `好消息：${x.hospital(d.hospitalCode)} 同意接收（${x.ref}）`,
      body: [
        p(`我们非常高兴地告诉您：${x.hospital(d.hospitalCode)} 已完成病例评估，同意接收患者进行治疗。`),
        p('接下来，协调员会在几天内与您联系，一起规划行程和入院安排，包括日期、旅行证件和签证、住宿，以及需要携带的物品。'),
        p('在我们与医院确认入院日期之前，请先不要预订行程。'),
      ],
    }),
    choose_hospital: (d, x) => ({
      subject: `[${x.id}] ${d.accepted.length} 家医院同意接收 ${x.ref}：请选择一家`,
      body: [
        p(`以下医院已同意接收 ${x.ref}：`),
        list(d.accepted.map(x.hospital)),
        p('请与家属商量后，登记他们选择的医院：'),
        pre(...d.accepted.map((c) => casectl.choose(x.id, c))),
      ],
    }),
    all_declined_family: (_d, x) => ({
      subject: `关于您病例的最新情况（${x.ref}）`,
      body: [
        p('很遗憾地告诉您，我们联系的医院目前都无法接收患者进行这项治疗。我们知道这个消息让人难过，我们一直在您身边。'),
        p('这并不意味着已经没有其他选择。协调员会和您一起了解其他可能性，例如其他医院、其他治疗方法和临床试验，并会尽快与您联系。'),
        p('关于患者的治疗，主治医生仍是最合适的咨询对象。如果您想在此之前和我们聊聊，请直接回复这封邮件。'),
      ],
    }),
    navigation_needed: (d, x) => ({
      subject: `[${x.id}] 所有医院均未接收 ${x.ref}`,
      body: [
        p(`所有医院均未接收 ${x.ref}：`),
        list(d.declined.map((h) => `${x.hospital(h.hospitalCode)}：${h.reason}`)),
        p('请致电家属，和他们一起了解其他治疗方法和临床试验。如需提交给其他医院：'),
        pre(casectl.submit(x.id)),
        p('如果已无可行方案，请关闭病例：'),
        pre(casectl.close(x.id)),
      ],
    }),
    admission_plan: (d, x) => ({
      subject: `${x.hospital(d.hospitalCode)} 入院安排（${x.ref}）`,
      body: [
        p(`${x.hospital(d.hospitalCode)} 的入院已安排好，详情如下：`),
        facts([ZH_L.hospital, x.hospital(d.hospitalCode)], [ZH_L.admission, x.date(d.admissionAt)], [ZH_L.contact, d.contact], [ZH_L.notes, d.notes]),
        p('请核对以上信息。如有不清楚或需要调整的地方，请回复这封邮件。入院前我们会再发提醒给您。'),
      ],
    }),
    admission_reminder: (d, x) => {
      const when = d.daysBefore <= 0 ? '今天' : d.daysBefore === 1 ? '明天' : `${x.days(d.daysBefore)}后`;
      const countdown = d.daysBefore <= 1 ? `就是${when}` : `距今还有 ${x.days(d.daysBefore)}`;
      return {
        subject: `提醒：${when}在 ${x.hospital(d.hospitalCode)} 入院（${x.ref}）`,
        body: [
          p(`温馨提醒：您在 ${x.hospital(d.hospitalCode)} 的入院时间是 ${x.date(d.admissionAt)}，${countdown}。`),
          p('请记得携带护照，以及医院要求的各项资料。'),
          p('如果计划有变或有任何问题，请回复这封邮件，我们会帮您。'),
        ],
      };
    },
    follow_up_request: (d, x) => ({
      subject: `患者近况如何？（${x.ref}）`,
      body: [
        p(`回输至今已约 ${x.days(d.day)}，我们很想了解患者的近况。`),
        p('请直接回复这封邮件，用您自己的话告诉我们：患者感觉如何、是否看过医生或去过医院，以及任何让您担心的事情。'),
        p('如有紧急情况，请立即联系治疗团队或当地急救服务，不必等待我们的回复。'),
      ],
    }),
    case_closed: (d, x) => {
      const summary = facts(d.hospitalCode !== undefined && [ZH_L.hospital, x.hospital(d.hospitalCode)], d.infusionAt !== undefined && [ZH_L.infusion, x.date(d.infusionAt)], [ZH_L.closeNote, d.reason]);
      const outcomes = d.followUps.filter((f) => f.outcome);
      return {
        subject: `您的病例已结案（${x.ref}）`,
        body: [
          p(present(summary) ? '您的病例现已结案，以下是简要总结：' : '您的病例现已结案。'),
          summary,
          outcomes.length > 0 && p('随访情况：'),
          list(outcomes.map((f) => `第 ${f.day} 天：${f.outcome}`)),
          p('感谢您的信任，让我们陪伴您和家人走过这段路。今后如有需要，请随时回复这封邮件。'),
        ],
      };
    },
    case_cancelled_family: (_d, x) => ({
      subject: `您的病例已关闭（${x.ref}）`,
      body: [p('特此通知：我们的协调团队已关闭您的病例。'), p('如果您对此有任何疑问，或想和我们聊聊，请回复这封邮件，我们很乐意为您解答。')],
    }),
    case_cancelled_hospital: (d, x) => ({
      subject: `撤回申请：患者 ${x.ref}${d.round > 1 ? `（${x.round(d.round)}）` : ''}`,
      body: [
        p(`您好！特此撤回患者 ${x.ref} 的评估申请${d.round > 1 ? `（${x.round(d.round)}）` : ''}，烦请忽略，无需再作决定。`),
        p('如贵院已通过安全渠道收到该患者的资料，请按贵院的数据保护规定处理。'),
        p('感谢贵院的时间与关注。'),
      ],
    }),
    case_cancelled_coordinator: (d, x) => ({
      subject: `[${x.id}] 病例已由 ${d.by} 取消`,
      body: [p(`${d.by} 取消了 ${x.ref} 的病例。`), facts([ZH_L.reason, d.reason], [ZH_L.cancelledBy, d.by]), p('如无异常，无需任何操作。')],
    }),
    delivery_failed: (d, x) => ({
      subject: `[${x.id}] 邮件未能送达 ${d.to}`,
      body: [p(`发给 ${d.to} 的“${d.failedKind}”邮件未能送达。错误信息：`), pre(d.error), p('请与收件人核实邮箱地址；如内容紧急，请通过其他方式联系对方。')],
    }),
    record_failed: (d, x) => ({
      subject: `[${x.id}] 有一个步骤未能记录`,
      body: [p(`数据库拒绝记录 ${x.ref} 的“${d.step}”（${d.error}）。病例会继续进行并显示该步骤，但病例列表和时间线可能没有。`), p('请在控制台查看该病例，并告知运维团队。')],
    }),
    checkin_request: (d, x) => ({
      subject: `第 ${d.day} 天健康打卡：患者今天感觉如何？（${x.ref}）`,
      body: [
        p(`该做第 ${d.day} 天的健康打卡了：几个简短的问题，关于患者的体温和身体感受，几分钟就能完成。谢谢您和我们一起照顾患者。`),
        button('填写健康打卡', d.link),
        p(`请在 ${x.date(d.expiresAt)}前完成。即使患者感觉良好或正在住院，也请填写。请通过上面的链接填写，不要直接回复这封邮件，这样您的回答才能第一时间送到相关人员手中。`),
        zhAdvice(d.teamPhone),
      ],
    }),
    checkin_reminder: (d, x) => ({
      subject: `提醒：第 ${d.day} 天健康打卡（${x.ref}）`,
      body: [
        p(`温馨提醒：我们还没有收到第 ${d.day} 天健康打卡的回答，只需几分钟即可完成。`),
        button('填写健康打卡', d.link),
        p(`请在 ${x.date(d.expiresAt)}前完成。`),
        say('如果无法完成打卡，请直接致电治疗团队：', tel(d.teamPhone), '。'),
        zhAdvice(d.teamPhone),
      ],
    }),
    checkin_missed_coordinator: (d, x) => ({
      subject: `[${x.id}] 未完成打卡：第 ${d.day} 天，${x.ref}`,
      body: [
        p(`${x.ref} 的家属未完成第 ${d.day} 天的健康打卡（第 ${d.checkinId} 次），原定于 ${x.date(d.dueAt)}完成。`),
        p('监测期内未完成打卡就是警报，不代表一切正常：目前没有人知道患者的情况。'),
        p('请立即致电家属。如果家属担心或描述了症状，请引导他们拨打治疗团队的 24 小时电话或急救电话；请勿提供医疗建议。'),
        say('如果联系不上家属，请致电治疗团队：', tel(d.teamPhone), '。'),
        p('查看该病例的打卡和警报：'),
        pre(casectl.show(x.id)),
        d.alertId !== undefined && p('联系上家属后，请确认警报：'),
        d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    checkin_missed_team: (d, x) => ({
      subject: `未完成打卡：患者 ${x.ref}，回输后第 ${d.day} 天（病例 ${x.id}）`,
      body: [
        p(`患者 ${x.ref}（${x.ctx.therapy}）：家属未完成回输后第 ${d.day} 天的健康打卡（第 ${d.checkinId} 次），原定于 ${x.date(d.dueAt)}完成。目前情况不明。`),
        p('请联系患者。'),
        d.alertId !== undefined && p('联系上患者后，请确认警报：'),
        d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    alert_team: (d, x) => ({
      subject: `${ZH_M.tierWord[d.tier]}：患者 ${x.ref}，${alertSubjectParts(ZH_M, d).join('，')}（病例 ${x.id}）`,
      body: [
        p({ critical: '危急警报，最高优先级。请立即联系患者。', urgent: '紧急警报。请立即联系患者。', contact_team: '请评估并联系患者。' }[d.tier]),
        d.repeat > 1 && p(`第 ${d.repeat} 次发送：该警报尚未被确认。`),
        alertFacts(ZH_M, d),
        d.reasons.length > 0 && p('原因：'),
        list(d.reasons),
        d.source === 'family_report' && p('由照护者在健康打卡时报告，并非临床评估。'),
        p(d.tier === 'contact_team' ? '处理后请确认：' : '在有人确认之前，该警报会重复发送。联系上患者后请确认：'),
        pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    alert_coordinator: (d, x) => ({
      subject: `${ZH_M.tierWord[d.tier]}：[${x.id}] ${x.ref}，警报 ${d.alertId}，${alertSubjectParts(ZH_M, d).join('，')}`,
      body: [
        p(`${x.ref} 的警报 ${d.alertId}：${ZH_M.tierName[d.tier]}。`),
        d.repeat > 1 && p(`第 ${d.repeat} 次发送：尚无人确认该警报。`),
        alertFacts(ZH_M, d),
        d.reasons.length > 0 && p('原因：'),
        list(d.reasons),
        p('请确保已联系上治疗团队：如果不确定他们是否已看到此警报，请致电他们。'),
        p('如果家属联系您，请引导他们拨打治疗团队的 24 小时电话或急救电话；请勿提供医疗建议。'),
        p('治疗团队接手后，请确认警报：'),
        pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    monitoring_handoff_coordinator: (d, x) => {
      const open = d.openAlerts.length;
      return {
        subject: `[${x.id}] 监测期已结束：${x.ref} 转入随访${open ? `，${open} 个警报未确认` : ''}`,
        body: [
          p(`${x.ref} 的 CRS 监测期已于 ${x.date(d.windowEndedAt)}结束，病例现转入随访。`),
          p('随访仍将继续：神经毒性（ICANS）可能在回输后数周甚至数月才出现。这是交接，不是结案。'),
          handoffFacts(ZH_M, d, x),
          p(open ? `未确认的警报（${open} 个），在有人确认之前会一直保持开启：` : '没有未确认的警报。'),
          openAlertList(ZH_M, d),
          ackCommands(d, x),
          p('请确保家属知道随访仍在继续，如有担心，仍应立即拨打治疗团队的 24 小时电话或急救电话；也请确保治疗团队知道病例已转入随访。'),
          p('完整的监测记录：'),
          pre(casectl.show(x.id)),
        ],
      };
    },
    monitoring_handoff_team: (d, x) => ({
      subject: `CRS 监测期已结束：患者 ${x.ref} 转入随访（病例 ${x.id}）`,
      body: [
        p(`患者 ${x.ref}（${x.ctx.therapy}）：回输后 CRS 监测期已于 ${x.date(d.windowEndedAt)}结束，现交接至随访，并未结案。`),
        handoffFacts(ZH_M, d, x),
        p(d.openAlerts.length ? `未确认的警报（${d.openAlerts.length} 个），确认前保持开启：` : '没有未确认的警报。'),
        openAlertList(ZH_M, d),
        ackCommands(d, x),
        p('迟发性神经毒性（ICANS）在回输后数周至数月内仍可能发生。协调员会继续对家属进行随访。'),
      ],
    }),
  },
};

// ----- Spanish --------------------------------------------------------------------------------

const ES_L = {
  patientRef: 'Referencia del paciente',
  caseId: 'Número de caso',
  family: 'Contacto familiar',
  diagnosis: 'Diagnóstico',
  therapy: 'Terapia solicitada',
  round: 'Ronda',
  hospital: 'Hospital',
  admission: 'Ingreso',
  contact: 'Contacto en el hospital',
  notes: 'Notas',
  infusion: 'Infusión',
  closeNote: 'Nota',
  reason: 'Motivo',
  cancelledBy: 'Cancelado por',
  document: 'Documento',
  from: 'Idioma original',
  into: 'Traducir a',
  due: 'Fecha límite',
};

const ES_M: MonitoringWords = {
  tierWord: { contact_team: 'Contacto', urgent: 'URGENTE', critical: 'CRÍTICO' },
  tierName: { contact_team: 'Contactar con el equipo', urgent: 'Urgente', critical: 'Crítico (máxima prioridad)' },
  sourceName: { family_report: 'informe de la familia en un cuestionario', clinical_observation: 'observación clínica', fever_days: 'fiebre durante más de 3 días' },
  crsGrade: (n) => `CRS de grado ${n}`,
  icansGrade: (n) => `ICANS de grado ${n}`,
  repeat: (n) => `repetición ${n}`,
  labels: {
    alert: 'Alerta',
    tier: 'Nivel',
    source: 'Origen',
    crs: 'Grado de CRS (ASTCT)',
    icans: 'Grado de ICANS (ASTCT)',
    windowEnded: 'Fin del periodo de vigilancia',
    highestCrs: 'Grado máximo de CRS (ASTCT)',
    highestIcans: 'Grado máximo de ICANS (ASTCT)',
    answered: 'Cuestionarios respondidos',
    missed: 'Cuestionarios sin respuesta',
    feverDays: 'Días con fiebre',
  },
  openAlert: (id, tier, message) => `${id}${tier ? ` (${tier})` : ''}: ${message}`,
};

const esAdvice = (phone: string): Block =>
  say('Si le preocupa cómo está el paciente, llame ahora al teléfono 24 horas del equipo médico que le atiende: ', tel(phone), ', o a los servicios de emergencia. No espere al cuestionario ni a nuestra respuesta.');

const es: Locale = {
  htmlLang: 'es',
  colon: ': ',
  documents: {
    medical_report: 'Informes médicos',
    scans: 'Estudios de imagen (TAC, RM, PET)',
    pathology: 'Informes de anatomía patológica',
    biomarkers: 'Resultados de biomarcadores',
    treatment_history: 'Historial de tratamientos',
  },
  zoned: (d, tz) => `${d} (hora de ${tz})`,
  days: (n) => `${n} ${n === 1 ? 'día' : 'días'}`,
  round: (n) => `ronda ${n}`,
  greeting: {
    family: (n) => `Hola, ${n}:`,
    hospital: (n) => `Estimados colegas del departamento internacional de ${n}:`,
    coordinator: (n) => `Hola, ${n}:`,
    translator: (n) => `Hola, ${n}:`,
    team: (n) => `A la atención de ${n}:`,
  },
  anonymousGreeting: { family: 'Hola:', hospital: 'Estimados colegas:', coordinator: 'Hola:', translator: 'Hola:', team: 'Estimados colegas:' },
  signOff: {
    family: 'Un saludo afectuoso,\nSu equipo de coordinación de pacientes',
    hospital: 'Atentamente,\nCoordinación Internacional de Pacientes',
    coordinator: '— Servicio de coordinación de casos',
    translator: 'Muchas gracias,\nEl equipo de coordinación de pacientes',
    team: '— Coordinación Internacional de Pacientes',
  },
  labels: ES_L,
  familyContact: 'Si tiene cualquier pregunta, responda a este correo: le llegará directamente a su equipo de coordinación.',
  translatorContact: 'Si tiene alguna pregunta, responda a este correo.',
  hospitalReference: (id) => `Nuestra referencia: ${id}. Les rogamos que la conserven en su respuesta.`,
  openCase: 'Abrir el caso',
  templates: {
    case_opened: (d, x) => ({
      subject: `Hemos recibido su solicitud (${x.ref})`,
      body: [
        p('Gracias por ponerse en contacto con nosotros. Hemos abierto su caso y nuestro equipo de coordinación le acompañará en cada paso.'),
        p(`El primer paso es reunir los documentos médicos que los hospitales necesitan para valorar si el paciente puede recibir ${x.ctx.therapy}:`),
        list(x.docs(d.documents)),
        p('Envíenos lo que ya tenga, aunque todavía no esté todo. Los documentos pueden estar en cualquier idioma: nosotros nos encargamos de las traducciones. Sirven fotos o escaneos, siempre que cada página se lea bien. Si no sabe cómo enviarlos, responda a este correo y le ayudaremos.'),
      ],
    }),
    records_reminder: (d, x) => ({
      subject: `Documentos pendientes (${x.ref})`,
      body: [
        p(d.reminderNumber <= 1 ? 'Un pequeño recordatorio: antes de enviar el caso a los hospitales, todavía necesitamos estos documentos:' : 'Seguimos esperando estos documentos para poder enviar el caso a los hospitales:'),
        list(x.docs(d.missing)),
        p('Solo faltan estos documentos.'),
        p('Sabemos que reunir informes médicos lleva tiempo. Si alguno es difícil de conseguir, respóndanos y cuéntenoslo: muchas veces podemos ayudar o encontrar otra solución.'),
      ],
    }),
    records_stalled: (d, x) => ({
      subject: `[${x.id}] Documentación detenida desde hace ${x.days(d.daysWaiting)} (${x.ref})`,
      body: [
        p(`${x.ref} lleva ${x.days(d.daysWaiting)} esperando estos documentos:`),
        list(d.missing.map((t) => `${x.doc(t)} (${t})`)),
        p('Llame a la familia para saber qué está retrasando la entrega. Cuando llegue un documento, regístrelo:'),
        pre(...d.missing.map((t) => casectl.receive(x.id, t))),
        p('Si la familia ha decidido no continuar, cierre el caso:'),
        pre(casectl.close(x.id)),
      ],
    }),
    translation_task: (d, x) => ({
      subject: `Solicitud de traducción: ${x.doc(d.documentType)} (${d.fromLanguage} → ${d.toLanguages.join(', ')}), caso ${x.id}`,
      body: [
        p(`¿Podría traducir este documento del caso ${x.id}, por favor?`),
        facts([ES_L.document, x.doc(d.documentType)], [ES_L.from, x.language(d.fromLanguage)], [ES_L.into, d.toLanguages.map(x.language).join(', ')], [ES_L.due, x.date(d.dueAt)], [ES_L.patientRef, x.ref]),
        p('El coordinador le hará llegar el documento por el canal seguro; por favor, no lo envíe por correo electrónico. Cuando termine, devuelva la traducción por ese mismo canal y responda a este correo para avisarnos. Si la fecha límite no le viene bien, díganoslo cuanto antes.'),
      ],
    }),
    translation_chase: (d, x) => ({
      subject: `Traducción con retraso: ${x.doc(d.documentType)}, caso ${x.id}`,
      body: [
        p(`La traducción de «${x.doc(d.documentType)}» del caso ${x.id} (referencia del paciente ${x.ref}) debía estar lista el ${x.date(d.dueAt)}.`),
        p('¿Podría responder para decirnos cuándo cree que la tendrá? Si algo le está frenando, cuéntenoslo y le ayudaremos.'),
      ],
    }),
    translation_overdue: (d, x) => ({
      subject: `[${x.id}] Traducción con retraso: ${x.doc(d.documentType)} (${x.days(d.daysWaiting)})`,
      body: [
        p(`La traducción de «${x.doc(d.documentType)}» de ${x.ref} lleva ${x.days(d.daysWaiting)} esperando.`),
        p('Contacte con el traductor o encargue el documento a otra persona. Cuando la traducción esté lista, regístrela:'),
        pre(casectl.translationDone(x.id, d.documentType)),
      ],
    }),
    hospital_submission: (d, x) => ({
      subject: `Solicitud de valoración: paciente ${x.ref}, ${x.ctx.therapy}${d.round > 1 ? `, ${x.round(d.round)}` : ''}`,
      body: [
        p(`Nos dirigimos a ustedes en nombre de la familia del paciente ${x.ref} para solicitarles que valoren su admisión para recibir ${x.ctx.therapy}.`),
        d.round > 1 && p(`Esta es la ${x.round(d.round)} de nuestra solicitud para este paciente.${d.requestedDocuments?.length ? ' Incluye la documentación adicional que nos pidieron:' : ''}`),
        d.round > 1 && list(x.docs(d.requestedDocuments ?? [])),
        facts([ES_L.patientRef, x.ref], [ES_L.diagnosis, x.ctx.diagnosis], [ES_L.therapy, x.ctx.therapy], d.round > 1 && [ES_L.round, d.round]),
        p('Documentos incluidos:'),
        list(x.docs(d.documents)),
        p('El coordinador les hará llegar los documentos por el canal seguro.'),
        p(`Les rogamos que respondan a este correo antes del ${x.date(d.replyBy)} indicando su decisión:`),
        list(['Aceptado', 'No aceptado, con el motivo', 'Se necesita más información, indicando qué documentos o datos necesitan']),
        p('Les agradecemos de antemano su tiempo y su atención.'),
      ],
    }),
    hospital_reminder: (d, x) => ({
      subject: `Recordatorio: decisión sobre el paciente ${x.ref}${d.round > 1 ? `, ${x.round(d.round)}` : ''}`,
      body: [
        p(`El ${x.date(d.submittedAt)} les enviamos el caso del paciente ${x.ref} para que valoraran si puede recibir ${x.ctx.therapy}${d.round > 1 ? ` (${x.round(d.round)})` : ''}. Todavía no hemos recibido su decisión.`),
        p('La familia está esperando para planificar los siguientes pasos. ¿Podrían responder a este correo para indicarnos si el paciente es aceptado, no aceptado (con el motivo) o si necesitan más información?'),
        p('Si no recibieron los documentos, el coordinador puede volver a compartirlos por el canal seguro.'),
        facts([ES_L.patientRef, x.ref], [ES_L.diagnosis, x.ctx.diagnosis], [ES_L.therapy, x.ctx.therapy]),
      ],
    }),
    hospital_silent: (d, x) => ({
      subject: `[${x.id}] ${x.hospital(d.hospitalCode)}: sin respuesta desde hace ${x.days(d.daysWaiting)}`,
      body: [
        p(`${x.hospital(d.hospitalCode)} lleva ${x.days(d.daysWaiting)} sin responder sobre ${x.ref}.`),
        p('Llame a su departamento internacional para preguntar por la decisión. Si la valoración no puede seguir adelante, envíe el caso a otro hospital:'),
        pre(casectl.submit(x.id)),
      ],
    }),
    hospital_accepted_family: (d, x) => ({
      subject: `Buenas noticias de ${x.hospital(d.hospitalCode)} (${x.ref})`,
      body: [
        p(`Nos alegra muchísimo comunicarle que ${x.hospital(d.hospitalCode)} ha revisado el caso y ha aceptado al paciente para el tratamiento.`),
        p('Próximos pasos: su coordinador se pondrá en contacto con usted en los próximos días para planificar juntos el viaje y el ingreso: fechas, documentos de viaje y visados, alojamiento y qué llevar.'),
        p('Por favor, no reserve el viaje todavía; espere a que confirmemos la fecha de ingreso con el hospital.'),
      ],
    }),
    choose_hospital: (d, x) => ({
      subject: `[${x.id}] ${d.accepted.length} hospitales aceptaron a ${x.ref}: elija uno`,
      body: [
        p(`Estos hospitales han aceptado a ${x.ref}:`),
        list(d.accepted.map(x.hospital)),
        p('Háblelo con la familia y registre el hospital que elijan:'),
        pre(...d.accepted.map((c) => casectl.choose(x.id, c))),
      ],
    }),
    all_declined_family: (_d, x) => ({
      subject: `Novedades sobre su caso (${x.ref})`,
      body: [
        p('Sentimos mucho comunicarle que los hospitales con los que hemos contactado no pueden aceptar al paciente para este tratamiento en este momento. Sabemos lo difícil que es esta noticia y estamos a su lado.'),
        p('Esto no significa que no queden opciones. Su coordinador revisará con usted otras posibilidades, como otros hospitales, otros tratamientos y ensayos clínicos, y se pondrá en contacto con usted pronto.'),
        p('Sus médicos siguen siendo las personas indicadas para hablar de la atención del paciente. Si quiere hablar con nosotros antes, responda a este correo.'),
      ],
    }),
    navigation_needed: (d, x) => ({
      subject: `[${x.id}] Todos los hospitales rechazaron a ${x.ref}`,
      body: [
        p(`Todos los hospitales rechazaron a ${x.ref}:`),
        list(d.declined.map((h) => `${x.hospital(h.hospitalCode)}: ${h.reason}`)),
        p('Llame a la familia y estudie con ella otros tratamientos y ensayos clínicos. Para enviar el caso a otros hospitales:'),
        pre(casectl.submit(x.id)),
        p('o, si no hay forma de seguir adelante, cierre el caso:'),
        pre(casectl.close(x.id)),
      ],
    }),
    admission_plan: (d, x) => ({
      subject: `Su ingreso en ${x.hospital(d.hospitalCode)}: los detalles (${x.ref})`,
      body: [
        p(`El ingreso en ${x.hospital(d.hospitalCode)} ya está programado. Estos son los detalles:`),
        facts([ES_L.hospital, x.hospital(d.hospitalCode)], [ES_L.admission, x.date(d.admissionAt)], [ES_L.contact, d.contact], [ES_L.notes, d.notes]),
        p('Compruebe que todo esté correcto y responda a este correo si algo no está claro o hay que cambiarlo. Le enviaremos un recordatorio antes del ingreso.'),
      ],
    }),
    admission_reminder: (d, x) => {
      const when = d.daysBefore <= 0 ? 'hoy' : d.daysBefore === 1 ? 'mañana' : `dentro de ${x.days(d.daysBefore)}`;
      return {
        subject: `Recordatorio: ingreso en ${x.hospital(d.hospitalCode)} ${when} (${x.ref})`,
        body: [
          p(`Le recordamos que el ingreso en ${x.hospital(d.hospitalCode)} es ${when}: el ${x.date(d.admissionAt)}.`),
          p('No olvide los pasaportes y los documentos que le haya pedido el hospital.'),
          p('Si cambian sus planes o tiene alguna pregunta, responda a este correo y le ayudaremos.'),
        ],
      };
    },
    follow_up_request: (d, x) => ({
      subject: `¿Cómo se encuentra el paciente? (${x.ref})`,
      body: [
        p(`Han pasado unos ${x.days(d.day)} desde la infusión y nos gustaría saber cómo se encuentra el paciente.`),
        p('Responda a este correo y cuéntenos con sus propias palabras cómo van las cosas: cómo se siente el paciente, si ha ido al médico o al hospital y cualquier cosa que le preocupe.'),
        p('Si algo es urgente, póngase en contacto enseguida con el equipo médico que le atiende o con los servicios de emergencia locales; no espere nuestra respuesta.'),
      ],
    }),
    case_closed: (d, x) => {
      const summary = facts(d.hospitalCode !== undefined && [ES_L.hospital, x.hospital(d.hospitalCode)], d.infusionAt !== undefined && [ES_L.infusion, x.date(d.infusionAt)], [ES_L.closeNote, d.reason]);
      const outcomes = d.followUps.filter((f) => f.outcome);
      return {
        subject: `Su caso se ha cerrado (${x.ref})`,
        body: [
          p(present(summary) ? 'Hemos cerrado su caso. Este es un breve resumen:' : 'Hemos cerrado su caso.'),
          summary,
          outcomes.length > 0 && p('Seguimiento:'),
          list(outcomes.map((f) => `Día ${f.day}: ${f.outcome}`)),
          p('Gracias por confiarnos este camino de su familia. Ha sido un privilegio acompañarles. Si alguna vez nos necesita de nuevo, responda a este correo.'),
        ],
      };
    },
    case_cancelled_family: (_d, x) => ({
      subject: `Hemos cerrado su caso (${x.ref})`,
      body: [
        p('Le escribimos para informarle de que nuestro equipo de coordinación ha cerrado su caso.'),
        p('Si tiene cualquier pregunta o quiere hablarlo con nosotros, responda a este correo. Estaremos encantados de ayudarle.'),
      ],
    }),
    case_cancelled_hospital: (d, x) => ({
      subject: `Retirada de la solicitud: paciente ${x.ref}${d.round > 1 ? `, ${x.round(d.round)}` : ''}`,
      body: [
        p(`Les escribimos para retirar nuestra solicitud para el paciente ${x.ref}${d.round > 1 ? ` (${x.round(d.round)})` : ''}. Les rogamos que no la tengan en cuenta; ya no es necesaria ninguna decisión.`),
        p('Si han recibido documentos de este paciente por el canal seguro, les rogamos que los traten según sus procedimientos de protección de datos.'),
        p('Muchas gracias por su tiempo y su atención.'),
      ],
    }),
    case_cancelled_coordinator: (d, x) => ({
      subject: `[${x.id}] Caso cancelado por ${d.by}`,
      body: [p(`${d.by} ha cancelado el caso de ${x.ref}.`), facts([ES_L.reason, d.reason], [ES_L.cancelledBy, d.by]), p('No hace falta hacer nada, a menos que esto sea inesperado.')],
    }),
    delivery_failed: (d, x) => ({
      subject: `[${x.id}] Correo no entregado a ${d.to}`,
      body: [
        p(`No se pudo entregar el correo «${d.failedKind}» a ${d.to}. El error fue:`),
        pre(d.error),
        p('Compruebe la dirección con el destinatario y, si el mensaje era urgente, contacte con él por otra vía.'),
      ],
    }),
    record_failed: (d, x) => ({
      subject: `[${x.id}] No se pudo registrar un paso`,
      body: [
        p(`La base de datos rechazó registrar «${d.step}» para ${x.ref} (${d.error}). El caso sigue y muestra el paso; la lista de casos y la cronología quizá no.`),
        p('Revise el caso en la consola y avise al equipo que mantiene el servicio.'),
      ],
    }),
    checkin_request: (d, x) => ({
      subject: `Cuestionario del día ${d.day}: ¿cómo está hoy el paciente? (${x.ref})`,
      body: [
        p(`Ya puede responder el cuestionario del día ${d.day}: unas pocas preguntas sobre la temperatura del paciente y cómo se encuentra. Solo le llevará unos minutos. Gracias por ayudarnos a cuidar del paciente.`),
        button('Responder al cuestionario', d.link),
        p(`Por favor, respóndalo antes del ${x.date(d.expiresAt)}, aunque el paciente se encuentre bien o esté ingresado. Use el enlace en lugar de contestar a este correo, para que sus respuestas lleguen enseguida a las personas adecuadas.`),
        esAdvice(d.teamPhone),
      ],
    }),
    checkin_reminder: (d, x) => ({
      subject: `Recordatorio: cuestionario del día ${d.day} (${x.ref})`,
      body: [
        p(`Un pequeño recordatorio: todavía no hemos recibido las respuestas del cuestionario del día ${d.day}. Solo le llevará unos minutos.`),
        button('Responder al cuestionario', d.link),
        p(`Por favor, respóndalo antes del ${x.date(d.expiresAt)}.`),
        say('Si no puede responder el cuestionario, llame en su lugar al equipo médico: ', tel(d.teamPhone), '.'),
        esAdvice(d.teamPhone),
      ],
    }),
    checkin_missed_coordinator: (d, x) => ({
      subject: `[${x.id}] Cuestionario sin respuesta: día ${d.day}, ${x.ref}`,
      body: [
        p(`La familia de ${x.ref} no ha respondido el cuestionario del día ${d.day} (n.º ${d.checkinId}), que vencía el ${x.date(d.dueAt)}.`),
        p('Un cuestionario sin respuesta durante la vigilancia es una alerta, no una buena noticia: ahora mismo nadie sabe cómo está el paciente.'),
        p('Llame ahora a la familia. Si está preocupada o describe síntomas, indíquele que llame al teléfono 24 horas del equipo médico o a los servicios de emergencia; no dé consejos médicos.'),
        say('Si no consigue hablar con la familia, llame al equipo médico: ', tel(d.teamPhone), '.'),
        p('Los cuestionarios y las alertas del caso:'),
        pre(casectl.show(x.id)),
        d.alertId !== undefined && p('Cuando haya hablado con la familia, confirme la alerta:'),
        d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    checkin_missed_team: (d, x) => ({
      subject: `Cuestionario sin respuesta: paciente ${x.ref}, día ${d.day} tras la infusión (caso ${x.id})`,
      body: [
        p(`Paciente ${x.ref} (${x.ctx.therapy}): la familia no ha respondido el cuestionario del día ${d.day} tras la infusión (n.º ${d.checkinId}), que vencía el ${x.date(d.dueAt)}. Estado actual desconocido.`),
        p('Por favor, contacten con el paciente.'),
        d.alertId !== undefined && p('Cuando hayan contactado con el paciente, confirmen la alerta:'),
        d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    alert_team: (d, x) => ({
      subject: `${ES_M.tierWord[d.tier]}: paciente ${x.ref}, ${alertSubjectParts(ES_M, d).join(', ')} (caso ${x.id})`,
      body: [
        p({ critical: 'Alerta crítica, máxima prioridad. Por favor, contacten con el paciente ahora.', urgent: 'Alerta urgente. Por favor, contacten con el paciente ahora.', contact_team: 'Por favor, valoren el caso y contacten con el paciente.' }[d.tier]),
        d.repeat > 1 && p(`Repetición ${d.repeat}: esta alerta todavía no se ha confirmado.`),
        alertFacts(ES_M, d),
        d.reasons.length > 0 && p('Motivos:'),
        list(d.reasons),
        d.source === 'family_report' && p('Comunicado por el cuidador en un cuestionario: no es una valoración clínica.'),
        p(d.tier === 'contact_team' ? 'Confirmen la alerta cuando esté atendida:' : 'Esta alerta se reenvía hasta que alguien la confirme. Confírmenla cuando hayan contactado con el paciente:'),
        pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    alert_coordinator: (d, x) => ({
      subject: `${ES_M.tierWord[d.tier]}: [${x.id}] ${x.ref}, alerta ${d.alertId}, ${alertSubjectParts(ES_M, d).join(', ')}`,
      body: [
        p(`Alerta ${d.alertId} de ${x.ref}: ${ES_M.tierName[d.tier]}.`),
        d.repeat > 1 && p(`Repetición ${d.repeat}: nadie ha confirmado todavía esta alerta.`),
        alertFacts(ES_M, d),
        d.reasons.length > 0 && p('Motivos:'),
        list(d.reasons),
        p('Asegúrese de que el equipo médico está al tanto: si no está seguro de que hayan visto esta alerta, llámelos.'),
        p('Si la familia se pone en contacto con usted, indíquele que llame al teléfono 24 horas del equipo médico o a los servicios de emergencia; no dé consejos médicos.'),
        p('Cuando el equipo médico se haya hecho cargo, confirme la alerta:'),
        pre(casectl.ack(x.id, d.alertId)),
      ],
    }),
    monitoring_handoff_coordinator: (d, x) => {
      const open = d.openAlerts.length;
      return {
        subject: `[${x.id}] Fin de la vigilancia: ${x.ref} pasa a seguimiento${open ? `, ${open} ${open === 1 ? 'alerta abierta' : 'alertas abiertas'}` : ''}`,
        body: [
          p(`El periodo de vigilancia del CRS de ${x.ref} terminó el ${x.date(d.windowEndedAt)}. El caso pasa ahora a seguimiento.`),
          p('El seguimiento continúa: la neurotoxicidad (ICANS) puede aparecer tarde, semanas o incluso meses después de la infusión. Esto es un traspaso, no un cierre.'),
          handoffFacts(ES_M, d, x),
          p(open ? `Alertas abiertas (${open}). Siguen abiertas hasta que alguien las confirme:` : 'No hay alertas abiertas.'),
          openAlertList(ES_M, d),
          ackCommands(d, x),
          p('Asegúrese de que la familia sabe que el seguimiento continúa y que, si algo le preocupa, debe seguir llamando al teléfono 24 horas del equipo médico o a los servicios de emergencia; y de que el equipo médico sabe que el caso ha pasado a seguimiento.'),
          p('El registro completo de la vigilancia:'),
          pre(casectl.show(x.id)),
        ],
      };
    },
    monitoring_handoff_team: (d, x) => ({
      subject: `Fin de la vigilancia del CRS: paciente ${x.ref}, traspaso a seguimiento (caso ${x.id})`,
      body: [
        p(`Paciente ${x.ref} (${x.ctx.therapy}): el periodo de vigilancia del CRS tras la infusión terminó el ${x.date(d.windowEndedAt)}. Se traspasa a seguimiento; el caso no se cierra.`),
        handoffFacts(ES_M, d, x),
        p(d.openAlerts.length ? `Alertas abiertas (${d.openAlerts.length}), abiertas hasta que se confirmen:` : 'No hay alertas abiertas.'),
        openAlertList(ES_M, d),
        ackCommands(d, x),
        p('La neurotoxicidad tardía (ICANS) sigue siendo posible semanas o meses después de la infusión. El coordinador continúa el seguimiento con la familia.'),
      ],
    }),
  },
};

const LOCALES: Record<Lang, Locale> = { en, zh, es };

// ---------------------------------------------------------------------------------------------
// Rendering

function helpers(lang: Lang, L: Locale, ctx: EmailContext): Helpers {
  const format = (date: Date, timeZone: string) =>
    L.zoned(keptIntl(`date ${lang} ${timeZone}`, () => new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short', timeZone })).format(date), timeZone);
  const doc = (t: string) => documentLabel(t, lang);
  return {
    ctx,
    ref: ctx.patientRef,
    id: ctx.caseId,
    date(iso) {
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return iso; // show what we were given rather than fail the email
      try {
        return format(date, ctx.timeZone);
      } catch {
        return format(date, 'UTC'); // not an IANA zone: still a correct, labelled time
      }
    },
    doc,
    docs: (types) => types.map(doc),
    hospital: (code) => (Object.hasOwn(ctx.hospitalNames, code) ? (ctx.hospitalNames[code] ?? code) : code),
    language(code) {
      try {
        const name = keptIntl(`language ${lang}`, () => new Intl.DisplayNames(lang, { type: 'language', fallback: 'none' })).of(code);
        return name && name !== code ? `${name} (${code})` : code;
      } catch {
        return code;
      }
    },
    days: L.days,
    round: L.round,
  };
}

/** Greeting, the template's body, what the recipient needs to reply or act, and the sign-off. */
function compose(recipient: Recipient, L: Locale, ctx: EmailContext, body: Part[]): Block[] {
  const name = (recipient === 'family' ? ctx.familyName || ctx.recipientName : ctx.recipientName).trim();
  const closing: Part[] = {
    family: [facts([L.labels.patientRef, ctx.patientRef], [L.labels.caseId, ctx.caseId]), p(L.familyContact)],
    hospital: [p(L.hospitalReference(ctx.caseId))],
    coordinator: [facts([L.labels.caseId, ctx.caseId], [L.labels.patientRef, ctx.patientRef], [L.labels.family, ctx.familyName]), link(L.openCase, caseUrl(ctx))],
    translator: [p(L.translatorContact)],
    team: [facts([L.labels.patientRef, ctx.patientRef], [L.labels.caseId, ctx.caseId])],
  }[recipient];
  return [p(name ? L.greeting[recipient](name) : L.anonymousGreeting[recipient]), ...body, ...closing, p(L.signOff[recipient])].filter(present);
}

export function renderEmail<K extends EmailKind>(kind: K, language: string, ctx: EmailContext, data: EmailData[K]): RenderedEmail {
  const lang = resolveLanguage(language);
  const L = LOCALES[lang];
  const template: Templates[K] | undefined = Object.hasOwn(L.templates, kind) ? L.templates[kind] : undefined;
  if (!template) throw new Error(`unknown email kind: ${String(kind)}`);
  const draft = template(data, helpers(lang, L, ctx));
  const subject = oneLine(draft.subject);
  const blocks = compose(EMAIL_RECIPIENT[kind], L, ctx, draft.body);
  return { subject, text: toText(blocks, L.colon), html: toHtml(blocks, L.htmlLang, subject), language: lang };
}
