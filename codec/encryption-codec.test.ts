import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec.ts';
import { createDataConverter } from './keys.ts';
import type { Keyring } from './keys.ts';

const k1 = Buffer.alloc(32, 1);
const k2 = Buffer.alloc(32, 2);
const keyring = (currentKeyId: string, entries: [string, Buffer][]): Keyring => ({ currentKeyId, keys: new Map(entries) });

const patient = { name: 'Amelia Okonkwo-Hart', mrn: 'MRN-00417721', diagnosis: 'relapsed B-ALL' };
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array(0)).toString('utf8');
const meta = (p: Payload): Record<string, string> =>
  Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, text(v)]));

describe('EncryptionCodec', () => {
  it('round-trips payloads, restoring metadata and data exactly', async () => {
    const codec = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    const originals = [toPayload(patient), toPayload('plain string'), toPayload(undefined), toPayload(new Uint8Array([0, 255, 7]))];

    const decoded = await codec.decode(await codec.encode(originals));

    expect(decoded).toHaveLength(4);
    expect(decoded.map(meta)).toEqual([
      { encoding: 'json/plain' },
      { encoding: 'json/plain' },
      { encoding: 'binary/null' },
      { encoding: 'binary/plain' },
    ]);
    expect(defaultPayloadConverter.fromPayload(decoded[0] as Payload)).toEqual(patient);
    expect(defaultPayloadConverter.fromPayload(decoded[1] as Payload)).toBe('plain string');
    expect(defaultPayloadConverter.fromPayload(decoded[2] as Payload)).toBeUndefined();
    expect([...(decoded[3]?.data ?? [])]).toEqual([0, 255, 7]);
    expect(await codec.encode([])).toEqual([]);
  });

  it('marks encoded payloads with the encrypted encoding and current key id, and hides all plaintext', async () => {
    const codec = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    const original = toPayload(patient);
    const [encoded] = await codec.encode([original]);

    expect(meta(encoded as Payload)).toEqual({ encoding: 'binary/encrypted', 'encryption-key-id': 'k1' });
    const data = Buffer.from(encoded?.data ?? new Uint8Array(0));
    // iv(12) + protobuf(Payload) + tag(16): GCM ciphertext is exactly as long as the plaintext.
    const protobufLength = proto.temporal.api.common.v1.Payload.encode(original).finish().length;
    expect(data.length).toBe(12 + protobufLength + 16);
    for (const needle of ['Amelia', 'Okonkwo', 'MRN-00417721', 'B-ALL', 'json/plain', 'encoding']) {
      expect(data.includes(Buffer.from(needle)), needle).toBe(false);
    }
    const allMetadata = Buffer.concat(Object.values(encoded?.metadata ?? {}).map((v) => Buffer.from(v)));
    expect(allMetadata.includes(Buffer.from('Amelia'))).toBe(false);
  });

  it('uses a fresh random IV for every payload', async () => {
    const codec = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    const same = toPayload(patient);
    const encoded = [...(await codec.encode([same, same, same])), ...(await codec.encode([same]))];
    const ivs = encoded.map((p) => Buffer.from(p.data ?? new Uint8Array(0)).subarray(0, 12).toString('hex'));
    const ciphertexts = encoded.map((p) => Buffer.from(p.data ?? new Uint8Array(0)).toString('hex'));
    expect(new Set(ivs).size).toBe(4);
    expect(new Set(ciphertexts).size).toBe(4);
  });

  it('rotates keys: old payloads still decode after a new key becomes current, new payloads use it', async () => {
    const before = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    const [underK1] = await before.encode([toPayload(patient)]);

    const after = new EncryptionCodec(keyring('k2', [['k2', k2], ['k1', k1]]));
    const [underK2] = await after.encode([toPayload('after rotation')]);

    expect(meta(underK1 as Payload)['encryption-key-id']).toBe('k1');
    expect(meta(underK2 as Payload)['encryption-key-id']).toBe('k2');
    expect(after.currentKeyId).toBe('k2');
    const [a, b] = await after.decode([underK1 as Payload, underK2 as Payload]);
    expect(defaultPayloadConverter.fromPayload(a as Payload)).toEqual(patient);
    expect(defaultPayloadConverter.fromPayload(b as Payload)).toBe('after rotation');
    // The pre-rotation codec does not know k2.
    await expect(before.decode([underK2 as Payload])).rejects.toThrow("payload encrypted with unknown key id 'k2'");
  });

  it('throws a clear error for an unknown key id', async () => {
    const [encoded] = await new EncryptionCodec(keyring('k2', [['k2', k2]])).encode([toPayload(patient)]);
    const codec = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    await expect(codec.decode([encoded as Payload])).rejects.toThrow(
      new Error("payload encrypted with unknown key id 'k2' (known key ids: k1)"),
    );
  });

  it('throws when the ciphertext, tag or IV was tampered with', async () => {
    const codec = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    const [encoded] = await codec.encode([toPayload(patient)]);
    const data = Buffer.from(encoded?.data ?? new Uint8Array(0));
    for (const index of [0, 12, 20, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[index] = (tampered[index] as number) ^ 0x01;
      await expect(codec.decode([{ ...encoded, data: tampered }]), `byte ${index}`).rejects.toThrow(
        new Error("payload failed authentication with key 'k1' (wrong key or tampered data)"),
      );
    }
    // Same key id, different key material (e.g. key file regenerated): also an authentication failure.
    const impostor = new EncryptionCodec(keyring('k1', [['k1', randomBytes(32)]]));
    await expect(impostor.decode([encoded as Payload])).rejects.toThrow("payload failed authentication with key 'k1'");
    // Truncated data.
    await expect(codec.decode([{ ...encoded, data: data.subarray(0, 20) }])).rejects.toThrow(
      "payload encrypted with key 'k1' is truncated (20 bytes)",
    );
    // Encrypted encoding but no key id.
    await expect(codec.decode([{ metadata: { encoding: Buffer.from('binary/encrypted') }, data }])).rejects.toThrow(
      "encrypted payload has no 'encryption-key-id' metadata",
    );
  });

  it('passes payloads without the encrypted encoding through decode unchanged', async () => {
    const codec = new EncryptionCodec(keyring('k1', [['k1', k1]]));
    const legacy = toPayload(patient);
    const noMetadata: Payload = { data: Buffer.from('raw') };
    const [encrypted] = await codec.encode([toPayload('new')]);

    const decoded = await codec.decode([legacy, noMetadata, encrypted as Payload]);

    expect(decoded[0]).toBe(legacy);
    expect(decoded[1]).toBe(noMetadata);
    expect(defaultPayloadConverter.fromPayload(decoded[2] as Payload)).toBe('new');
  });

  it('rejects an invalid keyring at construction', () => {
    expect(() => new EncryptionCodec(keyring('k9', [['k1', k1]]))).toThrow("keyring current key id 'k9' is not among its keys (k1)");
    expect(() => new EncryptionCodec(keyring('k1', [['k1', Buffer.alloc(16)]]))).toThrow("keyring key 'k1' must be 32 bytes, got 16");
    expect(() => new EncryptionCodec(keyring('k1', []))).toThrow('keyring has no keys');
  });

  it('is not affected by later changes to the keyring it was built from', async () => {
    const ring = keyring('k1', [['k1', Buffer.from(k1)]]);
    const codec = new EncryptionCodec(ring);
    const [encoded] = await codec.encode([toPayload(patient)]);
    ring.keys.get('k1')?.fill(9);
    ring.keys.delete('k1');
    const [decoded] = await codec.decode([encoded as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(patient);
  });

  it('createDataConverter wires the codec for Client/Worker options', async () => {
    const converter = createDataConverter(keyring('k1', [['k1', k1]]));
    expect(converter.payloadCodecs).toHaveLength(1);
    const codec = converter.payloadCodecs[0] as EncryptionCodec;
    expect(codec).toBeInstanceOf(EncryptionCodec);
    const [encoded] = await codec.encode([toPayload(patient)]);
    expect(meta(encoded as Payload)).toEqual({ encoding: 'binary/encrypted', 'encryption-key-id': 'k1' });
  });
});
