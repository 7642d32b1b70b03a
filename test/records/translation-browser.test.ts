// The translator's page (/translation/:token) in a real browser: headless Chromium (playwright-core)
// against the real worker, HTTP server, PostgreSQL, SMTP sink and the shared Temporal dev server.
// The link from the translator's email opens the page; the original downloads through its link,
// byte for byte; a translation chosen through the file chooser is sent, the page confirms that the
// translation is complete and lists it, and the case has it, done by the translator. Screenshots go
// to test-artifacts/screenshots/translation-*. Without Chromium this file fails (it never skips).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { messages, type MessageKey, type Values } from '../../i18n/index.ts';
import type { Documents } from '../../client/documents.ts';
import { startService, type Service } from '../harness/service.ts';
import { waitForStatus } from '../harness/drive.ts';
import { awaitTranslation, caseWithOriginal, serviceDocuments, translatorLink } from '../harness/translation.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const missingChromium = existsSync(CHROMIUM) ? undefined : new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);

const tag = randomBytes(3).toString('hex');
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `translation-browser:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
};
const HOSPITAL = `B${tag}`.toUpperCase();
const pdf = (text: string) => Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${text}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);

/** The translator's words, as the catalogue has them. */
const en = messages('en');
const t = (key: string, values?: Values) => en.format(`translatorPages.${key}` as MessageKey, values);

let service: Service;
let documents: Documents;
let browser: Browser;
const caseIds: string[] = [];

beforeAll(async () => {
  if (missingChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  [service, browser] = await Promise.all([
    startService({ name: 'translation-browser', env, config: { VAULT_MAX_FILE_MB: '1' } }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  documents = serviceDocuments(service, env);
  await service.actions.addHospital({ code: HOSPITAL, name: 'Northern University Hospital', email: `intl.${tag}@hospital.test`, language: 'en', timezone: 'Europe/London' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop(caseIds);
});

describe("the translator's page in a browser", () => {
  it('the link from the email: the original downloaded through its link, a translation sent through the file chooser, the confirmation', async ({ expect }) => {
    if (missingChromium) throw missingChromium;
    const original = pdf(`Informe de reestadificación ${tag}`);
    const { caseId } = await caseWithOriginal(service, documents, original);
    caseIds.push(caseId);
    await awaitTranslation(service, caseId, HOSPITAL);
    const path = await translatorLink(service, 'translator@care.test', 1, (text) => text.includes('/translation/'));
    expect(path, "the translator's email holds the link").toBeDefined();

    const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, acceptDownloads: true, locale: 'en-GB' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(service.http.url) && !r.url().startsWith('data:')) problems.push(`external request ${r.url()}`);
    });

    await page.goto(`${service.http.url}${path!}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(t('title'));
    await expect(page.getByText(t('from', { language: 'Spanish' })).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: `${SHOTS}translation-page.png`, fullPage: true });

    // The original, through the page's own link.
    const download = page.getByRole('link', { name: t('download', { name: 'informe-paciente.pdf' }) });
    expect(await download.count()).toBe(1);
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toBe('informe-paciente.pdf');
    expect(readFileSync(await file.path()).equals(original)).toBe(true);

    // The translation, chosen and sent.
    await page.getByLabel(t('languageLabel')).selectOption({ label: 'English' });
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByLabel(t('fileLabel'), { exact: true }).click()]);
    await chooser.setFiles({ name: 'restaging-en.pdf', mimeType: 'application/pdf', buffer: pdf(`Restaging report ${tag}`) });
    await page.getByRole('button', { name: t('submit'), exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toBe(t('outcome.complete'));
    const sent = await page.locator('.card', { has: page.getByRole('heading', { level: 2, name: t('sentTitle'), exact: true }) }).locator('li').allTextContents();
    expect(sent).toEqual([t('sentLine', { language: 'English', name: 'restaging-en.pdf', status: t('status.accepted') })]);
    await expect(page.getByText(t('done')).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: `${SHOTS}translation-sent.png`, fullPage: true });

    const status = await waitForStatus(service.actions, caseId, (s) => s.documents.medical_report?.translation === 'done', 'the translation done');
    expect(status.documents.medical_report?.translation).toBe('done');
    expect(problems).toEqual([]);
    await context.close();
  });
});
