// A hospital's packet page (/packet/:token) in a real browser: headless Chromium (playwright-core)
// against the real worker, HTTP server, PostgreSQL, SMTP sink and the shared Temporal dev server.
// For a hospital reading English and one reading Spanish (in parallel, one browser): the link from
// the submission email opens the code page in the hospital's language; the code emailed to the
// hospital's address opens the packet; the documents are listed and one downloads byte for byte; a
// decline without a reason is refused naming the field; the decision is recorded. Each browser asks
// for a language other than the hospital's, so the page's language can only come from the hospital.
// Screenshots go to test-artifacts/screenshots/packet-*. Without Chromium this file fails (it never skips).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { documentName, messages, type Language, type MessageKey, type Values } from '../../i18n/index.ts';
import { loadConfig } from '../../config.ts';
import { createDocuments, type Documents } from '../../client/documents.ts';
import { openVault } from '../../activities/vault/open.ts';
import { startService, type Service } from '../harness/service.ts';
import { ACTOR, caseFile, openCase, toHospitalReview, waitForStatus } from '../harness/drive.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const missingChromium = existsSync(CHROMIUM) ? undefined : new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);

const tag = randomBytes(3).toString('hex');
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `packet-browser:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
};
const PDF = (text: string) => Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${text}\n${'x'.repeat(3000)}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);

/** Each hospital's language, the `lang` its pages carry, and the different language its browser asks for. */
const HOSPITALS: { lang: Language; browserLocale: string }[] = [
  { lang: 'en', browserLocale: 'zh-CN' },
  { lang: 'es', browserLocale: 'en-GB' },
];

let service: Service;
let docs: Documents;
let browser: Browser;
const caseIds: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (missingChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  [service, browser] = await Promise.all([
    startService({ name: 'packet-browser', env }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  const config = loadConfig({ DATA_DIR: service.dataDir, DATABASE_URL: service.database.url, APP_BASE_URL: 'http://care.test' });
  docs = createDocuments({ db: service.database.db, vault: openVault(config, service.database.db, env), limits: config.vault });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop(caseIds);
});

/** The hospital's words, as the catalogue has them. */
function catalogue(lang: Language) {
  const m = messages(lang);
  return {
    t: (key: string, values?: Values) => m.format(`packetPages.${key}` as MessageKey, values),
    doc: (type: string) => documentName(m, type),
  };
}

const shoot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}packet-${name}.png`, fullPage: true });
const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const expectHeading = (expect: ExpectStatic, page: Page, text: string) => expect.poll(() => heading(page), { timeout: 10_000 }).toBe(text);

describe.concurrent("a hospital's packet page in a browser", () => {
  for (const hospital of HOSPITALS) {
    it(`${hospital.lang}: the code from the email, the documents, a decline refused without its reason, the decision`, async ({ expect }) => {
      if (missingChromium) throw missingChromium;
      const { t, doc } = catalogue(hospital.lang);
      const code = `B${tag}${hospital.lang}`.toUpperCase();
      const email = `intl.${code.toLowerCase()}@hospital.test`;
      await service.actions.addHospital({ code, name: `Hospital ${code}`, email, language: hospital.lang, timezone: 'Europe/Madrid' });
      const caseId = await openCase(service.actions, caseFile());
      caseIds.push(caseId);
      const report = PDF(`report ${tag} ${hospital.lang}`);
      const file = await docs.store({ caseId, documentType: 'medical_report', fileName: `informe-${hospital.lang}.pdf`, body: Readable.from([report]), sender: 'coordinator', actor: ACTOR });
      await docs.review(caseId, file.id, { status: 'accepted', documentType: 'medical_report', by: ACTOR });
      await toHospitalReview(service.actions, caseId, code, hospital.lang);
      const toHospital = (m: { to?: unknown }) => JSON.stringify(m.to ?? '').includes(email);
      const [submission] = await service.sink.waitFor(1, (m) => toHospital(m) && m.headers.get('x-email-kind') === 'hospital_submission', 20_000);
      const path = /http:\/\/care\.test(\/packet\/[A-Za-z0-9_.-]+)/.exec(submission!.text ?? '')?.[1];
      expect(path, 'the submission email holds the packet link').toBeDefined();

      const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, locale: hospital.browserLocale, acceptDownloads: true });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`${hospital.lang}: ${m.text()}`);
      });
      page.on('request', (r) => {
        if (!r.url().startsWith(service.http.url) && !r.url().startsWith('data:')) problems.push(`${hospital.lang}: external request ${r.url()}`);
      });

      // The code page, in the hospital's language, naming where the code goes.
      await page.goto(`${service.http.url}${path}`);
      expect(await page.getAttribute('html', 'lang')).toBe(hospital.lang);
      expect(await heading(page)).toBe(t('codeTitle'));
      await expect(page.getByText(t('codeBody', { hospital: `Hospital ${code}`, address: `${email.slice(0, 2)}•••@hospital.test` })).isVisible()).resolves.toBe(true);
      await shoot(page, `code-${hospital.lang}`);
      await page.getByRole('button', { name: t('sendCode'), exact: true }).click();
      await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toBe(t('codeSent', { address: `${email.slice(0, 2)}•••@hospital.test` }));
      const [mail] = await service.sink.waitFor(1, (m) => toHospital(m) && !m.headers.has('x-email-kind'), 15_000);
      expect(mail!.subject).toBe(t('codeMail.subject'));
      await page.getByLabel(t('codeLabel'), { exact: true }).fill(/\b(\d{6})\b/.exec(mail!.text ?? '')![1]!);
      await shoot(page, `code-entered-${hospital.lang}`);
      await page.getByRole('button', { name: t('codeSubmit'), exact: true }).click();

      // The packet: the case, its documents, the decision form.
      await expectHeading(expect, page, t('title'));
      const listed = await page.locator('#documents li').allTextContents();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatch(new RegExp(`^${doc('medical_report')}: informe-${hospital.lang}\\.pdf \\(3 kB\\)$`));
      await shoot(page, `packet-${hospital.lang}`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#documents a').first().click()]);
      expect(download.suggestedFilename()).toBe(`informe-${hospital.lang}.pdf`);
      expect(readFileSync((await download.path())!).equals(report)).toBe(true);

      // A decline without its reason is refused, naming the field; the choice stays chosen.
      await page.getByLabel(t('decisions.declined'), { exact: true }).check();
      await page.getByRole('button', { name: t('decide'), exact: true }).click();
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toBe(t('problems.reason'));
      expect(await page.getByLabel(t('decisions.declined'), { exact: true }).isChecked()).toBe(true);
      await shoot(page, `refused-${hospital.lang}`);

      await page.getByLabel(t('decisions.accepted'), { exact: true }).check();
      await page.getByRole('button', { name: t('decide'), exact: true }).click();
      await expectHeading(expect, page, t('doneTitle'));
      await expect(page.getByText(t('recorded', { decision: t('decisions.accepted') })).isVisible()).resolves.toBe(true);
      await shoot(page, `decided-${hospital.lang}`);
      const s = await waitForStatus(service.actions, caseId, (x) => x.submissions[0]?.status === 'accepted', 'accepted');
      expect(s.submissions[0]).toMatchObject({ hospitalCode: code, status: 'accepted' });
      expect((await service.actions.timeline(caseId)).find((e) => e.kind === 'hospital_decision')).toMatchObject({ actor: `hospital:${code}` });
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
