// The family's records page (/upload/:token) in a real browser at phone size: headless Chromium
// (playwright-core) on a 360×740 touch viewport against the real worker, HTTP server, PostgreSQL,
// SMTP sink and the shared Temporal dev server. For a family speaking English, Spanish and Chinese
// (in parallel, one browser): the link from the case's first email opens the consent page in their
// language; after "I agree" the page lists the missing documents by their names; two files chosen
// through the file chooser are received and listed; an HTML file named .pdf is refused by name with
// nothing stored; withdrawing consent says so. Each browser asks for a language other than the
// family's, so the page's language can only come from the case. Screenshots go to
// test-artifacts/screenshots/records-*. Without Chromium this file fails (it never skips).
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { documentName, messages, type Language, type MessageKey, type Values } from '../../i18n/index.ts';
import { startService, type Service } from '../harness/service.ts';
import { ACTOR, DOCUMENTS, caseFile } from '../harness/drive.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const PHONE = { width: 360, height: 740 };
const missingChromium = existsSync(CHROMIUM) ? undefined : new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);

const tag = randomBytes(3).toString('hex');
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `records-browser:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
};

/** A small real PDF: one page with a line of text, its cross-reference table at the right offsets. */
function pdf(text: string): Buffer {
  const objects = [
    '<</Type/Catalog/Pages 2 0 R>>',
    '<</Type/Pages/Kids[3 0 R]/Count 1>>',
    '<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>',
    `<</Length ${`BT /F1 12 Tf 24 72 Td (${text}) Tj ET`.length}>>stream\nBT /F1 12 Tf 24 72 Td (${text}) Tj ET\nendstream`,
    '<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
/** A 1×1 PNG, as a phone's photo would be a bigger one. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
/** A web page under a PDF's name, and a long one without spaces, as phones name files. */
const FAKE_PDF = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');

/** Each family's language, the `lang` its pages carry, and the different language their browser asks for. */
const FAMILIES: { lang: Language; htmlLang: string; browserLocale: string }[] = [
  { lang: 'en', htmlLang: 'en', browserLocale: 'es-ES' },
  { lang: 'es', htmlLang: 'es', browserLocale: 'zh-CN' },
  { lang: 'zh', htmlLang: 'zh-Hans', browserLocale: 'en-GB' },
];

let service: Service;
let browser: Browser;
const caseIds: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (missingChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  [service, browser] = await Promise.all([
    startService({ name: 'records-browser', env }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop(caseIds);
});

/** The family's words, as the catalogue has them. */
function catalogue(lang: Language) {
  const m = messages(lang);
  return {
    t: (key: string, values?: Values) => m.format(`recordsPages.${key}` as MessageKey, values),
    doc: (type: string) => documentName(m, type),
  };
}

/** The little of the DOM these checks read (the project compiles without the DOM library). */
interface BrowserElement {
  tagName: string;
  className: string;
  textContent: string | null;
  getBoundingClientRect(): { width: number; height: number };
}
interface BrowserDocument {
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelectorAll(selector: string): Iterable<BrowserElement>;
}

/** At 360 px: nothing wider than the screen, and every control at least 44 px tall and wide. */
async function checkPhoneLayout(expect: ExpectStatic, page: Page, what: string): Promise<void> {
  const layout = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: BrowserDocument }).document;
    return {
      scrollWidth: d.documentElement.scrollWidth,
      clientWidth: d.documentElement.clientWidth,
      small: [...d.querySelectorAll('select, input:not([type=hidden]), button')]
        .map((el) => ({ el: `${el.tagName.toLowerCase()}.${el.className} ${el.textContent ?? ''}`.trim(), h: el.getBoundingClientRect().height, w: el.getBoundingClientRect().width }))
        .filter((r) => r.h < 44 || r.w < 44),
    };
  });
  expect(layout.scrollWidth, `${what}: no horizontal scrolling at ${PHONE.width}px`).toBeLessThanOrEqual(layout.clientWidth);
  expect(layout.small, `${what}: touch targets at least 44px`).toEqual([]);
}

const shoot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}records-${name}.png`, fullPage: true });

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
/** The page the browser shows after a tap (each form posts to the page's own URL): its main heading, once it has loaded. */
const expectHeading = (expect: ExpectStatic, page: Page, text: string) => expect.poll(() => heading(page), { timeout: 10_000 }).toBe(text);

/** The items of the card under the heading `title`. */
const listUnder = (page: Page, title: string) => page.locator('.card', { has: page.getByRole('heading', { level: 2, name: title, exact: true }) }).locator('li').allTextContents();

/** Chooses `files` through the file chooser the form's file field opens, as a tap on it would. */
async function chooseFiles(expect: ExpectStatic, page: Page, label: string, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByLabel(label, { exact: true }).tap()]);
  expect(chooser.isMultiple()).toBe(true);
  await chooser.setFiles(files);
}

describe.concurrent("the family's records page on a phone", () => {
  for (const family of FAMILIES) {
    it(`${family.lang}: consent, the missing documents, two files sent through the file chooser, a disguised file refused, consent withdrawn`, async ({ expect }) => {
      if (missingChromium) throw missingChromium;
      const { t, doc } = catalogue(family.lang);
      const email = `family.${family.lang}.${tag}@family.test`;
      const { caseId } = await service.actions.openCase(caseFile({ family: { language: family.lang, email } }), ACTOR);
      caseIds.push(caseId);

      // The link the family follows: the one in the case's first email (APP_BASE_URL is care.test in tests).
      const [mail] = await service.sink.waitFor(1, (m) => JSON.stringify(m.to ?? '').includes(email), 20_000);
      const path = /https?:\/\/care\.test(\/upload\/[A-Za-z0-9_.-]+)/.exec(mail!.text ?? '')?.[1];
      expect(path, 'the first email holds the records link').toBeDefined();
      const url = `${service.http.url}${path}`;

      const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: family.browserLocale });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`${family.lang}: ${m.text()}`);
      });
      page.on('request', (r) => {
        if (!r.url().startsWith(service.http.url) && !r.url().startsWith('data:')) problems.push(`${family.lang}: external request ${r.url()}`);
      });

      // Consent first, in the family's language.
      await page.goto(url);
      expect(await page.getAttribute('html', 'lang')).toBe(family.htmlLang);
      expect(await page.title()).toContain(t('consentTitle'));
      expect(await heading(page)).toBe(t('consentTitle'));
      await expect(page.getByText(t('consentBody')).isVisible()).resolves.toBe(true);
      const agree = page.getByRole('button', { name: t('consentAgree'), exact: true });
      expect((await agree.boundingBox())?.height, '"I agree" is at least 44px tall').toBeGreaterThanOrEqual(44);
      await shoot(page, `consent-${family.lang}`);
      await checkPhoneLayout(expect, page, 'consent');

      // The records page: what is still missing, by name.
      await agree.tap();
      await expectHeading(expect, page, t('title'));
      expect(await page.getAttribute('html', 'lang')).toBe(family.htmlLang);
      expect((await listUnder(page, t('missingTitle'))).sort()).toEqual(DOCUMENTS.map(doc).sort());
      expect(await listUnder(page, t('receivedTitle'))).toEqual([]);
      await expect(page.getByText(t('receivedNone')).isVisible()).resolves.toBe(true);
      await shoot(page, `page-${family.lang}`);
      await checkPhoneLayout(expect, page, 'records');

      // Two files through the file chooser, as scans.
      await page.getByLabel(t('documentTypeLabel')).selectOption({ label: doc('scans') });
      const sent = [
        { name: `ct-${family.lang}.pdf`, mimeType: 'application/pdf', buffer: pdf(`CT report ${tag}`) },
        { name: `pet-${family.lang}.png`, mimeType: 'image/png', buffer: PNG },
      ];
      await chooseFiles(expect, page, t('fileLabel'), sent);
      await shoot(page, `chosen-${family.lang}`);
      await page.getByRole('button', { name: t('submit'), exact: true }).tap();
      await expectHeading(expect, page, t('sentTitle', { count: 2 }));
      await expect(page.getByText(t('sentBody')).isVisible()).resolves.toBe(true);
      await shoot(page, `sent-${family.lang}`);
      await checkPhoneLayout(expect, page, 'sent');

      // Back on the page, both are listed as received and being checked.
      await page.getByRole('link', { name: t('backToPage') }).tap();
      await expectHeading(expect, page, t('title'));
      const status = t('status.pending_review');
      expect((await listUnder(page, t('receivedTitle'))).sort()).toEqual(sent.map((f) => t('received', { name: f.name, document: doc('scans'), status })).sort());
      await shoot(page, `received-${family.lang}`);
      await checkPhoneLayout(expect, page, 'records with files');

      // A web page named .pdf, with a long name as phones give: refused by its name, nothing kept.
      const disguised = `Informe_patologia_biopsia_ganglio_cervical_2024-11-03_${family.lang}.pdf`;
      await page.getByLabel(t('documentTypeLabel')).selectOption({ label: doc('pathology') });
      await chooseFiles(expect, page, t('fileLabel'), [{ name: disguised, mimeType: 'application/pdf', buffer: FAKE_PDF }]);
      await page.getByRole('button', { name: t('submit'), exact: true }).tap();
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toBe(t('problems.type', { name: disguised }));
      expect(await heading(page)).toBe(t('title'));
      // What they chose is still chosen, for the retry.
      expect(await page.getByLabel(t('documentTypeLabel')).locator('option:checked').textContent()).toBe(doc('pathology'));
      // (The page's own scripts come from /assets/; nothing inline.)
      expect(await page.locator('script:not([src^="/assets/"])').count(), 'nothing of the refused file is on the page as markup').toBe(0);
      await shoot(page, `refused-${family.lang}`);
      await checkPhoneLayout(expect, page, 'refusal');
      const rows = await service.database.db.selectFrom('files').select(['file_name', 'document_type']).where('case_id', '=', caseId).orderBy('file_name').execute();
      expect(rows).toEqual(sent.map((f) => ({ file_name: f.name, document_type: 'scans' })).sort((a, b) => a.file_name.localeCompare(b.file_name)));

      // Withdrawing consent.
      const withdraw = page.getByRole('button', { name: t('consentWithdraw'), exact: true });
      expect((await withdraw.boundingBox())?.height).toBeGreaterThanOrEqual(44);
      await withdraw.tap();
      await expectHeading(expect, page, t('withdrawnTitle'));
      expect(await page.getAttribute('html', 'lang')).toBe(family.htmlLang);
      await expect(page.getByText(t('withdrawnBody')).isVisible()).resolves.toBe(true);
      await shoot(page, `withdrawn-${family.lang}`);
      await checkPhoneLayout(expect, page, 'withdrawn');
      await context.close();
    });
  }
});

// After the pages above (a suite's tests run after the suite before it).
describe('the browser, meanwhile', () => {
  it('reported no CSP violation and asked nothing of another origin', ({ expect }) => {
    if (missingChromium) throw missingChromium;
    expect(problems).toEqual([]);
  });
});
