// The coordinator console in a real browser: headless Chromium (playwright-core) against the real
// HTTP server, worker, Postgres and Temporal dev server. A coordinator signs in, opens a case and
// takes it from records to the infusion through the forms; a form with a bad field says which, a
// stale form's refused action says why; the family answers a check-in through the emailed link, the
// alert appears on the case page and is acknowledged. Screenshots go to test-artifacts/screenshots/
// (look at them). Without Chromium this file fails (it never skips).
import { existsSync, mkdirSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { CaseActions } from '../../client/actions.ts';
import { createAccounts } from '../../client/accounts.ts';
import { toLocal } from '../../domain/time.ts';
import { localInput } from '../../client/http/console/forms.ts';
import { CONSOLE_STYLE_HASH } from '../../client/http/console/html.ts';
import type { TestDatabase } from '../harness/postgres.ts';
import type { SmtpSink } from '../harness/smtp.ts';
import { startService, type Service } from '../harness/service.ts';
import { signInCode, totpSecretFor } from '../harness/staff.ts';
import { totpNow } from '../../client/second-factor.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
const missingChromium = existsSync(CHROMIUM) ? undefined : new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);

const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `coordinator.${tag}@care.test`, password: `admin-password-${tag}` };
const OPS = { email: `ops.${tag}@care.test`, password: `ops-password-${tag}x` };
const CLINICIAN = { email: `clinician.${tag}@hospital.test`, password: `clinician-password-${tag}` };
const FAMILY_EMAIL = `family.${tag}@family.test`;
const FAMILY_NAME = `Wei Zhang ${tag}`;
const HOSPITAL = `HK${tag.slice(0, 3).toUpperCase()}`;
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `console:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

let service: Service;
let database: TestDatabase;
let sink: SmtpSink;
let http: Service['http'];
let actions: CaseActions;
let browser: Browser;
let caseId = '';
/** A family zone where it is neither just after nor just before midnight, so a check-in time a few minutes ago is still today. */
let familyZone = 'UTC';
const problems: string[] = [];

beforeAll(async () => {
  if (missingChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  service = await startService({ name: 'console', env, config: { TEMPORAL_UI_URL: 'http://temporal-ui.test:8233' } });
  ({ database, sink, http, actions } = service);
  await createAccounts(database.db).createUser({ email: OPS.email, name: 'Olga Ops', role: 'ops', password: OPS.password });
  await createAccounts(database.db).createUser({ email: CLINICIAN.email, name: 'Dr Chan', role: 'clinician', password: CLINICIAN.password });

  familyZone = ['UTC', 'Asia/Tokyo', 'America/New_York'].find((z) => {
    const l = toLocal(Date.now(), z);
    return l.hour * 60 + l.minute > 30 && l.hour * 60 + l.minute < 23 * 60 + 30;
  })!;
  const l = toLocal(Date.now() - 3 * 60_000, familyZone);
  const hhmm = `${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`;
  await actions.addHospital({ code: HOSPITAL, name: `Harbour Hospital ${tag}`, email: `intl.${tag}@hospital.test`, language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 2255 3838' });
  // A check-in a few minutes ago in the family's day, so the first one is open as soon as the infusion is recorded.
  await actions.setProtocol({ name: `console-${tag}`, hospitalCode: HOSPITAL, protocol: { schedule: [{ fromDay: 0, toDay: 14, times: [hhmm] }], team: { name: 'CAR-T team', email: `team.${tag}@hospital.test`, phone24h: '+852 2255 3838' } } });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop(caseId ? [caseId] : []);
});

async function newPage(opts: { width?: number; height?: number } = {}): Promise<{ context: BrowserContext; page: Page }> {
  if (missingChromium) throw missingChromium;
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(http.url) && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`);
  });
  // Nothing about a patient ever goes into a URL.
  page.on('framenavigated', (f) => {
    if (f.url().includes(FAMILY_NAME.split(' ')[0]!) || f.url().includes(FAMILY_EMAIL)) problems.push(`patient data in a URL: ${f.url()}`);
  });
  return { context, page };
}

/** The whole page, and its first screenful at real size. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}console-${name}.png`, fullPage: true });
  await page.screenshot({ path: `${SHOTS}console-${name}-top.png` });
}

/** The code the account's authenticator app shows now (each account signs in once per test step). */
const appCode = async (email: string) => totpNow((await totpSecretFor(database.db, email)).secret);

async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${http.url}/console/`);
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByLabel('Code from your authenticator app').fill(await appCode(who.email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Cases');
}

/** Reloads the case page until `text` shows (the workflow acts a moment after the form's answer). */
async function until(page: Page, text: string | RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await page.locator('main').textContent()) ?? '';
    if (typeof text === 'string' ? body.includes(text) : text.test(body)) return;
    if (Date.now() > deadline) throw new Error(`the page never showed ${text}; it shows: ${body.slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 300));
    await page.goto(`${http.url}/console/cases/${caseId}`);
  }
}

const form = (page: Page, action: string) => page.locator(`#form-${action}`);
const banner = (page: Page) => page.locator('.banner').first().textContent();

describe('the console', () => {
  let page: Page;

  it('refuses a wrong password, then signs the coordinator in to the case list', async () => {
    ({ page } = await newPage());
    await page.goto(`${http.url}/console/`);
    expect(page.url()).toBe(`${http.url}/console/sign-in`);
    await shoot(page, 'sign-in');
    await page.getByLabel('Email', { exact: true }).fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong email or password.');
    // By keyboard alone: the email is kept, Tab reaches the password and then the code, Enter signs in.
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(ADMIN.email);
    await page.getByLabel('Email', { exact: true }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Tab');
    await page.keyboard.type(await appCode(ADMIN.email));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Cases');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'sid');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('opens a case: a bad email is named beside its field, nothing is opened until it is right', async () => {
    await page.getByRole('link', { name: 'Open a case' }).click();
    await page.getByLabel('Patient reference').fill(`PCON-${tag}`);
    await page.getByLabel('Diagnosis').fill('Relapsed B-cell acute lymphoblastic leukaemia');
    await page.getByLabel('Therapy sought').fill('CD19 CAR-T');
    await page.getByLabel('Name', { exact: true }).fill(FAMILY_NAME);
    await page.getByLabel('Email', { exact: true }).fill('wei.zhang-at-family');
    await page.getByLabel('Language for emails').fill('zh');
    await page.getByLabel('Time zone').fill(familyZone);
    // The browser would stop an invalid type=email field itself: let the server's answer show.
    await page.locator('form.card').evaluate((f) => ((f as unknown as { noValidate: boolean }).noValidate = true));
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect.poll(() => page.locator('#f-family-email-err').textContent()).toBe('must be an email address');
    expect(await page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(FAMILY_NAME);
    await shoot(page, 'open-case-error');
    expect(await database.db.selectFrom('cases').select('case_id').execute()).toEqual([]);

    await page.getByLabel('Email', { exact: true }).fill(FAMILY_EMAIL);
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect.poll(() => banner(page)).toBe('Case opened: the family has been emailed.');
    caseId = /\/console\/cases\/(c[0-9a-f]+)/.exec(page.url())![1]!;
    await until(page, 'Stage: records');
    expect(await page.locator('.waiting').textContent()).toMatch(/Waiting for: .*from the family/);
    expect(await page.getByRole('link', { name: /Temporal Web UI/ }).getAttribute('href')).toBe(`http://temporal-ui.test:8233/namespaces/default/workflows/case-${caseId}`);
    await shoot(page, 'case-records');
  });

  it('finds the case in the list by family name (posted, not in the URL) and by stage', async () => {
    await page.getByRole('link', { name: 'All cases' }).click();
    await page.getByLabel('Search').fill(FAMILY_NAME.split(' ')[1]!);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody').textContent()).toContain(FAMILY_NAME);
    expect(page.url()).toBe(`${http.url}/console/cases`);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Stage').selectOption('monitoring');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('tbody').textContent()).toBe('No cases match.');
    await page.getByLabel('Stage').selectOption('records');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('tbody').textContent()).toContain(FAMILY_NAME);
    await shoot(page, 'case-list');
    await page.getByRole('link', { name: FAMILY_NAME }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(FAMILY_NAME);
  });

  it('takes the case from records to hospital review through the forms', async () => {
    for (let i = 0; (await form(page, 'receiveDocument').count()) > 0; i++) {
      expect(i).toBeLessThan(6);
      await form(page, 'receiveDocument').getByLabel('Language of the document').fill('zh');
      await form(page, 'receiveDocument').getByRole('button', { name: 'Record received' }).click();
      await expect.poll(() => banner(page)).toBe('Document recorded.');
    }
    await until(page, 'Stage: translation');
    await form(page, 'submitToHospitals').getByLabel(`Harbour Hospital ${tag} (${HOSPITAL})`).check();
    await form(page, 'submitToHospitals').getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => banner(page)).toBe('Submitted to the hospitals.');
    // The family approved by phone: the coordinator records it; nothing is translated before.
    await until(page, `the family's approval to share the case with ${HOSPITAL}`);
    expect(await form(page, 'completeTranslation').count()).toBe(0);
    await form(page, 'approveSharing').getByLabel('Hospital the family approved (by phone or in writing)').selectOption(HOSPITAL);
    await form(page, 'approveSharing').getByRole('button', { name: 'Record approval' }).click();
    await expect.poll(() => banner(page)).toBe("The family's approval is recorded.");
    await until(page, /Record a translation finished/);
    for (let i = 0; (await form(page, 'completeTranslation').count()) > 0; i++) {
      expect(i).toBeLessThan(6);
      await form(page, 'completeTranslation').getByRole('button', { name: 'Translation done' }).click();
      await expect.poll(() => banner(page)).toBe('Translation recorded.');
    }
    await until(page, "Record a hospital's decision");
    const rows = await database.db.selectFrom('documents').select(['document_type', 'status', 'translation']).where('case_id', '=', caseId).execute();
    expect(rows.every((r) => r.status === 'received' && r.translation === 'done')).toBe(true);
  });

  it('a decision with a missing field says which, beside it; nothing is recorded', async () => {
    await form(page, 'recordDecision').getByLabel('Decision').selectOption('declined');
    await form(page, 'recordDecision').getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => banner(page)).toBe('Not done: please correct the form below.');
    const f = form(page, 'recordDecision');
    expect(await f.locator('.error').allTextContents()).toEqual(['Please correct the fields marked below.', 'a declined decision needs a reason']);
    expect(await f.getByLabel('Reason (required when declined)').getAttribute('aria-invalid')).toBe('true');
    expect(await f.getByLabel('Decision').inputValue()).toBe('declined');
    await shoot(page, 'decision-error');
    const sub = await database.db.selectFrom('submissions').select('decision').where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(sub.decision).toBeNull();

    await f.getByLabel('Decision').selectOption('accepted');
    await f.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => banner(page)).toBe('Decision recorded.');
    await until(page, 'Plan the admission');
  });

  it('a plan without its hospital (a hidden field, emptied as a forged form would) names it in the form; nothing is planned', async () => {
    const plan = form(page, 'planAdmission');
    await plan.locator('input[name="hospitalCode"]').evaluate((i) => ((i as unknown as { value: string }).value = ''));
    await plan.getByLabel('Admission date and time').fill('2030-03-04T09:30');
    await plan.getByRole('button', { name: 'Save plan' }).click();
    await expect.poll(() => banner(page)).toBe('Not done: please correct the form below.');
    // No input shows the hospital, so no field can be marked: the form's alert names it instead.
    expect(await form(page, 'planAdmission').locator('.error').allTextContents()).toEqual([expect.stringMatching(/^hospitalCode: \S/)]);
    expect(await page.locator('main').textContent()).not.toContain('marked below');
    expect(await database.db.selectFrom('admissions').select('case_id').where('case_id', '=', caseId).execute()).toEqual([]);
    await page.goto(`${http.url}/console/cases/${caseId}`);
  });

  it('plans and confirms the admission; the same confirmation from a stale page is refused with the reason', async () => {
    const plan = form(page, 'planAdmission');
    expect(await plan.locator('.hint').textContent()).toBe('hospital time (Asia/Hong_Kong)');
    await plan.getByLabel('Admission date and time').fill('2030-03-04T09:30');
    await plan.getByLabel('Contact at the hospital (optional)').fill('International office, desk 3');
    await plan.getByRole('button', { name: 'Save plan' }).click();
    await expect.poll(() => banner(page)).toBe('Admission planned; the family is told.');
    await until(page, 'Confirm the admission');
    const admission = await database.db.selectFrom('admissions').select('admission_at').where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(admission.admission_at.toISOString()).toBe('2030-03-04T01:30:00.000Z');

    const { page: stale } = await newPage();
    await stale.context().addCookies(await page.context().cookies());
    await stale.goto(`${http.url}/console/cases/${caseId}`);
    await form(page, 'confirmAdmission').getByRole('button', { name: 'Confirm admission' }).click();
    await expect.poll(() => banner(page)).toBe('Admission confirmed.');

    await form(stale, 'confirmAdmission').getByRole('button', { name: 'Confirm admission' }).click();
    await expect.poll(() => banner(stale)).toMatch(/^Refused: \S+/);
    expect(await stale.locator('.banner').first().getAttribute('role')).toBe('alert');
    await shoot(stale, 'refused');
    await stale.context().close();
  });

  it('records the infusion; the family answers the check-in link with a fever; the alert appears and is acknowledged', async () => {
    await until(page, 'Record the infusion (day 0)');
    // The form offers now, in hospital time; ten minutes ago puts the protocol's check-in (three minutes ago) after it.
    await form(page, 'recordInfusion').getByLabel('Infusion date and time').fill(localInput(Date.now() - 10 * 60_000, 'Asia/Hong_Kong'));
    await form(page, 'recordInfusion').getByRole('button', { name: 'Record infusion' }).click();
    await expect.poll(() => banner(page)).toBe('Infusion recorded: monitoring has started.');
    await until(page, 'Post-infusion monitoring');

    const [mail] = await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'checkin_request', 30_000);
    const token = /\/checkin\/([A-Za-z0-9._~-]+)/.exec(mail!.text ?? '')![1]!;
    const { page: phone } = await newPage({ width: 390, height: 844 });
    await phone.goto(`${http.url}/checkin/${token}`);
    await phone.locator('input[name=temperature]').fill('39.4');
    await phone.locator('input[name=admitted][value=no]').check();
    await phone.locator('button[type=submit]').click();
    await expect.poll(() => phone.locator('main').textContent()).toMatch(/2255 3838/);
    await phone.context().close();

    await until(page, 'Acknowledge');
    const alertRow = page.locator('#alerts-h + table tr, section[aria-labelledby=alerts-h] tbody tr').filter({ hasText: 'check-in' }).first();
    expect(await alertRow.textContent()).toMatch(/contact team|urgent|critical/);
    expect(await page.locator('.chart table').textContent()).toContain('39.4');
    await shoot(page, 'case-alert');
    expect(await page.locator('tbody tr', { hasText: 'Day 0 check-in' }).first().textContent()).toBeTruthy();
    await alertRow.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => banner(page)).toBe('Alert acknowledged.');
    await until(page, `by ${ADMIN.email}`);
    const alert = await database.db.selectFrom('alerts').selectAll().where('case_id', '=', caseId).where('kind', '=', 'checkin_report').executeTakeFirstOrThrow();
    expect(alert.acknowledged_by).toBe(ADMIN.email);
    const timeline = await database.db.selectFrom('timeline').select(['actor', 'kind']).where('case_id', '=', caseId).execute();
    expect(timeline.filter((t) => t.actor === ADMIN.email).length).toBeGreaterThanOrEqual(8);
    await shoot(page, 'case-monitoring');
  });

  it('lets a clinician record an observation: an inconsistent one is named, a consistent one is graded and shown', async () => {
    const { page: ward, context } = await newPage();
    await signIn(ward, CLINICIAN);
    await ward.goto(`${http.url}/console/cases/${caseId}`);
    // A clinician's forms: observations and alerts, not the coordinator's steps.
    expect(await form(ward, 'recordClinical').count()).toBe(1);
    expect(await form(ward, 'cancelCase').count()).toBe(0);
    const f = form(ward, 'recordClinical');
    await f.getByLabel('Temperature (°C)').fill('39.6');
    await f.getByLabel('norepinephrine').check();
    await f.getByRole('button', { name: 'Grade and record' }).click();
    await expect.poll(() => banner(ward)).toBe('Not done: please correct the form below.');
    expect(await form(ward, 'recordClinical').locator('fieldset .error').textContent()).toMatch(/vasopressors listed but hypotension is "none"/);
    expect(await form(ward, 'recordClinical').getByLabel('Temperature (°C)').inputValue()).toBe('39.6');

    const g = form(ward, 'recordClinical');
    await g.getByLabel('norepinephrine').uncheck();
    await g.getByLabel('Hypotension').selectOption('fluids_only');
    await g.getByLabel('Oxygen', { exact: true }).selectOption('nasal_cannula');
    await g.getByLabel('Oxygen flow (L/min, optional)').fill('3');
    await g.getByRole('button', { name: 'Grade and record' }).click();
    await expect.poll(() => banner(ward)).toBe('Observation graded and recorded.');
    const row = await database.db.selectFrom('observations').select(['actor', 'crs_grade', 'observation']).where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ actor: CLINICIAN.email, crs_grade: 2 });
    expect(row.observation).toMatchObject({ temperatureC: 39.6, hypotension: 'fluids_only', oxygen: { device: 'nasal_cannula', flowLpm: 3 } });
    expect(await ward.locator('.chart table').textContent()).toContain('CRS 2, ICANS 0');
    await shoot(ward, 'clinician-observation');
    await context.close();
  });

  it('shows an ops account the case without any action, at tablet size', async () => {
    const { page: tablet, context } = await newPage({ width: 820, height: 1180 });
    await signIn(tablet, OPS);
    await tablet.goto(`${http.url}/console/cases/${caseId}`);
    expect(await tablet.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await tablet.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(await tablet.locator('main').textContent()).toContain('Timeline');
    // No horizontal scrolling of the page itself at tablet width.
    expect(await tablet.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement.scrollWidth <= 820)).toBe(true);
    await shoot(tablet, 'case-ops-tablet');
    await context.close();
  });

  it('loaded nothing from elsewhere, broke no Content-Security-Policy rule, put no patient data in a URL', () => {
    expect(problems).toEqual([]);
  });
});

describe('the console without a browser', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  async function session(who: { email: string; password: string }): Promise<{ cookie: string; csrf: string }> {
    const r = await fetch(`${http.url}/console/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ ...who, code: await signInCode(database.db, who.email) }) });
    expect(r.status).toBe(303);
    const cookie = r.headers.getSetCookie()[0]!.split(';')[0]!;
    const html = await (await fetch(`${http.url}/console/`, { headers: { cookie } })).text();
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]! };
  }

  it('refuses a form without the session\'s CSRF token, and a coordinator action from an ops account', async () => {
    const admin = await session(ADMIN);
    const forged = await fetch(`${http.url}/console/cases/${caseId}/actions/endMonitoring`, { method: 'POST', redirect: 'manual', headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ _csrf: 'forged' }) });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('security token did not match');
    const ops = await session(OPS);
    const denied = await fetch(`${http.url}/console/cases/${caseId}/actions/endMonitoring`, { method: 'POST', redirect: 'manual', headers: { cookie: ops.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ _csrf: ops.csrf }) });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('A ops account may not do this.');
    expect((await actions.status(caseId)).stage).toBe('monitoring');
  });

  it('takes plain forms only: a JSON body with fields of other types is refused (415), not a 500', async () => {
    const admin = await session(ADMIN);
    const r = await fetch(`${http.url}/console/cases/${caseId}/actions/recordFollowUp`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: admin.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ _csrf: admin.csrf, outcome: { nested: true }, reason: 42 }),
    });
    expect(r.status).toBe(415);
    expect(await r.text()).toContain('takes its own forms only');
    const search = await fetch(`${http.url}/console/cases`, { method: 'POST', redirect: 'manual', headers: { cookie: admin.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ _csrf: admin.csrf, search: ['a'] }) });
    expect(search.status).toBe(415);
  });

  it('refuses a sign-in from another site, an opaque origin (Origin: null) or an Origin that is not a URL (403), not a 500', async () => {
    for (const origin of ['https://evil.example', 'null', 'not a url']) {
      const r = await fetch(`${http.url}/console/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, body: form(ADMIN) });
      expect([r.status, r.headers.get('set-cookie')], origin).toEqual([403, null]);
      expect(await r.text()).toContain('Sign in from the console itself.');
    }
  });

  it("shows no banner for a ?done= that names no action, a prototype's name included", async () => {
    const admin = await session(ADMIN);
    for (const done of ['constructor', '__proto__', 'toString', 'nothing']) {
      const r = await fetch(`${http.url}/console/cases/${caseId}?done=${done}`, { headers: { cookie: admin.cookie } });
      const text = await r.text();
      expect(r.status).toBe(200);
      expect(text).not.toContain('class="banner ok"');
      expect(text).not.toMatch(/function \w*\(|\[native code\]/);
    }
    const r = await fetch(`${http.url}/console/cases/${caseId}?done=confirmAdmission`, { headers: { cookie: admin.cookie } });
    expect(await r.text()).toContain('class="banner ok"');
  });

  it('sends an expired session back to sign in, and a signed-out one too', async () => {
    const s = await session(ADMIN);
    await database.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).execute();
    const r = await fetch(`${http.url}/console/`, { redirect: 'manual', headers: { cookie: s.cookie } });
    expect([r.status, r.headers.get('location')]).toEqual([303, '/console/sign-in?expired=1']);
    const again = await session(ADMIN);
    const out = await fetch(`${http.url}/console/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie: again.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ _csrf: again.csrf }) });
    expect(out.status).toBe(200);
    expect((await fetch(`${http.url}/console/`, { redirect: 'manual', headers: { cookie: again.cookie } })).status).toBe(303);
  });

  it('serves its pages with a policy that allows its own stylesheet and nothing else', async () => {
    const r = await fetch(`${http.url}/console/sign-in`);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(`default-src 'none'; style-src ${CONSOLE_STYLE_HASH}; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`);
    const css = /<style>([\s\S]*?)<\/style>/.exec(await r.text())![1]!;
    expect(`'sha256-${createHash('sha256').update(css).digest('base64')}'`).toBe(CONSOLE_STYLE_HASH);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('throttles failed sign-ins', async () => {
    const email = `nobody.${tag}@care.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${http.url}/console/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ email, password: 'wrong-password' }) })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});
