// Payload encryption key configuration.
//
// Sources, first match wins:
//   1. PAYLOAD_KEYS      env: "id1:base64key,id2:base64key" — the FIRST entry is the current key.
//   2. PAYLOAD_KEY_FILE  env: path of a JSON file {"current":"id","keys":{"id":"base64key"}}.
//   3. <dataDir>/payload-keys.json, only when loadKeyring(env, { generateIn: dataDir }) is asked to:
//      created with a fresh random key (mode 0600) on first use, reused afterwards. For local dev.
// Keys are 32 random bytes (AES-256), base64. Ids are [A-Za-z0-9_-]+ and are stored in plaintext in
// every payload's metadata, so they must not be secret.
//
// Rotation: add a new key and make it current (rotateKeyFile, or put the new entry first in
// PAYLOAD_KEYS), keep every old key for as long as any history encrypted with it is retained, and
// restart workers, clients and the codec server so they pick the keyring up.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec.ts';

export type Keyring = { currentKeyId: string; keys: Map<string, Buffer> };

/** The JSON shape of a key file (PAYLOAD_KEY_FILE or <dataDir>/payload-keys.json). */
export type KeyFileContents = { current: string; keys: Record<string, string> };

export type LoadKeyringOptions = {
  /** Data directory: when no env variable is set, use (creating on first use) <generateIn>/payload-keys.json. */
  generateIn?: string;
  /** Another keyring of the same shape under other names (the vault's master keys). */
  names?: KeyringNames;
};

/** Where a keyring is configured: its variables, its generated file, and what it is for (in errors). */
export type KeyringNames = { keysEnv: string; fileEnv: string; generatedFile: string; what: string };

export const PAYLOAD_KEYRING: KeyringNames = { keysEnv: 'PAYLOAD_KEYS', fileEnv: 'PAYLOAD_KEY_FILE', generatedFile: 'payload-keys.json', what: 'payload encryption keys' };

export const KEY_BYTES = 32;

const KEY_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

const howToConfigure = ({ keysEnv, fileEnv }: KeyringNames) =>
  `Set ${keysEnv}="<id>:<base64 ${KEY_BYTES}-byte key>[,<old id>:<old key>...]" (the first entry is the current key) ` +
  `or ${fileEnv}=/path/to/keys.json containing {"current":"<id>","keys":{"<id>":"<base64 key>"}}. ` +
  `Generate a key with: node -e "console.log(require('node:crypto').randomBytes(${KEY_BYTES}).toString('base64'))"`;

/** Reads the keyring from PAYLOAD_KEYS, else PAYLOAD_KEY_FILE, else (if opts.generateIn) <generateIn>/payload-keys.json (or opts.names' equivalents). */
export function loadKeyring(env: Record<string, string | undefined> = process.env, opts: LoadKeyringOptions = {}): Keyring {
  const names = opts.names ?? PAYLOAD_KEYRING;
  const keysVar = env[names.keysEnv];
  if (keysVar !== undefined && keysVar.trim() !== '') return parseKeysEnv(keysVar, names.keysEnv);

  const fileVar = env[names.fileEnv];
  if (fileVar !== undefined && fileVar.trim() !== '') {
    const path = resolve(fileVar.trim());
    return readKeyFile(path, `${names.fileEnv} (${path})`);
  }

  if (opts.generateIn) return loadOrCreateGeneratedKeyFile(join(resolve(opts.generateIn), names.generatedFile));

  throw new Error(`No ${names.what} configured. ${howToConfigure(names)}`);
}

/** Parses the PAYLOAD_KEYS format "id1:base64key,id2:base64key"; the first entry is current. */
export function parseKeysEnv(value: string, source: string = PAYLOAD_KEYRING.keysEnv): Keyring {
  const keys = new Map<string, Buffer>();
  let currentKeyId: string | undefined;
  const entries = value.split(',').map((e) => e.trim());
  entries.forEach((entry, index) => {
    const where = `${source} entry ${index + 1}`;
    if (entry === '') throw new Error(`${where}: empty (expected "<id>:<base64 key>", entries separated by commas)`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${where}: no ':' (expected "<id>:<base64 key>")`);
    const id = entry.slice(0, colon).trim();
    checkKeyId(id, where);
    if (keys.has(id)) throw new Error(`${where}: key id '${id}' appears more than once`);
    keys.set(id, decodeKey(entry.slice(colon + 1).trim(), id, where));
    currentKeyId ??= id;
  });
  return { currentKeyId: currentKeyId as string, keys };
}

/** Validates parsed key-file JSON and turns it into a Keyring. `source` names the file in errors. */
export function keyringFromKeyFile(contents: unknown, source: string): Keyring {
  if (typeof contents !== 'object' || contents === null || Array.isArray(contents)) {
    throw new Error(`${source}: expected a JSON object {"current":"<id>","keys":{"<id>":"<base64 key>"}}`);
  }
  const { current, keys } = contents as { current?: unknown; keys?: unknown };
  if (typeof current !== 'string') throw new Error(`${source}: "current" must be a string key id`);
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw new Error(`${source}: "keys" must be an object mapping key id to base64 key`);
  }
  const map = new Map<string, Buffer>();
  for (const [id, encoded] of Object.entries(keys)) {
    checkKeyId(id, source);
    if (typeof encoded !== 'string') throw new Error(`${source}: key '${id}' must be a base64 string`);
    map.set(id, decodeKey(encoded, id, source));
  }
  if (map.size === 0) throw new Error(`${source}: "keys" is empty`);
  if (!map.has(current)) {
    throw new Error(`${source}: current key id '${current}' is not in "keys" (${[...map.keys()].join(', ')})`);
  }
  return { currentKeyId: current, keys: map };
}

/** Inverse of keyringFromKeyFile. */
export function keyringToKeyFile(keyring: Keyring): KeyFileContents {
  return {
    current: keyring.currentKeyId,
    keys: Object.fromEntries([...keyring.keys].map(([id, key]) => [id, key.toString('base64')])),
  };
}

/** A fresh random 32-byte key under a new id that is not already in `existingIds`. */
export function generateKey(existingIds: Iterable<string> = []): { id: string; key: Buffer } {
  const taken = new Set(existingIds);
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  let id: string;
  do id = `k${day}-${randomBytes(3).toString('hex')}`;
  while (taken.has(id));
  return { id, key: randomBytes(KEY_BYTES) };
}

/** Pure: the key file contents with a new random key added and made current (old keys kept for decoding). */
export function addCurrentKey(contents: KeyFileContents): { contents: KeyFileContents; id: string } {
  const { id, key } = generateKey(Object.keys(contents.keys));
  return { id, contents: { current: id, keys: { ...contents.keys, [id]: key.toString('base64') } } };
}

/**
 * Rotation: adds a fresh random key to the key file at `path` and makes it current, keeping the old keys
 * so existing histories still decode. Rewrites the file atomically with mode 0600. Returns the new key id.
 */
export function rotateKeyFile(path: string): string {
  const abs = resolve(path);
  const keyring = readKeyFile(abs, `key file ${abs}`);
  const { contents, id } = addCurrentKey(keyringToKeyFile(keyring));
  const tmp = tempPathFor(abs);
  try {
    writeFileSync(tmp, serialise(contents), { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, abs);
  } catch (err) {
    tryUnlink(tmp);
    throw new Error(`key file ${abs}: cannot write rotated keys: ${(err as Error).message}`);
  }
  return id;
}

/** Loaded by path (the SDK requires it, and bundles it into the workflow sandbox). */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/**
 * Encryption for Client and Worker options: `dataConverter: createDataConverter(keyring)`. Payloads
 * are encrypted, and so are failure messages and stack traces (codec/failure-converter.ts).
 */
export function createDataConverter(keyring: Keyring): { payloadCodecs: PayloadCodec[]; failureConverterPath: string } {
  return { payloadCodecs: [new EncryptionCodec(keyring)], failureConverterPath };
}

function readKeyFile(path: string, source: string): Keyring {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${source}: cannot read key file: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  return keyringFromKeyFile(json, source);
}

function loadOrCreateGeneratedKeyFile(path: string): Keyring {
  const source = `generated key file ${path}`;
  if (existsSync(path)) return readKeyFile(path, source);
  const { id, key } = generateKey();
  const contents: KeyFileContents = { current: id, keys: { [id]: key.toString('base64') } };
  // Write a complete temp file, then link it into place: link fails if another process won the race,
  // and nobody ever sees a half-written key file.
  const tmp = tempPathFor(path);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, serialise(contents), { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new Error(`${source}: cannot create key file: ${(err as Error).message}`);
    }
  } finally {
    tryUnlink(tmp);
  }
  return readKeyFile(path, source);
}

function checkKeyId(id: string, where: string): void {
  if (id === '') throw new Error(`${where}: key id is empty`);
  if (!KEY_ID_PATTERN.test(id)) throw new Error(`${where}: key id '${id}' is invalid: use only A-Z a-z 0-9 _ -`);
}

function decodeKey(encoded: string, id: string, where: string): Buffer {
  // Never echo the key material itself in an error.
  if (!BASE64_PATTERN.test(encoded)) throw new Error(`${where}: key '${id}' is not valid base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${where}: key '${id}' must be ${KEY_BYTES} bytes, got ${key.length}`);
  return key;
}

function serialise(contents: KeyFileContents): string {
  return `${JSON.stringify(contents, null, 2)}\n`;
}

function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
