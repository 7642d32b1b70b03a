import { afterEach, describe, expect, it, vi } from 'vitest';
import { documentLabel, renderEmail, type EmailContext } from './email-templates.ts';
import { EMAIL_RECIPIENT, type EmailData, type EmailKind, type Recipient } from '../domain/emails.ts';

// The words of each email in the three languages it was written in, to the letter where it
// matters. Every other catalogue is held to the same keys and placeholders, and rendered in every
// kind, by i18n/catalogues.test.ts.
const LANGS = ['en', 'zh', 'es'] as const;
type Lang = (typeof LANGS)[number];

const ctx: EmailContext = {
  caseId: 'c3f9a1b2c4d5',
  patientRef: 'P-1042',
  familyName: 'Li Wei',
  diagnosis: 'Diffuse large B-cell lymphoma, relapsed after two lines of treatment',
  therapy: 'CAR-T cell therapy',
  recipientName: 'Li Wei',
  timeZone: 'Asia/Shanghai',
  appBaseUrl: 'http://localhost:8080',
  hospitalNames: { LAPAZ: 'Hospital Universitario La Paz', CHARITE: 'Charité – Universitätsmedizin Berlin', RUIJIN: 'Ruijin Hospital' },
};

/** The expected date string, computed exactly as the brief says the templates should. */
const shown = (iso: string, lang: Lang, timeZone = ctx.timeZone) => new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short', timeZone }).format(new Date(iso));

const DUE = '2026-12-01T09:00:00+01:00';
const ADMISSION = '2027-01-11T08:30:00Z';
const INFUSION = '2027-01-20T02:00:00Z';

/** Words that differ per language: what the reply instruction and a round look like. */
const REPLY: Record<Lang, string> = { en: 'reply to this email', zh: '回复这封邮件', es: 'responda a este correo' };
const ROUND: Record<Lang, (n: number) => string> = { en: (n) => `round ${n}`, zh: (n) => `第 ${n} 轮`, es: (n) => `ronda ${n}` };

// Monitoring: a check-in link with a query string (its `&` must be `&amp;` in an href), the team's phone.
const CHECKIN_LINK = 'https://checkin.example/c/c3f9a1b2c4d5/7?t=Zx9_k&lang=zh';
const CHECKIN_HREF = 'https://checkin.example/c/c3f9a1b2c4d5/7?t=Zx9_k&amp;lang=zh';
const TEAM_PHONE = '+34 91 727 70 00';
const TEL = 'tel:+34917277000';
const CASE_URL = 'http://localhost:8080/cases/c3f9a1b2c4d5';
const EXPIRES = '2027-01-23T13:00:00Z';
const CHECKIN_DUE = '2027-01-23T01:00:00Z';
const WINDOW_END = '2027-02-04T16:00:00Z';
const DAY: Record<Lang, (n: number) => string> = { en: (n) => `day ${n}`, zh: (n) => `第 ${n} 天`, es: (n) => `día ${n}` };
const ANSWER: Record<Lang, string> = { en: 'Answer the check-in', zh: '填写健康打卡', es: 'Responder al cuestionario' };
/** The standing advice of every family email about symptoms: the team's 24/7 number now, or emergency services. */
const ADVICE: Record<Lang, string> = {
  en: `If you are worried about the patient, call the treating team's 24/7 number now: ${TEAM_PHONE}, or your local emergency services.`,
  zh: `如果您担心患者的情况，请立即拨打治疗团队的 24 小时电话：${TEAM_PHONE}，或拨打当地急救电话。`,
  es: `Si le preocupa cómo está el paciente, llame ahora al teléfono 24 horas del equipo médico que le atiende: ${TEAM_PHONE}, o a los servicios de emergencia.`,
};
const ACK = (alertId: string) => `casectl alert ack c3f9a1b2c4d5 ${alertId}`;
const GRADE: Record<Lang, { crs: (n: number) => string; icans: (n: number) => string; highestCrs: (n: number) => string; highestIcans: (n: number) => string }> = {
  en: { crs: (n) => `CRS grade (ASTCT): ${n}`, icans: (n) => `ICANS grade (ASTCT): ${n}`, highestCrs: (n) => `Highest CRS grade (ASTCT): ${n}`, highestIcans: (n) => `Highest ICANS grade (ASTCT): ${n}` },
  zh: { crs: (n) => `CRS 分级（ASTCT）：${n}`, icans: (n) => `ICANS 分级（ASTCT）：${n}`, highestCrs: (n) => `最高 CRS 分级（ASTCT）：${n}`, highestIcans: (n) => `最高 ICANS 分级（ASTCT）：${n}` },
  es: { crs: (n) => `Grado de CRS (ASTCT): ${n}`, icans: (n) => `Grado de ICANS (ASTCT): ${n}`, highestCrs: (n) => `Grado máximo de CRS (ASTCT): ${n}`, highestIcans: (n) => `Grado máximo de ICANS (ASTCT): ${n}` },
};
const FOLLOW_UP_CONTINUES: Record<Lang, string> = { en: 'neurotoxicity (ICANS)', zh: '神经毒性（ICANS）', es: 'neurotoxicidad' };
const REASONS = ['Temperature 38.6 °C, at or above the centre threshold of 38.0 °C', 'Dizziness with fever: possible hypotension'];
const HANDOFF: EmailData['monitoring_handoff_team'] = {
  windowEndedAt: WINDOW_END,
  highestCrsGrade: 2,
  highestIcansGrade: 1,
  answeredCheckins: 19,
  missedCheckins: 2,
  feverDays: 4,
  openAlerts: [
    { id: 'a7', tier: 'urgent', message: 'No answer to check-in 21' },
    { id: 'a9', message: 'Family asked for a call back' },
  ],
};
const OPEN_ALERT: Record<Lang, string[]> = {
  en: ['a7 (Urgent): No answer to check-in 21', 'a9: Family asked for a call back'],
  zh: ['a7（紧急）：No answer to check-in 21', 'a9：Family asked for a call back'],
  es: ['a7 (Urgente): No answer to check-in 21', 'a9: Family asked for a call back'],
};
const handoffExpects = (l: Lang) => [
  shown(WINDOW_END, l),
  GRADE[l].highestCrs(2),
  GRADE[l].highestIcans(1),
  '19',
  '4',
  ...OPEN_ALERT[l],
  ACK('a7'),
  ACK('a9'),
  FOLLOW_UP_CONTINUES[l],
];

interface Sample<K extends EmailKind> {
  data: EmailData[K];
  /** Facts the plain-text part must contain, in that language. */
  expects(lang: Lang): string[];
  /** What it must not contain. */
  absent?(lang: Lang): string[];
}

const SAMPLES: { [K in EmailKind]: Sample<K> } = {
  case_opened: {
    data: { documents: ['medical_report', 'scans', 'pathology', 'biomarkers', 'treatment_history'] },
    expects: (l) => [...['medical_report', 'scans', 'pathology', 'biomarkers', 'treatment_history'].map((t) => documentLabel(t, l)), ctx.therapy],
  },
  records_reminder: {
    data: { missing: ['scans', 'pathology'], reminderNumber: 2, link: 'https://care.example/upload/abc.def' },
    expects: (l) => [documentLabel('scans', l), documentLabel('pathology', l)],
    absent: (l) => ['medical_report', 'biomarkers', 'treatment_history'].map((t) => documentLabel(t, l)),
  },
  document_request: {
    data: { documentType: 'scans', reason: 'The last pages of the CT report were cut off.', link: 'https://care.example/upload/abc.def' },
    expects: (l) => [documentLabel('scans', l), 'The last pages of the CT report were cut off.', 'https://care.example/upload/abc.def'],
  },
  sharing_request: {
    data: { hospitals: ['HKU'], reminder: false, link: 'https://care.example/upload/abc.def' },
    expects: () => ['https://care.example/upload/abc.def'],
  },
  sharing_stalled: {
    data: { hospitals: ['HKU', 'MAD'] },
    expects: () => ['HKU', 'casectl hospital approve c3f9a1b2c4d5 HKU', 'casectl hospital approve c3f9a1b2c4d5 MAD'],
  },
  files_to_review: {
    data: { count: 2, waiting: 3, by: 'family' },
    expects: (l) => [{ en: '2 files', es: '2 archivos', zh: '2 个文件' }[l], { en: '3 files wait', es: '3 archivos esperan', zh: '3 个文件' }[l], 'casectl docs list c3f9a1b2c4d5'],
  },
  consent_withdrawn: {
    data: {},
    expects: (l) => [{ en: 'withdrew their consent', es: 'retiró su consentimiento', zh: '撤回了' }[l]],
  },
  translation_rejected: {
    data: { documentType: 'pathology', toLanguages: ['en'], reason: 'Page 3 is missing.', linkUntil: '2026-12-20T09:00:00Z', link: 'https://care.example/translation/tok' },
    expects: () => ['Page 3 is missing.', 'https://care.example/translation/tok'],
  },
  more_info_family: {
    data: { hospitalCode: 'HKU', documents: ['biomarkers'], link: 'https://care.example/upload/tok' },
    expects: () => ['HKU', 'https://care.example/upload/tok'],
  },
  packet_locked: {
    data: { hospitalCode: 'HKU', round: 2 },
    expects: () => ['HKU', '2'],
  },
  records_stalled: {
    data: { missing: ['scans', 'genetic_panel'], daysWaiting: 21 },
    expects: (l) => [documentLabel('scans', l), 'Genetic panel', '21', 'casectl records receive c3f9a1b2c4d5 scans', 'casectl records receive c3f9a1b2c4d5 genetic_panel', 'casectl case close c3f9a1b2c4d5 --reason'],
  },
  translation_task: {
    data: { documentType: 'pathology', fromLanguage: 'zh', toLanguages: ['en', 'es'], dueAt: DUE },
    expects: (l) => [documentLabel('pathology', l), '(zh)', '(en)', '(es)', shown(DUE, l), 'Asia/Shanghai', ctx.patientRef, ctx.caseId],
  },
  translation_chase: {
    data: { documentType: 'treatment_history', dueAt: DUE },
    expects: (l) => [documentLabel('treatment_history', l), shown(DUE, l), ctx.caseId],
  },
  translation_overdue: {
    data: { documentType: 'pathology', daysWaiting: 5 },
    expects: (l) => [documentLabel('pathology', l), '5', 'casectl translation done c3f9a1b2c4d5 pathology'],
  },
  hospital_submission: {
    data: { documents: ['medical_report', 'scans', 'pathology'], round: 2, replyBy: DUE, requestedDocuments: ['biomarkers'] },
    expects: (l) => [
      ctx.patientRef,
      ctx.diagnosis,
      ctx.therapy,
      ...['medical_report', 'scans', 'pathology', 'biomarkers'].map((t) => documentLabel(t, l)),
      shown(DUE, l),
      ROUND[l](2),
      { en: 'secure channel', zh: '安全渠道', es: 'canal seguro' }[l],
    ],
  },
  hospital_reminder: {
    data: { round: 3, submittedAt: '2026-11-17T10:15:00Z' },
    expects: (l) => [ctx.patientRef, ctx.therapy, shown('2026-11-17T10:15:00Z', l), ROUND[l](3)],
  },
  hospital_silent: {
    data: { hospitalCode: 'CHARITE', daysWaiting: 14 },
    expects: () => ['Charité – Universitätsmedizin Berlin', '14', 'casectl hospital submit c3f9a1b2c4d5'],
  },
  hospital_accepted_family: {
    data: { hospitalCode: 'LAPAZ' },
    expects: () => ['Hospital Universitario La Paz'],
  },
  choose_hospital: {
    data: { accepted: ['LAPAZ', 'RUIJIN'] },
    expects: () => ['Hospital Universitario La Paz', 'Ruijin Hospital', 'casectl hospital choose c3f9a1b2c4d5 LAPAZ', 'casectl hospital choose c3f9a1b2c4d5 RUIJIN'],
  },
  all_declined_family: {
    data: {},
    expects: (l) => [{ en: 'clinical trials', zh: '临床试验', es: 'ensayos clínicos' }[l]],
  },
  navigation_needed: {
    data: { declined: [{ hospitalCode: 'LAPAZ', reason: 'No CAR-T slots before March' }, { hospitalCode: 'UNKNOWN-7', reason: 'Outside the approved indication' }] },
    expects: () => ['Hospital Universitario La Paz', 'No CAR-T slots before March', 'UNKNOWN-7', 'Outside the approved indication', 'casectl hospital submit c3f9a1b2c4d5', 'casectl case close c3f9a1b2c4d5 --reason'],
  },
  admission_plan: {
    data: { hospitalCode: 'LAPAZ', admissionAt: ADMISSION, contact: 'Dr. Ana Ruiz, +34 91 727 70 00', notes: 'Bring the original scans on a USB stick' },
    expects: (l) => ['Hospital Universitario La Paz', shown(ADMISSION, l), 'Dr. Ana Ruiz, +34 91 727 70 00', 'Bring the original scans on a USB stick'],
  },
  admission_reminder: {
    data: { hospitalCode: 'LAPAZ', admissionAt: ADMISSION, daysBefore: 7 },
    expects: (l) => ['Hospital Universitario La Paz', shown(ADMISSION, l), { en: 'in 7 days', zh: '距今还有 7 天', es: 'dentro de 7 días' }[l]],
  },
  follow_up_request: {
    data: { day: 28 },
    expects: (l) => [{ en: '28 days', zh: '28 天', es: '28 días' }[l]],
  },
  case_closed: {
    data: { reason: 'Follow-up complete', hospitalCode: 'LAPAZ', infusionAt: INFUSION, followUps: [{ day: 28, outcome: 'Back home, feeling stronger' }, { day: 90 }] },
    expects: (l) => ['Hospital Universitario La Paz', shown(INFUSION, l), 'Back home, feeling stronger', 'Follow-up complete', { en: 'Day 28', zh: '第 28 天', es: 'Día 28' }[l]],
    absent: (l) => [{ en: 'Day 90', zh: '第 90 天', es: 'Día 90' }[l]],
  },
  case_cancelled_family: {
    data: {},
    expects: () => [],
  },
  case_cancelled_hospital: {
    data: { round: 2 },
    expects: (l) => [ctx.patientRef, ROUND[l](2)],
  },
  case_cancelled_coordinator: {
    data: { reason: 'Family chose treatment at home', by: 'maria@coordination.example' },
    expects: () => ['Family chose treatment at home', 'maria@coordination.example'],
  },
  delivery_failed: {
    data: { failedKind: 'records_reminder', to: 'li.wei@example.cn', error: '550 5.1.1 Mailbox unavailable' },
    expects: () => ['records_reminder', 'li.wei@example.cn', '550 5.1.1 Mailbox unavailable'],
  },
  record_failed: {
    data: { step: 'checkin_answered', error: 'PostgreSQL refused the write (SQLSTATE 22P05)' },
    expects: () => ['checkin_answered', 'SQLSTATE 22P05'],
  },
  checkin_request: {
    data: { checkinId: 7, day: 3, link: CHECKIN_LINK, expiresAt: EXPIRES, teamPhone: TEAM_PHONE },
    expects: (l) => [DAY[l](3), ANSWER[l], CHECKIN_LINK, shown(EXPIRES, l), ADVICE[l]],
  },
  checkin_reminder: {
    data: { checkinId: 7, day: 3, link: CHECKIN_LINK, expiresAt: EXPIRES, teamPhone: TEAM_PHONE },
    expects: (l) => [
      DAY[l](3),
      ANSWER[l],
      CHECKIN_LINK,
      shown(EXPIRES, l),
      ADVICE[l],
      { en: `If you cannot answer the check-in, please call the treating team instead: ${TEAM_PHONE}`, zh: `如果无法完成打卡，请直接致电治疗团队：${TEAM_PHONE}`, es: `Si no puede responder el cuestionario, llame en su lugar al equipo médico: ${TEAM_PHONE}` }[l],
    ],
  },
  checkin_missed_coordinator: {
    data: { checkinId: 7, day: 3, dueAt: CHECKIN_DUE, teamPhone: TEAM_PHONE, alertId: 'a4' },
    expects: (l) => [DAY[l](3), shown(CHECKIN_DUE, l), TEAM_PHONE, 'casectl case show c3f9a1b2c4d5', ACK('a4'), { en: 'not good news', zh: '不代表一切正常', es: 'no una buena noticia' }[l]],
  },
  checkin_missed_team: {
    data: { checkinId: 7, day: 3, dueAt: CHECKIN_DUE, alertId: 'a4' },
    expects: (l) => [DAY[l](3), shown(CHECKIN_DUE, l), ctx.therapy, ACK('a4'), { en: 'Please contact the patient.', zh: '请联系患者。', es: 'Por favor, contacten con el paciente.' }[l]],
  },
  alert_team: {
    data: { alertId: 'a3', tier: 'urgent', source: 'family_report', reasons: REASONS, repeat: 3 },
    expects: () => [...REASONS, ACK('a3')],
    absent: (l) => [{ en: 'CRS grade', zh: 'CRS 分级', es: 'Grado de CRS' }[l], { en: 'ICANS grade', zh: 'ICANS 分级', es: 'Grado de ICANS' }[l]],
  },
  alert_coordinator: {
    data: { alertId: 'a5', tier: 'critical', source: 'clinical_observation', reasons: ['One vasopressor (norepinephrine)', 'ICE 5, awakens to voice'], crsGrade: 3, icansGrade: 2, repeat: 1 },
    expects: (l) => [
      'One vasopressor (norepinephrine)',
      'ICE 5, awakens to voice',
      GRADE[l].crs(3),
      GRADE[l].icans(2),
      ACK('a5'),
      { en: 'Make sure the treating team has been reached', zh: '请确保已联系上治疗团队', es: 'Asegúrese de que el equipo médico está al tanto' }[l],
    ],
  },
  monitoring_handoff_coordinator: {
    data: HANDOFF,
    expects: (l) => [...handoffExpects(l), 'casectl case show c3f9a1b2c4d5'],
  },
  monitoring_handoff_team: {
    data: HANDOFF,
    expects: handoffExpects,
  },
};

const KINDS = Object.keys(SAMPLES) as EmailKind[];

function render<K extends EmailKind>(kind: K, language: string, c: EmailContext = ctx) {
  return renderEmail(kind, language, c, SAMPLES[kind].data);
}

/** What every email to this recipient must carry, whatever its kind. */
const RECIPIENT_FACTS: Record<Recipient, (l: Lang) => string[]> = {
  family: (l) => [ctx.patientRef, ctx.caseId, REPLY[l]],
  hospital: () => [ctx.patientRef, ctx.caseId],
  coordinator: () => [ctx.caseId, ctx.patientRef, ctx.familyName, 'http://localhost:8080/cases/c3f9a1b2c4d5'],
  translator: () => [ctx.caseId],
  team: () => [ctx.patientRef, ctx.caseId],
};

/** Every link an email may hold, in order: coordinators get the case page; nobody gets any other, except these. */
const HREFS: Partial<Record<EmailKind, string[]>> = {
  checkin_request: [CHECKIN_HREF, TEL],
  checkin_reminder: [CHECKIN_HREF, TEL, TEL],
  checkin_missed_coordinator: [TEL, CASE_URL],
  records_reminder: ['https://care.example/upload/abc.def'],
  document_request: ['https://care.example/upload/abc.def'],
  sharing_request: ['https://care.example/upload/abc.def'],
  more_info_family: ['https://care.example/upload/tok'],
  translation_rejected: ['https://care.example/translation/tok'],
};
const hrefsOf = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);

const EVIL = '<script>alert(1)</script> & "Co"';
const EVIL_HTML = '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;';

const cases = KINDS.flatMap((kind) => LANGS.map((lang) => [kind, lang] as const));

describe('renderEmail: every kind in every language', () => {
  it.each(cases)('%s in %s', (kind, lang) => {
    const email = render(kind, lang);
    const sample = SAMPLES[kind] as Sample<EmailKind>;

    expect(email.language).toBe(lang);
    expect(email.subject.trim().length).toBeGreaterThan(5);
    expect(email.subject).not.toMatch(/[\r\n]/);

    for (const fact of [...sample.expects(lang), ...RECIPIENT_FACTS[EMAIL_RECIPIENT[kind]](lang)]) expect(email.text).toContain(fact);
    for (const fact of sample.absent?.(lang) ?? []) expect(email.text).not.toContain(fact);
    expect(email.text).not.toMatch(/undefined|NaN|\[object |null/);
    expect(email.html).not.toMatch(/undefined|NaN|\[object |null/);

    // Written in the language: Chinese text is Chinese, the others are not.
    if (lang === 'zh') expect(email.text.match(/[\u4e00-\u9fff]/g)?.length ?? 0).toBeGreaterThan(20);
    else expect(email.text).not.toMatch(/[\u4e00-\u9fff]/);

    expect(email.html.startsWith('<!DOCTYPE html>\n<html lang="')).toBe(true);
    expect(email.html).toContain(`<html lang="${lang === 'zh' ? 'zh-Hans' : lang}" dir="ltr">`);
    expect(email.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(email.html).not.toMatch(/<script|<img|<link|<style|<iframe|src=|url\(|@import/i);
    // Coordinators get a link to the case page; check-in emails link the check-in and the team's phone.
    expect(hrefsOf(email.html)).toEqual(HREFS[kind] ?? (EMAIL_RECIPIENT[kind] === 'coordinator' ? [CASE_URL] : []));
  });

  it("links a hospital's packet page and a translator's request when the email has its link, instead of asking for a reply", () => {
    for (const lang of LANGS) {
      const plain = render('hospital_submission', lang);
      const linked = renderEmail('hospital_submission', lang, ctx, { ...(SAMPLES.hospital_submission.data as EmailData['hospital_submission']), link: 'https://care.example/packet/p.q' });
      expect(hrefsOf(plain.html)).toEqual([]);
      expect(hrefsOf(linked.html)).toEqual(['https://care.example/packet/p.q']);
      expect(linked.text).not.toContain(plain.text.split('\n').find((l) => /secure channel|canal seguro|安全渠道/.test(l)) ?? '<none>');
      const reminder = renderEmail('hospital_reminder', lang, ctx, { round: 1, submittedAt: '2026-11-17T10:15:00Z', link: 'https://care.example/packet/p.q' });
      expect(hrefsOf(reminder.html)).toEqual(['https://care.example/packet/p.q']);
      const task = renderEmail('translation_task', lang, ctx, { ...(SAMPLES.translation_task.data as EmailData['translation_task']), link: 'https://care.example/translation/t.u' });
      expect(hrefsOf(task.html)).toEqual(['https://care.example/translation/t.u']);
    }
  });

  it.each(KINDS)('%s reads differently in each language', (kind) => {
    const [en, zh, es] = LANGS.map((l) => render(kind, l));
    expect(new Set([en?.subject, zh?.subject, es?.subject]).size).toBe(3);
    expect(new Set([en?.text, zh?.text, es?.text]).size).toBe(3);
  });
});

describe('escaping', () => {
  const evilCtx: EmailContext = {
    ...ctx,
    familyName: EVIL,
    recipientName: EVIL,
    hospitalNames: { ...ctx.hospitalNames, LAPAZ: EVIL },
  };

  it.each(cases)('%s in %s escapes every interpolated value in HTML', (kind, lang) => {
    const email = render(kind, lang, evilCtx);
    expect(email.html).toContain(EVIL_HTML);
    expect(email.html).not.toContain('<script');
    expect(email.html).not.toContain('"Co"');
    expect(email.text).toContain(EVIL); // the plain-text part shows the name as it was given
  });

  it('escapes free text given by people: notes, reasons, outcomes, errors', () => {
    const free = (e: ReturnType<typeof renderEmail>) => {
      expect(e.html).toContain(EVIL_HTML);
      expect(e.html).not.toContain('<script');
    };
    free(renderEmail('admission_plan', 'en', ctx, { hospitalCode: 'LAPAZ', admissionAt: ADMISSION, contact: EVIL, notes: EVIL }));
    free(renderEmail('navigation_needed', 'zh', ctx, { declined: [{ hospitalCode: 'LAPAZ', reason: EVIL }] }));
    free(renderEmail('case_closed', 'es', ctx, { reason: EVIL, followUps: [{ day: 28, outcome: EVIL }] }));
    free(renderEmail('delivery_failed', 'en', ctx, { failedKind: 'case_opened', to: 'x@example.com', error: EVIL }));
    free(renderEmail('case_cancelled_coordinator', 'en', ctx, { reason: EVIL, by: EVIL }));
    free(renderEmail('hospital_submission', 'en', { ...ctx, diagnosis: EVIL, therapy: EVIL }, { documents: ['scans'], round: 1, replyBy: DUE }));
  });

  it('keeps line breaks of free text as <br> in HTML', () => {
    const e = renderEmail('admission_plan', 'en', ctx, { hospitalCode: 'LAPAZ', admissionAt: ADMISSION, notes: 'Fast from midnight\nBring <passports>' });
    expect(e.html).toContain('Fast from midnight<br>Bring &lt;passports&gt;');
    expect(e.text).toContain('Notes: Fast from midnight\nBring <passports>');
  });

  it('never lets a CR or LF into a subject', () => {
    const injected: EmailContext = { ...ctx, patientRef: 'P-1042\r\nBcc: victim@example.com', hospitalNames: { LAPAZ: 'La Paz\nX-Evil: 1' } };
    for (const kind of KINDS) {
      for (const lang of LANGS) {
        const { subject } = render(kind, lang, injected);
        expect(subject).not.toMatch(/[\r\n\u2028\u2029]/);
      }
    }
    expect(renderEmail('records_reminder', 'en', injected, { missing: ['scans'], reminderNumber: 1 }).subject).toBe('Documents still needed (P-1042 Bcc: victim@example.com)');
    expect(renderEmail('hospital_accepted_family', 'en', injected, { hospitalCode: 'LAPAZ' }).subject).toBe('Good news from La Paz X-Evil: 1 (P-1042 Bcc: victim@example.com)');
  });

  it('shows a non-web base URL as text, never as a link', () => {
    const e = renderEmail('records_stalled', 'en', { ...ctx, appBaseUrl: 'javascript:alert(1)//' }, { missing: ['scans'], daysWaiting: 21 });
    expect(e.html).not.toContain('href=');
  });
});

describe('languages', () => {
  it.each([
    ['en', 'en'],
    ['en-GB', 'en'],
    ['zh', 'zh'],
    ['zh-CN', 'zh'],
    ['zh_Hans_CN', 'zh'],
    ['ZH-cn', 'zh'],
    ['es', 'es'],
    ['es-MX', 'es'],
    ['fr', 'en'],
    ['de-DE', 'en'],
    ['', 'en'],
  ])('%j renders in %s', (requested, used) => {
    const email = renderEmail('records_reminder', requested, ctx, { missing: ['scans'], reminderNumber: 1 });
    expect(email.language).toBe(used);
    expect(email.text).toContain(documentLabel('scans', used));
    expect(email).toEqual(renderEmail('records_reminder', used, ctx, { missing: ['scans'], reminderNumber: 1 }));
  });

  it('writes the exact texts of a records reminder', () => {
    const en = renderEmail('records_reminder', 'en', ctx, { missing: ['scans', 'pathology'], reminderNumber: 1 });
    expect(en.subject).toBe('Documents still needed (P-1042)');
    expect(en.text).toContain('Dear Li Wei,\n\nA gentle reminder: before we can send the case to hospitals, we still need these documents:\n\n- Scans (CT, MRI, PET)\n- Pathology reports\n\n');
    expect(en.text).toContain('Patient reference: P-1042\nCase number: c3f9a1b2c4d5\n\nIf you have any questions, just reply to this email.');

    const zh = renderEmail('records_reminder', 'zh-CN', ctx, { missing: ['scans', 'pathology'], reminderNumber: 1 });
    expect(zh.subject).toBe('还需要补充的资料（P-1042）');
    expect(zh.text).toContain('Li Wei，您好：\n\n温馨提醒：在把病例提交给医院之前，我们还需要以下资料：\n\n- 影像检查（CT、MRI、PET）\n- 病理报告\n\n');
    expect(zh.text).toContain('患者编号：P-1042\n病例编号：c3f9a1b2c4d5');

    const es = renderEmail('records_reminder', 'es-MX', ctx, { missing: ['scans', 'pathology'], reminderNumber: 3 });
    expect(es.subject).toBe('Documentos pendientes (P-1042)');
    expect(es.text).toContain('Hola, Li Wei:\n\nSeguimos esperando estos documentos para poder enviar el caso a los hospitales:\n\n- Estudios de imagen (TAC, RM, PET)\n- Informes de anatomía patológica\n\n');
    expect(es.text).toContain('Referencia del paciente: P-1042\nNúmero de caso: c3f9a1b2c4d5');
  });

  it('renders coordinator and translator emails in every language', () => {
    for (const lang of LANGS) {
      const t = renderEmail('translation_task', lang, { ...ctx, recipientName: 'Translator' }, SAMPLES.translation_task.data);
      expect(t.language).toBe(lang);
      expect(t.text).toContain('Translator');
      const c = renderEmail('hospital_silent', lang, { ...ctx, recipientName: 'Coordinator' }, SAMPLES.hospital_silent.data);
      expect(c.text).toContain('Coordinator');
      expect(c.text).toContain('    casectl hospital submit c3f9a1b2c4d5 <hospitalCode>…');
    }
    expect(renderEmail('translation_task', 'en', ctx, SAMPLES.translation_task.data).text).toContain('From: Chinese (zh)\nInto: English (en), Spanish (es)');
  });

  it('greets hospitals formally by their name', () => {
    const h = { ...ctx, recipientName: 'Hospital Universitario La Paz', timeZone: 'Europe/Madrid' };
    expect(renderEmail('hospital_reminder', 'en', h, SAMPLES.hospital_reminder.data).text.startsWith('Dear colleagues at Hospital Universitario La Paz,\n')).toBe(true);
    expect(renderEmail('hospital_reminder', 'es', h, SAMPLES.hospital_reminder.data).text.startsWith('Estimados colegas del departamento internacional de Hospital Universitario La Paz:\n')).toBe(true);
    expect(renderEmail('hospital_reminder', 'zh', h, SAMPLES.hospital_reminder.data).text.startsWith('尊敬的Hospital Universitario La Paz国际医疗部：\n')).toBe(true);
    expect(renderEmail('hospital_reminder', 'en', { ...h, recipientName: '  ' }, SAMPLES.hospital_reminder.data).text.startsWith('Dear colleagues,\n')).toBe(true);
  });
});

describe('dates', () => {
  it('shows dates in the recipient time zone, with the zone named', () => {
    const madrid = renderEmail('hospital_submission', 'es', { ...ctx, timeZone: 'Europe/Madrid' }, SAMPLES.hospital_submission.data);
    expect(madrid.text).toContain(`antes del ${shown(DUE, 'es', 'Europe/Madrid')} (hora de Europe/Madrid)`);
    expect(shown(DUE, 'es', 'Europe/Madrid')).toBe('martes, 1 de diciembre de 2026, 9:00');

    const shanghai = renderEmail('hospital_submission', 'zh', ctx, SAMPLES.hospital_submission.data);
    expect(shanghai.text).toContain(`请于 ${shown(DUE, 'zh')}（Asia/Shanghai 时间）前回复本邮件`);
    expect(shown(DUE, 'zh')).toBe('2026年12月1日星期二 16:00');

    const mexico = renderEmail('admission_plan', 'en', { ...ctx, timeZone: 'America/Mexico_City' }, SAMPLES.admission_plan.data);
    expect(mexico.text).toContain(`Admission: ${shown(ADMISSION, 'en', 'America/Mexico_City')} (America/Mexico_City time)`);
    expect(shown(ADMISSION, 'en', 'America/Mexico_City')).toMatch(/^Monday, January 11, 2027 at 2:30\sAM$/);
  });

  it('shows an unreadable date as given, and an unknown zone as UTC', () => {
    const bad = renderEmail('translation_chase', 'en', ctx, { documentType: 'scans', dueAt: 'next Tuesday' });
    expect(bad.text).toContain('was due on next Tuesday.');
    const utc = renderEmail('translation_chase', 'en', { ...ctx, timeZone: 'Mars/Olympus_Mons' }, { documentType: 'scans', dueAt: DUE });
    expect(utc.text).toContain(`${shown(DUE, 'en', 'UTC')} (UTC time)`);
  });
});

describe('content rules', () => {
  it('asks hospitals for a decision and mentions the round only after the first', () => {
    const first = renderEmail('hospital_submission', 'en', ctx, { documents: ['medical_report'], round: 1, replyBy: DUE });
    expect(first.subject).toBe('Request for review: patient P-1042, CAR-T cell therapy');
    expect(first.text).not.toMatch(/round/i);
    expect(first.text).toContain('The coordinator will share the documents through the secure channel.');
    expect(first.text).toContain('- Accepted\n- Declined, with the reason\n- More information needed');
    const second = renderEmail('hospital_submission', 'en', ctx, { documents: ['medical_report'], round: 2, replyBy: DUE, requestedDocuments: ['biomarkers'] });
    expect(second.subject).toBe('Request for review: patient P-1042, CAR-T cell therapy, round 2');
    expect(second.text).toContain('This is round 2 of our submission for this patient. It includes the additional documents you asked for:\n\n- Biomarker results');
    expect(renderEmail('case_cancelled_hospital', 'en', ctx, { round: 1 }).text).not.toMatch(/round/i);
  });

  it('lists follow-up outcomes in the closing summary only when there are some', () => {
    const withOutcomes = renderEmail('case_closed', 'en', ctx, SAMPLES.case_closed.data);
    expect(withOutcomes.text).toContain('Follow-up:\n\n- Day 28: Back home, feeling stronger\n\n');
    const none = renderEmail('case_closed', 'en', ctx, { followUps: [{ day: 28 }] });
    expect(none.text).not.toContain('Follow-up:');
    expect(none.text).toContain('We are now closing your case.\n\n');
    expect(none.text).not.toContain('summary');
  });

  it('leaves out optional admission details that were not given', () => {
    const e = renderEmail('admission_plan', 'en', ctx, { hospitalCode: 'LAPAZ', admissionAt: ADMISSION });
    expect(e.text).not.toContain('Contact at the hospital');
    expect(e.text).not.toContain('Notes');
  });

  it('says tomorrow and today in admission reminders', () => {
    expect(renderEmail('admission_reminder', 'en', ctx, { ...SAMPLES.admission_reminder.data, daysBefore: 1 }).subject).toBe('Reminder: admission at Hospital Universitario La Paz tomorrow (P-1042)');
    expect(renderEmail('admission_reminder', 'es', ctx, { ...SAMPLES.admission_reminder.data, daysBefore: 1 }).subject).toBe('Recordatorio: ingreso en Hospital Universitario La Paz mañana (P-1042)');
    expect(renderEmail('admission_reminder', 'zh', ctx, { ...SAMPLES.admission_reminder.data, daysBefore: 0 }).subject).toBe('提醒：今天在 Hospital Universitario La Paz 入院（P-1042）');
  });

  it('shows a hospital by its code when it has no display name, even a code like "constructor"', () => {
    const e = renderEmail('hospital_accepted_family', 'en', { ...ctx, hospitalNames: {} }, { hospitalCode: 'constructor' });
    expect(e.subject).toBe('Good news from constructor (P-1042)');
  });

  it('quotes unusual command arguments for the shell', () => {
    const e = renderEmail('translation_overdue', 'en', { ...ctx, caseId: "c1; rm -rf '~'" }, { documentType: 'scans', daysWaiting: 5 });
    expect(e.text).toContain(`casectl translation done 'c1; rm -rf '\\''~'\\''' scans`);
  });

  it('is pure: the same inputs give the same email, whatever the clock says', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2020-02-02T00:00:00Z'));
    const before = KINDS.map((k) => render(k, 'es'));
    vi.setSystemTime(new Date('2031-07-07T12:00:00Z'));
    const after = KINDS.map((k) => render(k, 'es'));
    expect(after).toEqual(before);
  });

  afterEach(() => {
    vi.useRealTimers();
  });
});

describe('monitoring emails', () => {
  const checkin = SAMPLES.checkin_request.data;
  const alert = SAMPLES.alert_team.data;
  const team = { ...ctx, recipientName: 'Haematology CAR-T team, Hospital Universitario La Paz', timeZone: 'Europe/Madrid' };

  it.each(LANGS)('a check-in request in %s: the link in the text, one escaped button in HTML, the phone as tel:', (lang) => {
    const e = renderEmail('checkin_request', lang, ctx, checkin);
    expect(e.text).toContain(`${ANSWER[lang]}${lang === 'zh' ? '：' : ':'}\n${CHECKIN_LINK}\n`);
    expect(e.html).toContain(`<a href="${CHECKIN_HREF}" style="display:inline-block;`);
    expect(e.html).toContain(`>${ANSWER[lang]}</a>`);
    expect(e.html).not.toContain('&lang=zh'); // only as &amp;lang=zh
    expect(e.html).toContain(`<a href="${TEL}" `);
    expect(e.html).toContain(`>${TEAM_PHONE}</a>`);
    expect(e.text).toContain(ADVICE[lang]);
  });

  it('writes the exact text of an English check-in request', () => {
    const e = renderEmail('checkin_request', 'en', ctx, checkin);
    expect(e.subject).toBe('Day 3 check-in: how is the patient today? (P-1042)');
    expect(e.text).toContain(
      "Dear Li Wei,\n\nIt is time for the day 3 check-in: a few short questions about the patient's temperature and how they are feeling. It only takes a few minutes. Thank you for helping us look after the patient.\n\n" +
        `Answer the check-in:\n${CHECKIN_LINK}\n\n` +
        `Please answer by ${shown(EXPIRES, 'en')} (Asia/Shanghai time), even if the patient feels well or is in hospital.`,
    );
    expect(e.text).toContain(`${ADVICE.en} Do not wait for a check-in or for a reply from us.\n\nPatient reference: P-1042`);
  });

  it('escapes a hostile check-in link and never links a non-web one', () => {
    const hostile = renderEmail('checkin_request', 'en', ctx, { ...checkin, link: 'https://x.example/?a="><script>alert(1)</script>' });
    expect(hostile.html).toContain('href="https://x.example/?a=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(hostile.html).not.toContain('<script');
    for (const link of ['javascript:alert(1)', 'https://x.example/ two words', 'ftp://x.example/']) {
      const e = renderEmail('checkin_reminder', 'es', ctx, { ...checkin, link });
      expect(hrefsOf(e.html)).toEqual([TEL, TEL]);
      expect(e.text).toContain(link);
    }
  });

  it('dials a phone number written with separators, and does not link one that is not a number', () => {
    expect(hrefsOf(renderEmail('checkin_request', 'en', ctx, { ...checkin, teamPhone: '+1 (617) 555-0100' }).html)).toEqual([CHECKIN_HREF, 'tel:+16175550100']);
    const words = renderEmail('checkin_request', 'zh', ctx, { ...checkin, teamPhone: 'Ward 6 <reception>' });
    expect(hrefsOf(words.html)).toEqual([CHECKIN_HREF]);
    expect(words.html).toContain('Ward 6 &lt;reception&gt;');
    expect(words.text).toContain('Ward 6 <reception>');
  });

  it.each([
    ['en', 'URGENT', 'repeat 3'],
    ['zh', '紧急', '第 3 次'],
    ['es', 'URGENTE', 'repetición 3'],
  ] as const)('an urgent alert to the team in %s, sent a third time, says so in its subject', (lang, word, repeat) => {
    const e = renderEmail('alert_team', lang, team, alert);
    expect(e.subject.startsWith(word)).toBe(true);
    expect(e.subject).toContain(repeat);
    expect(e.subject).toContain(ctx.patientRef);
    expect(e.subject).toContain(ctx.caseId);
  });

  it('starts an alert subject with its tier and names grades and repeats only when there are some', () => {
    expect(renderEmail('alert_team', 'en', team, alert).subject).toBe("URGENT: patient P-1042, family's check-in report, repeat 3 (case c3f9a1b2c4d5)");
    const critical = { ...alert, tier: 'critical', source: 'clinical_observation', crsGrade: 3, icansGrade: 0, repeat: 1 } as const;
    expect(renderEmail('alert_team', 'en', team, critical).subject).toBe('CRITICAL: patient P-1042, CRS grade 3, ICANS grade 0, clinical observation (case c3f9a1b2c4d5)');
    expect(renderEmail('alert_coordinator', 'en', ctx, { ...alert, tier: 'contact_team', source: 'fever_days', repeat: 1 }).subject).toBe('Contact: [c3f9a1b2c4d5] P-1042, alert a3, fever on more than 3 days');
    const starts: Record<Lang, Record<'critical' | 'urgent' | 'contact_team', string>> = {
      en: { critical: 'CRITICAL', urgent: 'URGENT', contact_team: 'Contact' },
      zh: { critical: '危急', urgent: '紧急', contact_team: '需联系' },
      es: { critical: 'CRÍTICO', urgent: 'URGENTE', contact_team: 'Contacto' },
    };
    for (const lang of LANGS) {
      for (const tier of ['critical', 'urgent', 'contact_team'] as const) {
        for (const kind of ['alert_team', 'alert_coordinator'] as const) {
          const e = renderEmail(kind, lang, ctx, { ...alert, tier, repeat: 1 });
          expect(e.subject.startsWith(`${starts[lang][tier]}${lang === 'zh' ? '：' : ':'}`)).toBe(true);
          expect(e.subject).not.toMatch(/repeat|repetición|次发送/);
        }
      }
    }
  });

  it('lists reasons and grades in an alert, shows grade 0, and leaves out grades not given', () => {
    const graded = renderEmail('alert_team', 'zh', team, { ...alert, crsGrade: 0, icansGrade: 3 });
    expect(graded.text).toContain(`${GRADE.zh.crs(0)}\n${GRADE.zh.icans(3)}`);
    expect(graded.text).toContain(`- ${REASONS[0]}\n- ${REASONS[1]}`);
    const onlyIcans = renderEmail('alert_team', 'es', team, { ...alert, icansGrade: 1 });
    expect(onlyIcans.text).toContain(GRADE.es.icans(1));
    expect(onlyIcans.text).not.toContain('Grado de CRS');
    const noReasons = renderEmail('alert_team', 'en', team, { ...alert, reasons: [] });
    expect(noReasons.text).not.toContain('Reasons');
  });

  it('tells the coordinator the same facts as the team, and to make sure the team has been reached', () => {
    const data = SAMPLES.alert_coordinator.data;
    for (const lang of LANGS) {
      const toTeam = renderEmail('alert_team', lang, team, data).text;
      const toCoordinator = renderEmail('alert_coordinator', lang, ctx, data).text;
      const factLines = toTeam.split('\n').filter((l) => l.includes('ASTCT') || l.startsWith('- '));
      expect(factLines.length).toBe(4);
      for (const line of factLines) expect(toCoordinator).toContain(line);
      expect(toCoordinator).toContain(ACK('a5'));
    }
    expect(renderEmail('alert_coordinator', 'en', ctx, data).text).toContain('Make sure the treating team has been reached');
  });

  it('asks the team to acknowledge, and says an urgent alert is sent again until someone does', () => {
    const urgent = renderEmail('alert_team', 'en', team, alert).text;
    expect(urgent).toContain(`This alert is sent again until someone acknowledges it. Acknowledge once the patient has been reached:\n\n    ${ACK('a3')}\n`);
    expect(urgent).toContain('Repeat 3: this alert has not been acknowledged yet.');
    expect(urgent).toContain('Reported by the caregiver at a check-in: not a clinical assessment.');
    const contact = renderEmail('alert_team', 'en', team, { ...alert, tier: 'contact_team', source: 'clinical_observation', repeat: 1 }).text;
    expect(contact).toContain(`Acknowledge once handled:\n\n    ${ACK('a3')}`);
    expect(contact).not.toContain('Repeat');
    expect(contact).not.toContain('caregiver');
  });

  it('quotes an unusual alert id for the shell', () => {
    const e = renderEmail('alert_team', 'en', team, { ...alert, alertId: 'a1; rm -rf ~' });
    expect(e.text).toContain(`casectl alert ack c3f9a1b2c4d5 'a1; rm -rf ~'`);
  });

  it('escapes reasons and open-alert messages in HTML', () => {
    const a = renderEmail('alert_coordinator', 'en', ctx, { ...alert, reasons: [EVIL] });
    expect(a.html).toContain(EVIL_HTML);
    expect(a.html).not.toContain('<script');
    const h = renderEmail('monitoring_handoff_team', 'zh', team, { ...HANDOFF, openAlerts: [{ id: 'a1', tier: EVIL, message: EVIL }] });
    expect(h.html).toContain(`a1（${EVIL_HTML}）：${EVIL_HTML}`);
    expect(h.html).not.toContain('<script');
  });

  it('sends the missed check-in ladder to the coordinator, then the team, with the acknowledge command only when there is an alert', () => {
    const coordinator = renderEmail('checkin_missed_coordinator', 'en', ctx, SAMPLES.checkin_missed_coordinator.data);
    expect(coordinator.subject).toBe('[c3f9a1b2c4d5] Missed check-in: day 3, P-1042');
    expect(coordinator.text).toContain('A missed check-in during monitoring is an alert, not good news');
    expect(coordinator.text).toContain('Call the family now.');
    const teamEmail = renderEmail('checkin_missed_team', 'en', team, SAMPLES.checkin_missed_team.data);
    expect(teamEmail.subject).toBe('Missed check-in: patient P-1042, day 3 after infusion (case c3f9a1b2c4d5)');
    expect(teamEmail.text).toContain(`the family has not answered the day 3 post-infusion check-in (no. 7), due ${shown(CHECKIN_DUE, 'en', 'Europe/Madrid')} (Europe/Madrid time).`);
    for (const lang of LANGS) {
      const { alertId: _c, ...withoutAlert } = SAMPLES.checkin_missed_coordinator.data;
      const c = renderEmail('checkin_missed_coordinator', lang, ctx, withoutAlert).text;
      expect(c).toContain('casectl case show c3f9a1b2c4d5');
      expect(c).not.toContain('casectl alert ack');
      const { alertId: _t, ...teamWithoutAlert } = SAMPLES.checkin_missed_team.data;
      expect(renderEmail('checkin_missed_team', lang, team, teamWithoutAlert).text).not.toContain('casectl alert ack');
    }
  });

  it.each(LANGS)('hands the case over to follow-up in %s: grades, counts, open alerts that stay open, never a silent close', (lang) => {
    for (const kind of ['monitoring_handoff_coordinator', 'monitoring_handoff_team'] as const) {
      const e = renderEmail(kind, lang, kind === 'monitoring_handoff_team' ? team : ctx, HANDOFF);
      expect(e.text).toContain(`- ${OPEN_ALERT[lang][0]}\n- ${OPEN_ALERT[lang][1]}`);
      expect(e.text).toContain(`    ${ACK('a7')}\n    ${ACK('a9')}`);
      expect(e.text).toContain(`${GRADE[lang].highestCrs(2)}\n${GRADE[lang].highestIcans(1)}`);
      expect(e.text).toContain({ en: 'Open alerts (2)', zh: '未确认的警报（2 个）', es: 'Alertas abiertas (2)' }[lang]);
      expect(e.text).toContain(FOLLOW_UP_CONTINUES[lang]);
      expect(e.text).toContain(
        kind === 'monitoring_handoff_team'
          ? { en: 'Handed over to follow-up; the case is not closed.', zh: '现交接至随访，并未结案。', es: 'Se traspasa a seguimiento; el caso no se cierra.' }[lang]
          : { en: 'This is a hand-off, not a close.', zh: '这是交接，不是结案。', es: 'Esto es un traspaso, no un cierre.' }[lang],
      );
    }
    const none = renderEmail('monitoring_handoff_coordinator', lang, ctx, { ...HANDOFF, openAlerts: [] });
    expect(none.text).toContain({ en: 'No alerts are open.', zh: '没有未确认的警报。', es: 'No hay alertas abiertas.' }[lang]);
    expect(none.text).not.toContain('casectl alert ack');
    expect(none.text).toContain(FOLLOW_UP_CONTINUES[lang]);
  });

  it('counts open alerts in the hand-off subject, and shows an unknown tier as given', () => {
    expect(renderEmail('monitoring_handoff_coordinator', 'en', ctx, HANDOFF).subject).toBe('[c3f9a1b2c4d5] Monitoring window ended: P-1042 moves to follow-up, 2 open alerts');
    expect(renderEmail('monitoring_handoff_coordinator', 'en', ctx, { ...HANDOFF, openAlerts: [HANDOFF.openAlerts[1]!] }).subject).toMatch(/, 1 open alert$/);
    expect(renderEmail('monitoring_handoff_coordinator', 'es', ctx, { ...HANDOFF, openAlerts: [] }).subject).toBe('[c3f9a1b2c4d5] Fin de la vigilancia: P-1042 pasa a seguimiento');
    expect(renderEmail('monitoring_handoff_team', 'en', team, { ...HANDOFF, openAlerts: [{ id: 'a2', tier: 'missed_checkin', message: 'x' }] }).text).toContain('- a2 (missed_checkin): x');
  });

  it('writes to the treating team as clinicians: by name, case identified, no app link', () => {
    const teamKinds = KINDS.filter((k) => EMAIL_RECIPIENT[k] === 'team');
    expect(teamKinds).toEqual(['checkin_missed_team', 'alert_team', 'monitoring_handoff_team']);
    const greeting: Record<Lang, string> = {
      en: 'Dear Haematology CAR-T team, Hospital Universitario La Paz,\n',
      zh: '尊敬的Haematology CAR-T team, Hospital Universitario La Paz：\n',
      es: 'A la atención de Haematology CAR-T team, Hospital Universitario La Paz:\n',
    };
    for (const kind of teamKinds) {
      for (const lang of LANGS) {
        const e = render(kind, lang, team);
        expect(e.text.startsWith(greeting[lang])).toBe(true);
        expect(e.subject).toContain(ctx.patientRef);
        expect(e.subject).toContain(ctx.caseId);
        expect(e.text).not.toContain(ctx.familyName); // the family's name stays with the coordinators
        expect(e.html).not.toContain('href=');
      }
      expect(render(kind, 'en', { ...team, recipientName: '' }).text.startsWith('Dear colleagues,\n')).toBe(true);
    }
  });

  it('never tells a family that no answer is fine, and always gives the team phone and emergency services', () => {
    for (const kind of ['checkin_request', 'checkin_reminder'] as const) {
      for (const lang of LANGS) {
        const e = render(kind, lang);
        expect(e.text).toContain(ADVICE[lang]);
        expect(e.text).not.toMatch(/no news|if you do not answer|no hace falta responder|不回复也没关系/i);
      }
    }
  });
});

describe('documentLabel', () => {
  it.each([
    ['medical_report', 'en', 'Medical reports'],
    ['scans', 'en', 'Scans (CT, MRI, PET)'],
    ['pathology', 'en', 'Pathology reports'],
    ['biomarkers', 'en', 'Biomarker results'],
    ['treatment_history', 'en', 'Treatment history'],
    ['medical_report', 'zh', '病历报告'],
    ['scans', 'zh-CN', '影像检查（CT、MRI、PET）'],
    ['pathology', 'zh', '病理报告'],
    ['biomarkers', 'zh', '生物标志物检测结果'],
    ['treatment_history', 'zh', '既往治疗记录'],
    ['medical_report', 'es', 'Informes médicos'],
    ['scans', 'es-MX', 'Estudios de imagen (TAC, RM, PET)'],
    ['pathology', 'es', 'Informes de anatomía patológica'],
    ['biomarkers', 'es', 'Resultados de biomarcadores'],
    ['treatment_history', 'es', 'Historial de tratamientos'],
    ['scans', 'fr', 'Scans (CT, MRI, PET)'],
    ['genetic_panel', 'en', 'Genetic panel'],
    ['genetic_panel', 'zh', 'Genetic panel'],
    ['hla__typing_', 'es', 'Hla typing'],
    ['constructor', 'en', 'Constructor'],
    ['toString', 'zh', 'ToString'],
  ])('%s in %s is %j', (type, lang, label) => {
    expect(documentLabel(type, lang)).toBe(label);
  });
});

describe('EMAIL_RECIPIENT', () => {
  it('names the recipient of every kind', () => {
    // Kinds named for their recipient go to that recipient; the rest by what they are for.
    for (const [kind, to] of Object.entries(EMAIL_RECIPIENT)) {
      for (const r of ['family', 'team', 'coordinator'] as const) if (kind.endsWith(`_${r}`)) expect([kind, to]).toEqual([kind, r]);
    }
    expect([EMAIL_RECIPIENT.case_opened, EMAIL_RECIPIENT.records_reminder, EMAIL_RECIPIENT.checkin_request, EMAIL_RECIPIENT.follow_up_request]).toEqual(['family', 'family', 'family', 'family']);
    expect([EMAIL_RECIPIENT.hospital_submission, EMAIL_RECIPIENT.hospital_reminder]).toEqual(['hospital', 'hospital']);
    expect([EMAIL_RECIPIENT.translation_task, EMAIL_RECIPIENT.translation_chase]).toEqual(['translator', 'translator']);
    expect([EMAIL_RECIPIENT.records_stalled, EMAIL_RECIPIENT.hospital_silent, EMAIL_RECIPIENT.navigation_needed, EMAIL_RECIPIENT.delivery_failed]).toEqual(['coordinator', 'coordinator', 'coordinator', 'coordinator']);
    expect(Object.keys(EMAIL_RECIPIENT).sort()).toEqual([...KINDS].sort());
  });

  it('rejects a kind it does not know', () => {
    expect(() => renderEmail('no_such_kind' as EmailKind, 'en', ctx, {} as never)).toThrow('unknown email kind: no_such_kind');
  });
});
