// Resumable uploads of the records page (tus at /upload/:token/tus), end to end against two real HTTP
// servers sharing one database and DATA_DIR (as behind a balancer): a multi-MB file sent in pieces,
// a piece cut off mid-way, resumed on the other server from the offset it reports, stored byte for
// byte; the staging area never holding plaintext; refusals (type at completion, size at creation,
// the link, another case's upload) leaving nothing; the store failing at completion; abandoned
// uploads expiring.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHttpServer } from '../../client/http/main.ts';
import { createUploads, UPLOAD_EXPIRY_MS } from '../../client/uploads.ts';
import { objectStoreFor, openVault, VAULT_KEYRING } from '../../activities/vault/open.ts';
import { createVault } from '../../activities/vault/vault.ts';
import { StoreUnavailable, type ObjectStore } from '../../activities/vault/store.ts';
import { loadKeyring } from '../../codec/keys.ts';
import { createDocuments } from '../../client/documents.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { startRecordsStack, type RecordsStack } from '../harness/records-stack.ts';
import { startS3Server, type S3Server } from '../harness/s3.ts';

const MiB = 1024 * 1024;
/** Text that must never be found at rest: every piece of the file holds it many times. */
const MARKER = `Restaging PET-CT ${randomBytes(3).toString('hex')}`;

/** A PDF of about `bytes` whose every few hundred bytes say MARKER, with random bytes between. */
function scan(bytes: number): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')];
  let length = parts[0]!.length;
  while (length < bytes - 8) {
    const line = Buffer.concat([Buffer.from(`% ${MARKER} `), randomBytes(200).map((b) => 0x41 + (b % 26)), Buffer.from('\n')]);
    parts.push(line);
    length += line.length;
  }
  return Buffer.concat([...parts, Buffer.from('%%EOF\n')]).subarray(0, bytes);
}

let stack: RecordsStack;
let http: RunningHttpServer;
let other: RunningHttpServer;

beforeAll(async () => {
  stack = await startRecordsStack({ name: 'resumable', servers: 2, config: { VAULT_MAX_FILE_MB: '8' } });
  [http, other] = stack.servers as [RunningHttpServer, RunningHttpServer];
});

afterAll(async () => {
  await stack?.stop();
});

/** A case whose family has agreed on their records page; its link's path (/upload/<token>). */
async function consentedCase(on = stack): Promise<{ caseId: string; path: string }> {
  const opened = await on.openCase();
  const agreed = await fetch(`${on.servers[0]!.url}${opened.path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'consent=agree', redirect: 'manual' });
  expect(agreed.status).toBe(303);
  return opened;
}

const TUS = { 'tus-resumable': '1.0.0' };
const metadata = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

function create(server: RunningHttpServer, path: string, size: number, meta: Record<string, string> = { filename: 'PET-CT.pdf', documentType: 'imaging' }): Promise<Response> {
  return fetch(`${server.url}${path}/tus`, { method: 'POST', headers: { ...TUS, 'upload-length': String(size), 'upload-metadata': metadata(meta) } });
}

/** Creates an upload; answers its path (/upload/<token>/tus/<id>). */
async function created(server: RunningHttpServer, path: string, size: number, meta?: Record<string, string>): Promise<string> {
  const r = await create(server, path, size, meta);
  expect(r.status, await r.clone().text()).toBe(201);
  return r.headers.get('location')!;
}

const patch = (server: RunningHttpServer, upload: string, offset: number, body: Buffer) =>
  fetch(`${server.url}${upload}`, { method: 'PATCH', headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body });

async function offsetOf(server: RunningHttpServer, upload: string): Promise<number> {
  const r = await fetch(`${server.url}${upload}`, { method: 'HEAD', headers: TUS });
  expect(r.status).toBe(200);
  return Number(r.headers.get('upload-offset'));
}

/** A PATCH whose connection is cut after `sent` of its bytes, as a phone leaving the hotel's Wi-Fi. */
async function cutOff(server: RunningHttpServer, upload: string, offset: number, body: Buffer, sent: number): Promise<void> {
  const u = new URL(`${server.url}${upload}`);
  const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PATCH', headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(body.length) } });
  req.on('error', () => {});
  await new Promise<void>((resolve) => req.write(body.subarray(0, sent), () => resolve()));
  await sleep(300);
  req.destroy();
}

/** Every file under a folder (the vault's under DATA_DIR by default, or an S3 server's). */
function filesUnder(under = join(stack.dataDir, 'vault')): string[] {
  try {
    return readdirSync(under, { recursive: true, encoding: 'utf8' })
      .map((p) => join(under, p))
      .filter((p) => statSync(p).isFile());
  } catch {
    return [];
  }
}
/** The objects of one upload's pieces, where the vault keeps objects (`root`). */
const piecesOf = (caseId: string, upload: string, root = join(stack.dataDir, 'vault')) => filesUnder(join(root, 'cases', caseId, 'staging', upload.split('/').pop()!));

const documents = () => stack.documents();

/**
 * A multi-MB file in pieces: the second cut off mid-way on one server, the rest sent from the offset
 * the other server reports; nothing under `atRest` (all the storage keeps, its temporary files too)
 * ever the file's text; then the file stored byte for byte and nothing of the upload left. `root`:
 * where the vault's objects are files.
 */
async function sendWithACutOff(on: RecordsStack, root: string, atRest = root): Promise<void> {
  const [one, two] = on.servers as [RunningHttpServer, RunningHttpServer];
  const { caseId, path } = await consentedCase(on);
  const file = scan(6 * MiB + 12345);
  const upload = await created(one, path, file.length);
  expect(upload).toMatch(new RegExp(`^${path}/tus/[0-9a-f]{32}$`));

  const first = await patch(one, upload, 0, file.subarray(0, 2 * MiB));
  expect([first.status, first.headers.get('upload-offset')]).toEqual([204, String(2 * MiB)]);

  // The next piece is cut off after 1 MiB of its 2: what came is kept.
  await cutOff(one, upload, 2 * MiB, file.subarray(2 * MiB, 4 * MiB), MiB);
  await expect.poll(() => offsetOf(two, upload), { timeout: 10_000 }).toBeGreaterThan(2 * MiB);
  const resumeAt = await offsetOf(two, upload);
  expect(resumeAt).toBeLessThanOrEqual(3 * MiB);

  // Half done: the pieces are there, and not one byte of them is the file's text.
  expect(piecesOf(caseId, upload, root).length).toBe(2);
  for (const p of filesUnder(atRest)) expect(readFileSync(p).includes(MARKER), p).toBe(false);
  // Nothing is a file yet.
  expect(await on.documents().list(caseId)).toEqual([]);

  // A piece sent for an offset that is no longer the upload's is refused.
  expect((await patch(two, upload, 2 * MiB, file.subarray(2 * MiB, 3 * MiB))).status).toBe(409);

  const rest = await patch(two, upload, resumeAt, file.subarray(resumeAt));
  expect([rest.status, rest.headers.get('upload-offset')]).toEqual([204, String(file.length)]);

  const [stored] = await on.documents().list(caseId);
  expect(stored).toMatchObject({ documentType: 'imaging', fileName: 'PET-CT.pdf', contentType: 'application/pdf', size: file.length, status: 'pending_review', uploadedBy: 'family' });
  expect((await buffer(await on.documents().open(caseId, stored!.id))).equals(file)).toBe(true);
  // The pieces are gone, the file is ciphertext, and the upload is over.
  expect(piecesOf(caseId, upload, root)).toEqual([]);
  for (const p of filesUnder(atRest)) expect(readFileSync(p).includes(MARKER), p).toBe(false);
  expect(await on.database.db.selectFrom('uploads').select('id').where('case_id', '=', caseId).execute()).toEqual([]);
  expect((await fetch(`${one.url}${upload}`, { method: 'HEAD', headers: TUS })).status).toBe(404);
  expect(await (await fetch(`${one.url}${path}`)).text()).toContain('PET-CT.pdf');
}

describe('resumable uploads on the records page', () => {
  it('takes a file in pieces, one cut off mid-way and resumed on another server, encrypted at rest all along, and stores it byte for byte', async () => {
    await sendWithACutOff(stack, join(stack.dataDir, 'vault'));
  });

  it('refuses at completion a file that is not what its name says, and keeps nothing of it', async () => {
    const { caseId, path } = await consentedCase();
    const html = Buffer.from(`<!doctype html><title>x</title><script>alert(1)</script>${' '.repeat(10_000)}`);
    const upload = await created(http, path, html.length, { filename: 'report.pdf', documentType: 'medical_report' });
    expect((await patch(http, upload, 0, html.subarray(0, 4000))).status).toBe(204);
    const last = await patch(other, upload, 4000, html.subarray(4000));
    expect([last.status, await last.text()]).toEqual([415, 'type\n']);
    expect(await documents().list(caseId)).toEqual([]);
    expect(await stack.database.db.selectFrom('uploads').select('id').where('case_id', '=', caseId).execute()).toEqual([]);
    expect(filesUnder(join(stack.dataDir, 'vault', 'cases', caseId))).toEqual([]);
  });

  it('refuses at creation a file over the size limit, and bytes beyond the length declared', async () => {
    const { caseId, path } = await consentedCase();
    const big = await create(http, path, 8 * MiB + 1);
    expect(big.status).toBe(413);
    const small = await created(http, path, 1000);
    expect((await patch(http, small, 0, scan(1001))).status).toBe(413);
    expect(await offsetOf(http, small)).toBe(0);
    expect((await create(http, path, 0)).status).toBe(400);
    expect((await create(http, path, 1000, { filename: 'x.pdf', documentType: '../etc' })).status).toBe(400);
    expect(await documents().list(caseId)).toEqual([]);
  });

  it('refuses a forged or expired link, a case without consent, and another case\'s upload', async () => {
    const a = await consentedCase();
    const b = await consentedCase();
    const forged = a.path.slice(0, -3) + (a.path.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await create(http, forged, 1000)).status).toBe(400);
    const expired = createCheckinLinks(Buffer.from(stack.env.CHECKIN_LINK_SECRET!, 'base64')).signFiles({ caseId: a.caseId, expiresAt: Date.now() - 1_000 });
    expect((await create(http, `/upload/${expired}`, 1000)).status).toBe(410);

    const upload = await created(http, a.path, 1000);
    const id = upload.split('/').pop()!;
    // b's link cannot see, write or end a's upload.
    const underB = `${b.path}/tus/${id}`;
    expect((await fetch(`${http.url}${underB}`, { method: 'HEAD', headers: TUS })).status).toBe(404);
    expect((await patch(http, underB, 0, scan(1000))).status).toBe(404);
    expect((await fetch(`${http.url}${underB}`, { method: 'DELETE', headers: TUS })).status).toBe(404);
    expect(await offsetOf(http, upload)).toBe(0);

    // The family withdraws their consent: nothing more is taken until they agree again.
    await fetch(`${http.url}${a.path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'consent=withdraw' });
    expect((await patch(http, upload, 0, scan(1000))).status).toBe(403);
    expect((await create(http, a.path, 1000)).status).toBe(403);
  });

  it('takes the last piece back when the store fails as the whole file is stored, so that sending it again completes the file', async () => {
    const { caseId, path } = await consentedCase();
    const file = scan(300_000);
    const upload = await created(http, path, file.length);
    expect((await patch(http, upload, 0, file.subarray(0, 200_000))).status).toBe(204);

    // The vault's store takes pieces but is away when the whole file is written as one object.
    const { db } = stack.database;
    const real = objectStoreFor(stack.config);
    const away: ObjectStore = { ...real, put: (key, body) => (key.includes('/staging/') ? real.put(key, body) : Promise.reject(new StoreUnavailable('away'))) };
    const vault = createVault({ db, keyring: loadKeyring(stack.env, { generateIn: stack.dataDir, names: VAULT_KEYRING }), store: away });
    const uploads = createUploads({ db, vault, documents: createDocuments({ db, vault, limits: stack.config.vault }) });
    const staged = (await uploads.find(upload.split('/').pop()!))!;
    const whole = await uploads.append(staged, 200_000, Readable.from([file.subarray(200_000)]));
    expect(whole.received).toBe(file.length);
    await expect(uploads.finish(whole, 200_000, { sender: 'family', actor: 'family' })).rejects.toThrow(StoreUnavailable);

    // As the sender's retry finds it: the last piece is to send again, and then the file is whole.
    expect(await offsetOf(other, upload)).toBe(200_000);
    expect(piecesOf(caseId, upload).length).toBe(1);
    expect((await patch(other, upload, 200_000, file.subarray(200_000))).status).toBe(204);
    const [stored] = await documents().list(caseId);
    expect((await buffer(await documents().open(caseId, stored!.id))).equals(file)).toBe(true);
  });

  it('ends an upload on request, and removes uploads left untouched past the expiry', async () => {
    const { caseId, path } = await consentedCase();
    const ended = await created(http, path, 100_000);
    expect((await patch(http, ended, 0, scan(100_000).subarray(0, 50_000))).status).toBe(204);
    expect(piecesOf(caseId, ended).length).toBe(1);
    expect((await fetch(`${http.url}${ended}`, { method: 'DELETE', headers: TUS })).status).toBe(204);
    expect(piecesOf(caseId, ended)).toEqual([]);

    const abandoned = await created(http, path, 100_000);
    expect((await patch(http, abandoned, 0, scan(100_000).subarray(0, 50_000))).status).toBe(204);
    // The HTTP servers' hourly sweep, on a clock just before the expiry (nothing goes) and just after.
    const { db } = stack.database;
    const sweep = (at: number) => createUploads({ db, vault: openVault(stack.config, db, stack.env), documents: stack.documents(), now: () => at }).expire();
    expect(await sweep(Date.now() + UPLOAD_EXPIRY_MS - 60_000)).toBe(0);
    expect(await sweep(Date.now() + UPLOAD_EXPIRY_MS + 60_000)).toBeGreaterThanOrEqual(1);
    expect(piecesOf(caseId, abandoned)).toEqual([]);
    expect((await fetch(`${http.url}${abandoned}`, { method: 'HEAD', headers: TUS })).status).toBe(404);
  });
});

describe('resumable uploads on the records page, the vault in S3', () => {
  let s3: S3Server;
  let onS3: RecordsStack;

  beforeAll(async () => {
    s3 = await startS3Server();
    onS3 = await startRecordsStack({
      name: 'resumable-s3',
      servers: 2,
      config: { VAULT_MAX_FILE_MB: '8', VAULT_S3_BUCKET: s3.bucket, VAULT_S3_ENDPOINT: s3.endpoint, VAULT_S3_REGION: s3.region, VAULT_S3_ACCESS_KEY_ID: s3.accessKeyId, VAULT_S3_SECRET_ACCESS_KEY: s3.secretAccessKey },
    });
  });

  afterAll(async () => {
    await onS3?.stop();
    await s3?.stop();
  });

  it('takes a file in pieces, one cut off mid-way and resumed on another server, never in plaintext in the bucket, and stores it byte for byte', async () => {
    await sendWithACutOff(onS3, join(s3.root, s3.bucket), s3.root);
  });
});
