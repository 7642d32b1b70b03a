import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, RECORD_BYTES, RecordSealer, decryptStream, encryptStream } from './crypto.ts';

const key = randomBytes(32);

/** Feeds `bytes` through `stream` in the given chunk sizes (the way a network delivers them). */
async function through(stream: NodeJS.ReadWriteStream, bytes: Buffer, chunk = 8192): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  return buffer(Readable.from(pieces).pipe(stream));
}

describe('the vault format', () => {
  it('round-trips any bytes in any chunking, and never holds the plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * RECORD_BYTES + 17 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }), async (size, inChunk, outChunk) => {
        const plain = randomBytes(size);
        const sealed = await through(encryptStream(key), plain, inChunk);
        expect(sealed.length).toBeGreaterThan(size + HEADER_BYTES);
        if (size >= 32) expect(sealed.includes(plain.subarray(0, 32))).toBe(false);
        expect((await through(decryptStream(key), sealed, outChunk)).equals(plain)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a wrong key, a changed byte, a file cut short and bytes added after the end', async () => {
    const plain = randomBytes(2 * RECORD_BYTES + 100);
    const sealed = await through(encryptStream(key), plain);
    await expect(through(decryptStream(randomBytes(32)), sealed)).rejects.toThrow(/failed authentication/);
    for (const at of [HEADER_BYTES - 1, HEADER_BYTES + 10, sealed.length - 1]) {
      const changed = Buffer.from(sealed);
      changed[at]! ^= 1;
      await expect(through(decryptStream(key), changed), `byte ${at}`).rejects.toThrow();
    }
    // Cut at a record boundary: every record left authenticates, but the final one is missing.
    const oneRecord = HEADER_BYTES + 4 + RECORD_BYTES + 16;
    await expect(through(decryptStream(key), sealed.subarray(0, oneRecord))).rejects.toThrow(/cut short/);
    await expect(through(decryptStream(key), sealed.subarray(0, 10))).rejects.toThrow(/cut short/);
    await expect(through(decryptStream(key), Buffer.concat([sealed, sealed.subarray(HEADER_BYTES)]))).rejects.toThrow(/after the final record/);
  });

  it('refuses records swapped between two objects of the same case', async () => {
    const a = await through(encryptStream(key), randomBytes(RECORD_BYTES * 2));
    const b = await through(encryptStream(key), randomBytes(RECORD_BYTES * 2));
    const mixed = Buffer.concat([a.subarray(0, HEADER_BYTES), b.subarray(HEADER_BYTES)]);
    await expect(through(decryptStream(key), mixed)).rejects.toThrow(/failed authentication/);
  });

  it('seals pieces of any size as they arrive and resumes from the salt and record count', async () => {
    const pieces = [randomBytes(10), randomBytes(RECORD_BYTES + 5), randomBytes(0), randomBytes(300)];
    const first = new RecordSealer(key);
    const parts = [first.header(), first.record(pieces[0]!), first.record(pieces[1]!)];
    // A resumed upload: a new sealer from what was kept.
    const resumed = new RecordSealer(key, { salt: first.salt, counter: first.records });
    parts.push(resumed.record(pieces[2]!), resumed.final(pieces[3]!));
    expect((await through(decryptStream(key), Buffer.concat(parts))).equals(Buffer.concat(pieces))).toBe(true);
  });
});
