// Where the vault's encrypted objects live: one small interface, a filesystem store (the embedded
// default) and an S3-compatible one (activities/vault/s3.ts). Both make an object visible only once
// it is complete, so an interrupted write leaves nothing anyone can read.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type ObjectStore = {
  /** Stores the bytes under `key`, replacing nothing: keys are never reused. */
  put(key: string, body: Readable): Promise<void>;
  /** The object's bytes; `ObjectNotFound` when there is none. */
  get(key: string): Promise<Readable>;
  /** Removes every object in the folder `prefix` (`cases/<id>`: a case's, when it is shredded); `cases/c1` leaves `cases/c10` alone. */
  deletePrefix(prefix: string): Promise<void>;
  delete(key: string): Promise<void>;
};

export class ObjectNotFound extends Error {
  override name = 'ObjectNotFound';
}

/** The store is unreachable or refused: retry later (HTTP 503), nothing was made visible. */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable';
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/_-]*$/;

export function checkKey(key: string): string {
  // Keys are made by the service from ids, never from a file name a person gave.
  if (!KEY_PATTERN.test(key) || key.includes('//') || key.split('/').some((p) => p === '' || p === '..')) throw new Error(`invalid object key '${key}'`);
  return key;
}

/** Objects as files under `root` (mode 0600, directories 0700); a write goes to a temporary name and is renamed into place. */
export function fileStore(root: string): ObjectStore {
  const base = resolve(root);
  const pathOf = (key: string) => join(base, ...checkKey(key).split('/'));
  return {
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${randomBytes(6).toString('hex')}.part`;
      try {
        await pipeline(body, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
    },
    async get(key) {
      const file = await open(pathOf(key), 'r').catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? new ObjectNotFound(key) : err;
      });
      return file.createReadStream();
    },
    async deletePrefix(prefix) {
      const path = pathOf(prefix.replace(/\/$/, ''));
      if (!path.startsWith(base + sep)) throw new Error(`invalid prefix '${prefix}'`);
      await rm(path, { recursive: true, force: true });
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
