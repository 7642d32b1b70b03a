// The translator's page's hook for the access log (not wired yet): what it is told, ids only, at
// each download and each translation stored; a download it cannot record does not happen, a
// translation it cannot record is kept. The page on a bare Fastify, its vault and case faked.
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import type { CaseStatus } from '../../domain/case.ts';
import type { Documents, FileRow, NewUpload } from '../documents.ts';
import { translationPlugin, type TranslatorAccess } from './translation.ts';
import type { RequestContext } from './server.ts';

const links = createCheckinLinks(randomBytes(32));
const CASE = 'c0123456789';
const ORIGINAL = Buffer.from('%PDF-1.4 original');
const SECRET_NAME = 'Maria Lopez biopsy.pdf';

const row = (over: Partial<FileRow>): FileRow => ({
  id: randomUUID(),
  documentType: 'medical_report',
  fileName: SECRET_NAME,
  contentType: 'application/pdf',
  size: ORIGINAL.length,
  sha256: '0'.repeat(64),
  status: 'accepted',
  reason: null,
  uploadedBy: 'family',
  actor: 'family',
  uploadedAt: new Date().toISOString(),
  replaces: null,
  kind: 'original',
  language: null,
  ...over,
});

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function page(logAccess: (e: TranslatorAccess) => Promise<void>) {
  const files: FileRow[] = [row({})];
  const completed: string[] = [];
  const documents = {
    list: async () => files,
    find: async (_caseId: string, id: string) => files.find((f) => f.id === id),
    open: async () => Readable.from([ORIGINAL]),
    async store(u: NewUpload) {
      for await (const _ of u.body);
      const f = row({ kind: 'translation', language: u.translation?.language ?? null, uploadedBy: u.sender, actor: u.actor, fileName: u.fileName });
      files.push(f);
      return f;
    },
  } as unknown as Documents;
  const status = { caseId: CASE, stage: 'translation', waitingFor: { what: 'translations', from: 'translator' }, documents: { medical_report: { status: 'received', language: 'es', translation: 'pending' } } } as unknown as CaseStatus;
  const contexts = new WeakMap<object, RequestContext>();
  // As the server's router: a translation link is longer than Fastify's default parameter.
  app = Fastify({ routerOptions: { maxParamLength: 1024 } });
  await app.register(translationPlugin, {
    documents,
    links,
    maxFileBytes: 1024 * 1024,
    getCaseStatus: async () => status,
    completeTranslation: async (_caseId, _type, requestId) => {
      completed.push(requestId);
    },
    logAccess,
    now: Date.now,
    getLimit: { max: 100, timeWindowMs: 60_000 },
    postLimit: { max: 100, timeWindowMs: 60_000 },
    context: (req) => contexts.get(req) ?? (contexts.set(req, {}), contexts.get(req)!),
    sendPage: (reply, code, html) => reply.code(code).type('text/html').send(html),
  });
  const token = links.signTranslation({ caseId: CASE, documentType: 'medical_report', languages: ['en', 'zh'], expiresAt: Date.now() + 60_000 });
  return { app, files, completed, base: `/translation/${token}` };
}

function post(app: FastifyInstance, url: string, language: string) {
  const boundary = 'b0undary';
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="language"\r\n\r\n${language}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${SECRET_NAME}"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 translation\r\n--${boundary}--\r\n`,
  );
  return app.inject({ method: 'POST', url, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
}

describe("the translator's page and the access log", () => {
  it('records each download and each translation stored, by ids, never a name', async () => {
    const entries: TranslatorAccess[] = [];
    const { app, files, completed, base } = await page(async (e) => {
      entries.push(e);
    });
    const original = files[0]!;
    const got = await app.inject({ method: 'GET', url: `${base}/files/${original.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(ORIGINAL)).toBe(true);
    expect((await post(app, base, 'en')).statusCode).toBe(303);
    expect(completed).toEqual([]);
    expect((await post(app, base, 'zh')).headers.location).toMatch(/\?sent=complete$/);
    expect(completed).toHaveLength(1);
    const [en, zh] = files.slice(1);
    expect(entries).toEqual([
      { caseId: CASE, party: 'translator', actor: 'translator', action: 'file_downloaded', detail: { fileId: original.id, documentType: 'medical_report' }, clientAddress: '127.0.0.1' },
      { caseId: CASE, party: 'translator', actor: 'translator', action: 'translation_uploaded', detail: { fileId: en!.id, documentType: 'medical_report', language: 'en' }, clientAddress: '127.0.0.1' },
      { caseId: CASE, party: 'translator', actor: 'translator', action: 'translation_uploaded', detail: { fileId: zh!.id, documentType: 'medical_report', language: 'zh' }, clientAddress: '127.0.0.1' },
    ]);
    expect(JSON.stringify(entries)).not.toContain('Maria');
  });

  it('gives no file it cannot record, and keeps a translation it cannot record', async () => {
    const { app, files, base } = await page(async () => {
      throw new Error('access log down');
    });
    const got = await app.inject({ method: 'GET', url: `${base}/files/${files[0]!.id}` });
    expect(got.statusCode).toBe(500);
    expect(got.rawPayload.includes(ORIGINAL)).toBe(false);
    expect((await post(app, base, 'en')).statusCode).toBe(303);
    expect(files.filter((f) => f.kind === 'translation')).toHaveLength(1);
  });
});
