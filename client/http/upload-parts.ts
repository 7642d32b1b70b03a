// A multipart upload read part by part, as the records page and the translator's page both take
// one: fields in order, then each file streamed straight into the vault (never buffered), a file
// the vault refuses noted in the sender's terms, and the others still read.
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { StoreUnavailable } from '../../activities/vault/store.ts';
import { UploadRefused, type FileRow } from '../documents.ts';
import type { FileProblem } from './records-pages.ts';

export interface UploadHandlers {
  field: (name: string, value: string) => void;
  /** How to store a file part, given the fields before it; undefined to read it to its end and take nothing. */
  storeOf: (fileName: string) => ((body: Readable) => Promise<FileRow>) | undefined;
}

/** What was stored and what was refused; 'unavailable' when the vault could not store just now (nothing half-stored is listed). */
export async function storeParts(req: FastifyRequest, handlers: UploadHandlers): Promise<{ stored: FileRow[]; problems: FileProblem[] } | 'unavailable'> {
  const stored: FileRow[] = [];
  const problems: FileProblem[] = [];
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') handlers.field(part.fieldname, part.value);
        continue;
      }
      // A file input left empty still sends a part: there is nothing in it.
      const store = part.filename ? handlers.storeOf(part.filename) : undefined;
      if (!store) {
        await part.toBuffer().catch(() => {});
        continue;
      }
      try {
        stored.push(await store(part.file));
      } catch (err) {
        if (!(err instanceof UploadRefused)) throw err;
        problems.push({ name: part.filename, reason: err.reason });
      }
    }
  } catch (err) {
    if (err instanceof StoreUnavailable) return 'unavailable';
    throw err;
  }
  return { stored, problems };
}
