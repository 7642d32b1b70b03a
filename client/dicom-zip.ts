// Whether a ZIP a family sent is what the vault takes it for: a series of DICOM images (each file
// has "DICM" at byte 128, or is a DICOMDIR index), and not a ZIP bomb. Read as a stream (fflate),
// counting what each entry inflates to, and stopped as soon as a limit is crossed.
import type { Readable } from 'node:stream';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';

export type ZipVerdict = 'dicom_series' | 'not_dicom' | 'too_large' | 'unreadable';

export interface ZipLimits {
  /** What all entries together may inflate to. */
  maxBytes: number;
  /** How many times its own size the archive may inflate to (a ZIP bomb inflates thousands of times). */
  maxRatio: number;
  maxEntries: number;
}

const PREAMBLE = 128;
const isIndex = (name: string) => /(^|\/)DICOMDIR$/i.test(name);
const isFolder = (name: string) => name.endsWith('/');
/** Files an archiver or an OS adds beside the images. */
const isClutter = (name: string) => /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/i.test(name);

export async function checkDicomZip(body: Readable, size: number, limits: ZipLimits): Promise<ZipVerdict> {
  const cap = Math.min(limits.maxBytes, size * limits.maxRatio);
  let inflated = 0;
  let images = 0;
  let entries = 0;
  let verdict: ZipVerdict | undefined;
  const stop = (v: ZipVerdict) => {
    verdict ??= v;
  };

  const unzip = new Unzip((file: UnzipFile) => {
    if (verdict) return;
    if (++entries > limits.maxEntries) return stop('too_large');
    if (isFolder(file.name) || isClutter(file.name)) {
      file.ondata = () => {};
      return file.start();
    }
    const index = isIndex(file.name);
    let head = Buffer.alloc(0);
    file.ondata = (err, chunk, final) => {
      if (verdict) return;
      if (err) return stop('unreadable');
      inflated += chunk.length;
      if (inflated > cap) {
        file.terminate();
        return stop('too_large');
      }
      if (!index && head.length < PREAMBLE + 4) head = Buffer.concat([head, chunk.subarray(0, PREAMBLE + 4 - head.length)]);
      if (final && !index) {
        if (head.subarray(PREAMBLE, PREAMBLE + 4).toString('latin1') !== 'DICM') return stop('not_dicom');
        images++;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of body) {
      unzip.push(chunk as Uint8Array);
      if (verdict) break;
    }
    if (!verdict) unzip.push(new Uint8Array(0), true);
  } catch {
    stop('unreadable');
  } finally {
    body.destroy();
  }
  return verdict ?? (images > 0 ? 'dicom_series' : 'not_dicom');
}
