// The vault: a case's files encrypted with the case's own data key, the data key wrapped by a master
// key (rotatable by key id), the ciphertext in an object store. Shredding a case deletes its data
// key first, so its objects are unreadable even where the store keeps copies, then the objects.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Keyring } from '../../codec/keys.ts';
import type { Database } from '../../db/schema.ts';
import { decryptStream, encryptStream } from './crypto.ts';
import { checkKey, type ObjectStore } from './store.ts';

export class CaseShredded extends Error {
  override name = 'CaseShredded';
}

export type StoredObject = { size: number; sha256: string };

/** Case keys left as they were by rewrapKeys, counted by the master key that wrapped them. */
export type NotRewrapped = { keyId: string; cases: number; reason: 'not configured' | 'does not unwrap' };

/** What rewrapKeys did, in counts and master key ids only: never a case. */
export type Rewrapped = {
  currentKeyId: string;
  /** Case keys this run moved under the current master key. */
  rewrapped: number;
  /** Case keys that were under it already when the run began. */
  alreadyCurrent: number;
  notRewrapped: NotRewrapped[];
  /** The master keys that live case keys are wrapped by once the run is over: any other may go. */
  keysInUse: string[];
};

export type Vault = {
  /** Encrypts `body` into the store under the case; answers the plaintext's size and sha256. */
  write(caseId: string, objectId: string, body: Readable, opts?: { maxBytes?: number }): Promise<StoredObject>;
  /** The plaintext, authenticated record by record as it streams. */
  read(caseId: string, objectId: string): Promise<Readable>;
  remove(caseId: string, objectId: string): Promise<void>;
  /** Crypto-shreds the case: its data key goes, then its objects. */
  shred(caseId: string): Promise<void>;
  /** Re-wraps every live case key under the current master key, so that the older ones can be removed. */
  rewrapKeys(): Promise<Rewrapped>;
};

/** Thrown (through the stream) when a body is longer than the limit given to write. */
export class TooLarge extends Error {
  override name = 'TooLarge';
}

// Case ids and object ids are the service's own (letters, digits, _ and -), never a name a person typed.
const prefixOf = (caseId: string) => `cases/${caseId}/`;
const objectKeyOf = (caseId: string, objectId: string) => checkKey(`${prefixOf(caseId)}${objectId}`);

export function createVault(deps: { db: Kysely<Database>; keyring: Keyring; store: ObjectStore }): Vault {
  const { db, keyring, store } = deps;

  function wrap(caseId: string, dataKey: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyring.keys.get(keyring.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(caseId));
    return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  }

  function unwrap(caseId: string, keyId: string, wrapped: Buffer): Buffer {
    const master = keyring.keys.get(keyId);
    if (!master) throw new Error(`the vault master key '${keyId}' is not configured (VAULT_KEYS): keep every key that wrapped a live case`);
    const decipher = createDecipheriv('aes-256-gcm', master, wrapped.subarray(0, 12));
    decipher.setAAD(Buffer.from(caseId));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
  }

  async function dataKey(caseId: string, create: boolean): Promise<Buffer> {
    if (create) {
      // Two first uploads at once: one key wins, both use it.
      await db
        .insertInto('case_keys')
        .values({ case_id: caseId, key_id: keyring.currentKeyId, wrapped: wrap(caseId, randomBytes(32)) })
        .onConflict((oc) => oc.column('case_id').doNothing())
        .execute();
    }
    const row = await db.selectFrom('case_keys').select(['key_id', 'wrapped', 'shredded_at']).where('case_id', '=', caseId).executeTakeFirst();
    if (!row) throw new CaseShredded('the case has no files');
    if (!row.wrapped || row.shredded_at) throw new CaseShredded('the case\'s files were deleted');
    return unwrap(caseId, row.key_id, row.wrapped);
  }

  return {
    async write(caseId, objectId, body, opts = {}) {
      const key = await dataKey(caseId, true);
      const hash = createHash('sha256');
      let size = 0;
      const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
      const measure = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > max) return done(new TooLarge(`more than ${max} bytes`));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const out = new PassThrough();
      // The store reads `out` while the pipeline fills it; either failing fails the write.
      const stored = store.put(objectKeyOf(caseId, objectId), out).catch((err: unknown) => {
        out.destroy(err as Error);
        throw err;
      });
      await Promise.all([pipeline(body, measure, encryptStream(key), out), stored]);
      return { size, sha256: hash.digest('hex') };
    },
    async read(caseId, objectId) {
      const key = await dataKey(caseId, false);
      const encrypted = await store.get(objectKeyOf(caseId, objectId));
      const plain = decryptStream(key);
      encrypted.on('error', (err) => plain.destroy(err));
      // pipe() does not pass a destroy upstream: a reader that stops early (a download refused or
      // cut off) would leave the object's file handle open until garbage collection.
      plain.on('close', () => encrypted.destroy());
      return encrypted.pipe(plain);
    },
    async remove(caseId, objectId) {
      await store.delete(objectKeyOf(caseId, objectId));
    },
    async shred(caseId) {
      await db.updateTable('case_keys').set({ wrapped: null, shredded_at: new Date() }).where('case_id', '=', caseId).execute();
      await store.deletePrefix(checkKey(prefixOf(caseId).slice(0, -1)));
    },
    // Only the data keys are re-wrapped; the files are not re-encrypted, since they are encrypted
    // under their case's data key, which stays the same. So no object is read or written, and a
    // rotation protects against a leaked master key, not against a leaked case key.
    async rewrapKeys() {
      const currentKeyId = keyring.currentKeyId;
      const live = db.selectFrom('case_keys').where('shredded_at', 'is', null).where('wrapped', 'is not', null);
      const { n } = await live.select((eb) => eb.fn.countAll<string>().as('n')).where('key_id', '=', currentKeyId).executeTakeFirstOrThrow();
      const rows = await live.select(['case_id', 'key_id', 'wrapped']).where('key_id', '<>', currentKeyId).orderBy('key_id').orderBy('case_id').execute();
      let rewrapped = 0;
      const left = new Map<string, NotRewrapped>();
      const leave = (keyId: string, reason: NotRewrapped['reason']) => {
        const seen = left.get(`${reason} ${keyId}`) ?? { keyId, cases: 0, reason };
        seen.cases++;
        left.set(`${reason} ${keyId}`, seen);
      };
      for (const row of rows) {
        if (!keyring.keys.has(row.key_id)) {
          leave(row.key_id, 'not configured');
          continue;
        }
        let dataKey: Buffer;
        try {
          dataKey = unwrap(row.case_id, row.key_id, row.wrapped!);
        } catch {
          // Another key under the same id (a key mistyped into VAULT_KEYS): the case's key stays as it is.
          leave(row.key_id, 'does not unwrap');
          continue;
        }
        // Guarded by the old key id and shredded_at: a run that got there first, or a shred, wins,
        // and a shredded key is never written back.
        const updated = await db
          .updateTable('case_keys')
          .set({ key_id: currentKeyId, wrapped: wrap(row.case_id, dataKey) })
          .where('case_id', '=', row.case_id)
          .where('key_id', '=', row.key_id)
          .where('shredded_at', 'is', null)
          .executeTakeFirst();
        rewrapped += Number(updated.numUpdatedRows);
      }
      const inUse = await live.select('key_id').distinct().orderBy('key_id').execute();
      return { currentKeyId, rewrapped, alreadyCurrent: Number(n), notRewrapped: [...left.values()], keysInUse: inUse.map((r) => r.key_id) };
    },
  };
}
