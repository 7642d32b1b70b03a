// The files of a case, in one module for the family's records page, the JSON API and casectl:
// storing an upload (its type read from its bytes, its size bounded, then encrypted into the
// vault and only then listed), listing, reading back, and a coordinator's review.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Stage } from '../domain/case.ts';
import { CONSENT_VERSION, isFileId, type FileKind, type FileSender, type FileStatus } from '../domain/files.ts';
import { sha256 } from './accounts.ts';
import { ActionRefusedError } from './case-calls.ts';
import type { Vault } from '../activities/vault/vault.ts';
import { TooLarge } from '../activities/vault/vault.ts';
import { checkDicomZip } from './dicom-zip.ts';

/** What the vault accepts, by what the bytes are (never by a name or a declared type). */
export const ACCEPTED_TYPES: Readonly<Record<string, string>> = {
  'application/pdf': 'PDF',
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/heic': 'HEIC',
  'image/heif': 'HEIF',
  'application/dicom': 'DICOM',
  'application/zip': 'ZIP (a DICOM series)',
};

/** DICOM images compress a few times over; a ZIP that inflates more than this is refused as a bomb. */
const ZIP_MAX_RATIO = 20;

/** Enough of the start of a file to tell its type. */
const SNIFF_BYTES = 4100;

export type UploadRefusal = 'type' | 'too_large' | 'case_full' | 'empty' | 'zip';

/** An upload the vault refuses, for a reason the sender can act on; nothing of it was kept. */
export class UploadRefused extends Error {
  override name = 'UploadRefused';
  readonly reason: UploadRefusal;
  constructor(reason: UploadRefusal, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface FileRow {
  id: string;
  documentType: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  status: FileStatus;
  reason: string | null;
  uploadedBy: FileSender;
  actor: string;
  uploadedAt: string;
  replaces: string | null;
  /** An original, or a translation of its document into `language`. */
  kind: FileKind;
  language: string | null;
}

export interface FamilyView {
  stage: Stage;
  /** Document types the case still waits for. */
  missing: string[];
  files: FileRow[];
  /** When the family agreed to the processing of the health data (the agreement in force). */
  consentedAt?: string;
}

export interface NewUpload {
  caseId: string;
  documentType: string;
  /** As the sender's device named it: kept for staff to see, never used as a path. */
  fileName: string;
  body: Readable;
  sender: FileSender;
  actor: string;
  replaces?: string;
  /** A translation of the document into `language` (the translator's page); an original unless said. */
  translation?: { language: string };
}

export interface DocumentLimits {
  maxFileBytes: number;
  maxCaseBytes: number;
}

/** The document type a form or an upload's metadata named, if it is one a file may have. */
export function documentTypeOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z][a-z0-9_]{1,40}$/.test(value) ? value : undefined;
}

/** The sender's name for a file, as something safe to show: no directories, no control characters, bounded. */
export function cleanFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  const clean = last.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return clean.slice(0, 200) || 'document';
}

/**
 * Reads the first bytes of `body`: answers them, a stream of the whole as if nothing was read, and
 * a way to read the rest to its end unused (a refused file in a multipart request, so the next part
 * can be read).
 */
async function peek(body: Readable, bytes: number): Promise<{ head: Buffer; whole: Readable; discard: () => Promise<void> }> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest() {
    yield head;
    while (!ended) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else yield next.value;
    }
  }
  const discard = async () => {
    while (!ended) ended = (await iterator.next()).done === true;
  };
  return { head, whole: Readable.from(rest(), { objectMode: false }), discard };
}

const toRow = (r: {
  id: string;
  document_type: string;
  file_name: string;
  content_type: string;
  size: string;
  sha256: string;
  status: FileStatus;
  reason: string | null;
  uploaded_by: FileSender;
  actor: string;
  uploaded_at: Date;
  replaces: string | null;
  kind: FileKind;
  language: string | null;
}): FileRow => ({
  id: r.id,
  documentType: r.document_type,
  fileName: r.file_name,
  contentType: r.content_type,
  size: Number(r.size),
  sha256: r.sha256,
  status: r.status,
  reason: r.reason,
  uploadedBy: r.uploaded_by,
  actor: r.actor,
  uploadedAt: r.uploaded_at.toISOString(),
  replaces: r.replaces,
  kind: r.kind,
  language: r.language,
});

export type Documents = ReturnType<typeof createDocuments>;

export function createDocuments(deps: { db: Db; vault: Vault; limits: DocumentLimits }) {
  const { db, vault, limits } = deps;
  const COLUMNS = ['id', 'document_type', 'file_name', 'content_type', 'size', 'sha256', 'status', 'reason', 'uploaded_by', 'actor', 'uploaded_at', 'replaces', 'kind', 'language'] as const;

  async function list(caseId: string): Promise<FileRow[]> {
    const rows = await db.selectFrom('files').select(COLUMNS).where('case_id', '=', caseId).orderBy('uploaded_at').orderBy('id').execute();
    return rows.map(toRow);
  }

  const processingConsent = (caseId: string) =>
    db.selectFrom('consents').select('agreed_at').where('case_id', '=', caseId).where('kind', '=', 'processing').where('withdrawn_at', 'is', null).orderBy('agreed_at', 'desc').executeTakeFirst();

  async function storedBytes(caseId: string): Promise<number> {
    const r = await db
      .selectFrom('files')
      .select(sql<string>`coalesce(sum(size), 0)`.as('total'))
      .where('case_id', '=', caseId)
      .where('status', 'not in', ['rejected', 'purged'])
      .executeTakeFirstOrThrow();
    return Number(r.total);
  }

  const tooLarge = () => new UploadRefused('too_large', `the file is larger than ${limits.maxFileBytes} bytes`);
  const caseFull = () => new UploadRefused('case_full', 'the case has no room for a file this large');

  return {
    /**
     * Refuses (UploadRefused) a file of `bytes` before any of it comes, as store() would once it
     * had: for a resumable upload, which declares its length first. `reserved`: what uploads still
     * under way for the case have declared, so that together they cannot outgrow the case's room.
     */
    async checkSize(caseId: string, bytes: number, reserved = 0): Promise<void> {
      if (bytes === 0) throw new UploadRefused('empty', 'the file is empty');
      if (bytes > limits.maxFileBytes) throw tooLarge();
      if ((await storedBytes(caseId)) + reserved + bytes > limits.maxCaseBytes) throw caseFull();
    },

    /**
     * Stores an upload: refuses it (UploadRefused) unless its bytes are an accepted type and it fits
     * the file and case limits; the row appears only once the encrypted object is complete.
     */
    async store(upload: NewUpload): Promise<FileRow> {
      const { head, whole, discard } = await peek(upload.body, SNIFF_BYTES);
      if (head.length === 0) throw new UploadRefused('empty', 'the file is empty');
      const sniffed = await fileTypeFromBuffer(head);
      const contentType = sniffed && ACCEPTED_TYPES[sniffed.mime] ? sniffed.mime : undefined;
      if (!contentType) {
        await discard();
        throw new UploadRefused('type', `not a file of an accepted type (${Object.values(ACCEPTED_TYPES).join(', ')})`);
      }
      const room = limits.maxCaseBytes - (await storedBytes(upload.caseId));
      const maxBytes = Math.min(limits.maxFileBytes, room);
      const id = randomUUID();
      let stored;
      try {
        stored = await vault.write(upload.caseId, id, whole, { maxBytes });
      } catch (err) {
        await vault.remove(upload.caseId, id).catch(() => {});
        if (err instanceof TooLarge) {
          await discard();
          throw room < limits.maxFileBytes ? caseFull() : tooLarge();
        }
        throw err;
      }
      if (contentType === 'application/zip') {
        // Read back from the vault (never held whole): a series of DICOM images, and no bomb.
        const verdict = await checkDicomZip(await vault.read(upload.caseId, id), stored.size, { maxBytes: 4 * limits.maxFileBytes, maxRatio: ZIP_MAX_RATIO, maxEntries: 20_000 }).catch(() => 'unreadable' as const);
        if (verdict !== 'dicom_series') {
          await vault.remove(upload.caseId, id).catch(() => {});
          throw new UploadRefused('zip', `a ZIP is taken only when it holds a series of DICOM images (this one: ${verdict.replace('_', ' ')})`);
        }
      }
      try {
        const row = await db.transaction().execute(async (trx) => {
          // Uploads to one case at once: one at a time past this point, so the case limit holds.
          await sql`select pg_advisory_xact_lock(hashtext(${`files:${upload.caseId}`}))`.execute(trx);
          const total = await trx
            .selectFrom('files')
            .select(sql<string>`coalesce(sum(size), 0)`.as('total'))
            .where('case_id', '=', upload.caseId)
            .where('status', 'not in', ['rejected', 'purged'])
            .executeTakeFirstOrThrow();
          if (Number(total.total) + stored.size > limits.maxCaseBytes) throw caseFull();
          return trx
            .insertInto('files')
            .values({
              id,
              case_id: upload.caseId,
              document_type: upload.documentType,
              file_name: cleanFileName(upload.fileName),
              content_type: contentType,
              size: stored.size,
              sha256: stored.sha256,
              object_key: id,
              uploaded_by: upload.sender,
              actor: upload.actor,
              replaces: upload.replaces ?? null,
              // A translation is the translator's finished work, in use at once: a coordinator may still reject it.
              ...(upload.translation ? { kind: 'translation' as const, language: upload.translation.language, status: 'accepted' as const } : {}),
            })
            .returning(COLUMNS)
            .executeTakeFirstOrThrow();
        });
        return toRow(row);
      } catch (err) {
        await vault.remove(upload.caseId, id).catch(() => {});
        throw err;
      }
    },

    list,

    async find(caseId: string, fileId: string): Promise<FileRow | undefined> {
      if (!isFileId(fileId)) return undefined;
      const row = await db.selectFrom('files').select(COLUMNS).where('case_id', '=', caseId).where('id', '=', fileId).executeTakeFirst();
      return row && toRow(row);
    },

    /** The file's bytes, decrypted as they stream. */
    async open(caseId: string, fileId: string): Promise<Readable> {
      return vault.read(caseId, fileId);
    },

    /** What the family's records page shows: where the case is, what is missing, what came, what they agreed to. */
    async familyView(caseId: string): Promise<FamilyView | undefined> {
      const c = await db.selectFrom('cases').select('stage').where('case_id', '=', caseId).executeTakeFirst();
      if (!c) return undefined;
      const [missing, files, consent] = await Promise.all([
        db.selectFrom('documents').select('document_type').where('case_id', '=', caseId).where('status', '=', 'missing').orderBy('document_type').execute(),
        list(caseId),
        processingConsent(caseId),
      ]);
      return { stage: c.stage, missing: missing.map((m) => m.document_type), files, ...(consent ? { consentedAt: consent.agreed_at.toISOString() } : {}) };
    },

    /** The family agrees to the processing of the health data, through the link `token`: for the first time, again after withdrawing it, or already had. */
    async agree(caseId: string, token: string): Promise<'first' | 'renewed' | 'already'> {
      if (await processingConsent(caseId)) return 'already';
      const before = await db.selectFrom('consents').select('case_id').where('case_id', '=', caseId).where('kind', '=', 'processing').executeTakeFirst();
      await db.insertInto('consents').values({ case_id: caseId, kind: 'processing', version: CONSENT_VERSION, link_hash: sha256(token) }).execute();
      return before ? 'renewed' : 'first';
    },

    /** The family approves sharing the case with a hospital, through the link `token`. */
    async recordSharing(caseId: string, hospitalCode: string, token: string): Promise<void> {
      await db.insertInto('consents').values({ case_id: caseId, kind: 'share', hospital_code: hospitalCode, version: CONSENT_VERSION, link_hash: sha256(token) }).execute();
    },

    /** Hospitals' names for the family's page, in the order given (the code when one has none). */
    async hospitalNames(codes: string[]): Promise<{ code: string; name: string }[]> {
      const rows = await db.selectFrom('hospitals').select(['code', 'name']).where('code', 'in', codes).execute();
      return codes.map((code) => ({ code, name: rows.find((r) => r.code === code)?.name ?? code }));
    },

    /** The family withdraws it; true when there was one to withdraw. */
    async withdraw(caseId: string): Promise<boolean> {
      const r = await db.updateTable('consents').set({ withdrawn_at: new Date() }).where('case_id', '=', caseId).where('kind', '=', 'processing').where('withdrawn_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** A coordinator's review: accepted as a document type, or rejected with a reason. */
    async review(caseId: string, fileId: string, review: { status: 'accepted'; documentType: string; by: string } | { status: 'rejected'; reason: string; by: string }): Promise<FileRow | undefined> {
      const row = await db
        .updateTable('files')
        .set({
          status: review.status,
          reason: review.status === 'rejected' ? review.reason : null,
          ...(review.status === 'accepted' ? { document_type: review.documentType } : {}),
          reviewed_by: review.by,
          reviewed_at: new Date(),
        })
        .where('case_id', '=', caseId)
        .where('id', '=', fileId)
        .where('status', '!=', 'purged')
        .returning(COLUMNS)
        .executeTakeFirst();
      return row && toRow(row);
    },
  };
}

/** A file no longer there to review (never uploaded to this case, or purged). */
export class FileNotFound extends Error {
  override name = 'FileNotFound';
}

/**
 * Accepts a file as a document of the case: the file first (so a retry finds it accepted), then the
 * case's receiveDocument through `receive`. A document the case does not wait for (already received,
 * not on its list) leaves the file accepted and says why in `note`.
 */
export async function acceptFile(
  documents: Documents,
  caseId: string,
  fileId: string,
  opts: { documentType?: string; actor: string },
  receive: (args: { documentType: string; fileId: string }) => Promise<unknown>,
): Promise<{ file: FileRow; note?: string }> {
  const found = await documents.find(caseId, fileId);
  const file = found && (await documents.review(caseId, fileId, { status: 'accepted', documentType: opts.documentType ?? found.documentType, by: opts.actor }));
  if (!file) throw new FileNotFound(`no file ${fileId} in case ${caseId}`);
  // A translation is not the document itself: the case never receives it as one.
  if (file.kind === 'translation') return { file };
  try {
    await receive({ documentType: file.documentType, fileId });
    return { file };
  } catch (err) {
    if (err instanceof ActionRefusedError) return { file, note: err.message };
    throw err;
  }
}

/**
 * What rejecting a file asks of the case: the family's document again (requestDocument), or for a
 * translation the translator's work again (rejectTranslation, which takes no file id).
 */
export type Rejection = { action: 'requestDocument'; args: { documentType: string; fileId: string } } | { action: 'rejectTranslation'; args: { documentType: string } };

/** Rejects a file, and asks for it again through `request`: the family for an original, the translator for a translation. */
export async function rejectFile(
  documents: Documents,
  caseId: string,
  fileId: string,
  opts: { reason: string; actor: string },
  request: (rejection: Rejection) => Promise<unknown>,
): Promise<FileRow> {
  const found = await documents.find(caseId, fileId);
  const file = found && (await documents.review(caseId, fileId, { status: 'rejected', reason: opts.reason, by: opts.actor }));
  if (!file) throw new FileNotFound(`no file ${fileId} in case ${caseId}`);
  await request(file.kind === 'translation' ? { action: 'rejectTranslation', args: { documentType: file.documentType } } : { action: 'requestDocument', args: { documentType: file.documentType, fileId } });
  return file;
}
