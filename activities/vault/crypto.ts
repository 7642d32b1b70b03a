// The vault's file format: a document encrypted in records, so that a file of any size is encrypted
// and decrypted as a stream, and nothing is released before it has been authenticated.
//
//   header   "CTV1" | salt (32 bytes)
//   record   plaintext length (u32 BE) | AES-256-GCM ciphertext | tag (16 bytes)   ...repeated
//
// Each object has its own key, HKDF-SHA256(case data key, salt), so nonces never repeat across the
// objects of a case. A record's nonce is its number and a final flag (the STREAM construction of
// Hoang, Reyhanitabar, Rogaway and Vizár): records cannot be reordered, dropped or moved between
// objects, and a file cut short is refused because its final record is missing. Records may differ
// in size, so a resumable upload can encrypt each piece as it arrives.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const MAGIC = Buffer.from('CTV1');
const SALT_BYTES = 32;
export const HEADER_BYTES = MAGIC.length + SALT_BYTES;
const TAG_BYTES = 16;
const LENGTH_BYTES = 4;
/** Records hold at most this much plaintext: large enough to be cheap, small enough to stream. */
export const RECORD_BYTES = 64 * 1024;

export class VaultFormatError extends Error {
  override name = 'VaultFormatError';
}

function objectKey(dataKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, salt, 'cart vault object v1', 32));
}

function nonce(counter: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(counter), 3);
  n[11] = final ? 1 : 0;
  return n;
}

/**
 * Encrypts records as they are given: `header()` first, then `record(bytes)` for each piece and
 * `final(bytes)` once. The state (the record counter) is what a resumed upload has to keep.
 */
export class RecordSealer {
  private counter = 0;
  private readonly key: Buffer;
  readonly salt: Buffer;

  constructor(dataKey: Buffer, resume?: { salt: Buffer; counter: number }) {
    this.salt = resume?.salt ?? randomBytes(SALT_BYTES);
    this.counter = resume?.counter ?? 0;
    this.key = objectKey(dataKey, this.salt);
  }

  get records(): number {
    return this.counter;
  }

  header(): Buffer {
    return Buffer.concat([MAGIC, this.salt]);
  }

  /** One or more records of at most RECORD_BYTES each. */
  record(plain: Buffer, final = false): Buffer {
    const out: Buffer[] = [];
    let offset = 0;
    do {
      const piece = plain.subarray(offset, offset + RECORD_BYTES);
      offset += piece.length;
      out.push(this.seal(piece, final && offset >= plain.length));
    } while (offset < plain.length);
    return Buffer.concat(out);
  }

  final(plain: Buffer = Buffer.alloc(0)): Buffer {
    return this.record(plain, true);
  }

  private seal(piece: Buffer, final: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.counter++, final));
    const length = Buffer.alloc(LENGTH_BYTES);
    length.writeUInt32BE(piece.length);
    return Buffer.concat([length, cipher.update(piece), cipher.final(), cipher.getAuthTag()]);
  }
}

/** A stream that encrypts what is written to it into the vault's format. */
export function encryptStream(dataKey: Buffer): Transform {
  const sealer = new RecordSealer(dataKey);
  // What waits to be sealed: always kept until more than a record's worth has come, because the
  // last record must be sealed as final and only flush() knows which one that is.
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  /** The first `n` pending bytes, copied only when they span chunks. */
  const take = (n: number): Buffer => {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = pending[0]!;
      if (head.length <= need) {
        parts.push(head);
        pending.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        pending[0] = head.subarray(need);
        need = 0;
      }
    }
    pendingBytes -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  };
  return new Transform({
    construct(done) {
      this.push(sealer.header());
      done();
    },
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes > RECORD_BYTES) this.push(sealer.record(take(RECORD_BYTES)));
      done();
    },
    flush(done: TransformCallback) {
      this.push(sealer.final(take(pendingBytes)));
      done();
    },
  });
}

/**
 * A stream that decrypts the vault's format, releasing each record only after its tag is checked;
 * it fails on a wrong key, a changed or reordered byte, a missing final record, or bytes after it.
 */
export function decryptStream(dataKey: Buffer): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let key: Buffer | undefined;
  let counter = 0;
  let ended = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      try {
        if (!key) {
          if (buffered.length < HEADER_BYTES) return done();
          if (!buffered.subarray(0, MAGIC.length).equals(MAGIC)) throw new VaultFormatError('not a vault object');
          key = objectKey(dataKey, buffered.subarray(MAGIC.length, HEADER_BYTES));
          buffered = buffered.subarray(HEADER_BYTES);
        }
        while (buffered.length >= LENGTH_BYTES) {
          if (ended) throw new VaultFormatError('bytes after the final record');
          const length = buffered.readUInt32BE(0);
          if (length > RECORD_BYTES) throw new VaultFormatError('record too long');
          const total = LENGTH_BYTES + length + TAG_BYTES;
          if (buffered.length < total) break;
          const body = buffered.subarray(LENGTH_BYTES, LENGTH_BYTES + length);
          const tag = buffered.subarray(LENGTH_BYTES + length, total);
          buffered = buffered.subarray(total);
          const plain = open(key, counter, body, tag);
          counter++;
          if (plain.final) ended = true;
          if (plain.bytes.length) this.push(plain.bytes);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!key || !ended || buffered.length) return done(new VaultFormatError('the object is cut short'));
      done();
    },
  });
}

function open(key: Buffer, counter: number, body: Buffer, tag: Buffer): { bytes: Buffer; final: boolean } {
  // The flag is part of the nonce, so try "not final" first: only one record of an object is final.
  for (const final of [false, true]) {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(counter, final));
    decipher.setAuthTag(tag);
    try {
      return { bytes: Buffer.concat([decipher.update(body), decipher.final()]), final };
    } catch {
      // try the other flag
    }
  }
  throw new VaultFormatError('a record failed authentication (wrong key, or the object was changed)');
}
