// casectl vault rotate, in process on a real database and the vault under DATA_DIR, opened as the
// worker opens it: the operator's command needs DATABASE_URL and VAULT_KEYS, no token.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { openVault } from '../../activities/vault/open.ts';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { EXIT, runCasectl } from '../casectl.ts';

const KEYS = { old: randomBytes(32), new: randomBytes(32), gone: randomBytes(32) };

let t: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'casectl-vault-'));
});
afterAll(async () => {
  await t?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The environment of the worker, or of casectl, with these vault keys (the first current). */
const envWith = (...ids: (keyof typeof KEYS)[]) => ({ DATABASE_URL: t.url, DATA_DIR: dataDir, VAULT_KEYS: ids.map((id) => `${id}:${KEYS[id].toString('base64')}`).join(',') });
const vaultWith = (...ids: (keyof typeof KEYS)[]) => openVault(loadConfig(envWith(...ids)), t.db, envWith(...ids));

async function casectl(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCasectl(argv, { env, io: { out: (s) => void out.push(s), err: (s) => void err.push(s) } });
  return { code, out, err };
}

describe('casectl vault rotate', () => {
  it('re-wraps the case keys under the old key, says which it could not (exit 1), and once those are gone rotates cleanly; the files read back without the old key', async () => {
    const body = randomBytes(100_000);
    await vaultWith('old').write('case-o', 'doc-1', Readable.from([body]));
    await vaultWith('gone').write('case-g', 'doc-1', Readable.from([Buffer.from('lost')]));

    const first = await casectl(envWith('new', 'old'), 'vault', 'rotate');
    expect(first).toEqual({
      code: EXIT.failure,
      out: ['Re-wrapped 1 case key under key new; 0 already current; keys still in use: gone, new.'],
      err: ['error: not re-wrapped, left as they were: 1 case key under keys that are not configured (gone)'],
    });

    await vaultWith('gone').shred('case-g');
    const second = await casectl(envWith('new'), 'vault', 'rotate', '--json');
    expect(second.err).toEqual([]);
    expect(second.code).toBe(EXIT.ok);
    expect(JSON.parse(second.out.join('\n'))).toEqual({ currentKeyId: 'new', rewrapped: 0, alreadyCurrent: 1, notRewrapped: [], keysInUse: ['new'] });
    expect((await buffer(await vaultWith('new').read('case-o', 'doc-1'))).equals(body)).toBe(true);
  });

  it('is listed with the operator commands, and its help says it needs the vault keys, not a token', async () => {
    const help = await casectl({}, '--help');
    const group = /^Bootstrap \(operator\) commands[^\n]*\n((?: [^\n]*\n)*)/m.exec(help.out.join('\n'))?.[1];
    expect(group).toMatch(/^ {2}user /m);
    expect(group).toMatch(/^ {2}vault /m);
    const rotate = await casectl({}, 'vault', 'rotate', '--help');
    expect(rotate.code).toBe(EXIT.ok);
    expect(rotate.out.join('\n')).toMatch(/need DATABASE_URL, not CASECTL_TOKEN[^]*VAULT_KEYS or VAULT_KEY_FILE/);
  });
});
