// Staff accounts in a real browser (headless Chromium) against the real HTTP server, PostgreSQL and
// mail server: the first sign-in sets up the second factor (and opens nothing else until it is
// confirmed), later sign-ins need the app's code or a recovery code, an admin adds a colleague who
// sets a password through the emailed link, disables and re-enables them, resets their second
// factor; "forgot your password" answers the same for any address and its link works once; one's
// own password is changed with the current one. Screenshots in test-artifacts/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ParsedMail } from 'mailparser';
import { totpNow } from '../../client/second-factor.ts';
import { startService, type Service } from '../harness/service.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `admin.${tag}@care.test`, password: `admin-password-${tag}` };
const COLLEAGUE = { email: `nurse.${tag}@care.test`, name: `Nurse ${tag}` };

let service: Service;
let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  mkdirSync(SHOTS, { recursive: true });
  service = await startService({
    name: 'accounts',
    env: { PAYLOAD_KEYS: `accounts:${randomBytes(32).toString('base64')}`, CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'), ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

const url = (path: string) => `${service.http.url}${path}`;

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  return page;
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const banner = (page: Page) => page.locator('.banner').first().textContent();

async function typeSignIn(page: Page, who: { email: string; password: string }, code = ''): Promise<void> {
  await page.goto(url('/console/sign-in'));
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByLabel('Code from your authenticator app').fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** On the set-up page: reads the key as a person would type it into the app, and confirms with the app's code. */
async function setUpSecondFactor(page: Page): Promise<{ secret: string; codes: string[] }> {
  await expect.poll(() => heading(page)).toBe('Set up your second factor');
  expect(await page.locator('.qr svg').count()).toBe(1);
  const secret = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s/g, '');
  await page.getByLabel('Code', { exact: true }).fill(totpNow(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect.poll(() => heading(page)).toBe('Your recovery codes');
  const codes = await page.locator('#recovery-codes li').allTextContents();
  return { secret, codes };
}

/** The path of the link in the newest email to `to` (the service's own address is care.test in tests). */
async function linkMailedTo(to: string, count: number): Promise<string> {
  const mails = await service.sink.waitFor(count, (m: ParsedMail) => m.to !== undefined && JSON.stringify(m.to).includes(to));
  const link = /https?:\/\/\S+\/console\/password\/[A-Za-z0-9_-]+/.exec(mails.at(-1)!.text ?? '')?.[0];
  expect(link).toBeDefined();
  return new URL(link!).pathname;
}

describe('staff accounts', () => {
  let admin: Page;
  let recovery: string[] = [];

  it('a first sign-in with the password opens only the second factor set-up, confirmed by a code from the app', async () => {
    admin = await newPage();
    await typeSignIn(admin, ADMIN);
    await expect.poll(() => heading(admin)).toBe('Set up your second factor');
    await admin.screenshot({ path: `${SHOTS}accounts-second-factor-set-up.png`, fullPage: true });
    // Nothing else opens with a password-only session: not the cases, not the API, not the codec.
    await admin.goto(url('/console/'));
    expect(admin.url()).toBe(url('/console/account/second-factor'));
    const cookie = (await admin.context().cookies()).find((c) => c.name === 'sid')!;
    const api = await fetch(url('/api/session'), { headers: { cookie: `sid=${cookie.value}` } });
    expect(api.status).toBe(401);
    const codec = await fetch(url('/codec/decode'), { method: 'POST', headers: { cookie: `sid=${cookie.value}`, 'content-type': 'application/json' }, body: '{"payloads":[]}' });
    expect(codec.status).toBe(401);
    // A wrong code is refused, and the page still shows the same key.
    const before = await admin.locator('#totp-key').textContent();
    await admin.getByLabel('Code', { exact: true }).fill('000000');
    await admin.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => banner(admin)).toMatch(/That code did not match/);
    expect(await admin.locator('#totp-key').textContent()).toBe(before);

    ({ codes: recovery } = await setUpSecondFactor(admin));
    expect(recovery).toHaveLength(10);
    for (const c of recovery) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    await admin.screenshot({ path: `${SHOTS}accounts-recovery-codes.png`, fullPage: true });
    await admin.getByRole('link', { name: 'Continue to the cases' }).click();
    await expect.poll(() => heading(admin)).toBe('Cases');
    expect((await fetch(url('/api/session'), { headers: { cookie: `sid=${cookie.value}` } })).status).toBe(200);
  });

  it('later sign-ins need the code; a recovery code works once and says so', async () => {
    const page = await newPage();
    await typeSignIn(page, ADMIN);
    await expect.poll(() => banner(page)).toMatch(/with the code your authenticator app shows/);
    await typeSignIn(page, ADMIN, recovery[0]!.toUpperCase());
    await expect.poll(() => heading(page)).toBe('Your account');
    expect(await banner(page)).toMatch(/You signed in with a recovery code/);
    expect(await page.locator('main').textContent()).toContain('on, with 9 unused recovery codes');
    const again = await newPage();
    await typeSignIn(again, ADMIN, recovery[0]!);
    await expect.poll(() => banner(again)).toMatch(/That code is wrong, or was already used/);
    await page.context().close();
    await again.context().close();
  });

  let colleague: Page;
  let colleagueSecret = '';
  const colleaguePassword = `nurse-password-${tag}`;

  it('an admin adds a colleague, who sets a password through the emailed link (once) and sets up the app', async () => {
    await admin.getByRole('link', { name: 'Accounts' }).click();
    await expect.poll(() => heading(admin)).toBe('Accounts');
    await admin.getByLabel('Name').fill(COLLEAGUE.name);
    await admin.getByLabel('Email').fill(COLLEAGUE.email);
    await admin.getByLabel('Role').selectOption('clinician');
    await admin.getByRole('button', { name: /^Add/ }).click();
    await expect.poll(() => banner(admin)).toBe(`Account ${COLLEAGUE.email} added; a link to set the password was emailed to it.`);
    await admin.screenshot({ path: `${SHOTS}accounts-list.png`, fullPage: true });
    const row = await service.database.db.selectFrom('users').select(['role', 'admin']).where('email', '=', COLLEAGUE.email).executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'clinician', admin: false });

    const path = await linkMailedTo(COLLEAGUE.email, 1);
    colleague = await newPage();
    await colleague.goto(url(path));
    await expect.poll(() => heading(colleague)).toBe('Set your password');
    await colleague.getByLabel(/New password/).fill('password1234');
    await colleague.getByRole('button', { name: 'Set password' }).click();
    await expect.poll(() => banner(colleague)).toMatch(/is one of the most common passwords/);
    await colleague.getByLabel(/New password/).fill(colleaguePassword);
    await colleague.getByRole('button', { name: 'Set password' }).click();
    await expect.poll(() => banner(colleague)).toBe('Your password is set: sign in with it.');
    const used = await fetch(url(path));
    expect(used.status).toBe(410);
    expect(await used.text()).toContain('This link no longer works');

    await typeSignIn(colleague, { email: COLLEAGUE.email, password: colleaguePassword });
    ({ secret: colleagueSecret } = await setUpSecondFactor(colleague));
    await colleague.goto(url('/console/'));
    await expect.poll(() => heading(colleague)).toBe('Cases');
    // Not an admin: no Accounts page.
    expect(await colleague.getByRole('link', { name: 'Accounts' }).count()).toBe(0);
    await colleague.goto(url('/console/accounts'));
    expect(await heading(colleague)).toBe('Not allowed');
  });

  it("an admin disables a colleague (their session ends at once), enables them, and resets their second factor", async () => {
    await admin.goto(url('/console/accounts'));
    const row = admin.locator('tr', { hasText: COLLEAGUE.email });
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => banner(admin)).toBe(`${COLLEAGUE.email} is disabled: it cannot sign in, and its sessions ended.`);
    await colleague.goto(url('/console/'));
    expect(colleague.url()).toContain('/console/sign-in');
    await admin.locator('tr', { hasText: COLLEAGUE.email }).getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => banner(admin)).toBe(`${COLLEAGUE.email} may sign in again.`);
    // Their own row offers no "Disable" or "Remove admin": an admin cannot lock themselves out.
    const own = admin.locator('tr', { hasText: ADMIN.email });
    expect(await own.getByRole('button', { name: 'Disable' }).count()).toBe(0);
    expect(await own.getByRole('button', { name: 'Remove admin' }).count()).toBe(0);

    await admin.locator('tr', { hasText: COLLEAGUE.email }).getByRole('button', { name: 'Reset second factor' }).click();
    await expect.poll(() => banner(admin)).toMatch(/second factor is removed/);
    // The old app's code no longer signs in; the password leads to a new set-up.
    await typeSignIn(colleague, { email: COLLEAGUE.email, password: colleaguePassword }, totpNow(colleagueSecret));
    await expect.poll(() => heading(colleague)).toBe('Set up your second factor');
    ({ secret: colleagueSecret } = await setUpSecondFactor(colleague));
    expect(colleagueSecret).not.toBe('');
  });

  it('"forgot your password" answers the same for any address and mails a link, which sets the password once', async () => {
    const page = await newPage();
    const mailsBefore = service.sink.messages.length;
    await page.goto(url('/console/sign-in'));
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel("Your account's email").fill(`nobody.${tag}@care.test`);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    const answer = await banner(page);
    expect(answer).toMatch(/If an account has that email, a link to set a new password is on its way/);
    await page.getByLabel("Your account's email").fill(COLLEAGUE.email);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => banner(page)).toBe(answer);
    const path = await linkMailedTo(COLLEAGUE.email, 2);
    expect(service.sink.messages.length).toBe(mailsBefore + 1);
    await page.goto(url(path));
    await page.getByLabel(/New password/).fill(`a new nurse password ${tag}`);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect.poll(() => banner(page)).toBe('Your password is set: sign in with it.');
    // The old password no longer signs in; the new one does (with the app's code).
    await typeSignIn(page, { email: COLLEAGUE.email, password: colleaguePassword }, totpNow(colleagueSecret));
    await expect.poll(() => banner(page)).toBe('Wrong email or password.');
    await page.context().close();
  });

  it("changes one's own password with the current one: other sessions end, this one goes on", async () => {
    const other = await newPage();
    await typeSignIn(other, ADMIN, recovery[1]!);
    await expect.poll(() => heading(other)).toBe('Your account');
    await admin.goto(url('/console/account'));
    await admin.getByLabel('Current password').fill('not my password');
    await admin.getByLabel(/^New password/).fill(`a changed admin password ${tag}`);
    await admin.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => banner(admin)).toBe('Your current password was not right.');
    await admin.getByLabel('Current password').fill(ADMIN.password);
    await admin.getByLabel(/^New password/).fill(`a changed admin password ${tag}`);
    await admin.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => banner(admin)).toBe('Password changed. Your other sessions have ended.');
    await admin.screenshot({ path: `${SHOTS}accounts-own.png`, fullPage: true });
    await admin.goto(url('/console/'));
    await expect.poll(() => heading(admin)).toBe('Cases');
    await other.goto(url('/console/'));
    expect(other.url()).toContain('/console/sign-in');
  });

  it('broke no Content-Security-Policy rule', () => {
    expect(problems).toEqual([]);
  });
});
