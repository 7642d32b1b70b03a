// The family's records page in a real browser (headless Chromium at phone width) against the real
// HTTP server, worker, PostgreSQL and mail server: with its script, a file goes up through tus with
// its progress shown and arrives byte for byte; a page reloaded mid-file goes on from where it
// stopped when the same file is sent again; without the script the plain form still sends it.
// Screenshots in test-artifacts/screenshots/.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordsStack, type RecordsStack } from '../harness/records-stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const MiB = 1024 * 1024;

/** A PDF of `bytes`: its start is what the vault sniffs, the rest random. */
const pdf = (bytes: number) => Buffer.concat([Buffer.from('%PDF-1.7\n% scan\n'), randomBytes(bytes - 16)]);

let stack: RecordsStack;
let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  mkdirSync(SHOTS, { recursive: true });
  stack = await startRecordsStack({ name: 'records-browser' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A new case; the records link from its first email, on this server. */
async function caseLink(): Promise<{ caseId: string; url: string }> {
  const { caseId, path } = await stack.openCase();
  return { caseId, url: `${stack.servers[0]!.url}${path}` };
}

/** The family's phone on their records page, consent given. */
async function phoneOn(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  await page.goto(url);
  await page.getByRole('button', { name: 'I agree' }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your documents');
  return page;
}

const documents = () => stack.documents();

/** Collects every value the page's progress bars take, as a person would see them move (kept across the page the upload leads to). */
async function watchProgress(page: Page): Promise<number[]> {
  const seen: number[] = [];
  await page.exposeFunction('progressSeen', (value: number) => seen.push(value));
  // In the page (a string: this project's types have no DOM).
  await page.evaluate(`new MutationObserver(() => {
    for (const p of document.querySelectorAll('#upload-progress progress')) window.progressSeen(p.value);
  }).observe(document.getElementById('upload-progress'), { subtree: true, childList: true, characterData: true, attributes: true })`);
  return seen;
}

describe("the records page's resumable uploads, in Chromium", () => {
  it('sends a file through tus with its progress shown, and it arrives byte for byte', async () => {
    const { caseId, url } = await caseLink();
    const page = await phoneOn(url);
    const file = pdf(6 * MiB);
    // A slow uplink, as in a hotel: the bar has time to move.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 3 * MiB });
    const tus: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/tus')) tus.push(r.method());
    });

    await page.getByLabel('What is it?').selectOption('scans');
    await page.getByLabel('Files').setInputFiles({ name: 'PET-CT scan.pdf', mimeType: 'application/pdf', buffer: file });
    const seen = await watchProgress(page);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.locator('#upload-progress').textContent(), { timeout: 10_000 }).toMatch(/Sending “PET-CT scan\.pdf”: \d+%/);
    await page.screenshot({ path: `${SHOTS}records-upload-progress.png`, fullPage: true });

    // Once it has arrived, the page the form leads to says so, and the records page lists it.
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 30_000 }).toBe('Thank you: we have received your file');
    await page.getByRole('link', { name: 'Back to your documents' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('PET-CT scan.pdf (Scans (CT, MRI, PET)): received, being checked');
    await page.screenshot({ path: `${SHOTS}records-upload-received.png`, fullPage: true });
    expect(tus[0]).toBe('POST');
    expect(tus).toContain('PATCH');

    const [stored] = await documents().list(caseId);
    expect(stored).toMatchObject({ documentType: 'scans', fileName: 'PET-CT scan.pdf', contentType: 'application/pdf', size: file.length, uploadedBy: 'family' });
    expect((await buffer(await documents().open(caseId, stored!.id))).equals(file)).toBe(true);
    expect(seen.some((v) => v > 0 && v < 100), `progress seen: ${seen.join(',')}`).toBe(true);
    await page.context().close();
  });

  it('goes on from where it stopped when the page is reloaded mid-file and the same file is sent again', async () => {
    const { caseId, url } = await caseLink();
    const page = await phoneOn(url);
    // A file on disk, as a phone's: the browser knows it again by its name, size and date.
    const path = join(stack.dataDir, 'CT chest.pdf');
    const file = pdf(8 * MiB);
    writeFileSync(path, file);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 2 * MiB });
    const tus: { method: string; offset?: string }[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/tus')) tus.push({ method: r.method(), ...(r.headers()['upload-offset'] ? { offset: r.headers()['upload-offset'] } : {}) });
    });
    const send = async () => {
      await page.getByLabel('What is it?').selectOption('scans');
      await page.getByLabel('Files').setInputFiles(path);
      await page.getByRole('button', { name: 'Send' }).click();
    };

    await send();
    // Part-way, the page is reloaded (the phone's browser restarted, say): the upload stops.
    await expect.poll(async () => Number(await page.locator('#upload-progress progress').getAttribute('value').catch(() => '0')), { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
    await page.reload();
    // The server kept what came before the connection closed.
    const received = async () => Number((await stack.database.db.selectFrom('uploads').select('received').where('case_id', '=', caseId).executeTakeFirst())?.received ?? 0);
    await expect.poll(received, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await received()).toBeLessThan(file.length);

    await send();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 30_000 }).toBe('Thank you: we have received your file');
    // One upload, created once; after the reload the browser asked where it stood and sent the rest.
    expect(tus.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(tus.some((r) => r.method === 'HEAD')).toBe(true);
    expect(tus.some((r) => r.method === 'PATCH' && Number(r.offset) > 0)).toBe(true);
    const [stored] = await documents().list(caseId);
    expect((await buffer(await documents().open(caseId, stored!.id))).equals(file)).toBe(true);
    await page.context().close();
  });

  it('still sends with the plain form when the upload script cannot load', async () => {
    const { caseId, url } = await caseLink();
    const page = await phoneOn(url);
    await page.route('**/assets/tus.*.js', (route) => route.abort());
    await page.reload();
    await page.getByLabel('What is it?').selectOption('medical_report');
    await page.getByLabel('Files').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: pdf(100_000) });
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you: we have received your file');
    expect(await documents().list(caseId)).toHaveLength(1);
    await page.context().close();
  });
});

it('broke no Content-Security-Policy rule', () => {
  expect(problems).toEqual([]);
});
