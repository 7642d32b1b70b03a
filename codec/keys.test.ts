import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec.ts';
import { addCurrentKey, loadKeyring, parseKeysEnv, rotateKeyFile } from './keys.ts';

const keyA = Buffer.alloc(32, 0xa1);
const keyB = Buffer.alloc(32, 0xb2);
const b64A = keyA.toString('base64');
const b64B = keyB.toString('base64');
const short = Buffer.alloc(16, 1).toString('base64');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'codec-keys-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const writeJson = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};

describe('loadKeyring from PAYLOAD_KEYS', () => {
  it('parses id:base64 pairs, first is current', () => {
    const ring = loadKeyring({ PAYLOAD_KEYS: ` k2:${b64B} , k1:${b64A}` });
    expect(ring.currentKeyId).toBe('k2');
    expect([...ring.keys.keys()]).toEqual(['k2', 'k1']);
    expect(ring.keys.get('k2')?.equals(keyB)).toBe(true);
    expect(ring.keys.get('k1')?.equals(keyA)).toBe(true);
  });

  it('takes precedence over PAYLOAD_KEY_FILE', () => {
    const file = writeJson('keys.json', { current: 'f1', keys: { f1: b64B } });
    const ring = loadKeyring({ PAYLOAD_KEYS: `e1:${b64A}`, PAYLOAD_KEY_FILE: file }, { generateIn: dir });
    expect(ring.currentKeyId).toBe('e1');
    expect([...ring.keys.keys()]).toEqual(['e1']);
    expect(readdirSync(dir)).toEqual(['keys.json']);
  });

  it.each([
    [`k1:${short}`, "PAYLOAD_KEYS entry 1: key 'k1' must be 32 bytes, got 16"],
    [`k0:${b64B},k1:${short}`, "PAYLOAD_KEYS entry 2: key 'k1' must be 32 bytes, got 16"],
    [`k1${b64A}`, "PAYLOAD_KEYS entry 1: no ':' (expected \"<id>:<base64 key>\")"],
    [`:${b64A}`, 'PAYLOAD_KEYS entry 1: key id is empty'],
    [`k 1:${b64A}`, "PAYLOAD_KEYS entry 1: key id 'k 1' is invalid: use only A-Z a-z 0-9 _ -"],
    [`k1:${b64A},k1:${b64B}`, "PAYLOAD_KEYS entry 2: key id 'k1' appears more than once"],
    [`k1:${b64A},,k2:${b64B}`, 'PAYLOAD_KEYS entry 2: empty (expected "<id>:<base64 key>", entries separated by commas)'],
    ['k1:not*base64!', "PAYLOAD_KEYS entry 1: key 'k1' is not valid base64"],
  ])('rejects %s', (value, message) => {
    expect(() => loadKeyring({ PAYLOAD_KEYS: value })).toThrow(new Error(message));
  });

  it('never echoes key material in errors', () => {
    const secretish = Buffer.alloc(31, 7).toString('base64');
    expect(() => parseKeysEnv(`k1:${secretish}`)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secretish) }));
  });
});

describe('loadKeyring from PAYLOAD_KEY_FILE', () => {
  it('reads current and keys from the JSON file', () => {
    const file = writeJson('keys.json', { current: 'b', keys: { a: b64A, b: b64B } });
    const ring = loadKeyring({ PAYLOAD_KEY_FILE: file });
    expect(ring.currentKeyId).toBe('b');
    expect([...ring.keys.keys()]).toEqual(['a', 'b']);
    expect(ring.keys.get('a')?.equals(keyA)).toBe(true);
    expect(ring.keys.get('b')?.equals(keyB)).toBe(true);
  });

  it('treats an empty PAYLOAD_KEYS as unset', () => {
    const file = writeJson('keys.json', { current: 'a', keys: { a: b64A } });
    expect(loadKeyring({ PAYLOAD_KEYS: '  ', PAYLOAD_KEY_FILE: file }).currentKeyId).toBe('a');
  });

  it.each([
    [{ current: 'c', keys: { a: b64A } }, 'current key id \'c\' is not in "keys" (a)'],
    [{ current: 'a', keys: { a: short } }, "key 'a' must be 32 bytes, got 16"],
    [{ keys: { a: b64A } }, '"current" must be a string key id'],
    [{ current: 'a', keys: [] }, '"keys" must be an object mapping key id to base64 key'],
    [{ current: 'a', keys: {} }, '"keys" is empty'],
    [{ current: 'a', keys: { a: 42 } }, "key 'a' must be a base64 string"],
    [{ current: 'a b', keys: { 'a b': b64A } }, "key id 'a b' is invalid: use only A-Z a-z 0-9 _ -"],
    ['{ not json', 'not valid JSON: '],
  ])('rejects %j, naming the variable and file', (contents, problem) => {
    const file = writeJson('bad.json', contents);
    expect(() => loadKeyring({ PAYLOAD_KEY_FILE: file })).toThrow(`PAYLOAD_KEY_FILE (${file}): ${problem}`);
  });

  it('names the variable when the file is missing', () => {
    const file = join(dir, 'missing.json');
    expect(() => loadKeyring({ PAYLOAD_KEY_FILE: file })).toThrow(`PAYLOAD_KEY_FILE (${file}): cannot read key file: ENOENT`);
  });
});

describe('loadKeyring with generateIn', () => {
  it('generates <dataDir>/payload-keys.json with mode 0600 on first use and reuses it after', async () => {
    const dataDir = join(dir, 'data', 'nested');
    const first = loadKeyring({}, { generateIn: dataDir });
    const path = join(dataDir, 'payload-keys.json');

    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir)).toEqual(['payload-keys.json']);
    expect(first.currentKeyId).toMatch(/^k\d{8}-[0-9a-f]{6}$/);
    expect(first.keys.size).toBe(1);
    expect(first.keys.get(first.currentKeyId)?.length).toBe(32);
    const onDisk = JSON.parse(readFileSync(path, 'utf8')) as { current: string; keys: Record<string, string> };
    expect(onDisk).toEqual({ current: first.currentKeyId, keys: { [first.currentKeyId]: first.keys.get(first.currentKeyId)?.toString('base64') } });

    const second = loadKeyring({}, { generateIn: dataDir });
    expect(second.currentKeyId).toBe(first.currentKeyId);
    expect(second.keys.get(second.currentKeyId)?.equals(first.keys.get(first.currentKeyId) as Buffer)).toBe(true);

    // What one process encrypted, the next one (reloading the file) decrypts.
    const [encoded] = await new EncryptionCodec(first).encode([defaultPayloadConverter.toPayload('x')]);
    const [decoded] = await new EncryptionCodec(second).decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toBe('x');
  });

  it('validates an existing generated file and names it in errors', () => {
    const path = writeJson('payload-keys.json', { current: 'a', keys: { a: short } });
    expect(() => loadKeyring({}, { generateIn: dir })).toThrow(`generated key file ${path}: key 'a' must be 32 bytes, got 16`);
  });

  it('is not used when an env variable is set', () => {
    loadKeyring({ PAYLOAD_KEYS: `a:${b64A}` }, { generateIn: dir });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('loadKeyring without configuration', () => {
  it('explains how to configure keys', () => {
    expect(() => loadKeyring({})).toThrow(/^No payload encryption keys configured\. Set PAYLOAD_KEYS=.* or PAYLOAD_KEY_FILE=/);
    expect(() => loadKeyring({ PAYLOAD_KEYS: '', PAYLOAD_KEY_FILE: '' })).toThrow('No payload encryption keys configured.');
  });
});

describe('rotation', () => {
  it('addCurrentKey is pure and keeps the old keys', () => {
    const before = { current: 'a', keys: { a: b64A } };
    const { contents, id } = addCurrentKey(before);
    expect(before).toEqual({ current: 'a', keys: { a: b64A } });
    expect(contents.current).toBe(id);
    expect(Object.keys(contents.keys)).toEqual(['a', id]);
    expect(contents.keys.a).toBe(b64A);
    expect(Buffer.from(contents.keys[id] as string, 'base64').length).toBe(32);
  });

  it('rotateKeyFile adds a new current key, keeps old ones decodable and the file 0600', async () => {
    const path = writeJson('keys.json', { current: 'a', keys: { a: b64A } });
    const oldRing = loadKeyring({ PAYLOAD_KEY_FILE: path });
    const [oldPayload] = await new EncryptionCodec(oldRing).encode([defaultPayloadConverter.toPayload('before')]);

    const newId = rotateKeyFile(path);

    expect(newId).toMatch(/^k\d{8}-[0-9a-f]{6}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['keys.json']);
    const ring = loadKeyring({ PAYLOAD_KEY_FILE: path });
    expect(ring.currentKeyId).toBe(newId);
    expect([...ring.keys.keys()]).toEqual(['a', newId]);
    expect(ring.keys.get('a')?.equals(keyA)).toBe(true);

    const codec = new EncryptionCodec(ring);
    const [newPayload] = await codec.encode([defaultPayloadConverter.toPayload('after')]);
    expect(Buffer.from(newPayload!.metadata!['encryption-key-id']!).toString()).toBe(newId);
    const decoded = await codec.decode([oldPayload!, newPayload!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['before', 'after']);

    const third = rotateKeyFile(path);
    expect(third).not.toBe(newId);
    expect([...loadKeyring({ PAYLOAD_KEY_FILE: path }).keys.keys()]).toEqual(['a', newId, third]);
  });

  it('rotateKeyFile refuses an invalid file and leaves it untouched', () => {
    const path = writeJson('keys.json', { current: 'x', keys: { a: b64A } });
    const before = readFileSync(path, 'utf8');
    expect(() => rotateKeyFile(path)).toThrow(`key file ${path}: current key id 'x' is not in "keys" (a)`);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});
