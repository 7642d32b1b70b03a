// The translator's page, end to end: a case whose document came in Spanish and whose hospital reads
// English asks for a translation; the link in the translator's email opens the page, the original
// downloads byte for byte, an uploaded translation completes the case's translation as the
// translator; a coordinator sends it back with casectl, the translator is told why, and a new
// upload completes it again. Then what the page refuses, and in what words.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Documents } from '../../client/documents.ts';
import { createAccounts } from '../../client/accounts.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { startService, type Service } from '../harness/service.ts';
import { ACTOR, inStage, waitForStatus } from '../harness/drive.ts';
import { awaitTranslation, caseWithOriginal as withOriginal, serviceDocuments, translatorLink } from '../harness/translation.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tag = randomBytes(3).toString('hex');
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `translation:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
};
const HOSPITAL = `T${tag}`.toUpperCase();
const TRANSLATOR = 'translator@care.test';
const links = createCheckinLinks(Buffer.from(env.CHECKIN_LINK_SECRET!, 'base64'));

const pdf = (text: string, padding = 2000) => Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${text}\n${'x'.repeat(padding)}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
const ORIGINAL = pdf(`Informe de reestadificación ${tag}`);

let service: Service;
let documents: Documents;
let cliEnv: NodeJS.ProcessEnv;
const caseIds: string[] = [];

beforeAll(async () => {
  service = await startService({ name: 'translation', env, config: { VAULT_MAX_FILE_MB: '1' } });
  documents = serviceDocuments(service, env);
  await service.actions.addHospital({ code: HOSPITAL, name: 'Northern University Hospital', email: `intl.${tag}@hospital.test`, language: 'en', timezone: 'Europe/London' });
  const accounts = createAccounts(service.database.db);
  await accounts.createUser({ email: ACTOR, name: 'Coordinator', role: 'coordinator', password: `translation-password-${tag}` });
  const { CASECTL_TOKEN: _theDevelopersOwn, ...inherited } = process.env;
  cliEnv = {
    ...inherited,
    ...env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: service.database.url,
    TASK_QUEUE: service.taskQueue,
    DATA_DIR: service.dataDir,
    CASECTL_TOKEN: (await accounts.createApiToken(ACTOR, 'translation e2e', 1)).token,
  };
}, 120_000);

afterAll(async () => {
  await service?.stop(caseIds);
});

function casectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['client/casectl.ts', ...args], { cwd: root, env: cliEnv, timeout: 45_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

async function caseWithOriginal(bytes = ORIGINAL): Promise<{ caseId: string; originalId: string }> {
  const made = await withOriginal(service, documents, bytes);
  caseIds.push(made.caseId);
  return made;
}

async function linkFrom(count: number, pred: (text: string) => boolean): Promise<{ path: string }> {
  const path = await translatorLink(service, TRANSLATOR, count, pred);
  expect(path, 'the email holds the translator link').toBeDefined();
  return { path: path! };
}

function upload(url: string, language: string | undefined, file?: { name: string; bytes: Buffer }): Promise<Response> {
  const form = new FormData();
  if (language !== undefined) form.set('language', language);
  if (file) form.set('file', new Blob([file.bytes], { type: 'application/pdf' }), file.name);
  return fetch(url, { method: 'POST', body: form, redirect: 'manual' });
}

const link = (caseId: string, expiresAt = Date.now() + 86_400_000, languages = ['en']) => `${service.http.url}/translation/${links.signTranslation({ caseId, documentType: 'medical_report', languages, expiresAt })}`;
const translations = (caseId: string) => service.database.db.selectFrom('files').select(['id', 'kind', 'language', 'status', 'uploaded_by', 'actor']).where('case_id', '=', caseId).where('kind', '=', 'translation').orderBy('uploaded_at').execute();

describe("the translator's page", () => {
  it('from the email: the original byte for byte, a translation that completes the case as the translator, sent back by casectl with the reason, and done again', async () => {
    const { caseId, originalId } = await caseWithOriginal();
    await awaitTranslation(service, caseId, HOSPITAL);

    const { path } = await linkFrom(1, (t) => t.includes('/translation/'));
    const url = `${service.http.url}${path}`;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Translation request');
    expect(html).toContain('Written in: Spanish');
    expect(html).toContain('Translate into: English');
    expect(html).toContain('Please send it by');
    expect(html).toContain(`href="${path}/files/${originalId}"`);
    expect(html).toContain('informe-paciente.pdf');

    const download = await fetch(`${url}/files/${originalId}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(ORIGINAL)).toBe(true);

    const first = pdf(`Restaging report ${tag}`);
    const sent = await upload(url, 'en', { name: 'restaging-en.pdf', bytes: first });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toMatch(/\?sent=complete$/);
    const confirmed = await (await fetch(`${url}?sent=complete`)).text();
    expect(confirmed).toContain('the translation is complete');
    expect(confirmed).toContain('restaging-en.pdf');

    await waitForStatus(service.actions, caseId, (s) => s.documents.medical_report?.translation === 'done', 'the translation done');
    expect((await service.actions.timeline(caseId)).filter((e) => e.kind === 'translation_done').map((e) => e.actor)).toEqual(['translator']);
    const [stored] = await translations(caseId);
    expect(stored).toMatchObject({ kind: 'translation', language: 'en', status: 'accepted', uploaded_by: 'translator', actor: 'translator' });
    const listed = JSON.parse((await casectl(['docs', 'list', caseId, '--json'])).stdout) as { id: string; kind: string; language?: string }[];
    expect(listed.find((f) => f.id === stored!.id)).toMatchObject({ kind: 'translation', language: 'en' });
    expect(listed.find((f) => f.id === originalId)).toMatchObject({ kind: 'original' });
    expect((await service.actions.emails(caseId)).filter((e) => e.kind === 'document_request')).toEqual([]);

    // The coordinator sends it back: the translator is told why, with the link; the case waits for it again.
    const reason = `Page 2 of the report is missing ${tag}`;
    const rejected = await casectl(['docs', 'reject', caseId, stored!.id, '--reason', reason]);
    expect(rejected.stderr).toBe('');
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain('the translator is asked for the medical_report translation again');
    const again = await linkFrom(1, (t) => t.includes(reason));
    await waitForStatus(service.actions, caseId, (s) => s.documents.medical_report?.translation === 'pending', 'the translation awaited again');
    expect((await service.actions.emails(caseId)).map((e) => e.kind)).toContain('translation_rejected');
    expect((await service.actions.emails(caseId)).map((e) => e.kind)).not.toContain('document_request');
    const reopened = await (await fetch(`${service.http.url}${again.path}`)).text();
    expect(reopened).toContain(`sent back to you: ${reason}`);

    const second = await upload(`${service.http.url}${again.path}`, 'en', { name: 'restaging-en-v2.pdf', bytes: pdf(`Restaging report, complete ${tag}`) });
    expect(second.headers.get('location')).toMatch(/\?sent=complete$/);
    await waitForStatus(service.actions, caseId, (s) => s.documents.medical_report?.translation === 'done', 'the translation done again');
    expect((await service.actions.timeline(caseId)).filter((e) => e.kind === 'translation_done').map((e) => e.actor)).toEqual(['translator', 'translator']);
    expect((await translations(caseId)).map((f) => f.status)).toEqual(['rejected', 'accepted']);
  });

  it('keeps a translation the case no longer waits for, and says so', async () => {
    const { caseId } = await caseWithOriginal();
    // The case is in records: no translation in progress, as when the coordinator marked it done by hand.
    const r = await upload(link(caseId), 'en', { name: 'late.pdf', bytes: pdf('late') });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toMatch(/\?sent=notAwaited$/);
    expect(await translations(caseId)).toHaveLength(1);
    expect(await (await fetch(`${link(caseId)}?sent=notAwaited`)).text()).toContain('The case was not waiting for it any more');
  });

  it('waits for every language of the link before the case is told', async () => {
    const { caseId } = await caseWithOriginal();
    const url = link(caseId, undefined, ['en', 'zh']);
    const r = await upload(url, 'en', { name: 'en.pdf', bytes: pdf('en') });
    expect(r.headers.get('location')).toMatch(/\?sent=partial$/);
    expect(await (await fetch(`${url}?sent=partial`)).text()).toContain('Still to come: Chinese.');
  });
});

describe('what the page refuses', () => {
  it('a link while the family has withdrawn consent, and again once they agree', async () => {
    const { caseId, originalId } = await caseWithOriginal();
    const url = link(caseId);
    await service.actions.act(caseId, 'recordConsent', { consent: 'withdrawn', actor: 'family' });
    await waitForStatus(service.actions, caseId, (s) => s.consentWithdrawn === true, 'consent withdrawn');
    const revoked = await fetch(url);
    expect(revoked.status).toBe(410);
    expect(await revoked.text()).toContain('This translation is no longer needed');
    expect((await fetch(`${url}/files/${originalId}`)).status).toBe(410);
    await service.actions.act(caseId, 'recordConsent', { consent: 'given', actor: 'family' });
    await waitForStatus(service.actions, caseId, (s) => !s.consentWithdrawn, 'consent given again');
    expect((await fetch(`${url}/files/${originalId}`)).status).toBe(200);
  });

  it('a forged link, an expired one and one for a cancelled case, each saying so', async () => {
    const { caseId, originalId } = await caseWithOriginal();
    const good = link(caseId);
    const forged = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(forged)).status).toBe(400);
    expect((await fetch(`${forged}/files/${originalId}`)).status).toBe(400);
    const expired = await fetch(link(caseId, Date.now() - 1_000));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This link has expired');
    expect((await upload(link(caseId, Date.now() - 1_000), 'en', { name: 't.pdf', bytes: pdf('t') })).status).toBe(410);

    await service.actions.act(caseId, 'cancelCase', { reason: 'the family chose another centre', actor: ACTOR });
    await waitForStatus(service.actions, caseId, inStage('cancelled'), 'cancelled');
    const revoked = await fetch(good);
    expect(revoked.status).toBe(410);
    expect(await revoked.text()).toContain('This translation is no longer needed');
    expect((await fetch(`${good}/files/${originalId}`)).status).toBe(410);
    expect((await upload(good, 'en', { name: 't.pdf', bytes: pdf('t') })).status).toBe(410);
    expect(await translations(caseId)).toEqual([]);
  });

  it('a web page named .pdf, a file over the limit and a language the link does not name, keeping none; no file of another case or kind', async () => {
    const { caseId } = await caseWithOriginal();
    const other = await caseWithOriginal(pdf('another patient'));
    const url = link(caseId);

    const html = await upload(url, 'en', { name: 'translation.pdf', bytes: Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>') });
    expect(html.status).toBe(415);
    const refusal = await html.text();
    expect(refusal).toContain('We could not take “translation.pdf”: it is not a PDF or an image');
    expect(refusal).not.toContain('<script>alert(1)');

    const big = await upload(url, 'en', { name: 'big.pdf', bytes: pdf('big', 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('it is larger than 1 MB');

    const french = await upload(url, 'fr', { name: 'fr.pdf', bytes: pdf('fr') });
    expect(french.status).toBe(400);
    expect(await french.text()).toContain('Choose the language of the translation: one of English.');
    expect((await upload(url, 'en')).status).toBe(400);
    expect(await translations(caseId)).toEqual([]);

    // Another case's original, under this case's link: nothing.
    expect((await fetch(`${url}/files/${other.originalId}`)).status).toBe(404);
    expect((await fetch(`${url}/files/not-a-file-id`)).status).toBe(404);
    // A translation is not offered as an original.
    await upload(url, 'en', { name: 'mine.pdf', bytes: pdf('mine') });
    const [mine] = await translations(caseId);
    expect((await fetch(`${url}/files/${mine!.id}`)).status).toBe(404);
  });
});
