// Resumable uploads under way (the tus door of the records page: client/http/resumable.ts). Each
// piece a family's browser sends is encrypted as it arrives into a vault object of its own under
// the case (cases/<case>/staging/<upload>/<random>), and the upload's row lists the pieces in order.
// Nothing rests in plaintext, and nothing is a file until the whole has come and documents.store
// has taken it: its type sniffed from the first bytes, its size bounded, encrypted afresh as one
// object, listed. A refused file is removed whole; one left untouched for UPLOAD_EXPIRY_MS goes.
//
// Why a vault object per piece rather than one object resumed record by record (RecordSealer can
// resume): each piece is sealed under its own salt, so a resumed PATCH racing the interrupted one
// on another server can never reuse a nonce, a piece cut off mid-write is refused by its missing
// final record, and no sealing state has to be kept between requests. The row, not a lock, decides
// which of two such writers wins (the offset it expected must still be the row's).
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Vault } from '../activities/vault/vault.ts';
import type { FileSender } from '../domain/files.ts';
import { cleanFileName, UploadRefused, type Documents, type FileRow } from './documents.ts';

/** An upload nobody has added to for this long is abandoned: its pieces are deleted. */
export const UPLOAD_EXPIRY_MS = 48 * 3600 * 1000;
/** Pieces one upload may have (a piece per PATCH, and per interruption): far more than a browser sending 16 MiB pieces needs. */
export const MAX_PARTS = 2000;

export interface StagedUpload {
  id: string;
  caseId: string;
  documentType: string;
  fileName: string;
  /** Upload-Length: the whole file's bytes. */
  size: number;
  /** Bytes received so far (the tus offset). */
  received: number;
  parts: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** The offset a piece was sent for is no longer the upload's (another request moved it, or it was removed). */
export class OffsetConflict extends Error {
  override name = 'OffsetConflict';
}

/** Too many pieces: the sender is not a browser resuming a file. */
export class TooManyParts extends Error {
  override name = 'TooManyParts';
}

/**
 * What a piece of the body came as: whatever arrived before the sender went away ends the piece
 * normally, so it is sealed and kept, and the upload resumes after it.
 */
async function* whatCame(body: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch {
    // the connection dropped: keep what came
  }
}

export type Uploads = ReturnType<typeof createUploads>;

export function createUploads(deps: { db: Db; vault: Vault; documents: Documents; now?: () => number }) {
  const { db, vault, documents } = deps;
  const now = deps.now ?? Date.now;

  const toUpload = (r: { id: string; case_id: string; document_type: string; file_name: string; size: string; received: string; parts: string[]; created_at: Date; updated_at: Date }): StagedUpload => ({
    id: r.id,
    caseId: r.case_id,
    documentType: r.document_type,
    fileName: r.file_name,
    size: Number(r.size),
    received: Number(r.received),
    parts: r.parts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  async function remove(upload: Pick<StagedUpload, 'id' | 'caseId' | 'parts'>): Promise<void> {
    // The pieces first: a row left behind by a failure here is removed again at its expiry.
    for (const part of upload.parts) await vault.remove(upload.caseId, part);
    await db.deleteFrom('uploads').where('id', '=', upload.id).execute();
  }

  /** The plaintext of every piece in order, each authenticated record by record as it streams. */
  function read(upload: Pick<StagedUpload, 'caseId' | 'parts'>): Readable {
    return Readable.from(
      (async function* () {
        for (const part of upload.parts) yield* await vault.read(upload.caseId, part);
      })(),
    );
  }

  async function takeBack(upload: StagedUpload, to: number): Promise<void> {
    const last = upload.parts.at(-1);
    const r = await db
      .updateTable('uploads')
      .set({ received: to, parts: upload.parts.slice(0, -1) })
      .where('id', '=', upload.id)
      .where('received', '=', String(upload.received))
      .executeTakeFirst();
    if (last && Number(r.numUpdatedRows)) await vault.remove(upload.caseId, last);
  }

  return {
    /** A new upload of `size` bytes; refused (UploadRefused) when it could never be stored. */
    async create(upload: { id: string; caseId: string; documentType: string; fileName: string; size: number }): Promise<StagedUpload> {
      const reserved = await db
        .selectFrom('uploads')
        .select(sql<string>`coalesce(sum(size), 0)`.as('total'))
        .where('case_id', '=', upload.caseId)
        .executeTakeFirstOrThrow();
      await documents.checkSize(upload.caseId, upload.size, Number(reserved.total));
      const at = new Date(now());
      const row = await db
        .insertInto('uploads')
        .values({ id: upload.id, case_id: upload.caseId, document_type: upload.documentType, file_name: cleanFileName(upload.fileName), size: upload.size, created_at: at, updated_at: at })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUpload(row);
    },

    /** The upload, unless it is unknown or abandoned. */
    async find(id: string): Promise<StagedUpload | undefined> {
      const row = await db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.updated_at.getTime() + UPLOAD_EXPIRY_MS < now()) return undefined;
      return toUpload(row);
    },

    /**
     * Encrypts `body` (bytes from `offset` on) into a new piece and adds it to the upload; answers
     * the upload as it now stands (`received`: the new offset). OffsetConflict when the upload moved
     * meanwhile: the piece is dropped.
     */
    async append(upload: StagedUpload, offset: number, body: Readable): Promise<StagedUpload> {
      if (upload.parts.length >= MAX_PARTS) throw new TooManyParts(`an upload has at most ${MAX_PARTS} pieces`);
      const part = `staging/${upload.id}/${randomBytes(8).toString('hex')}`;
      const { size } = await vault.write(upload.caseId, part, Readable.from(whatCame(body)), { maxBytes: upload.size - offset });
      if (size === 0) {
        await vault.remove(upload.caseId, part);
        return upload;
      }
      const row = await db
        .updateTable('uploads')
        .set({ received: offset + size, parts: sql<string[]>`array_append(parts, ${part})`, updated_at: new Date(now()) })
        .where('id', '=', upload.id)
        .where('received', '=', String(offset))
        .returningAll()
        .executeTakeFirst();
      if (!row) {
        await vault.remove(upload.caseId, part);
        throw new OffsetConflict('the upload moved on while this piece was being written');
      }
      return toUpload(row);
    },

    /**
     * Stores a complete upload as a file through documents.store (the one place for types and
     * limits) and removes its pieces. A refusal (UploadRefused) removes them too. Any other failure
     * (the store away) takes the last piece back, the offset to `lastPieceFrom`: the sender's retry
     * then sends that piece again and completes the upload once more, rather than finding it
     * complete with no file.
     */
    async finish(upload: StagedUpload, lastPieceFrom: number, by: { sender: FileSender; actor: string }): Promise<FileRow> {
      let file: FileRow;
      try {
        file = await documents.store({ caseId: upload.caseId, documentType: upload.documentType, fileName: upload.fileName, body: read(upload), ...by });
      } catch (err) {
        if (err instanceof UploadRefused) await remove(upload);
        else await takeBack(upload, lastPieceFrom);
        throw err;
      }
      await remove(upload);
      return file;
    },

    read,
    remove,

    /** Removes uploads nobody has added to for UPLOAD_EXPIRY_MS; answers how many. */
    async expire(): Promise<number> {
      const old = await db
        .selectFrom('uploads')
        .select(['id', 'case_id', 'parts'])
        .where('updated_at', '<', new Date(now() - UPLOAD_EXPIRY_MS))
        .execute();
      for (const u of old) await remove({ id: u.id, caseId: u.case_id, parts: u.parts });
      return old.length;
    },
  };
}
