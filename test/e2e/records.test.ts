// The family's records page, end to end: the link in the case's first email, consent, an upload
// through a plain multipart form into the vault (encrypted under DATA_DIR), what is refused and in
// whose words, and a link that no longer opens anything.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buffer } from 'node:stream/consumers';
import type { ParsedMail } from 'mailparser';
import { zipSync } from 'fflate';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureRetentionSchedule, retentionScheduleId } from '../../worker/retention-schedule.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { startHttpServer, type RunningHttpServer } from '../../client/http/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { createDocuments } from '../../client/documents.ts';
import { openVault } from '../../activities/vault/open.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { caseFile } from '../harness/drive.ts';
import { signInCode } from '../harness/staff.ts';
import { createAccounts } from '../../client/accounts.ts';
import type { CaseStatus } from '../../domain/case.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `records.${tag}@care.test`, password: `records-password-${tag}` };
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `records:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};
/** A small real PDF whose text must never be found in what is stored. */
const SECRET_TEXT = `Lymphoma restaging ${tag}`;
const PDF = Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${SECRET_TEXT}\n${'x'.repeat(5000)}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);

let database: TestDatabase;
let sink: SmtpSink;
let worker: RunningWorker;
let http: RunningHttpServer;
let dataDir: string;
let session: { cookie: string; csrf: string };
let config: ReturnType<typeof loadConfig>;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'records-'));
  [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const base = { TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: `records-${tag}`, SMTP_URL: sink.url, DATA_DIR: dataDir, DATABASE_URL: database.url, APP_BASE_URL: 'http://care.test', COORDINATOR_EMAIL: 'coordinator@care.test', VAULT_MAX_FILE_MB: '1' };
  config = loadConfig({ ...base, PORT: '0' });
  worker = await startWorker(loadConfig({ ...base, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'WARN' }), { env, writeLog: () => {} });
  http = await startHttpServer(config, { env, host: '127.0.0.1', log: () => {} });
  const r = await fetch(`${http.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ADMIN, code: await signInCode(database.db, ADMIN.email) }) });
  session = { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
  const { token } = await createAccounts(database.db).createApiToken(ADMIN.email, 'records casectl', 1);
  cliEnv = { ...process.env, ...base, ...env, CASECTL_TOKEN: token };
});

function casectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['client/casectl.ts', ...args], { cwd: root, env: cliEnv, timeout: 45_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

afterAll(async () => {
  await worker?.shutdown().catch(() => undefined);
  await http?.close();
  await sink?.stop();
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function openCase(language = 'en'): Promise<{ caseId: string; email: string }> {
  const file = caseFile({ family: { language } });
  const r = await fetch(`${http.url}/api/cases`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify(file) });
  expect(r.status).toBe(201);
  return { caseId: ((await r.json()) as { caseId: string }).caseId, email: (file.family as { email: string }).email };
}

/** The records link in the case's first email, as the family's phone would follow it (on this server). */
async function linkFromEmail(email: string): Promise<{ url: string; mail: ParsedMail }> {
  const [mail] = await sink.waitFor(1, (m) => m.to !== undefined && JSON.stringify(m.to).includes(email), 20_000);
  const href = /http:\/\/care\.test(\/upload\/[A-Za-z0-9_.-]+)/.exec(mail!.text ?? '')?.[1];
  expect(href, 'the email holds the records link').toBeDefined();
  return { url: `${http.url}${href}`, mail: mail! };
}

const agree = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'consent=agree', redirect: 'manual' });

function upload(url: string, files: { name: string; bytes: Buffer; type?: string }[], documentType = 'medical_report', redirect: 'follow' | 'manual' = 'follow'): Promise<Response> {
  const form = new FormData();
  form.set('documentType', documentType);
  for (const f of files) form.append('file', new Blob([f.bytes], { type: f.type ?? 'application/octet-stream' }), f.name);
  return fetch(url, { method: 'POST', body: form, redirect });
}

/** The case's status as the API answers it (from the workflow). */
async function caseStatus(caseId: string): Promise<CaseStatus> {
  const r = await fetch(`${http.url}/api/cases/${caseId}`, { headers: { cookie: session.cookie } });
  expect(r.status).toBe(200);
  return (await r.json()) as CaseStatus;
}

/** Every file the vault stored under DATA_DIR. */
function storedFiles(dir = join(dataDir, 'vault')): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile());
}

describe("the family's records page", () => {
  it('is linked from the first email, asks for consent first, and takes a PDF into the vault encrypted', async () => {
    const { caseId, email } = await openCase();
    const { url, mail } = await linkFromEmail(email);
    expect(mail.html).toContain('Send documents');

    const first = await fetch(url);
    expect(first.status).toBe(200);
    const consent = await first.text();
    expect(consent).toContain('Before you send documents');
    // Nothing can be sent before consent.
    expect((await upload(url, [{ name: 'report.pdf', bytes: PDF }])).status).toBe(409);

    const agreed = await agree(url);
    expect(agreed.status).toBe(303);
    const row = await database.db.selectFrom('consents').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'processing', version: '2026-12-07', withdrawn_at: null });

    const page = await (await fetch(url)).text();
    expect(page).toContain('Still needed');
    expect(page).toContain('Medical reports');
    expect(page).toContain('enctype="multipart/form-data"');

    const sent = await upload(url, [{ name: '../../etc/Informe\u0007 médico.pdf', bytes: PDF, type: 'application/pdf' }], 'medical_report', 'manual');
    // Answered with a redirect, so that reloading the page does not send the file again.
    expect([sent.status, sent.headers.get('location')]).toEqual([303, `${new URL(url).pathname}?sent=1`]);
    expect(await (await fetch(new URL(sent.headers.get('location')!, url))).text()).toContain('we have received your file');

    const docs = createDocuments({ db: database.db, vault: openVault(config, database.db, env), limits: config.vault });
    const [file] = await docs.list(caseId);
    expect(file).toMatchObject({ documentType: 'medical_report', fileName: 'Informe médico.pdf', contentType: 'application/pdf', size: PDF.length, status: 'pending_review', uploadedBy: 'family' });
    expect((await buffer(await docs.open(caseId, file!.id))).equals(PDF)).toBe(true);
    // What is under DATA_DIR is ciphertext: the PDF's text is nowhere in it.
    const stored = storedFiles();
    expect(stored.length).toBeGreaterThan(0);
    for (const p of stored) expect(readFileSync(p).includes(SECRET_TEXT)).toBe(false);
    expect(await (await fetch(url)).text()).toContain('Informe médico.pdf (Medical reports): received, being checked');
  });

  it('refuses, in the family\'s language, a file that is not what its name says, and one over the size limit; keeps nothing of either', async () => {
    const { caseId, email } = await openCase('es');
    const { url } = await linkFromEmail(email);
    await agree(url);
    const html = await upload(url, [{ name: 'informe.pdf', bytes: Buffer.from('<!doctype html><script>alert(1)</script>'), type: 'application/pdf' }]);
    expect(html.status).toBe(415);
    const refused = await html.text();
    expect(refused).toContain('No hemos podido aceptar «informe.pdf»');
    expect(refused).not.toContain('<script>alert');
    // The type they chose is chosen again for the retry (the first in the list is another).
    expect(refused).toContain('<option value="medical_report" selected>');
    const svg = await upload(url, [{ name: 'scan.pdf', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') }]);
    expect(svg.status).toBe(415);
    const zipOfPdf = await upload(url, [{ name: 'informes.zip', bytes: Buffer.from(zipSync({ 'informe.pdf': PDF })) }]);
    expect(zipOfPdf.status).toBe(415);
    expect(await zipOfPdf.text()).toContain('solo aceptamos un archivo ZIP si contiene una serie de imágenes DICOM');
    const big = await upload(url, [{ name: 'grande.pdf', bytes: Buffer.concat([PDF, randomBytes(1024 * 1024)]) }]);
    expect(big.status).toBe(413);
    const bigPage = await big.text();
    expect(bigPage, bigPage.slice(bigPage.indexOf('role="alert"'), bigPage.indexOf('role="alert"') + 600)).toContain('ocupa más de');
    expect(await database.db.selectFrom('files').select('id').where('case_id', '=', caseId).execute()).toEqual([]);
    expect(readdirSync(join(dataDir, 'vault', 'cases', caseId)).filter((n) => !n.endsWith('.part'))).toEqual([]);
  });

  it('takes a ZIP of a DICOM series as one file', async () => {
    const { caseId, email } = await openCase();
    const { url } = await linkFromEmail(email);
    await agree(url);
    const dicom = () => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), randomBytes(3000)]);
    const series = Buffer.from(zipSync({ 'CT/IM0001': dicom(), 'CT/IM0002': dicom(), DICOMDIR: randomBytes(200) }));
    expect((await upload(url, [{ name: 'tac.zip', bytes: series }], 'scans')).status).toBe(200);
    expect(await database.db.selectFrom('files').select(['content_type', 'document_type', 'size']).where('case_id', '=', caseId).execute()).toEqual([{ content_type: 'application/zip', document_type: 'scans', size: String(series.length) }]);
  });

  it('refuses a forged link, an expired one and one for a cancelled case, each saying so', async () => {
    const { caseId, email } = await openCase('zh');
    const { url } = await linkFromEmail(email);
    const forged = url.slice(0, -3) + (url.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(forged)).status).toBe(400);
    const expired = createCheckinLinks(Buffer.from(env.CHECKIN_LINK_SECRET!, 'base64')).signFiles({ caseId, expiresAt: Date.now() - 1_000 });
    const old = await fetch(`${http.url}/upload/${expired}`);
    expect([old.status, (await old.text()).includes('此链接已过期')]).toEqual([410, true]);
    const r = await fetch(`${http.url}/api/cases/${caseId}/actions/cancelCase`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'The family chose another centre' }) });
    expect(r.status).toBe(200);
    await expect.poll(async () => (await fetch(url)).status, { timeout: 15_000 }).toBe(410);
    expect(await (await fetch(url)).text()).toContain('此页面已关闭');
  });

  it('lets the family withdraw consent: the case stops sharing and alerts the coordinator, until they agree again', async () => {
    const { caseId, email } = await openCase();
    const { url } = await linkFromEmail(email);
    await agree(url);
    const withdrawn = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'consent=withdraw' });
    expect(withdrawn.status).toBe(200);
    expect(await withdrawn.text()).toContain('You have withdrawn your agreement');
    const [note] = await sink.waitFor(1, (m) => m.subject === `[${caseId}] The family withdrew their consent`);
    expect(note!.text).toContain('no translation request and no packet goes to a hospital');
    expect(note!.text).not.toContain(email);
    let status = await caseStatus(caseId);
    expect(status).toMatchObject({ consentWithdrawn: true, waitingFor: { from: 'family' } });
    expect(status.waitingFor.what).toMatch(/^the family's consent to process their records, withdrawn/);
    expect(status.alerts).toEqual([expect.objectContaining({ kind: 'consent_withdrawn' })]);
    // Until they agree again, the page asks for consent and takes no files.
    expect(await (await fetch(url)).text()).toContain('Before you send documents');
    expect((await upload(url, [{ name: 'report.pdf', bytes: PDF }])).status).toBe(409);
    // Agreeing again lets the case go on.
    expect((await agree(url)).status).toBe(303);
    status = await caseStatus(caseId);
    expect(status.consentWithdrawn).toBeUndefined();
    expect(status.waitingFor).toMatchObject({ from: 'family', what: expect.stringMatching(/^documents: /) });
  });

  it('counts posts per link and address: a link that used up its minute holds up no other family at the same address', async () => {
    const [a, b] = await Promise.all([openCase(), openCase('es')]);
    const [first, second] = await Promise.all([linkFromEmail(a.email), linkFromEmail(b.email)]);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await agree(first.url)).status);
    expect(statuses).toEqual([...Array<number>(10).fill(303), 429]);
    expect((await agree(second.url)).status).toBe(303);
  });
});

describe('a coordinator reviewing the files with casectl', () => {
  it('lists, reads back byte for byte, accepts (the document is received) and rejects (the family is asked again, in their language)', async () => {
    const { caseId, email } = await openCase('es');
    const { url } = await linkFromEmail(email);
    await agree(url);
    expect((await upload(url, [{ name: 'informe.pdf', bytes: PDF }])).status).toBe(200);

    // The case waits for the coordinator's review, who is told without patient data in the subject.
    const [told] = await sink.waitFor(1, (m) => m.subject === `[${caseId}] A file to review`, 20_000);
    expect(told!.text).toContain(`casectl docs list ${caseId}`);
    expect(await caseStatus(caseId)).toMatchObject({ waitingFor: { from: 'coordinator', what: expect.stringMatching(/^review of 1 uploaded file \(casectl docs list\), then documents: /) } });

    const listed = await casectl(['docs', 'list', caseId, '--json']);
    expect(listed.stderr).toBe('');
    const [file] = JSON.parse(listed.stdout) as { id: string; documentType: string; status: string; size: number; sha256: string; uploadedBy: string }[];
    expect(file).toMatchObject({ documentType: 'medical_report', status: 'pending_review', size: PDF.length, uploadedBy: 'family' });
    expect(file!.sha256).toBe(createHash('sha256').update(PDF).digest('hex'));

    const out = join(dataDir, 'read-back.pdf');
    expect((await casectl(['docs', 'get', caseId, file!.id, '-o', out])).code).toBe(0);
    expect(readFileSync(out).equals(PDF)).toBe(true);

    const accepted = await casectl(['docs', 'accept', caseId, file!.id]);
    expect([accepted.code, accepted.stdout.trim()]).toEqual([0, 'Accepted informe.pdf as medical_report; the case has it now.']);
    const status = await caseStatus(caseId);
    expect(status.documents.medical_report!.status).toBe('received');
    expect(status.filesToReview).toBeUndefined();
    expect(status.waitingFor.from).toBe('family');
    expect(await (await fetch(url)).text()).not.toMatch(/Todavía necesitamos[\s\S]*Informes médicos[\s\S]*Enviar documentos/);

    // A coordinator sends a scan on the family's behalf; it is the wrong one, and the family is asked again.
    const scan = join(dataDir, 'scan.png');
    writeFileSync(scan, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
    const up = await casectl(['docs', 'upload', caseId, scan, '--type', 'scans', '--json']);
    expect(up.stderr).toBe('');
    const sent = JSON.parse(up.stdout) as { id: string; contentType: string; uploadedBy: string; fileName: string };
    expect(sent).toMatchObject({ contentType: 'image/png', uploadedBy: 'coordinator', fileName: 'scan.png', caseTold: true });
    expect((await caseStatus(caseId)).filesToReview).toEqual([sent.id]);
    const rejected = await casectl(['docs', 'reject', caseId, sent.id, '--reason', 'La imagen está cortada: envíe el informe completo del TAC.']);
    expect(rejected.code).toBe(0);
    const [again] = await sink.waitFor(1, (m) => JSON.stringify(m.to).includes(email) && /envi/i.test(m.subject ?? '') && (m.text ?? '').includes('La imagen está cortada'), 20_000);
    expect(again!.text).toMatch(/http:\/\/care\.test\/upload\/[A-Za-z0-9_.-]+/);
    expect(again!.subject).toContain('Estudios de imagen');
    const relisted = JSON.parse((await casectl(['docs', 'list', caseId, '--json'])).stdout) as { id: string; status: string; reason?: string }[];
    expect(relisted.find((f) => f.id === sent.id)).toMatchObject({ status: 'rejected', reason: 'La imagen está cortada: envíe el informe completo del TAC.' });
    expect((await caseStatus(caseId)).filesToReview).toBeUndefined();

    // What cannot be done says why, naming the field.
    const refused = await casectl(['docs', 'upload', caseId, join(dataDir, 'nothing.pdf'), '--type', 'scans']);
    expect([refused.code, refused.stderr.trim()]).toEqual([2, `error: <file>: cannot read ${join(dataDir, 'nothing.pdf')}: no such file`]);
    const html = join(dataDir, 'page.pdf');
    writeFileSync(html, '<html><body>not a pdf</body></html>');
    const wrongType = await casectl(['docs', 'upload', caseId, html, '--type', 'scans']);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/^error: the vault refused the file: not a file of an accepted type/);
    expect((await casectl(['docs', 'list', 'c0000000000'])).code).toBe(3);
  });
});

describe("a case's files through the JSON API", () => {
  it('lists them, gives a file back only as a download, accepts and rejects with the fields named', async () => {
    const { caseId, email } = await openCase();
    const { url } = await linkFromEmail(email);
    await agree(url);
    expect((await upload(url, [{ name: 'report.pdf', bytes: PDF }], 'pathology')).status).toBe(200);
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
    const listed = await fetch(`${http.url}/api/cases/${caseId}/documents`, { headers });
    const [file] = (await listed.json()) as { id: string; documentType: string; status: string }[];
    expect(file).toMatchObject({ documentType: 'pathology', status: 'pending_review' });

    const got = await fetch(`${http.url}/api/cases/${caseId}/documents/${file!.id}`, { headers });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('content-disposition')).toBe("attachment; filename=\"file\"; filename*=UTF-8''report.pdf");
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await got.arrayBuffer()).equals(PDF)).toBe(true);
    expect((await fetch(`${http.url}/api/cases/${caseId}/documents/00000000-0000-4000-8000-000000000000`, { headers })).status).toBe(404);

    const post = (path: string, body: unknown) => fetch(`${http.url}/api/cases/${caseId}/documents/${file!.id}/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const noReason = await post('reject', {});
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(['reason']);
    const accepted = await post('accept', { documentType: 'medical_report' });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ id: file!.id, status: 'accepted', documentType: 'medical_report' });
    const status = (await (await fetch(`${http.url}/api/cases/${caseId}`, { headers })).json()) as { documents: Record<string, { status: string }> };
    expect(status.documents.medical_report!.status).toBe('received');
  });
});

describe("a case's files in the console", () => {
  it('lists them on the case page, gives each as a download, and reviews them with the session\'s forms', async () => {
    const { caseId, email } = await openCase();
    const { url } = await linkFromEmail(email);
    await agree(url);
    expect((await upload(url, [{ name: 'Informe <médico> & co.pdf', bytes: PDF }, { name: 'second.pdf', bytes: PDF }])).status).toBe(200);
    const page = await (await fetch(`${http.url}/console/cases/${caseId}`, { headers: { cookie: session.cookie } })).text();
    expect(page).toContain('Informe &lt;médico&gt; &amp; co.pdf');
    const ids = [...page.matchAll(new RegExp(`/console/cases/${caseId}/files/([0-9a-f-]{36})/accept`, 'g'))].map((m) => m[1]!);
    expect(ids).toHaveLength(2);

    const download = await fetch(`${http.url}/console/cases/${caseId}/files/${ids[0]}`, { headers: { cookie: session.cookie } });
    expect([download.status, download.headers.get('content-type'), download.headers.get('content-disposition')?.startsWith('attachment;')]).toEqual([200, 'application/octet-stream', true]);
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);

    const post = (id: string, review: string, fields: Record<string, string>) =>
      fetch(`${http.url}/console/cases/${caseId}/files/${id}/${review}`, { method: 'POST', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: new URL(http.url).origin }, body: new URLSearchParams({ _csrf: session.csrf, ...fields }).toString(), redirect: 'manual' });
    const noReason = await post(ids[1]!, 'reject', { reason: '' });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('reason:');
    expect((await post(ids[0]!, 'accept', { documentType: 'medical_report' })).status).toBe(303);
    expect((await post(ids[1]!, 'reject', { reason: 'A duplicate of the first file.' })).status).toBe(303);
    expect((await post(ids[1]!, 'accept', { _csrf: 'stale' })).status).toBe(403);
    const rows = await database.db.selectFrom('files').select(['id', 'status', 'reason', 'reviewed_by']).where('case_id', '=', caseId).execute();
    expect(rows.find((r) => r.id === ids[0])).toMatchObject({ status: 'accepted', reviewed_by: ADMIN.email });
    expect(rows.find((r) => r.id === ids[1])).toMatchObject({ status: 'rejected', reason: 'A duplicate of the first file.' });
  });
});

describe('the retention sweep', () => {
  it('is scheduled once a day by the worker, for its own task queue', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const client = new Client({ connection });
      const described = await client.schedule.getHandle(retentionScheduleId(config.taskQueue)).describe();
      expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionSweep', taskQueue: config.taskQueue });
      expect(described.spec.intervals?.map((i) => i.every)).toEqual([86_400_000]);
      // A second worker on the same queue finds it there.
      const native = await NativeConnection.connect({ address: inject('temporalAddress') });
      try {
        expect(await ensureRetentionSchedule({ connection: native, namespace: 'default', taskQueue: config.taskQueue })).toBe('exists');
      } finally {
        await native.close();
      }
    } finally {
      await connection.close();
    }
  });
});

describe('sharing with a hospital', () => {
  it('waits for the family to approve each hospital chosen: nothing is translated or sent before, and approval on the page lets the case go on', async () => {
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' };
    const code = `S${tag}`.toUpperCase();
    const hospital = await fetch(`${http.url}/api/hospitals`, { method: 'POST', headers, body: JSON.stringify({ code, name: 'Hospital Universitario Norte', email: `intl.${tag}@hospital.test`, language: 'en', timezone: 'Europe/Madrid' }) });
    expect(hospital.status).toBe(201);
    const file = caseFile({ family: { language: 'es' } });
    const opened = await fetch(`${http.url}/api/cases`, { method: 'POST', headers, body: JSON.stringify({ ...file, requiredDocuments: ['medical_report'] }) });
    const { caseId } = (await opened.json()) as { caseId: string };
    const email = (file.family as { email: string }).email;
    const { url } = await linkFromEmail(email);
    await agree(url);
    const act = (action: string, body: unknown) => fetch(`${http.url}/api/cases/${caseId}/actions/${action}`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect((await act('receiveDocument', { documentType: 'medical_report' })).status).toBe(200);
    expect((await act('submitToHospitals', { hospitals: [code] })).status).toBe(200);

    const status = async () => (await (await fetch(`${http.url}/api/cases/${caseId}`, { headers })).json()) as { stage: string; waitingFor: { what: string; from: string; until?: string }; documents: Record<string, { translation: string }> };
    await expect.poll(async () => (await status()).waitingFor.from, { timeout: 15_000 }).toBe('family');
    const waiting = await status();
    expect(waiting.waitingFor.what).toBe(`the family's approval to share the case with ${code}`);
    expect(waiting.waitingFor.until).toBeDefined();
    const [ask] = await sink.waitFor(1, (m) => JSON.stringify(m.to).includes(email) && (m.subject ?? '').startsWith('¿Podemos compartir el caso'), 15_000);
    expect(ask!.text).toContain('Hospital Universitario Norte');
    expect(ask!.text).toMatch(/http:\/\/care\.test\/upload\/[A-Za-z0-9_.-]+/);
    // Nothing went to the hospital or the translator.
    expect(waiting.documents.medical_report!.translation).not.toBe('pending');
    expect(sink.messages.filter((m) => JSON.stringify(m.to).includes(`intl.${tag}@hospital.test`))).toEqual([]);

    const page = await (await fetch(url)).text();
    expect(page).toContain('¿Podemos enviar el caso a estos hospitales?');
    expect(page).toContain('Autorizar el envío a Hospital Universitario Norte');
    const approve = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `consent=share&hospital=${code}` });
    expect(approve.status).toBe(200);
    const approved = await approve.text();
    expect(approved).toContain('Ha autorizado el envío del caso a Hospital Universitario Norte');
    expect(approved).not.toContain('Autorizar el envío a');
    expect(await database.db.selectFrom('consents').select(['kind', 'hospital_code']).where('case_id', '=', caseId).where('kind', '=', 'share').execute()).toEqual([{ kind: 'share', hospital_code: code }]);
    // The case goes on: the document is sent for translation into the hospital's language.
    await expect.poll(async () => (await status()).documents.medical_report!.translation, { timeout: 15_000 }).toBe('pending');
    const timeline = (await (await fetch(`${http.url}/api/cases/${caseId}/timeline`, { headers })).json()) as { kind: string; actor: string }[];
    expect(timeline.find((e) => e.kind === 'sharing_approved')).toMatchObject({ actor: 'family' });
  });
});
