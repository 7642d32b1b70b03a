// Every email the service sends: how each one is laid out (here) and what it says (the message
// catalogues in i18n/, one per language). Pure: the message is a function of its kind, language,
// context and data (no clock, no I/O, no environment), so a retried activity renders exactly the
// same email.
//
// Templates never write HTML. Each one returns a subject and a few plain-text blocks (paragraphs,
// lists, label/value rows, commands) made of the catalogue's words; `toText` and `toHtml` lay them
// out, and `toHtml` escapes every value on the way, so a name like `<script>` can never become
// markup. Which blocks an email has, and when, is decided here, once for every language; a
// catalogue decides only the words, with ICU plurals and selects where a sentence varies.
//
// Monitoring emails (check-ins, alerts, the hand-off after the CRS window) follow the reference's
// rules: they never give treatment advice; every one to the family about symptoms says to call the
// treating team's 24/7 number now, or emergency services, if they are worried; a missed check-in is
// an alert, never good news; the end of the window is a hand-off to follow-up, never a silent close.
import type { AlertEmailData, EmailData, EmailKind, MonitoringHandoffData, Recipient } from '../domain/emails.ts';
import { EMAIL_RECIPIENT } from '../domain/emails.ts';
import { keptIntl } from '../domain/time.ts';
import { documentName, messages, resolveLanguage, type Catalogue, type MessageKey, type MessagePath, type Messages, type Values } from '../i18n/index.ts';

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
  /** The catalogue's language actually used: 'en', 'zh', 'es'… (English when the requested one has none). */
  language: string;
}

/** A document type's name in the language; a type the catalogue does not know, made readable. */
export function documentLabel(documentType: string, language: string): string {
  return documentName(messages(resolveLanguage(language)), documentType);
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
  docs: (caseId: string) => `casectl docs list ${shellArg(caseId)}`,
  approve: (caseId: string, hospitalCode: string) => `casectl hospital approve ${shellArg(caseId)} ${shellArg(hospitalCode)}`,
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
/** A paragraph with a phone number in it, in the pieces of its message: `rich(words.parts(key, { phone: tel(phone) }))`. */
const rich = (parts: Inline[]): Block => ({ type: 'rich', parts });
const tel = (phone: string): { tel: string } => ({ tel: phone.trim() });
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
  li: 'margin:0 0 4px;',
  table: 'border-collapse:collapse;margin:0 0 16px;width:100%;',
  td: 'vertical-align:top;padding:4px 0;overflow-wrap:anywhere;',
  // Commands read left to right in an email that does not (Arabic, say).
  pre: `margin:0 0 16px;padding:12px;background-color:#eef1f4;color:${INK};border-radius:4px;font-family:${MONO};font-size:14px;line-height:1.5;white-space:pre-wrap;overflow-wrap:anywhere;direction:ltr;text-align:left;`,
  a: 'color:#0b57d0;text-decoration:underline;', // on white: 6.6:1
  // White on #0b57d0: 6.6:1; about 50px tall, an easy target for a thumb.
  button: 'display:inline-block;padding:12px 28px;background-color:#0b57d0;color:#ffffff;border-radius:6px;font-weight:600;font-size:18px;line-height:1.4;text-decoration:none;',
};

/**
 * The styles that name a side, for an email written left to right and one written right to left
 * (Arabic, say): lists are indented, and labels aligned, where the lines start. Named sides, not
 * logical properties, which many email clients do not know.
 */
const SIDED = {
  ltr: { ul: 'margin:0 0 16px;padding-left:24px;', th: 'text-align:left;vertical-align:top;padding:4px 16px 4px 0;font-weight:600;white-space:nowrap;' },
  rtl: { ul: 'margin:0 0 16px;padding-right:24px;', th: 'text-align:right;vertical-align:top;padding:4px 0 4px 16px;font-weight:600;white-space:nowrap;' },
};

/** Escapes a value for HTML and keeps its line breaks. */
const html = (s: string): string => escapeHtml(s).replace(/\r?\n/g, '<br>');

function telLink(phone: string): string {
  const dial = dialable(phone);
  // A phone number keeps its digits in order in a right-to-left sentence.
  return dial ? `<a href="tel:${dial}" style="${STYLE.a}white-space:nowrap;direction:ltr;unicode-bidi:embed;">${html(phone.trim())}</a>` : html(phone);
}

/** The email as HTML, in the language's script direction (right to left for Arabic, say). */
function toHtml(blocks: Block[], words: Messages, title: string): string {
  const sided = SIDED[words.dir];
  const render = (b: Block): string => {
    switch (b.type) {
      case 'p':
        return `<p style="${STYLE.p}">${html(b.text)}</p>`;
      case 'list':
        return `<ul style="${sided.ul}">${b.items.map((i) => `<li style="${STYLE.li}">${html(i)}</li>`).join('')}</ul>`;
      case 'facts':
        return `<table style="${STYLE.table}">${b.rows.map(([k, v]) => `<tr><th scope="row" style="${sided.th}">${html(k)}</th><td style="${STYLE.td}">${html(v)}</td></tr>`).join('')}</table>`;
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
    `<html lang="${escapeHtml(words.locale)}" dir="${words.dir}">`,
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
// What a template gets

/** The keys of one kind's messages in the catalogue (`emails.<kind>.<key>`). */
type KindKey<K extends EmailKind> = MessagePath<Catalogue['emails'][K]>;

/** What every template gets besides its data: the context, and words and formatting in the email's language. */
interface Shared {
  ctx: EmailContext;
  words: Messages;
  ref: string;
  id: string;
  /** A shared message (emailCommon). */
  common(key: MessageKey, values?: Values): string;
  date(iso: string): string;
  doc(documentType: string): string;
  docs(documentTypes: readonly string[]): string[];
  hospital(code: string): string;
  language(code: string): string;
  /** Items run together as the language writes a short list: 'en, es', 'en、es'. */
  joined(items: readonly string[]): string;
}

/** …and the messages of its own kind. */
interface Helpers<K extends EmailKind> extends Shared {
  /** One of this email's messages. Every one may also use {ref}, {id} and {therapy}. */
  say(key: KindKey<K>, values?: Values): string;
  /** A paragraph of this email's that holds the phone number {phone} (a tel: link in HTML). */
  sayWithPhone(key: KindKey<K>, phone: string, values?: Values): Block;
}

interface Draft {
  subject: string;
  body: Part[];
}

type Templates = { [K in EmailKind]: (data: EmailData[K], x: Helpers<K>) => Draft };

// ---------------------------------------------------------------------------------------------
// What several emails share

const label = (x: Shared, key: keyof Catalogue['emailCommon']['labels']): string => x.common(`emailCommon.labels.${key}`);
const alertLabel = (x: Shared, key: keyof Catalogue['emailCommon']['alert']['labels']): string => x.common(`emailCommon.alert.labels.${key}`);

/** What every family email about symptoms says: the team's 24/7 number now, or emergency services. */
const familyAdvice = (x: Shared, phone: string): Block => rich(x.words.parts('emailCommon.familyAdvice', { phone: tel(phone) }));

/** A tier's name in the language; a tier this version does not know is shown as given. */
const tierName = (x: Shared, tier: string): string => x.words.optional(`emailCommon.alert.tierName.${tier}`) ?? tier;

/** What an alert's subject says after the tier: grades when known, the source, the repeat after the first. */
function alertDetails(x: Shared, d: AlertEmailData): string {
  const parts = [
    d.crsGrade !== undefined && x.common('emailCommon.alert.crsGrade', { grade: d.crsGrade }),
    d.icansGrade !== undefined && x.common('emailCommon.alert.icansGrade', { grade: d.icansGrade }),
    x.common(`emailCommon.alert.source.${d.source}`),
    d.repeat > 1 && x.common('emailCommon.alert.repeat', { repeat: d.repeat }),
  ];
  return parts.filter((s): s is string => typeof s === 'string').join(x.common('emailCommon.alert.subjectSeparator'));
}

/** What an alert's subject names: its tier (loud for urgent and critical), its id and its details. */
const alertSubject = (x: Shared, d: AlertEmailData): Values => ({ tier: x.common(`emailCommon.alert.tierWord.${d.tier}`), details: alertDetails(x, d), alertId: d.alertId });

const alertFacts = (x: Shared, d: AlertEmailData): Block =>
  facts(
    [alertLabel(x, 'alert'), d.alertId],
    [alertLabel(x, 'tier'), tierName(x, d.tier)],
    [alertLabel(x, 'source'), x.common(`emailCommon.alert.source.${d.source}`)],
    [alertLabel(x, 'crs'), d.crsGrade],
    [alertLabel(x, 'icans'), d.icansGrade],
  );

const handoffFacts = (x: Shared, d: MonitoringHandoffData): Block =>
  facts(
    [alertLabel(x, 'windowEnded'), x.date(d.windowEndedAt)],
    [alertLabel(x, 'highestCrs'), d.highestCrsGrade],
    [alertLabel(x, 'highestIcans'), d.highestIcansGrade],
    [alertLabel(x, 'answered'), d.answeredCheckins],
    [alertLabel(x, 'missed'), d.missedCheckins],
    [alertLabel(x, 'feverDays'), d.feverDays],
  );

const openAlertList = (x: Shared, d: MonitoringHandoffData): Block =>
  list(
    d.openAlerts.map((a) =>
      a.tier === undefined ? x.common('emailCommon.alert.openAlert', { id: a.id, message: a.message }) : x.common('emailCommon.alert.openAlertWithTier', { id: a.id, tier: tierName(x, a.tier), message: a.message }),
    ),
  );

const ackCommands = (x: Shared, d: MonitoringHandoffData): Block => pre(...d.openAlerts.map((a) => casectl.ack(x.id, a.id)));

/** The family's records page, when the email carries its link (the activity adds it: activities/emails.ts). */
const uploadBlocks = (x: Shared, link: string | undefined): Block[] => (link ? [p(x.common('emailCommon.uploadIntro')), button(x.common('emailCommon.uploadButton'), link)] : []);

// ---------------------------------------------------------------------------------------------
// The emails

const TEMPLATES: Templates = {
  case_opened: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('welcome')), p(x.say('documentsNeeded')), list(x.docs(d.documents)), ...uploadBlocks(x, d.link), p(x.say('sendWhatYouHave'))],
  }),
  records_reminder: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say(d.reminderNumber <= 1 ? 'firstReminder' : 'laterReminder')), list(x.docs(d.missing)), p(x.say('onlyThese')), ...uploadBlocks(x, d.link), p(x.say('hardToGet'))],
  }),
  document_request: (d, x) => ({
    subject: x.say('subject', { document: x.doc(d.documentType) }),
    body: [p(x.say('please', { document: x.doc(d.documentType) })), p(x.say('why', { reason: d.reason })), ...uploadBlocks(x, d.link), p(x.say('thanks'))],
  }),
  sharing_request: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say(d.reminder ? 'reminder' : 'ask')), list(d.hospitals.map((h) => x.hospital(h))), p(x.say('why')), ...uploadBlocks(x, d.link), p(x.say('question'))],
  }),
  sharing_stalled: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('waiting', { hospitals: x.joined(d.hospitals) })), p(x.say('callFamily')), p(x.say('ifApprovedByPhone')), pre(...d.hospitals.map((h) => casectl.approve(x.id, h)))],
  }),
  files_to_review: (d, x) => ({
    subject: x.say('subject', { count: d.count }),
    body: [p(x.say(d.by === 'family' ? 'arrivedFromFamily' : 'arrivedFromStaff', { count: d.count, by: d.by })), p(x.say('waiting', { waiting: d.waiting })), p(x.say('review')), pre(casectl.docs(x.id))],
  }),
  consent_withdrawn: (_d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('withdrawn')), p(x.say('stopped')), p(x.say('callFamily'))],
  }),
  records_stalled: (d, x) => ({
    subject: x.say('subject', { days: d.daysWaiting }),
    body: [
      p(x.say('waiting', { days: d.daysWaiting })),
      list(d.missing.map((t) => x.say('missingDocument', { document: x.doc(t), code: t }))),
      p(x.say('callFamily')),
      pre(...d.missing.map((t) => casectl.receive(x.id, t))),
      p(x.say('ifStopping')),
      pre(casectl.close(x.id)),
    ],
  }),
  translation_task: (d, x) => ({
    subject: x.say('subject', { document: x.doc(d.documentType), from: d.fromLanguage, into: x.joined(d.toLanguages) }),
    body: [
      p(x.say('request')),
      facts(
        [label(x, 'document'), x.doc(d.documentType)],
        [label(x, 'from'), x.language(d.fromLanguage)],
        [label(x, 'into'), x.joined(d.toLanguages.map(x.language))],
        [label(x, 'due'), x.date(d.dueAt)],
        [label(x, 'patientRef'), x.ref],
      ),
      ...(d.link ? [p(x.say('howToPage')), button(x.say('button'), d.link)] : [p(x.say('howTo'))]),
    ],
  }),
  translation_chase: (d, x) => ({
    subject: x.say('subject', { document: x.doc(d.documentType) }),
    body: [p(x.say('overdue', { document: x.doc(d.documentType), due: x.date(d.dueAt) })), p(x.say('askWhen')), ...(d.link ? [button(x.say('button'), d.link)] : [])],
  }),
  translation_rejected: (d, x) => ({
    subject: x.say('subject', { document: x.doc(d.documentType) }),
    body: [p(x.say('sentBack', { document: x.doc(d.documentType), into: x.joined(d.toLanguages.map(x.language)) })), p(x.say('why', { reason: d.reason })), ...(d.link ? [button(x.say('button'), d.link)] : []), p(x.say('thanks'))],
  }),
  translation_overdue: (d, x) => ({
    subject: x.say('subject', { document: x.doc(d.documentType), days: d.daysWaiting }),
    body: [p(x.say('waiting', { document: x.doc(d.documentType), days: d.daysWaiting })), p(x.say('reassign')), pre(casectl.translationDone(x.id, d.documentType))],
  }),
  hospital_submission: (d, x) => ({
    subject: x.say('subject', { round: d.round }),
    body: [
      p(x.say('request')),
      // A resubmission says which round it is, and lists what the hospital asked for.
      d.round > 1 && p(x.say('resubmission', { round: d.round, requested: d.requestedDocuments?.length ?? 0 })),
      d.round > 1 && list(x.docs(d.requestedDocuments ?? [])),
      facts([label(x, 'patientRef'), x.ref], [label(x, 'diagnosis'), x.ctx.diagnosis], [label(x, 'therapy'), x.ctx.therapy], d.round > 1 && [label(x, 'round'), x.say('roundFact', { round: d.round })]),
      p(x.say('enclosed')),
      list(x.docs(d.documents)),
      // With the packet's link, the hospital reads and decides on its page; without (emails asked for before links), by reply.
      ...(d.link ? [p(x.say('packetPage')), button(x.say('packetButton'), d.link), p(x.say('decideBy', { date: x.date(d.replyBy) }))] : [p(x.say('secureChannel')), p(x.say('replyBy', { date: x.date(d.replyBy) }))]),
      list([x.say('decisions.accepted'), x.say('decisions.declined'), x.say('decisions.moreInformation')]),
      p(x.say('thanks')),
    ],
  }),
  hospital_reminder: (d, x) => ({
    subject: x.say('subject', { round: d.round }),
    body: [
      p(x.say('sent', { date: x.date(d.submittedAt), round: d.round })),
      p(x.say(d.link ? 'familyWaitingPage' : 'familyWaiting')),
      ...(d.link ? [button(x.say('packetButton'), d.link)] : [p(x.say('shareAgain'))]),
      facts([label(x, 'patientRef'), x.ref], [label(x, 'diagnosis'), x.ctx.diagnosis], [label(x, 'therapy'), x.ctx.therapy]),
    ],
  }),
  more_info_family: (d, x) => ({
    subject: x.say('subject', { hospital: x.hospital(d.hospitalCode) }),
    body: [p(x.say('asks', { hospital: x.hospital(d.hospitalCode) })), list(x.docs(d.documents)), ...uploadBlocks(x, d.link), p(x.say('thanks'))],
  }),
  packet_locked: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('locked', { hospital: x.hospital(d.hospitalCode), round: d.round })), p(x.say('callThem'))],
  }),
  hospital_silent: (d, x) => ({
    subject: x.say('subject', { hospital: x.hospital(d.hospitalCode), days: d.daysWaiting }),
    body: [p(x.say('silent', { hospital: x.hospital(d.hospitalCode), days: d.daysWaiting })), p(x.say('callThem')), pre(casectl.submit(x.id))],
  }),
  hospital_accepted_family: (d, x) => ({
    subject: x.say('subject', { hospital: x.hospital(d.hospitalCode) }),
    body: [p(x.say('accepted', { hospital: x.hospital(d.hospitalCode) })), p(x.say('next')), p(x.say('doNotBook'))],
  }),
  choose_hospital: (d, x) => ({
    subject: x.say('subject', { count: d.accepted.length }),
    body: [p(x.say('accepted')), list(d.accepted.map(x.hospital)), p(x.say('talk')), pre(...d.accepted.map((c) => casectl.choose(x.id, c)))],
  }),
  all_declined_family: (_d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('sorry')), p(x.say('options')), p(x.say('doctors'))],
  }),
  navigation_needed: (d, x) => ({
    subject: x.say('subject'),
    body: [
      p(x.say('declined')),
      list(d.declined.map((h) => x.say('declinedHospital', { hospital: x.hospital(h.hospitalCode), reason: h.reason }))),
      p(x.say('explore')),
      pre(casectl.submit(x.id)),
      p(x.say('orClose')),
      pre(casectl.close(x.id)),
    ],
  }),
  admission_plan: (d, x) => ({
    subject: x.say('subject', { hospital: x.hospital(d.hospitalCode) }),
    body: [
      p(x.say('planned', { hospital: x.hospital(d.hospitalCode) })),
      facts([label(x, 'hospital'), x.hospital(d.hospitalCode)], [label(x, 'admission'), x.date(d.admissionAt)], [label(x, 'contact'), d.contact], [label(x, 'notes'), d.notes]),
      p(x.say('check')),
    ],
  }),
  admission_reminder: (d, x) => {
    // Days before the admission: 0 today (or already past), 1 tomorrow.
    const when = { hospital: x.hospital(d.hospitalCode), daysBefore: Math.max(0, d.daysBefore), date: x.date(d.admissionAt) };
    return { subject: x.say('subject', when), body: [p(x.say('reminder', when)), p(x.say('passports')), p(x.say('questions'))] };
  },
  follow_up_request: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('howIsThePatient', { days: d.day })), p(x.say('tellUs')), p(x.say('urgent'))],
  }),
  case_closed: (d, x) => {
    const summary = facts(
      d.hospitalCode !== undefined && [label(x, 'hospital'), x.hospital(d.hospitalCode)],
      d.infusionAt !== undefined && [label(x, 'infusion'), x.date(d.infusionAt)],
      [label(x, 'closeNote'), d.reason],
    );
    const outcomes = d.followUps.filter((f) => f.outcome);
    return {
      subject: x.say('subject'),
      body: [
        p(x.say(present(summary) ? 'closingWithSummary' : 'closing')),
        summary,
        outcomes.length > 0 && p(x.say('followUp')),
        list(outcomes.map((f) => x.say('followUpOutcome', { day: f.day, outcome: f.outcome ?? '' }))),
        p(x.say('thanks')),
      ],
    };
  },
  case_cancelled_family: (_d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('closed')), p(x.say('questions'))],
  }),
  case_cancelled_hospital: (d, x) => ({
    subject: x.say('subject', { round: d.round }),
    body: [p(x.say('withdrawn', { round: d.round })), p(x.say('documents')), p(x.say('thanks'))],
  }),
  case_cancelled_coordinator: (d, x) => ({
    subject: x.say('subject', { by: d.by }),
    body: [p(x.say('cancelled', { by: d.by })), facts([label(x, 'reason'), d.reason], [label(x, 'cancelledBy'), d.by]), p(x.say('noAction'))],
  }),
  delivery_failed: (d, x) => ({
    subject: x.say('subject', { to: d.to }),
    body: [p(x.say('failed', { kind: d.failedKind, to: d.to })), pre(d.error), p(x.say('check'))],
  }),
  record_failed: (d, x) => ({
    subject: x.say('subject'),
    body: [p(x.say('refused', { step: d.step, error: d.error })), p(x.say('tell'))],
  }),
  checkin_request: (d, x) => ({
    subject: x.say('subject', { day: d.day }),
    body: [p(x.say('timeFor', { day: d.day })), button(x.say('button'), d.link), p(x.say('answerBy', { date: x.date(d.expiresAt) })), familyAdvice(x, d.teamPhone)],
  }),
  checkin_reminder: (d, x) => ({
    subject: x.say('subject', { day: d.day }),
    body: [
      p(x.say('reminder', { day: d.day })),
      button(x.say('button'), d.link),
      p(x.say('answerBy', { date: x.date(d.expiresAt) })),
      x.sayWithPhone('callInstead', d.teamPhone),
      familyAdvice(x, d.teamPhone),
    ],
  }),
  checkin_missed_coordinator: (d, x) => ({
    subject: x.say('subject', { day: d.day }),
    body: [
      p(x.say('missed', { day: d.day, checkinId: d.checkinId, date: x.date(d.dueAt) })),
      p(x.say('notGoodNews')),
      p(x.say('callFamily')),
      x.sayWithPhone('callTeam', d.teamPhone),
      p(x.say('show')),
      pre(casectl.show(x.id)),
      d.alertId !== undefined && p(x.say('acknowledge')),
      d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
    ],
  }),
  checkin_missed_team: (d, x) => ({
    subject: x.say('subject', { day: d.day }),
    body: [
      p(x.say('missed', { day: d.day, checkinId: d.checkinId, date: x.date(d.dueAt) })),
      p(x.say('contact')),
      d.alertId !== undefined && p(x.say('acknowledge')),
      d.alertId !== undefined && pre(casectl.ack(x.id, d.alertId)),
    ],
  }),
  alert_team: (d, x) => ({
    subject: x.say('subject', alertSubject(x, d)),
    body: [
      p(x.say(`act.${d.tier}`)),
      d.repeat > 1 && p(x.say('repeat', { repeat: d.repeat })),
      alertFacts(x, d),
      d.reasons.length > 0 && p(x.say('reasons')),
      list(d.reasons),
      d.source === 'family_report' && p(x.say('familyReport')),
      // Urgent and critical alerts are sent again until acknowledged (workflows/monitoring.ts).
      p(x.say(d.tier === 'contact_team' ? 'acknowledge' : 'acknowledgeRepeated')),
      pre(casectl.ack(x.id, d.alertId)),
    ],
  }),
  alert_coordinator: (d, x) => ({
    subject: x.say('subject', alertSubject(x, d)),
    body: [
      p(x.say('alert', { alertId: d.alertId, tierName: tierName(x, d.tier) })),
      d.repeat > 1 && p(x.say('repeat', { repeat: d.repeat })),
      alertFacts(x, d),
      d.reasons.length > 0 && p(x.say('reasons')),
      list(d.reasons),
      p(x.say('reachTeam')),
      p(x.say('ifFamilyCalls')),
      p(x.say('acknowledge')),
      pre(casectl.ack(x.id, d.alertId)),
    ],
  }),
  monitoring_handoff_coordinator: (d, x) => ({
    subject: x.say('subject', { open: d.openAlerts.length }),
    body: [
      p(x.say('ended', { date: x.date(d.windowEndedAt) })),
      p(x.say('followUpContinues')),
      handoffFacts(x, d),
      p(x.say('openAlerts', { open: d.openAlerts.length })),
      openAlertList(x, d),
      ackCommands(x, d),
      p(x.say('makeSure')),
      p(x.say('record')),
      pre(casectl.show(x.id)),
    ],
  }),
  monitoring_handoff_team: (d, x) => ({
    subject: x.say('subject'),
    body: [
      p(x.say('ended', { date: x.date(d.windowEndedAt) })),
      handoffFacts(x, d),
      p(x.say('openAlerts', { open: d.openAlerts.length })),
      openAlertList(x, d),
      ackCommands(x, d),
      p(x.say('lateNeurotoxicity')),
    ],
  }),
};

// ---------------------------------------------------------------------------------------------
// Rendering

function helpers<K extends EmailKind>(kind: K, words: Messages, ctx: EmailContext): Helpers<K> {
  const { locale } = words;
  const common = (key: MessageKey, values?: Values) => words.format(key, values);
  const format = (date: Date, timeZone: string) =>
    common('emailCommon.zonedDate', {
      date: keptIntl(`date ${locale} ${timeZone}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short', timeZone })).format(date),
      timeZone,
    });
  const doc = (t: string) => documentName(words, t);
  // What every message of an email may name: the patient, the case, the therapy.
  const about = { ref: ctx.patientRef, id: ctx.caseId, therapy: ctx.therapy };
  const own = (key: KindKey<K>) => `emails.${kind}.${key}` as MessageKey;
  return {
    ctx,
    words,
    ref: ctx.patientRef,
    id: ctx.caseId,
    say: (key, values) => words.format(own(key), { ...about, ...values }),
    sayWithPhone: (key, phone, values) => rich(words.parts(own(key), { ...about, ...values, phone: tel(phone) })),
    common,
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
        const name = keptIntl(`language ${locale}`, () => new Intl.DisplayNames(locale, { type: 'language', fallback: 'none' })).of(code);
        return name && name !== code ? common('emailCommon.languageName', { name, code }) : code;
      } catch {
        return code;
      }
    },
    joined: (items) => items.join(common('emailCommon.listSeparator')),
  };
}

/** Greeting, the template's body, what the recipient needs to reply or act, and the sign-off. */
function compose(recipient: Recipient, x: Shared, body: Part[]): Block[] {
  const { ctx } = x;
  const name = (recipient === 'family' ? ctx.familyName || ctx.recipientName : ctx.recipientName).trim();
  const closing: Part[] = {
    family: [facts([label(x, 'patientRef'), ctx.patientRef], [label(x, 'caseId'), ctx.caseId]), p(x.common('emailCommon.familyContact'))],
    hospital: [p(x.common('emailCommon.hospitalReference', { caseId: ctx.caseId }))],
    coordinator: [facts([label(x, 'caseId'), ctx.caseId], [label(x, 'patientRef'), ctx.patientRef], [label(x, 'family'), ctx.familyName]), link(x.common('emailCommon.openCase'), caseUrl(ctx))],
    translator: [p(x.common('emailCommon.translatorContact'))],
    team: [facts([label(x, 'patientRef'), ctx.patientRef], [label(x, 'caseId'), ctx.caseId])],
  }[recipient];
  const greeting = name ? x.common(`emailCommon.greeting.${recipient}`, { name }) : x.common(`emailCommon.anonymousGreeting.${recipient}`);
  return [p(greeting), ...body, ...closing, p(x.common(`emailCommon.signOff.${recipient}`))].filter(present);
}

export function renderEmail<K extends EmailKind>(kind: K, language: string, ctx: EmailContext, data: EmailData[K]): RenderedEmail {
  if (!Object.hasOwn(TEMPLATES, kind)) throw new Error(`unknown email kind: ${String(kind)}`);
  const words = messages(resolveLanguage(language));
  const x = helpers(kind, words, ctx);
  const draft = (TEMPLATES[kind] as (data: EmailData[K], x: Helpers<K>) => Draft)(data, x);
  const subject = oneLine(draft.subject);
  const blocks = compose(EMAIL_RECIPIENT[kind], x, draft.body);
  return { subject, text: toText(blocks, x.common('emailCommon.colon')), html: toHtml(blocks, words, subject), language: words.language };
}
