// Rotating the vault's master key: every live case key re-wrapped under the current key, so that the
// old key can be removed and every file still reads back; what cannot be re-wrapped is reported and
// left alone; a shredded case is never revived, even by a run under way while it is shredded.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Keyring } from '../../codec/keys.ts';
import type { Database } from '../../db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { fileStore, type ObjectStore } from './store.ts';
import { CaseShredded, createVault, type Vault } from './vault.ts';

const KEYS = { old: randomBytes(32), new: randomBytes(32), gone: randomBytes(32) };

let t: TestDatabase;
let dir: string;
let store: ObjectStore;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'vault-rewrap-'));
  store = fileStore(dir);
});
afterAll(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
// Each test counts every case key there is: it starts from none.
beforeEach(async () => {
  await t.db.deleteFrom('case_keys').execute();
});

/** A keyring of these ids, the first current; a key may be given other bytes than the one of its id. */
function keyring(ids: (keyof typeof KEYS)[], other: Partial<Record<keyof typeof KEYS, Buffer>> = {}): Keyring {
  return { currentKeyId: ids[0]!, keys: new Map(ids.map((id) => [id, other[id] ?? KEYS[id]])) };
}

const vaultWith = (ids: (keyof typeof KEYS)[], db: Kysely<Database> = t.db): Vault => createVault({ db, keyring: keyring(ids), store });

/** Writes a file to the case and answers its bytes. */
async function write(vault: Vault, caseId: string, objectId: string, size = 1_000): Promise<Buffer> {
  const body = randomBytes(size);
  await vault.write(caseId, objectId, Readable.from([body]));
  return body;
}

const read = async (vault: Vault, caseId: string, objectId: string) => buffer(await vault.read(caseId, objectId));
const keyRow = (caseId: string) => t.db.selectFrom('case_keys').select(['key_id', 'wrapped', 'shredded_at']).where('case_id', '=', caseId).executeTakeFirstOrThrow();

/**
 * `db`, but once the run's case keys have been read, `meanwhile` happens before the run sees them:
 * what another process does between the run's reading a key and writing it back.
 */
function meanwhileAfterRead(meanwhile: () => Promise<void>): Kysely<Database> {
  let done = false;
  return t.db.withPlugin({
    transformQuery: (args) => args.node,
    async transformResult(args) {
      const rows = args.result.rows as Record<string, unknown>[];
      if (!done && rows.some((r) => 'case_id' in r && 'wrapped' in r)) {
        done = true;
        await meanwhile();
      }
      return args.result;
    },
  });
}

describe('vault.rewrapKeys', () => {
  it('moves every live case key under the current master key; with the old key removed every file reads back byte for byte, and no file was rewritten', async () => {
    const before = vaultWith(['old']);
    const both = vaultWith(['new', 'old']);
    const files: [string, string, Buffer][] = [
      ['case-a', 'doc-1', await write(before, 'case-a', 'doc-1', 300_000)], // several records
      ['case-a', 'doc-2', await write(before, 'case-a', 'doc-2')],
      ['case-b', 'doc-1', await write(before, 'case-b', 'doc-1')],
      ['case-n', 'doc-1', await write(both, 'case-n', 'doc-1')],
    ];
    const readsBack = async (vault: Vault) => {
      for (const [caseId, objectId, body] of files) expect((await read(vault, caseId, objectId)).equals(body), `${caseId}/${objectId}`).toBe(true);
    };
    const objects = () => Promise.all(files.map(async ([caseId, objectId]) => buffer(await store.get(`cases/${caseId}/${objectId}`))));
    const stored = await objects();
    await readsBack(both);
    expect((await keyRow('case-a')).key_id).toBe('old');

    expect(await both.rewrapKeys()).toEqual({ currentKeyId: 'new', rewrapped: 2, alreadyCurrent: 1, notRewrapped: [], keysInUse: ['new'] });

    await readsBack(vaultWith(['new']));
    expect((await keyRow('case-a')).key_id).toBe('new');
    expect(await objects()).toEqual(stored);
  });

  it('a second run re-wraps nothing and changes no row', async () => {
    const before = vaultWith(['old']);
    await write(before, 'case-a', 'doc-1');
    await write(before, 'case-b', 'doc-1');
    const both = vaultWith(['new', 'old']);
    expect((await both.rewrapKeys()).rewrapped).toBe(2);
    const rows = await t.db.selectFrom('case_keys').selectAll().orderBy('case_id').execute();

    expect(await both.rewrapKeys()).toEqual({ currentKeyId: 'new', rewrapped: 0, alreadyCurrent: 2, notRewrapped: [], keysInUse: ['new'] });
    expect(await t.db.selectFrom('case_keys').selectAll().orderBy('case_id').execute()).toEqual(rows);
  });

  it('leaves a shredded case shredded', async () => {
    const before = vaultWith(['old']);
    await write(before, 'case-s', 'doc-1');
    await before.shred('case-s');
    const kept = await write(before, 'case-a', 'doc-1');

    expect(await vaultWith(['new', 'old']).rewrapKeys()).toEqual({ currentKeyId: 'new', rewrapped: 1, alreadyCurrent: 0, notRewrapped: [], keysInUse: ['new'] });
    expect(await keyRow('case-s')).toMatchObject({ key_id: 'old', wrapped: null, shredded_at: expect.any(Date) });
    await expect(vaultWith(['new', 'old']).read('case-s', 'doc-1')).rejects.toBeInstanceOf(CaseShredded);
    expect((await read(vaultWith(['new']), 'case-a', 'doc-1')).equals(kept)).toBe(true);
  });

  it('reports the case keys whose master key is not configured, or is another key under the same id, leaves them as they were, and re-wraps the others', async () => {
    const gone = await write(vaultWith(['gone']), 'case-g', 'doc-1');
    const old = await write(vaultWith(['old']), 'case-o', 'doc-1');
    await write(vaultWith(['new']), 'case-n', 'doc-1');
    await write(vaultWith(['new']), 'case-m', 'doc-1');
    const [g, o] = [await keyRow('case-g'), await keyRow('case-o')];

    // 'old' mistyped: the right id, other bytes.
    const wrongOld = createVault({ db: t.db, keyring: keyring(['new', 'old'], { old: randomBytes(32) }), store });
    expect(await wrongOld.rewrapKeys()).toEqual({
      currentKeyId: 'new',
      rewrapped: 0,
      alreadyCurrent: 2,
      notRewrapped: [{ keyId: 'gone', cases: 1, reason: 'not configured' }, { keyId: 'old', cases: 1, reason: 'does not unwrap' }],
      keysInUse: ['gone', 'new', 'old'],
    });
    expect(await keyRow('case-g')).toEqual(g);
    expect(await keyRow('case-o')).toEqual(o);
    expect((await read(vaultWith(['gone']), 'case-g', 'doc-1')).equals(gone)).toBe(true);

    expect(await vaultWith(['new', 'old']).rewrapKeys()).toEqual({
      currentKeyId: 'new',
      rewrapped: 1,
      alreadyCurrent: 2,
      notRewrapped: [{ keyId: 'gone', cases: 1, reason: 'not configured' }],
      keysInUse: ['gone', 'new'],
    });
    expect((await read(vaultWith(['new']), 'case-o', 'doc-1')).equals(old)).toBe(true);
  });

  it('of two runs at once, the one overtaken writes nothing, and every file still reads', async () => {
    const before = vaultWith(['old']);
    const a = await write(before, 'case-a', 'doc-1');
    const b = await write(before, 'case-b', 'doc-1');
    let other: unknown;
    const overtaken = vaultWith(['new', 'old'], meanwhileAfterRead(async () => void (other = await vaultWith(['new', 'old']).rewrapKeys())));

    expect(await overtaken.rewrapKeys()).toMatchObject({ rewrapped: 0, alreadyCurrent: 0, keysInUse: ['new'] });
    expect(other).toMatchObject({ rewrapped: 2, alreadyCurrent: 0, keysInUse: ['new'] });
    expect((await read(vaultWith(['new']), 'case-a', 'doc-1')).equals(a)).toBe(true);
    expect((await read(vaultWith(['new']), 'case-b', 'doc-1')).equals(b)).toBe(true);
  });

  it('a case shredded while a run is under way stays shredded', async () => {
    const before = vaultWith(['old']);
    await write(before, 'case-s', 'doc-1');
    const run = vaultWith(['new', 'old'], meanwhileAfterRead(() => before.shred('case-s')));

    expect(await run.rewrapKeys()).toEqual({ currentKeyId: 'new', rewrapped: 0, alreadyCurrent: 0, notRewrapped: [], keysInUse: [] });
    expect(await keyRow('case-s')).toMatchObject({ wrapped: null, shredded_at: expect.any(Date) });
    await expect(vaultWith(['new', 'old']).read('case-s', 'doc-1')).rejects.toBeInstanceOf(CaseShredded);
  });
});
