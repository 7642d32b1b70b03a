// The check-in form in a real browser at phone size: headless Chromium (playwright-core) on a
// 390×844 viewport against the real server. A family opens the link, fills the form with taps and
// the keyboard, sends a fever report and sees the instruction with the team's number. Screenshots
// go to test-artifacts/screenshots/. Without Chromium this file fails (it never skips).
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { triageReport } from '../../domain/checkin-report.ts';
import { TEAM_PHONE, TEAM_TEL, insertCase, monitoringStatus, startCheckinServer, type CheckinServer } from './fixture.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const PHONE = { width: 390, height: 844 };

let s: CheckinServer;
let browser: Browser;
const cspViolations: string[] = [];
/** Without Chromium every test fails with this (vitest would only mark them skipped if beforeAll threw). */
const missingChromium = existsSync(CHROMIUM)
  ? undefined
  : new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium executable`);

beforeAll(async () => {
  if (missingChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  s = await startCheckinServer({ realClock: true });
  // The stand-in workflow triages for real, so the page shows what the domain decides.
  s.submitImpl.fn = async ({ checkinId, report }) => {
    s.submitted.push({ caseId: '', checkinId, report });
    return { checkinId, tier: triageReport(report).tier, reasons: triageReport(report).reasons, teamPhone: TEAM_PHONE };
  };
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

async function phonePage(locale: string): Promise<Page> {
  if (missingChromium) throw missingChromium;
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale, timezoneId: 'Europe/Madrid' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  // Nothing but this server is ever asked for anything.
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(s.url) && !u.startsWith('data:')) cspViolations.push(`external request: ${u}`);
  });
  return page;
}

async function openCase(caseId: string, language: string): Promise<string> {
  if (missingChromium) throw missingChromium;
  await insertCase(s.database.db, { caseId, language, timeZone: 'Europe/Madrid' });
  s.statuses.set(caseId, monitoringStatus(caseId, [{ id: 1, state: 'open' }]));
  return `${s.url}/checkin/${s.token(caseId, 1, Date.now() + 3600_000)}`;
}

/** The little of the DOM these checks read (the project compiles without the DOM library). */
interface BrowserElement {
  id: string;
  className: string;
  tagName: string;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
}
interface BrowserDocument {
  documentElement: { scrollWidth: number; clientWidth: number; scrollHeight: number };
  activeElement: BrowserElement | null;
  querySelectorAll(selector: string): Iterable<BrowserElement>;
}

/** A full-page screenshot, plus one per screenful (name-1.png, name-2.png, ...) to look at at real size. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const height = await page.evaluate(() => (globalThis as unknown as { document: BrowserDocument }).document.documentElement.scrollHeight);
  for (let i = 0, y = 0; y < height; i++, y += PHONE.height) {
    await page.screenshot({ path: `${SHOTS}${name}-${i + 1}.png`, fullPage: true, clip: { x: 0, y, width: PHONE.width, height: Math.min(PHONE.height, height - y) } });
  }
}

/** Layout checks at phone width: no sideways scrolling, every control big enough to tap. */
async function checkPhoneLayout(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => {
    const e = (globalThis as unknown as { document: BrowserDocument }).document.documentElement;
    return { scrollWidth: e.scrollWidth, clientWidth: e.clientWidth };
  });
  expect(scrollWidth, 'no horizontal scrolling at 390px').toBeLessThanOrEqual(clientWidth);
  const small = await page.evaluate(() =>
    [...(globalThis as unknown as { document: BrowserDocument }).document.querySelectorAll('input:not([type=hidden]), select, textarea, button, label.choice, a.call')]
      .map((el) => ({ el: `${el.tagName.toLowerCase()}#${el.id || el.getAttribute('for') || el.className}`, h: el.getBoundingClientRect().height, w: el.getBoundingClientRect().width }))
      .filter((r) => !r.el.startsWith('input#symptom-') && !r.el.startsWith('input#admitted-') && !r.el.startsWith('input#noTemperature'))
      .filter((r) => r.h < 44 || r.w < 44),
  );
  expect(small, 'touch targets at least 44px').toEqual([]);
}

describe('the check-in form on a phone', () => {
  it('English: a fever report by taps and keyboard → "call the treating team now" with the number', async () => {
    const url = await openCase('cbrowseren01', 'en');
    const page = await phonePage('en-GB');
    await page.goto(url);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expect(page.title()).resolves.toContain('How is the patient right now?');
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-form-en');

    // Labels are what a family taps.
    await page.getByLabel('Temperature reading').click();
    await page.keyboard.type('38.6');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: BrowserDocument }).document.activeElement?.id)).toBe('unit');
    await page.getByText('Chills or shaking').click();
    await page.getByText('No', { exact: true }).click();
    expect(await page.isChecked('#symptom-chills')).toBe(true);
    expect(await page.isChecked('#admitted-no')).toBe(true);
    await page.getByLabel('Anything else you want the team to know? (optional)').fill('Felt hot after lunch.');
    await shoot(page, 'checkin-form-en-filled');
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: 'Send my answers' }).click()]);

    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Please call now');
    const instruction = await page.locator('.instruction').textContent();
    expect(instruction).toBe(`Please call the treating team now on ${TEAM_PHONE}.`);
    expect(await page.locator('.instruction a').getAttribute('href')).toBe(TEAM_TEL);
    expect(await page.locator('a.call').getAttribute('href')).toBe(TEAM_TEL);
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-result-en');

    const sent = s.submitted.at(-1)!.report;
    expect(sent.temperature).toEqual({ value: 38.6, unit: 'c' });
    expect(sent.symptoms.chills).toBe(true);
    expect(sent.takenAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+0[12]:00$/);
    expect(sent.notes).toBe('Felt hot after lunch.');
    await page.context().close();
  });

  it('Spanish: mistakes are shown beside the fields, then a fever report → "Llame ahora al equipo médico"', async () => {
    const url = await openCase('cbrowseres01', 'es-ES');
    const page = await phonePage('es-ES');
    await page.goto(url);
    expect(await page.getAttribute('html', 'lang')).toBe('es');
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-form-es');

    // First try: an implausible number, no answer on hospital.
    await page.getByLabel('Temperatura medida').fill('60');
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: 'Enviar mis respuestas' }).click()]);
    await expect(page.locator('#temperature-error').textContent()).resolves.toContain('Esto no parece una temperatura corporal en °C');
    await expect(page.locator('#admitted-error').textContent()).resolves.toBe('Responda sí o no, por favor.');
    expect(await page.inputValue('#temperature')).toBe('60');
    // The summary takes the focus; each entry links to its field.
    expect(await page.evaluate(() => (globalThis as unknown as { document: BrowserDocument }).document.activeElement?.className)).toBe('summary');
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-form-es-errors');

    await page.getByLabel('Temperatura medida').fill('38,9');
    await page.getByText('Latido del corazón rápido o irregular').click();
    await page.getByText('Sí', { exact: true }).click();
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: 'Enviar mis respuestas' }).click()]);

    // Fever with a fast heartbeat is urgent.
    const instruction = await page.locator('.instruction').textContent();
    expect(instruction).toBe(`Llame ahora al equipo médico: ${TEAM_PHONE}. Si no consigue hablar con ellos, llame a emergencias.`);
    expect(await page.locator('.instruction a').getAttribute('href')).toBe(TEAM_TEL);
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-result-es');
    expect(s.submitted.at(-1)!.report).toMatchObject({ temperature: { value: 38.9, unit: 'c' }, admitted: true, symptoms: { fastHeartbeat: true } });
    await page.context().close();
  });

  it('Chinese: no thermometer, a seizure → "call emergency services now"', async () => {
    const url = await openCase('cbrowserzh01', 'zh-CN');
    const page = await phonePage('zh-CN');
    await page.goto(url);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-Hans');
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-form-zh');
    await page.getByText('我没能测量体温').click();
    await page.getByText('否', { exact: true }).click();
    await page.getByText('癫痫发作或抽搐').click();
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: '提交我的回答' }).click()]);
    expect(await page.locator('.instruction').textContent()).toBe(`请立即拨打急救电话（112 / 911 / 120 / 当地急救号码），然后致电治疗团队：${TEAM_PHONE}。`);
    await checkPhoneLayout(page);
    await shoot(page, 'checkin-result-zh');
    expect(s.submitted.at(-1)!.report).toMatchObject({ temperature: null, takenAt: null, admitted: false, symptoms: { seizure: true } });
    await page.context().close();
  });

  it('the browser reported no CSP violation and asked nothing of another origin', () => {
    if (missingChromium) throw missingChromium;
    expect(cspViolations).toEqual([]);
  });
});
