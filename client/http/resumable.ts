// Resumable uploads for the records page: the tus 1.0 protocol (@tus/server), which the page's script
// speaks through tus-js-client, over the staged uploads of client/uploads.ts:
//
//   POST   /upload/:token/tus        creation: Upload-Length, Upload-Metadata filename and documentType
//   HEAD   /upload/:token/tus/:id    the offset to resume from
//   PATCH  /upload/:token/tus/:id    bytes from Upload-Offset on (application/offset+octet-stream)
//   DELETE /upload/:token/tus/:id    termination
//
// The link authorises every request as it does the page (live, the case open, consent given), and
// an upload id answers only under a link to its own case. The size limit holds on Upload-Length at
// creation and on the bytes that come; the type and limits again, on the bytes, when the last piece
// makes the upload whole and it becomes a file. Answers are tus's plain text: a refusal's body is its
// reason (type, too_large, case_full, empty), which the page's script words in the family's language.
import type { Readable } from 'node:stream';
import { DataStore, ERRORS, MemoryLocker, Server, Upload } from '@tus/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { documentTypeOf, UploadRefused } from '../documents.ts';
import { OffsetConflict, TooManyParts, type Uploads } from '../uploads.ts';
import { isUnavailable } from '../unavailable.ts';
import { StoreUnavailable } from '../../activities/vault/store.ts';

/** Where a link stands: the case it opens for uploads, or the status and word that refuse it. */
export type UploadLink = { ok: true; caseId: string } | { ok: false; status: number; reason: string };

export interface ResumableOptions {
  uploads: Uploads;
  maxFileBytes: number;
  /** The records page's own check of the link, the case and the consent. */
  check: (req: FastifyRequest<{ Params: { token: string } }>) => Promise<UploadLink>;
  /** @fastify/rate-limit's route setting (per link and address, as the page's). */
  rateLimit: object;
  /** A file complete and stored: the case is told (never fails the upload). */
  stored: (caseId: string, fileId: string) => Promise<unknown>;
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const FAMILY = { sender: 'family', actor: 'family' } as const;
/** A complete upload being stored as a file: a client that asks meanwhile is told to retry (tus-js-client does). */
const BEING_STORED = { status_code: 423, body: 'being stored\n' };

const refusalStatus = (err: UploadRefused) => (err.reason === 'type' ? 415 : err.reason === 'empty' ? 400 : 413);

/** tus's storage, as the staged uploads: each PATCH an encrypted piece; the last one makes the file. */
class StagedStore extends DataStore {
  private readonly uploads: Uploads;
  private readonly stored: ResumableOptions['stored'];

  constructor(uploads: Uploads, stored: ResumableOptions['stored']) {
    super();
    this.uploads = uploads;
    this.stored = stored;
    // No creation-defer-length: the size is known at creation, so the limit holds before any byte.
    this.extensions = ['creation', 'termination'];
  }

  override async create(upload: Upload): Promise<Upload> {
    // As onUploadCreate (below) left them: the case from the link, never from the sender.
    const m = upload.metadata ?? {};
    await this.uploads.create({ id: upload.id, caseId: m.caseId!, documentType: m.documentType!, fileName: m.filename!, size: upload.size ?? 0 });
    return upload;
  }

  private async find(id: string) {
    const staged = await this.uploads.find(id);
    if (!staged) throw ERRORS.FILE_NOT_FOUND;
    if (staged.received === staged.size) throw BEING_STORED;
    return staged;
  }

  override async getUpload(id: string): Promise<Upload> {
    const staged = await this.find(id);
    return new Upload({ id, size: staged.size, offset: staged.received, metadata: { filename: staged.fileName, documentType: staged.documentType } });
  }

  override async write(body: Readable, id: string, offset: number): Promise<number> {
    const staged = await this.uploads.append(await this.find(id), offset, body);
    if (staged.received === staged.size) {
      const file = await this.uploads.finish(staged, offset, FAMILY);
      await this.stored(staged.caseId, file.id);
    }
    return staged.received;
  }

  override async remove(id: string): Promise<void> {
    await this.uploads.remove(await this.find(id));
  }
}

export async function resumableRoutes(app: FastifyInstance, opts: ResumableOptions): Promise<void> {
  const { uploads } = opts;
  /** The case each request in flight was let in for (set before tus sees the request). */
  const caseOf = new WeakMap<object, string>();

  const tus = new Server({
    path: '/upload/:token/tus',
    datastore: new StagedStore(uploads, opts.stored),
    maxSize: opts.maxFileBytes,
    // Same origin only: no Access-Control-Allow-Origin for anyone.
    allowedOrigins: [],
    // The upload's address under the link it was made with: /upload/<token>/tus/<id>.
    generateUrl: (req, { id }) => `${new URL(req.url).pathname}/${id}`,
    getFileIdFromRequest: (_req, last) => (last && UPLOAD_ID.test(last) ? last : undefined),
    // One request at a time per upload in this process; across servers the row's offset decides (client/uploads.ts).
    locker: new MemoryLocker(),
    async onUploadCreate(req, upload) {
      const node = req.runtime?.node?.req;
      const caseId = node && caseOf.get(node);
      const documentType = documentTypeOf(upload.metadata?.documentType);
      if (!caseId || !documentType) throw { status_code: 400, body: 'documentType\n' };
      // Only what the page sends, and the case from the link, never from the sender.
      return { metadata: { filename: upload.metadata?.filename || 'document', documentType, caseId } };
    },
    onResponseError(_req, err) {
      if (err instanceof UploadRefused) return { status_code: refusalStatus(err), body: `${err.reason}\n` };
      if (err instanceof OffsetConflict) return ERRORS.INVALID_OFFSET;
      if (err instanceof TooManyParts) return { status_code: 400, body: 'too many pieces\n' };
      if (err instanceof StoreUnavailable || isUnavailable(err)) return { status_code: 503, body: 'unavailable\n' };
      if (err instanceof Error) {
        // Its class name only: a message may quote a file name.
        app.log.error({ event: 'request_failed', route: '/upload/:token/tus/:id', error: err }, 'request_failed');
        return { status_code: 500, body: 'internal error\n' };
      }
      return undefined; // tus's own answers ({status_code, body})
    },
  });

  // PATCH bodies are tus's to read, as they come.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));

  const text = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/plain; charset=utf-8').header('Tus-Resumable', '1.0.0').send(`${body}\n`);

  async function handle(req: FastifyRequest<{ Params: { token: string; id?: string } }>, reply: FastifyReply) {
    const link = await opts.check(req);
    if (!link.ok) return text(reply, link.status, link.reason);
    if (req.params.id !== undefined) {
      const staged = UPLOAD_ID.test(req.params.id) ? await uploads.find(req.params.id) : undefined;
      // Another case's upload is as unknown as one that never was.
      if (!staged || staged.caseId !== link.caseId) return text(reply, 404, 'not found');
    }
    caseOf.set(req.raw, link.caseId);
    reply.hijack();
    // What the server's onSend hook would add, which a hijacked reply skips.
    reply.raw.setHeader('Cache-Control', 'no-store');
    reply.raw.setHeader('X-Content-Type-Options', 'nosniff');
    await tus.handle(req.raw, reply.raw);
  }

  const methods = ['POST', 'HEAD', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...methods], url: '/upload/:token/tus', config: { rateLimit: opts.rateLimit }, handler: handle });
  app.route({ method: [...methods], url: '/upload/:token/tus/:id', config: { rateLimit: opts.rateLimit }, handler: handle });
}
