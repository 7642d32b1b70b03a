// The catalogues hold the same messages with the same placeholders, every one of them parses, and
// every email and every check-in page renders in every language. These run over whatever
// catalogues index.ts lists, so a new language is held to them without a line of test to write.
import { readdirSync } from 'node:fs';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { renderEmail, type EmailContext } from '../activities/email-templates.ts';
import { answeredPage, closedPage, errorPage, formPage, invalidLinkPage, notFoundPage, resultPage, tooManyPage, upcomingPage } from '../client/http/pages.ts';
import { emptyCheckinForm } from '../client/http/checkin-form.ts';
import { EMAIL_KINDS, type EmailData } from '../domain/emails.ts';
import { CATALOGUES, LANGUAGES, SOURCE_LANGUAGE, createMessages, messages, resolveLanguage, textDirection, type Catalogue } from './index.ts';

/** Every message of a catalogue by its dotted key. */
function flatten(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) for (const [k, v] of flatten(value, `${prefix}${key}.`)) out.set(k, v);
    else out.set(prefix + key, `<not a message: ${JSON.stringify(value)}>`);
  }
  return out;
}

/** The placeholders a message names, those inside plurals and selects too. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const e of elements) {
    if (e.type === TYPE.literal || e.type === TYPE.pound) continue;
    if (e.type === TYPE.tag) placeholders(e.children, into);
    else into.add(e.value);
    if (e.type === TYPE.plural || e.type === TYPE.select) for (const option of Object.values(e.options)) placeholders(option.value, into);
  }
  return into;
}

/**
 * What is wrong between catalogues, one line per problem: a message missing from one or present
 * only in one, one that does not parse, is empty, or names a placeholder the source's does not (or
 * lacks one it names). Every catalogue is held to the source language's, which says what the code
 * formats each message with.
 */
function catalogueProblems(catalogues: Record<string, unknown>, source: string): string[] {
  const reference = flatten(catalogues[source]);
  const problems: string[] = [];
  const parsed = (language: string, key: string, message: string): Set<string> | undefined => {
    try {
      return placeholders(parse(message, { ignoreTag: true }));
    } catch (err) {
      problems.push(`${language}: ${key} does not parse (${(err as Error).message})`);
      return undefined;
    }
  };
  for (const [language, catalogue] of Object.entries(catalogues)) {
    const own = flatten(catalogue);
    for (const key of reference.keys()) if (!own.has(key)) problems.push(`${language}: lacks ${key}`);
    for (const [key, message] of own) {
      if (!reference.has(key)) {
        problems.push(`${language}: has ${key}, which ${source} has not`);
        continue;
      }
      if (message.trim() === '') problems.push(`${language}: ${key} is empty`);
      const mine = parsed(language, key, message);
      const theirs = parsed(source, key, reference.get(key)!);
      if (!mine || !theirs) continue;
      for (const name of mine) if (!theirs.has(name)) problems.push(`${language}: ${key} has {${name}}, which ${source}'s has not`);
      for (const name of theirs) if (!mine.has(name)) problems.push(`${language}: ${key} lacks {${name}}`);
    }
  }
  return [...new Set(problems)];
}

describe('the catalogues', () => {
  it('hold the same messages with the same placeholders, each of which parses', () => {
    expect(catalogueProblems(CATALOGUES, SOURCE_LANGUAGE)).toEqual([]);
  });

  it('would say what is missing, extra, broken or misplaced in a translation', () => {
    const en = CATALOGUES.en;
    const broken = {
      ...en,
      emails: {
        ...en.emails,
        case_opened: { subject: 'Hola {ref} {patient}', welcome: 'Hola {ref', documentsNeeded: 'Sin terapia', extra: 'x' },
      },
    };
    expect(catalogueProblems({ en, xx: broken }, 'en')).toEqual([
      'xx: lacks emails.case_opened.sendWhatYouHave',
      "xx: emails.case_opened.subject has {patient}, which en's has not",
      expect.stringMatching(/^xx: emails\.case_opened\.welcome does not parse/),
      'xx: emails.case_opened.documentsNeeded lacks {therapy}',
      'xx: has emails.case_opened.extra, which en has not',
    ]);
  });

  it('are each listed once in index.ts, by the primary subtag of their locale', () => {
    const files = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.slice(0, -'.json'.length)).sort()).toEqual([...LANGUAGES].sort());
    for (const language of LANGUAGES) expect(new Intl.Locale(CATALOGUES[language].locale).language).toBe(language);
    expect(LANGUAGES).toContain(SOURCE_LANGUAGE);
  });

  it('finds a catalogue from any tag of its language, and English for a language without one', () => {
    for (const language of LANGUAGES) {
      expect(resolveLanguage(language)).toBe(language);
      expect(resolveLanguage(`${language.toUpperCase()}-XX`)).toBe(language);
      expect(resolveLanguage(` ${language}_YY `)).toBe(language);
    }
    expect(resolveLanguage('tlh')).toBe('en');
    expect(resolveLanguage('constructor')).toBe('en');
    expect(resolveLanguage(undefined)).toBe('en');
  });
});

describe('messages', () => {
  const words = messages('en');

  it('formats plurals and numbers by the language’s rules', () => {
    expect(words.format('emails.records_stalled.waiting', { ref: 'P-1', days: 1 })).toBe('P-1 has been waiting 1 day for these documents:');
    expect(words.format('emails.records_stalled.waiting', { ref: 'P-1', days: 21 })).toBe('P-1 has been waiting 21 days for these documents:');
    expect(words.format('checkinPages.problems.notesTooLong', { limit: 2000 })).toBe('Please keep this to 2,000 characters or fewer.');
    expect(messages('es').format('checkinPages.problems.notesTooLong', { limit: 12000 })).toBe('Escriba 12.000 caracteres como máximo, por favor.');
  });

  it('gives a message in pieces, with what the caller lays out itself where the language puts it', () => {
    const phone = { tel: '+1 555' };
    expect(words.parts('checkinPages.advice.withPhone', { phone })).toEqual(["If you are worried at any time, call the treating team's 24/7 number ", phone, ' now, or emergency services.']);
    expect(messages('zh').parts('checkinPages.instruction.critical.withPhone', { phone }).at(-2)).toBe(phone);
  });

  it('reads markup in a message as text, and knows no message it does not hold', () => {
    const tagged = createMessages('xx', { ...CATALOGUES.en, checkinPages: { ...CATALOGUES.en.checkinPages, formTitle: '<b>Bold</b> {x}' } });
    expect(tagged.format('checkinPages.formTitle', { x: 1 })).toBe('<b>Bold</b> 1');
    expect(words.optional('emailCommon.documents.constructor')).toBeUndefined();
    expect(words.optional('emailCommon.documents.scans')).toBe('Scans (CT, MRI, PET)');
    expect(() => words.format('emailCommon.nothing' as never)).toThrow('no message emailCommon.nothing in the en catalogue');
  });

  it('knows which languages are written right to left', () => {
    for (const locale of ['ar', 'ar-EG', 'he', 'fa', 'ur']) expect([locale, textDirection(locale)]).toEqual([locale, 'rtl']);
    for (const locale of ['en', 'zh-Hans', 'es', 'ru', 'tr']) expect([locale, textDirection(locale)]).toEqual([locale, 'ltr']);
    expect(createMessages('ar', { ...CATALOGUES.en, locale: 'ar' } satisfies Catalogue).dir).toBe('rtl');
  });
});

// One sample of every kind's data: a new kind of email fails the type check here until it has one.
const SAMPLE: { [K in keyof EmailData]: EmailData[K] } = {
  case_opened: { documents: ['medical_report', 'scans', 'genetic_panel'] },
  records_reminder: { missing: ['scans'], reminderNumber: 2 },
  document_request: { documentType: 'scans', reason: 'Cut off', link: 'https://care.example/upload/abc.def' },
  sharing_request: { hospitals: ['HKU'], reminder: true, link: 'https://care.example/upload/abc.def' },
  sharing_stalled: { hospitals: ['HKU'] },
  files_to_review: { count: 1, waiting: 1, by: 'coordinator@care.test' },
  consent_withdrawn: {},
  translation_rejected: { documentType: 'pathology', toLanguages: ['en'], reason: 'Page 3 is missing.', linkUntil: '2026-12-20T09:00:00Z', link: 'https://care.example/translation/t' },
  more_info_family: { hospitalCode: 'HKU', documents: ['biomarkers'], link: 'https://care.example/upload/t' },
  packet_locked: { hospitalCode: 'HKU', round: 2 },
  records_stalled: { missing: ['scans'], daysWaiting: 21 },
  translation_task: { documentType: 'pathology', fromLanguage: 'zh', toLanguages: ['en', 'es'], dueAt: '2026-12-01T09:00:00Z' },
  translation_chase: { documentType: 'pathology', dueAt: '2026-12-01T09:00:00Z' },
  translation_overdue: { documentType: 'pathology', daysWaiting: 5 },
  hospital_submission: { documents: ['scans'], round: 2, replyBy: '2026-12-01T09:00:00Z', requestedDocuments: ['biomarkers'] },
  hospital_reminder: { round: 2, submittedAt: '2026-11-17T10:15:00Z' },
  hospital_silent: { hospitalCode: 'H1', daysWaiting: 14 },
  hospital_accepted_family: { hospitalCode: 'H1' },
  choose_hospital: { accepted: ['H1', 'H2'] },
  all_declined_family: {},
  navigation_needed: { declined: [{ hospitalCode: 'H1', reason: 'No slots' }] },
  admission_plan: { hospitalCode: 'H1', admissionAt: '2027-01-11T08:30:00Z', contact: 'Dr A', notes: 'Fast from midnight' },
  admission_reminder: { hospitalCode: 'H1', admissionAt: '2027-01-11T08:30:00Z', daysBefore: 3 },
  follow_up_request: { day: 28 },
  case_closed: { reason: 'Done', hospitalCode: 'H1', infusionAt: '2027-01-20T02:00:00Z', followUps: [{ day: 28, outcome: 'Home' }] },
  case_cancelled_family: {},
  case_cancelled_hospital: { round: 2 },
  case_cancelled_coordinator: { reason: 'Family chose treatment at home', by: 'maria@example.org' },
  delivery_failed: { failedKind: 'records_reminder', to: 'li@example.cn', error: '550 5.1.1' },
  record_failed: { step: 'checkin_answered', error: 'SQLSTATE 22P05' },
  checkin_request: { checkinId: 7, day: 3, link: 'https://checkin.example/c/1', expiresAt: '2027-01-23T13:00:00Z', teamPhone: '+34 91 727 70 00' },
  checkin_reminder: { checkinId: 7, day: 3, link: 'https://checkin.example/c/1', expiresAt: '2027-01-23T13:00:00Z', teamPhone: '+34 91 727 70 00' },
  checkin_missed_coordinator: { checkinId: 7, day: 3, dueAt: '2027-01-23T01:00:00Z', teamPhone: '+34 91 727 70 00', alertId: 'a4' },
  checkin_missed_team: { checkinId: 7, day: 3, dueAt: '2027-01-23T01:00:00Z', alertId: 'a4' },
  alert_team: { alertId: 'a3', tier: 'urgent', source: 'family_report', reasons: ['Temperature 38.6 °C'], crsGrade: 1, repeat: 2 },
  alert_coordinator: { alertId: 'a3', tier: 'critical', source: 'clinical_observation', reasons: ['One vasopressor'], crsGrade: 3, icansGrade: 2, repeat: 1 },
  monitoring_handoff_coordinator: { windowEndedAt: '2027-02-04T16:00:00Z', highestCrsGrade: 2, highestIcansGrade: 1, answeredCheckins: 19, missedCheckins: 2, feverDays: 4, openAlerts: [{ id: 'a7', tier: 'urgent', message: 'No answer' }] },
  monitoring_handoff_team: { windowEndedAt: '2027-02-04T16:00:00Z', highestCrsGrade: 2, highestIcansGrade: 1, answeredCheckins: 19, missedCheckins: 2, feverDays: 4, openAlerts: [] },
};

const CTX: EmailContext = {
  caseId: 'c1',
  patientRef: 'P-1042',
  familyName: 'Li Wei',
  diagnosis: 'DLBCL',
  therapy: 'CAR-T cell therapy',
  recipientName: 'Li Wei',
  timeZone: 'Asia/Shanghai',
  appBaseUrl: 'http://localhost:8080',
  hospitalNames: { H1: 'Hospital One' },
};

/** What a message left unformatted, or a value that went missing, looks like in the output. */
const LEFTOVERS = /undefined|NaN|\[object |null|\{[a-zA-Z]+[,}]/;

describe.each(LANGUAGES)('in %s', (language) => {
  const { locale, dir } = messages(language);

  it.each(EMAIL_KINDS)('the %s email renders', (kind) => {
    const email = renderEmail(kind, language, CTX, SAMPLE[kind] as never);
    expect(email.language).toBe(language);
    expect(email.html).toContain(`<html lang="${locale}" dir="${dir}">`);
    for (const part of [email.subject, email.text]) {
      expect(part.trim()).not.toBe('');
      expect(part).not.toMatch(LEFTOVERS);
    }
    expect(email.text).toContain(CTX.patientRef);
  });

  it('every check-in page renders', () => {
    const lang = language;
    const phone = '+34 91 555 01 23';
    const pages = [
      formPage({ lang, phone, day: 3, timeZone: 'Europe/Madrid', values: emptyCheckinForm(0, 'UTC'), problems: { temperature: 'temperatureRange', takenAt: 'takenAtFuture', admitted: 'admittedMissing', notes: 'notesTooLong', unit: 'unit' } }),
      formPage({ lang, day: 0, timeZone: 'Europe/Madrid', values: emptyCheckinForm(0, 'UTC') }),
      ...(['none', 'contact_team', 'urgent', 'critical'] as const).flatMap((tier) => [resultPage({ lang, phone, tier }), resultPage({ lang, tier }), answeredPage({ lang, phone, tier })]),
      ...[closedPage, upcomingPage, invalidLinkPage, tooManyPage, errorPage, notFoundPage].map((page) => page({ lang, phone })),
    ];
    for (const html of pages) {
      expect(html).toContain(`<html lang="${locale}" dir="${dir}">`);
      expect(html.replace(/<style>[\s\S]*<\/style>/, '')).not.toMatch(LEFTOVERS);
    }
    expect(pages[0]).toContain('<a class="tel" href="tel:+34915550123">+34 91 555 01 23</a>');
  });
});
