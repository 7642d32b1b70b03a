// Staff accounts: users with a role, password sign-in, sessions and API tokens. Used by the JSON
// API (client/http/api.ts) and by `casectl user`. Only hashes of secrets are stored:
//
// - passwords: scrypt (memory-hard) with a random per-password salt; the parameters travel in the
//   stored string, `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url), so they can be raised later
//   without invalidating existing hashes; verification compares in constant time;
// - session and API tokens: 32 random bytes; the database holds their sha256 only.
// - second factor (client/second-factor.ts): every role that reads patient data must have one; an
//   account without it signs in to a session that opens the set-up page only. The TOTP secret is
//   stored as the authenticator app holds it (it must be read to check a code); recovery codes
//   and emailed password links as sha256.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import { InputError, parseInput, secretTextSchema, textSchema } from '../domain/validation.ts';
import { mayAccess, ROLES, type Role } from '../domain/actions.ts';
import { isTotpCode, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, totpStep } from './second-factor.ts';


export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  /** May manage accounts. */
  admin: boolean;
  /** Has a confirmed second factor. */
  secondFactor: boolean;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: Date;
  /** Signed in with a password only, to set up the second factor: the set-up page and nothing else. */
  pendingEnrolment: boolean;
}

/** Every role that reads patient data signs in with a second factor. */
export const mustUseSecondFactor = (role: Role): boolean => mayAccess(role, 'read');

/** What a password sign-in leads to: a full session, a second factor to ask for, or its set-up. */
export const signInNeeds = (user: User): 'session' | 'code' | 'set up' => (user.secondFactor ? 'code' : mustUseSecondFactor(user.role) ? 'set up' : 'session');

// ---- password hashing --------------------------------------------------------------------------

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB per hash, ~50-100 ms: OWASP's scrypt baseline. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scrypt(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches `stored`; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 2 ** 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length !== KEY_LENGTH) return false;
  const actual = await scrypt(password, salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}

/** Spent on sign-ins for unknown or disabled accounts, so their timing matches a wrong password. */
let dummyHash: Promise<string> | undefined;

// ---- tokens ------------------------------------------------------------------------------------

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const newToken = (prefix = ''): string => `${prefix}${randomBytes(32).toString('base64url')}`;
/** API tokens carry a prefix so a leaked one is recognisable in a secret scanner. */
const API_TOKEN_PREFIX = 'cct_';

// ---- the accounts store ------------------------------------------------------------------------

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('must be an email address').max(254));

// The 49,000 most common passwords (zxcvbn-ts's list), any case: the first ones an attacker tries.
const COMMON_PASSWORDS = new Set(dictionary['passwords-common'] as string[]);
// (A password too short already says so: the list is not named on top.)
export const passwordSchema = secretTextSchema(12, 1024).refine((p) => p.length < 12 || !COMMON_PASSWORDS.has(p.toLowerCase()), 'is one of the most common passwords: choose another');

export const newUserSchema = z
  .object({
    email: emailSchema,
    name: textSchema(200),
    role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
    password: passwordSchema,
    admin: z.boolean().optional(),
  })
  .strict();

/** How long an API token lives unless told otherwise, and at most. */
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 366;
const tokenDaysSchema = z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS} days`);

/** The key the sign-in throttle counts an email's failures under (hashed: the table keeps no address). */
export const signInKeyOf = (email: unknown): string => `email:${sha256(typeof email === 'string' ? email.trim().toLowerCase() : '')}`;

export const tokenNameSchema = textSchema(100);

export interface AccountsOptions {
  /** The clock for session expiry. Default Date.now. */
  now?: () => number;
  /** A session ends after this long without a request. Default 12 h. */
  sessionIdleMs?: number;
  /** A session ends this long after it began, however it was used. Default 24 h. */
  sessionMaxMs?: number;
  /** Password hashing cost for new passwords. Default DEFAULT_SCRYPT. */
  scrypt?: ScryptParams;
}

export const DEFAULT_SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** However busy, a session ends this long after its sign-in: a stolen cookie does not live for ever. */
export const DEFAULT_SESSION_MAX_MS = 24 * 60 * 60 * 1000;

export function createAccounts(db: Db, opts: AccountsOptions = {}) {
  const now = opts.now ?? Date.now;
  const idleMs = opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const maxMs = opts.sessionMaxMs ?? DEFAULT_SESSION_MAX_MS;
  const params = opts.scrypt ?? DEFAULT_SCRYPT;

  const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, name: r.name, role: r.role, admin: r.admin, secondFactor: r.totp_secret !== null });
  const USER_COLUMNS = ['users.id', 'users.email', 'users.name', 'users.role', 'users.admin', 'users.totp_secret', 'users.disabled'] as const;

  async function createUser(raw: unknown): Promise<User> {
    const u = parseInput(newUserSchema, raw);
    const password_hash = await hashPassword(u.password, params);
    const row = await db
      .insertInto('users')
      .values({ email: u.email, name: u.name, role: u.role, password_hash, admin: u.admin ?? false })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning(USER_COLUMNS)
      .executeTakeFirst();
    if (!row) throw new InputError([{ field: 'email', message: `an account for ${u.email} already exists` }]);
    return toUser(row);
  }

  async function findUser(email: string): Promise<User | undefined> {
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) return undefined;
    const row = await db.selectFrom('users').select(USER_COLUMNS).where('email', '=', parsed.data).where('disabled', '=', false).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  /** The user when the email and password match an enabled account; else undefined (same time either way). */
  async function verifyLogin(email: string, password: string): Promise<User | undefined> {
    const parsed = emailSchema.safeParse(email);
    const row = parsed.success
      ? await db.selectFrom('users').select([...USER_COLUMNS, 'password_hash']).where('email', '=', parsed.data).executeTakeFirst()
      : undefined;
    if (!row || row.disabled) {
      await verifyPassword(password, await (dummyHash ??= hashPassword(newToken(), params)));
      return undefined;
    }
    return (await verifyPassword(password, row.password_hash)) ? toUser(row) : undefined;
  }

  /** A new session for `userId`: the token goes in the cookie, the CSRF token to the page. */
  async function createSession(userId: number, opts: { pendingEnrolment?: boolean } = {}): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
    const token = newToken();
    const csrfToken = newToken();
    const expiresAt = new Date(now() + idleMs);
    await db.insertInto('sessions').values({ id: sha256(token), user_id: userId, expires_at: expiresAt, csrf_token: csrfToken, pending_enrolment: opts.pendingEnrolment ?? false }).execute();
    return { token, csrfToken, expiresAt };
  }

  /**
   * The session of a cookie's token while it has not expired and its user is enabled; each use
   * extends it. A session that is only for setting up the second factor is no session at all
   * unless the caller is that set-up page (`allowPending`).
   */
  async function getSession(token: string, opts: { allowPending?: boolean } = {}): Promise<Session | undefined> {
    if (!token) return undefined;
    const id = sha256(token);
    const row = await db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([...USER_COLUMNS, 'sessions.csrf_token', 'sessions.expires_at', 'sessions.created_at', 'sessions.pending_enrolment'])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!row || row.disabled || (row.pending_enrolment && !opts.allowPending)) return undefined;
    const t = now();
    const ends = row.created_at.getTime() + maxMs;
    if (row.expires_at.getTime() <= t || ends <= t) {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
      return undefined;
    }
    let expiresAt = row.expires_at;
    // Idle expiry: slide it on, at most once a minute per session, never past its absolute end.
    if (Math.min(t + idleMs, ends) - expiresAt.getTime() > 60_000) {
      expiresAt = new Date(Math.min(t + idleMs, ends));
      await db.updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
    }
    return { user: toUser(row), csrfToken: row.csrf_token, expiresAt, pendingEnrolment: row.pending_enrolment };
  }

  async function deleteSession(token: string): Promise<void> {
    await db.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
  }

  /** A new API token for the account with `email`, living `days`; the token is returned once and only its hash kept. */
  async function createApiToken(email: string, name: string, days: number = DEFAULT_TOKEN_DAYS): Promise<{ token: string; user: User; name: string; expiresAt: Date }> {
    const input = parseInput(z.object({ name: tokenNameSchema, days: tokenDaysSchema }), { name, days });
    const user = await findUser(email);
    if (!user) throw new InputError([{ field: 'email', message: `no enabled account for ${email}` }]);
    const taken = await db.selectFrom('api_tokens').select('name').where('user_id', '=', user.id).where('name', '=', input.name).where('revoked_at', 'is', null).executeTakeFirst();
    if (taken) throw new InputError([{ field: 'name', message: `${user.email} already has a token named "${input.name}": revoke it first, or choose another name` }]);
    const token = newToken(API_TOKEN_PREFIX);
    const expiresAt = new Date(now() + input.days * 86_400_000);
    await db.insertInto('api_tokens').values({ token_hash: sha256(token), user_id: user.id, name: input.name, expires_at: expiresAt }).execute();
    return { token, user, name: input.name, expiresAt };
  }

  /** Ends an account's token by its name, at once. */
  async function revokeApiToken(email: string, name: string): Promise<void> {
    const user = await accountOf(email);
    const revoked = await db.updateTable('api_tokens').set({ revoked_at: new Date(now()) }).where('user_id', '=', user.id).where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
    if (!Number(revoked.numUpdatedRows)) throw new InputError([{ field: 'name', message: `${user.email} has no live token named "${name}"` }]);
  }

  /** An account by email, enabled or not; a clear error naming the email when there is none. */
  async function accountOf(email: string): Promise<User & { disabled: boolean }> {
    const parsed = parseInput(z.object({ email: emailSchema }), { email }).email;
    const row = await db.selectFrom('users').select(USER_COLUMNS).where('email', '=', parsed).executeTakeFirst();
    if (!row) throw new InputError([{ field: 'email', message: `no account for ${parsed}` }]);
    return { ...toUser(row), disabled: row.disabled };
  }

  /** Disables (or enables again) an account: a disabled one cannot sign in, and its sessions end at once. */
  async function setDisabled(email: string, disabled: boolean): Promise<User> {
    const user = await accountOf(email);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ disabled }).where('id', '=', user.id).execute();
      if (disabled) await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    });
    const { disabled: _was, ...rest } = user;
    return rest;
  }

  /** Sets an account's password (a coordinator resetting it, or its owner changing it): every session of it ends; its sign-in lock too. */
  async function setPassword(email: string, password: string, opts: { keepSession?: string } = {}): Promise<void> {
    const user = await accountOf(email);
    const hash = await hashPassword(parseInput(z.object({ password: passwordSchema }), { password }).password, params);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
      await trx
        .deleteFrom('sessions')
        .where('user_id', '=', user.id)
        .$if(opts.keepSession !== undefined, (q) => q.where('id', '!=', sha256(opts.keepSession!)))
        .execute();
      await trx.deleteFrom('sign_in_attempts').where('key', '=', signInKeyOf(user.email)).execute();
    });
  }

  /** Lets an account whose failed sign-ins locked it sign in again now (a coordinator who knows it is its owner). */
  async function unlock(email: string): Promise<void> {
    const user = await accountOf(email);
    await db.deleteFrom('sign_in_attempts').where('key', '=', signInKeyOf(user.email)).execute();
  }

  async function listUsers(): Promise<(User & { disabled: boolean; tokens: { name: string; expiresAt: string; lastUsedAt?: string }[] })[]> {
    const users = await db.selectFrom('users').select(USER_COLUMNS).orderBy('email').execute();
    const tokens = await db.selectFrom('api_tokens').select(['user_id', 'name', 'expires_at', 'last_used_at']).where('revoked_at', 'is', null).where('expires_at', '>', new Date(now())).orderBy('name').execute();
    return users.map((u) => ({
      ...toUser(u),
      disabled: u.disabled,
      tokens: tokens.filter((t) => t.user_id === u.id).map((t) => ({ name: t.name, expiresAt: t.expires_at.toISOString(), ...(t.last_used_at ? { lastUsedAt: t.last_used_at.toISOString() } : {}) })),
    }));
  }

  async function resolveApiToken(token: string): Promise<User | undefined> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
    const hash = sha256(token);
    const row = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([...USER_COLUMNS, 'api_tokens.last_used_at', 'api_tokens.expires_at', 'api_tokens.revoked_at'])
      .where('api_tokens.token_hash', '=', hash)
      .executeTakeFirst();
    const t = now();
    if (!row || row.disabled || row.revoked_at || row.expires_at.getTime() <= t) return undefined;
    if (!row.last_used_at || t - row.last_used_at.getTime() > 60_000) {
      await db.updateTable('api_tokens').set({ last_used_at: new Date(t) }).where('token_hash', '=', hash).execute();
    }
    return toUser(row);
  }

  /**
   * The first account: when no account exists and ADMIN_EMAIL and ADMIN_PASSWORD are set, a
   * coordinator with them. Says what happened, for the start-up line.
   */
  async function ensureAdmin(env: NodeJS.ProcessEnv): Promise<{ outcome: 'created'; email: string } | { outcome: 'exists' } | { outcome: 'missing' }> {
    const existing = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (existing) return { outcome: 'exists' };
    const email = env.ADMIN_EMAIL?.trim();
    const password = env.ADMIN_PASSWORD;
    if (!email || !password) return { outcome: 'missing' };
    try {
      const user = await createUser({ email, name: env.ADMIN_NAME?.trim() || 'Administrator', role: 'coordinator', password, admin: true });
      return { outcome: 'created', email: user.email };
    } catch (err) {
      // Two servers starting together: the other one created it.
      if (err instanceof InputError && err.fields.some((f) => f.field === 'email' && /already exists/.test(f.message))) return { outcome: 'exists' };
      throw err;
    }
  }

  // ---- the second factor ----

  /** Whether `code` (a TOTP code, or an unused recovery code, which it uses up) is the account's second factor now. */
  async function checkSecondFactor(userId: number, code: string): Promise<'totp' | 'recovery' | undefined> {
    const row = await db.selectFrom('users').select('totp_secret').where('id', '=', userId).executeTakeFirst();
    if (!row?.totp_secret) return undefined;
    if (isTotpCode(code)) {
      const step = totpStep(row.totp_secret, code, now());
      return step !== undefined && (await acceptStep(userId, step)) ? 'totp' : undefined;
    }
    const used = await db
      .updateTable('recovery_codes')
      .set({ used_at: new Date(now()) })
      .where('user_id', '=', userId)
      .where('code_hash', '=', sha256(normaliseRecoveryCode(code)))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(used.numUpdatedRows) === 1 ? 'recovery' : undefined;
  }

  /** Records `step` as used, unless it or a later one already was: a code works once. */
  async function acceptStep(userId: number, step: number): Promise<boolean> {
    const r = await db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step) as never)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The secret being set up for the account (a new one the first time; the same one on a reload of the page). */
  async function startEnrolment(userId: number): Promise<string> {
    const row = await db.selectFrom('users').select('totp_pending').where('id', '=', userId).executeTakeFirstOrThrow();
    if (row.totp_pending) return row.totp_pending;
    const secret = newTotpSecret();
    await db.updateTable('users').set({ totp_pending: secret }).where('id', '=', userId).execute();
    return secret;
  }

  /**
   * Confirms the set-up with a code from the app: the secret becomes the account's, the recovery
   * codes are new (returned once), and the session that did it becomes a full one.
   */
  async function confirmEnrolment(userId: number, code: string, sessionToken: string): Promise<string[] | undefined> {
    const row = await db.selectFrom('users').select('totp_pending').where('id', '=', userId).executeTakeFirstOrThrow();
    const step = row.totp_pending && isTotpCode(code) ? totpStep(row.totp_pending, code, now()) : undefined;
    if (step === undefined) return undefined;
    const codes = newRecoveryCodes();
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ totp_secret: row.totp_pending, totp_pending: null, totp_last_step: step }).where('id', '=', userId).execute();
      await replaceRecoveryCodes(trx, userId, codes);
      await trx.updateTable('sessions').set({ pending_enrolment: false }).where('id', '=', sha256(sessionToken)).execute();
    });
    return codes;
  }

  async function replaceRecoveryCodes(trx: Db, userId: number, codes: string[]): Promise<void> {
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ code_hash: sha256(normaliseRecoveryCode(c)), user_id: userId })))
      .execute();
  }

  /** New recovery codes for the account (the old ones stop working), returned once. */
  async function renewRecoveryCodes(userId: number): Promise<string[]> {
    const codes = newRecoveryCodes();
    await db.transaction().execute((trx) => replaceRecoveryCodes(trx, userId, codes));
    return codes;
  }

  async function unusedRecoveryCodes(userId: number): Promise<number> {
    const r = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** A lost phone and no recovery code: an admin removes the second factor; the owner sets it up again at the next sign-in. */
  async function resetSecondFactor(email: string): Promise<User> {
    const user = await accountOf(email);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ totp_secret: null, totp_pending: null, totp_last_step: null }).where('id', '=', user.id).execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
      await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    });
    const { disabled: _disabled, ...rest } = user;
    return { ...rest, secondFactor: false };
  }

  async function setAdmin(email: string, admin: boolean): Promise<User> {
    const user = await accountOf(email);
    await db.updateTable('users').set({ admin }).where('id', '=', user.id).execute();
    const { disabled: _disabled, ...rest } = user;
    return { ...rest, admin };
  }

  // ---- emailed links to set a password ----

  /**
   * A single-use link token to set the password of the enabled account with `email` (a reset, or a
   * new account's first password); undefined when there is no such account, or an unused link was
   * made for it within the last minute (a form posted twice sends one email).
   */
  async function createPasswordLink(email: string, ttlMs: number): Promise<{ token: string; user: User } | undefined> {
    const user = await findUser(email);
    if (!user) return undefined;
    const recent = await db
      .selectFrom('password_links')
      .select('token_hash')
      .where('user_id', '=', user.id)
      .where('used_at', 'is', null)
      .where('created_at', '>', new Date(now() - 60_000))
      .executeTakeFirst();
    if (recent) return undefined;
    const token = newToken();
    await db.insertInto('password_links').values({ token_hash: sha256(token), user_id: user.id, created_at: new Date(now()), expires_at: new Date(now() + ttlMs) }).execute();
    return { token, user };
  }

  /** The account a live, unused link is for, without using it (to show its form). */
  async function passwordLinkUser(token: string): Promise<User | undefined> {
    const row = await db
      .selectFrom('password_links')
      .innerJoin('users', 'users.id', 'password_links.user_id')
      .select(USER_COLUMNS)
      .where('password_links.token_hash', '=', sha256(token))
      .where('password_links.used_at', 'is', null)
      .where('password_links.expires_at', '>', new Date(now()))
      .executeTakeFirst();
    return row && !row.disabled ? toUser(row) : undefined;
  }

  /**
   * Sets the password through a link, once: the password is checked first, so a weak one does not
   * use the link up. Every other link of the account ends with it.
   */
  async function usePasswordLink(token: string, password: string): Promise<User | undefined> {
    const valid = parseInput(z.object({ password: passwordSchema }), { password }).password;
    const user = await passwordLinkUser(token);
    if (!user) return undefined;
    const used = await db
      .updateTable('password_links')
      .set({ used_at: new Date(now()) })
      .where('token_hash', '=', sha256(token))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) return undefined;
    await setPassword(user.email, valid);
    await db.updateTable('password_links').set({ used_at: new Date(now()) }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    return user;
  }

  return {
    createUser,
    findUser,
    verifyLogin,
    createSession,
    getSession,
    deleteSession,
    createApiToken,
    revokeApiToken,
    resolveApiToken,
    setDisabled,
    setPassword,
    unlock,
    listUsers,
    ensureAdmin,
    checkSecondFactor,
    startEnrolment,
    confirmEnrolment,
    renewRecoveryCodes,
    unusedRecoveryCodes,
    resetSecondFactor,
    setAdmin,
    createPasswordLink,
    passwordLinkUser,
    usePasswordLink,
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

type UserRow = { id: number; email: string; name: string; role: Role; admin: boolean; totp_secret: string | null };
