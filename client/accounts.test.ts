// Password hashing and the accounts store: scrypt hashes carry their salt and parameters and
// verify in constant time; sessions expire after idling; API tokens resolve to their account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, DEFAULT_SCRYPT, hashPassword, sha256, signInKeyOf, verifyPassword } from './accounts.ts';
import { InputError } from '../domain/validation.ts';
import { totpNow } from './second-factor.ts';
import { createTestDatabase, type TestDatabase } from '../test/harness/postgres.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('stores scrypt with its parameters, a random salt and a 32-byte key', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const [kind, N, r, p, salt, key] = hash.split('$');
    expect(kind).toBe('scrypt');
    expect([Number(N), Number(r), Number(p)]).toEqual([DEFAULT_SCRYPT.N, DEFAULT_SCRYPT.r, DEFAULT_SCRYPT.p]);
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
    expect(hash).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same password here', FAST), hashPassword('same password here', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password here', a)).toBe(true);
    expect(await verifyPassword('same password here', b)).toBe(true);
  });

  it('reads the parameters from the stored string, so older costs still verify', async () => {
    const cheap = await hashPassword('an older password', FAST);
    expect(cheap.split('$')[1]).toBe(String(2 ** 10));
    expect(await verifyPassword('an older password', cheap)).toBe(true);
  });

  it('normalises Unicode, so the same password typed on another keyboard verifies', async () => {
    const hash = await hashPassword('contraseña segura', FAST);
    expect(await verifyPassword('contrasen\u0303a segura', hash)).toBe(true);
  });

  it('refuses malformed or tampered hashes without throwing', async () => {
    const hash = await hashPassword('tamper with me please', FAST);
    const parts = hash.split('$');
    for (const bad of [
      '',
      'plaintext',
      `bcrypt$${parts.slice(1).join('$')}`,
      parts.slice(0, 5).join('$'),
      [...parts.slice(0, 5), Buffer.alloc(16).toString('base64url')].join('$'),
      ['scrypt', 'x', ...parts.slice(2)].join('$'),
      ['scrypt', String(2 ** 30), ...parts.slice(2)].join('$'),
      [...parts.slice(0, 4), '', parts[5]].join('$'),
    ]) {
      expect(await verifyPassword('tamper with me please', bad), bad).toBe(false);
    }
  });
});

describe('accounts store', () => {
  let t: TestDatabase;
  let clock = Date.parse('2026-11-24T09:00:00Z');
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.close());
  const accounts = () => createAccounts(t.db, { now: () => clock, scrypt: FAST });

  it('creates users with normalised emails and refuses duplicates and weak input', async () => {
    const u = await accounts().createUser({ email: ' Ana@Care.Example ', name: 'Ana', role: 'coordinator', password: 'a long enough password' });
    expect(u).toMatchObject({ email: 'ana@care.example', role: 'coordinator' });
    const row = await t.db.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    await expect(accounts().createUser({ email: 'ana@care.example', name: 'Ana 2', role: 'ops', password: 'a long enough password' })).rejects.toThrow(/already exists/);
    const err = await accounts()
      .createUser({ email: 'nope', name: '', role: 'admin', password: 'short' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).fields.map((f) => f.field).sort()).toEqual(['email', 'name', 'password', 'role']);
  });

  it('verifies logins by email and password, case-insensitively by email; never for a disabled account', async () => {
    expect(await accounts().verifyLogin('ANA@care.example', 'a long enough password')).toMatchObject({ email: 'ana@care.example' });
    expect(await accounts().verifyLogin('ana@care.example', 'wrong password!!')).toBeUndefined();
    expect(await accounts().verifyLogin('nobody@care.example', 'a long enough password')).toBeUndefined();
    const c = await accounts().createUser({ email: 'gone@care.example', name: 'Gone', role: 'ops', password: 'a long enough password' });
    await t.db.updateTable('users').set({ disabled: true }).where('id', '=', c.id).execute();
    expect(await accounts().verifyLogin('gone@care.example', 'a long enough password')).toBeUndefined();
  });

  it('keeps sessions by the hash of their token, slides them on use and ends them after 12 h idle', async () => {
    const user = (await accounts().findUser('ana@care.example'))!;
    const s = await accounts().createSession(user.id);
    expect(await t.db.selectFrom('sessions').select('id').where('id', '=', s.token).executeTakeFirst()).toBeUndefined();
    expect(await t.db.selectFrom('sessions').select('id').where('id', '=', sha256(s.token)).executeTakeFirst()).toBeDefined();
    clock += 11 * 3_600_000;
    expect((await accounts().getSession(s.token))?.csrfToken).toBe(s.csrfToken);
    clock += 11 * 3_600_000; // 22 h after sign-in, 11 h after the last use
    expect(await accounts().getSession(s.token)).toMatchObject({ user: { email: 'ana@care.example' } });
    clock += 12 * 3_600_000 + 1;
    expect(await accounts().getSession(s.token)).toBeUndefined();
    expect(await accounts().getSession('not-a-token')).toBeUndefined();
    const s2 = await accounts().createSession(user.id);
    await accounts().deleteSession(s2.token);
    expect(await accounts().getSession(s2.token)).toBeUndefined();
  });

  it('issues API tokens shown once, stored as hashes, resolving to their account', async () => {
    const made = await accounts().createApiToken('ana@care.example', 'import script');
    expect(made.token).toMatch(/^cct_/);
    const rows = await t.db.selectFrom('api_tokens').selectAll().execute();
    expect(rows.map((r) => r.token_hash)).toContain(sha256(made.token));
    expect(JSON.stringify(rows)).not.toContain(made.token);
    expect(await accounts().resolveApiToken(made.token)).toMatchObject({ email: 'ana@care.example', role: 'coordinator' });
    expect(await accounts().resolveApiToken(`${made.token}x`)).toBeUndefined();
    expect(await accounts().resolveApiToken('cct_')).toBeUndefined();
    await expect(accounts().createApiToken('nobody@care.example', 'x')).rejects.toThrow(/no enabled account/);
  });

  it('refuses the most common passwords, whatever their case, naming the field', async () => {
    for (const password of ['qwerty123456', 'QWERTYUIOP12', 'LeaveMeAlone']) {
      const err = await accounts()
        .createUser({ email: 'common@care.example', name: 'C', role: 'ops', password })
        .catch((e: unknown) => e);
      expect((err as InputError).fields, password).toEqual([{ field: 'password', message: 'is one of the most common passwords: choose another' }]);
    }
    await expect(accounts().setPassword('ana@care.example', '1qaz2wsx3edc')).rejects.toThrow(/most common passwords/);
    await accounts().setPassword('ana@care.example', 'a long enough password');
  });

  it('API tokens live their days and no longer; one revoked ends at once; a live name is not reused', async () => {
    const made = await accounts().createApiToken('ana@care.example', 'nightly export', 30);
    expect(made.expiresAt.toISOString()).toBe(new Date(clock + 30 * 86_400_000).toISOString());
    await expect(accounts().createApiToken('ana@care.example', 'nightly export')).rejects.toThrow(/already has a token named "nightly export"/);
    await expect(accounts().createApiToken('ana@care.example', 'forever', 10_000)).rejects.toThrow(/at most 366 days/);
    const before = clock;
    clock += 30 * 86_400_000 - 1000;
    expect(await accounts().resolveApiToken(made.token)).toMatchObject({ email: 'ana@care.example' });
    clock += 2000;
    expect(await accounts().resolveApiToken(made.token)).toBeUndefined();
    clock = before;
    const other = await accounts().createApiToken('ana@care.example', 'lab import', 90);
    expect(await accounts().resolveApiToken(other.token)).toBeDefined();
    await accounts().revokeApiToken('ana@care.example', 'lab import');
    expect(await accounts().resolveApiToken(other.token)).toBeUndefined();
    await expect(accounts().revokeApiToken('ana@care.example', 'lab import')).rejects.toThrow(/no live token named "lab import"/);
    // Revoked, the name is free again.
    await accounts().createApiToken('ana@care.example', 'lab import', 90);
    expect((await accounts().listUsers()).find((u) => u.email === 'ana@care.example')!.tokens.map((x) => x.name)).toEqual(expect.arrayContaining(['lab import', 'nightly export']));
  });

  it('a disabled account cannot sign in, its sessions and tokens stop at once; enabled again it signs in', async () => {
    const u = await accounts().createUser({ email: 'leaver@care.example', name: 'Leaver', role: 'clinician', password: 'a long enough password' });
    const s = await accounts().createSession(u.id);
    const tok = await accounts().createApiToken('leaver@care.example', 'script');
    await accounts().setDisabled('leaver@care.example', true);
    expect(await accounts().getSession(s.token)).toBeUndefined();
    expect(await accounts().resolveApiToken(tok.token)).toBeUndefined();
    expect(await accounts().verifyLogin('leaver@care.example', 'a long enough password')).toBeUndefined();
    await accounts().setDisabled('leaver@care.example', false);
    expect(await accounts().verifyLogin('leaver@care.example', 'a long enough password')).toMatchObject({ role: 'clinician' });
    expect(await accounts().getSession(s.token)).toBeUndefined();
    await expect(accounts().setDisabled('nobody@care.example', true)).rejects.toThrow('no account for nobody@care.example');
  });

  it("setting a password ends the account's sessions and its sign-in lock; unlock ends the lock alone", async () => {
    const u = (await accounts().findUser('ana@care.example'))!;
    const s = await accounts().createSession(u.id);
    await t.db.insertInto('sign_in_attempts').values([{ key: signInKeyOf('Ana@care.example'), at: new Date() }, { key: signInKeyOf('ana@care.example'), at: new Date() }]).execute();
    await accounts().setPassword('ana@care.example', 'another long password');
    expect(await accounts().getSession(s.token)).toBeUndefined();
    expect(await t.db.selectFrom('sign_in_attempts').select('id').where('key', '=', signInKeyOf('ana@care.example')).execute()).toEqual([]);
    expect(await accounts().verifyLogin('ana@care.example', 'another long password')).toBeDefined();
    await t.db.insertInto('sign_in_attempts').values({ key: signInKeyOf('ana@care.example'), at: new Date() }).execute();
    await accounts().unlock('ANA@care.example');
    expect(await t.db.selectFrom('sign_in_attempts').select('id').where('key', '=', signInKeyOf('ana@care.example')).execute()).toEqual([]);
    await accounts().setPassword('ana@care.example', 'a long enough password');
  });

  it('creates the first account from ADMIN_EMAIL and ADMIN_PASSWORD only when none exists', async () => {
    expect(await accounts().ensureAdmin({ ADMIN_EMAIL: 'boss@care.example', ADMIN_PASSWORD: 'a long enough password' })).toEqual({ outcome: 'exists' });
    const fresh = await createTestDatabase();
    try {
      const a = createAccounts(fresh.db, { scrypt: FAST });
      expect(await a.ensureAdmin({})).toEqual({ outcome: 'missing' });
      expect(await a.ensureAdmin({ ADMIN_EMAIL: 'Boss@care.example', ADMIN_PASSWORD: 'a long enough password' })).toEqual({ outcome: 'created', email: 'boss@care.example' });
      expect(await a.verifyLogin('boss@care.example', 'a long enough password')).toMatchObject({ role: 'coordinator', admin: true, secondFactor: false });
    } finally {
      await fresh.close();
    }
  });

  it('a second factor: a password-only session opens nothing until a code from the app confirms the set-up', async () => {
    const u = await accounts().createUser({ email: 'nia@care.example', name: 'Nia', role: 'clinician', password: 'a long enough password' });
    const pending = await accounts().createSession(u.id, { pendingEnrolment: true });
    expect(await accounts().getSession(pending.token)).toBeUndefined();
    expect(await accounts().getSession(pending.token, { allowPending: true })).toMatchObject({ pendingEnrolment: true, user: { secondFactor: false } });
    const secret = await accounts().startEnrolment(u.id);
    expect(await accounts().startEnrolment(u.id)).toBe(secret); // a reload shows the same QR code
    expect(await accounts().confirmEnrolment(u.id, '000000' === totpNow(secret, clock) ? '111111' : '000000', pending.token)).toBeUndefined();
    const codes = (await accounts().confirmEnrolment(u.id, totpNow(secret, clock), pending.token))!;
    expect(codes).toHaveLength(10);
    expect(await accounts().getSession(pending.token)).toMatchObject({ pendingEnrolment: false, user: { secondFactor: true } });
    // Only hashes of recovery codes are kept.
    const stored = await t.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', u.id).execute();
    expect(stored.map((r) => r.code_hash)).not.toContain(codes[0]);
  });

  it('a TOTP code works once; a recovery code works once, typed any way; a wrong one never', async () => {
    const u = (await accounts().findUser('nia@care.example'))!;
    const secret = (await t.db.selectFrom('users').select('totp_secret').where('id', '=', u.id).executeTakeFirstOrThrow()).totp_secret!;
    clock += 30_000;
    const code = totpNow(secret, clock);
    expect(await accounts().checkSecondFactor(u.id, code)).toBe('totp');
    expect(await accounts().checkSecondFactor(u.id, code)).toBeUndefined(); // replayed
    clock += 30_000;
    // The previous step's code, though within the window, is older than the one accepted.
    expect(await accounts().checkSecondFactor(u.id, totpNow(secret, clock - 60_000))).toBeUndefined();
    expect(await accounts().checkSecondFactor(u.id, totpNow(secret, clock))).toBe('totp');
    const [first, second] = await accounts().renewRecoveryCodes(u.id);
    expect(await accounts().checkSecondFactor(u.id, ` ${first!.toUpperCase().replace('-', ' ')} `)).toBe('recovery');
    expect(await accounts().checkSecondFactor(u.id, first!)).toBeUndefined();
    expect(await accounts().unusedRecoveryCodes(u.id)).toBe(9);
    expect(await accounts().checkSecondFactor(u.id, 'aaaaa-bbbbb')).toBeUndefined();
    // A reset by an admin ends it: the owner sets it up again.
    await accounts().resetSecondFactor('nia@care.example');
    expect(await accounts().checkSecondFactor(u.id, second!)).toBeUndefined();
    expect(await accounts().findUser('nia@care.example')).toMatchObject({ secondFactor: false });
  });

  it('a password link: single use, expires, a weak password does not use it up, and it ends the sessions', async () => {
    const link = (await accounts().createPasswordLink('NIA@care.example', 3_600_000))!;
    expect(link.user.email).toBe('nia@care.example');
    // A second request within a minute sends nothing; an unknown address neither (and says nothing).
    expect(await accounts().createPasswordLink('nia@care.example', 3_600_000)).toBeUndefined();
    expect(await accounts().createPasswordLink('nobody@care.example', 3_600_000)).toBeUndefined();
    const session = await accounts().createSession(link.user.id);
    await expect(accounts().usePasswordLink(link.token, 'password123')).rejects.toThrow(InputError);
    expect(await accounts().passwordLinkUser(link.token)).toMatchObject({ email: 'nia@care.example' });
    expect(await accounts().usePasswordLink(link.token, 'a new long password')).toMatchObject({ email: 'nia@care.example' });
    expect(await accounts().verifyLogin('nia@care.example', 'a new long password')).toBeDefined();
    expect(await accounts().getSession(session.token)).toBeUndefined();
    expect(await accounts().usePasswordLink(link.token, 'yet another password')).toBeUndefined();
    clock += 61_000;
    const late = (await accounts().createPasswordLink('nia@care.example', 3_600_000))!;
    clock += 3_600_001;
    expect(await accounts().passwordLinkUser(late.token)).toBeUndefined();
    expect(await accounts().usePasswordLink(late.token, 'yet another password')).toBeUndefined();
  });
});
