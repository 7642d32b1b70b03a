// The object store contract, run against both stores: the filesystem (the embedded default) and S3
// on a real S3-compatible server (versitygw, test/harness/s3.ts). Then what only S3 has: the
// server going away and coming back, and the vault over it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeysEnv } from '../../codec/keys.ts';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { startS3Server, type S3Server } from '../../test/harness/s3.ts';
import { s3Store, type S3StoreOptions } from './s3.ts';
import { fileStore, ObjectNotFound, StoreUnavailable, type ObjectStore } from './store.ts';
import { CaseShredded, createVault } from './vault.ts';

const MiB = 1024 * 1024;

/** `bytes` as a stream of 64 KiB chunks, as a network delivers them; fails with `error` after `failAfter` bytes. */
function streamOf(bytes: Buffer, opts: { failAfter?: number; error?: Error; pauseAfter?: number; until?: Promise<void> } = {}): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += 64 * 1024) {
        if (opts.failAfter !== undefined && at >= opts.failAfter) throw opts.error;
        if (opts.pauseAfter !== undefined && at === opts.pauseAfter) await opts.until;
        yield bytes.subarray(at, at + 64 * 1024);
      }
    })(),
  );
}

// One server for the file, started by the first test that needs it.
let server: Promise<S3Server> | undefined;
const s3Server = () => (server ??= startS3Server());
afterAll(async () => (await server?.catch(() => undefined))?.stop());

/** What the tests point the S3 store at: few tries and short timeouts, so an outage answers at once. */
async function s3Options(): Promise<S3StoreOptions> {
  const s = await s3Server();
  const { endpoint, region, bucket, accessKeyId, secretAccessKey } = s;
  return { endpoint, region, bucket, credentials: { accessKeyId, secretAccessKey }, forcePathStyle: true, prefix: 'vault/', maxAttempts: 2, connectionTimeoutMs: 1_000, socketTimeoutMs: 5_000 };
}

async function rawClient(): Promise<S3Client> {
  const { endpoint, region, accessKeyId, secretAccessKey } = await s3Server();
  return new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
}

type Backend = {
  store: ObjectStore;
  /** Writes to `key` begun and neither finished nor cleaned up: temporary files, or multipart uploads. */
  unfinished(key: string): Promise<string[]>;
  close(): Promise<void>;
};

const backends: { name: string; start(): Promise<Backend> }[] = [
  {
    name: 'filesystem',
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'vault-store-'));
      return {
        store: fileStore(dir),
        unfinished: async (key) => (await readdir(dir, { recursive: true })).filter((name) => name.startsWith(`${key}.`) && name.endsWith('.part')),
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3 (versitygw)',
    async start() {
      const options = await s3Options();
      const raw = await rawClient();
      return {
        store: s3Store(options),
        async unfinished(key) {
          const { Uploads = [] } = await raw.send(new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: `${options.prefix}${key}` }));
          return Uploads.map((u) => u.Key!);
        },
        close: async () => raw.destroy(),
      };
    },
  },
];

describe.each(backends)('the $name object store', ({ start }) => {
  // Started by the first test rather than in a hook: without versitygw each test fails saying so.
  let started: Promise<Backend> | undefined;
  const backend = () => (started ??= start());
  afterAll(async () => (await started?.catch(() => undefined))?.close());

  it('gives back a multi-MB body byte for byte, streamed in and out', async () => {
    const b = await backend();
    const body = randomBytes(12 * MiB + 12_345);
    await b.store.put('cases/c-big/doc-1', streamOf(body));
    const back = await buffer(await b.store.get('cases/c-big/doc-1'));
    expect(back.length).toBe(body.length);
    expect(back.equals(body)).toBe(true);
  });

  it('answers ObjectNotFound for a key that holds nothing', async () => {
    const b = await backend();
    await expect(b.store.get('cases/c-none/doc-1')).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('keeps nothing of a put whose body fails midway, and fails with the body\'s error', async () => {
    const b = await backend();
    // A connection's error, as from a sender whose connection was reset: still the body's, not the store's.
    const broken = Object.assign(new Error('the sender went away'), { code: 'ECONNRESET' });
    // Past the first 5 MiB part, so that S3 has a multipart upload under way when the body fails.
    await expect(b.store.put('cases/c-broken/doc-1', streamOf(randomBytes(12 * MiB), { failAfter: 7 * MiB, error: broken }))).rejects.toBe(broken);
    await expect(b.store.get('cases/c-broken/doc-1')).rejects.toBeInstanceOf(ObjectNotFound);
    expect(await b.unfinished('cases/c-broken/doc-1')).toEqual([]);
  });

  it('deletePrefix removes that folder of keys and nothing else', async () => {
    const b = await backend();
    const keys = ['cases/c1/a', 'cases/c1/sub/b', 'cases/c10/a', 'cases/c2/a'];
    for (const key of keys) await b.store.put(key, streamOf(Buffer.from(key)));
    await b.store.deletePrefix('cases/c1');
    for (const key of ['cases/c1/a', 'cases/c1/sub/b']) await expect(b.store.get(key)).rejects.toBeInstanceOf(ObjectNotFound);
    for (const key of ['cases/c10/a', 'cases/c2/a']) expect((await buffer(await b.store.get(key))).toString()).toBe(key);
    await b.store.deletePrefix('cases/c-never-written');
  });

  it('delete removes one object, and is quiet about one that is not there', async () => {
    const b = await backend();
    await b.store.put('cases/c-del/a', streamOf(Buffer.from('a')));
    await b.store.put('cases/c-del/b', streamOf(Buffer.from('b')));
    await b.store.delete('cases/c-del/a');
    await expect(b.store.get('cases/c-del/a')).rejects.toBeInstanceOf(ObjectNotFound);
    expect((await buffer(await b.store.get('cases/c-del/b'))).toString()).toBe('b');
    await b.store.delete('cases/c-del/a');
  });
});

describe('the S3 store while the server is away', () => {
  it('rejects put and get promptly with StoreUnavailable, and works again once the server is back', async () => {
    const s = await s3Server();
    const store = s3Store(await s3Options());
    await store.put('cases/c-outage/before', streamOf(Buffer.from('before')));
    await s.pause();
    try {
      const started = Date.now();
      await expect(store.put('cases/c-outage/during', streamOf(randomBytes(MiB)))).rejects.toBeInstanceOf(StoreUnavailable);
      await expect(store.get('cases/c-outage/before')).rejects.toBeInstanceOf(StoreUnavailable);
      await expect(store.deletePrefix('cases/c-outage')).rejects.toBeInstanceOf(StoreUnavailable);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await s.resume();
    }
    expect((await buffer(await store.get('cases/c-outage/before'))).toString()).toBe('before');
    await store.put('cases/c-outage/after', streamOf(Buffer.from('after')));
    expect((await buffer(await store.get('cases/c-outage/after'))).toString()).toBe('after');
    await expect(store.get('cases/c-outage/during')).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('fails an upload cut off midway with StoreUnavailable, and shows nothing of it afterwards', async () => {
    const s = await s3Server();
    const options = await s3Options();
    const store = s3Store(options);
    const raw = await rawClient();
    let goOn!: () => void;
    const until = new Promise<void>((resolve) => (goOn = resolve));
    const put = store.put('cases/c-cut/doc-1', streamOf(randomBytes(12 * MiB), { pauseAfter: 6 * MiB, until }));
    put.catch(() => {});
    // The multipart upload has begun: the server goes away before the rest of the body comes.
    for (let i = 0; ; i++) {
      const { Uploads = [] } = await raw.send(new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: 'vault/cases/c-cut/' }));
      if (Uploads.length) break;
      if (i === 200) throw new Error('the multipart upload never began');
      await new Promise((r) => setTimeout(r, 25));
    }
    await s.pause();
    goOn();
    try {
      await expect(put).rejects.toBeInstanceOf(StoreUnavailable);
    } finally {
      await s.resume();
    }
    // Nothing readable. The abort could not reach the server either, so the upload's parts stay
    // there, never an object, until the bucket's lifecycle rule (or a sweep) removes them.
    await expect(store.get('cases/c-cut/doc-1')).rejects.toBeInstanceOf(ObjectNotFound);
    raw.destroy();
  });
});

describe('the vault over the S3 store', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.close());

  it('reads back what it wrote, stores no plaintext, and after shredding reads nothing and keeps no object', async () => {
    const options = await s3Options();
    const vault = createVault({ db: t.db, keyring: parseKeysEnv(`k1:${randomBytes(32).toString('base64')}`), store: s3Store(options) });
    const raw = await rawClient();
    const secret = Buffer.from('Patient: Wei Zhang, DLBCL, third line; ');
    const plain = Buffer.concat(Array.from({ length: 80_000 }, () => secret)); // about 3 MB

    const stored = await vault.write('case-s3-1', 'doc-1', streamOf(plain));
    expect(stored.size).toBe(plain.length);
    await vault.write('case-s3-1', 'doc-2', streamOf(Buffer.from('a second file')));
    await vault.write('case-s3-2', 'doc-1', streamOf(Buffer.from('another case')));
    expect((await buffer(await vault.read('case-s3-1', 'doc-1'))).equals(plain)).toBe(true);

    const { Body } = await raw.send(new GetObjectCommand({ Bucket: options.bucket, Key: 'vault/cases/case-s3-1/doc-1' }));
    const ciphertext = Buffer.from(await Body!.transformToByteArray());
    expect(ciphertext.length).toBeGreaterThan(plain.length);
    expect(ciphertext.includes('Wei Zhang')).toBe(false);

    await vault.shred('case-s3-1');
    await expect(vault.read('case-s3-1', 'doc-1')).rejects.toBeInstanceOf(CaseShredded);
    const left = await raw.send(new ListObjectsV2Command({ Bucket: options.bucket, Prefix: 'vault/cases/case-s3-1/' }));
    expect(left.KeyCount).toBe(0);
    expect((await buffer(await vault.read('case-s3-2', 'doc-1'))).toString()).toBe('another case');
    raw.destroy();
  });
});
