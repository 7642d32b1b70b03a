// Staff accounts: users with a role, password sign-in, sessions and API tokens. Used by the JSON
// API (client/http/api.ts) and by `casectl user`. Only hashes of secrets are stored:
//
// - passwords: scrypt (memory-hard) with a random per-password salt; the parameters travel in the
//   stored string, `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url), so they can be raised later
//   without invalidating existing hashes; verification compares in constant time;
// - session and API tokens: 32 random bytes; the database holds their sha256 only.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import { InputError, parseInput, secretTextSchema, textSchema } from '../domain/validation.ts';
import { ROLES, type Role } from '../domain/actions.ts';


export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: Date;
}

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

  const toUser = (r: { id: number; email: string; name: string; role: Role }): User => ({ id: r.id, email: r.email, name: r.name, role: r.role });

  async function createUser(raw: unknown): Promise<User> {
    const u = parseInput(newUserSchema, raw);
    const password_hash = await hashPassword(u.password, params);
    const row = await db
      .insertInto('users')
      .values({ email: u.email, name: u.name, role: u.role, password_hash })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning(['id', 'email', 'name', 'role'])
      .executeTakeFirst();
    if (!row) throw new InputError([{ field: 'email', message: `an account for ${u.email} already exists` }]);
    return toUser(row);
  }

  async function findUser(email: string): Promise<User | undefined> {
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) return undefined;
    const row = await db.selectFrom('users').select(['id', 'email', 'name', 'role']).where('email', '=', parsed.data).where('disabled', '=', false).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  /** The user when the email and password match an enabled account; else undefined (same time either way). */
  async function verifyLogin(email: string, password: string): Promise<User | undefined> {
    const parsed = emailSchema.safeParse(email);
    const row = parsed.success
      ? await db.selectFrom('users').select(['id', 'email', 'name', 'role', 'password_hash', 'disabled']).where('email', '=', parsed.data).executeTakeFirst()
      : undefined;
    if (!row || row.disabled) {
      await verifyPassword(password, await (dummyHash ??= hashPassword(newToken(), params)));
      return undefined;
    }
    return (await verifyPassword(password, row.password_hash)) ? toUser(row) : undefined;
  }

  /** A new session for `userId`: the token goes in the cookie, the CSRF token to the page. */
  async function createSession(userId: number): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
    const token = newToken();
    const csrfToken = newToken();
    const expiresAt = new Date(now() + idleMs);
    await db.insertInto('sessions').values({ id: sha256(token), user_id: userId, expires_at: expiresAt, csrf_token: csrfToken }).execute();
    return { token, csrfToken, expiresAt };
  }

  /** The session of a cookie's token while it has not expired and its user is enabled; each use extends it. */
  async function getSession(token: string): Promise<Session | undefined> {
    if (!token) return undefined;
    const id = sha256(token);
    const row = await db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.disabled', 'sessions.csrf_token', 'sessions.expires_at', 'sessions.created_at'])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!row || row.disabled) return undefined;
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
    return { user: toUser(row), csrfToken: row.csrf_token, expiresAt };
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
    const row = await db.selectFrom('users').select(['id', 'email', 'name', 'role', 'disabled']).where('email', '=', parsed).executeTakeFirst();
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
    return toUser(user);
  }

  /** Sets an account's password (a coordinator resetting it, or its owner changing it): every session of it ends; its sign-in lock too. */
  async function setPassword(email: string, password: string): Promise<void> {
    const user = await accountOf(email);
    const hash = await hashPassword(parseInput(z.object({ password: passwordSchema }), { password }).password, params);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
      await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      await trx.deleteFrom('sign_in_attempts').where('key', '=', signInKeyOf(user.email)).execute();
    });
  }

  /** Lets an account whose failed sign-ins locked it sign in again now (a coordinator who knows it is its owner). */
  async function unlock(email: string): Promise<void> {
    const user = await accountOf(email);
    await db.deleteFrom('sign_in_attempts').where('key', '=', signInKeyOf(user.email)).execute();
  }

  async function listUsers(): Promise<(User & { disabled: boolean; tokens: { name: string; expiresAt: string; lastUsedAt?: string }[] })[]> {
    const users = await db.selectFrom('users').select(['id', 'email', 'name', 'role', 'disabled']).orderBy('email').execute();
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
      .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.disabled', 'api_tokens.last_used_at', 'api_tokens.expires_at', 'api_tokens.revoked_at'])
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
      const user = await createUser({ email, name: env.ADMIN_NAME?.trim() || 'Administrator', role: 'coordinator', password });
      return { outcome: 'created', email: user.email };
    } catch (err) {
      // Two servers starting together: the other one created it.
      if (err instanceof InputError && err.fields.some((f) => f.field === 'email' && /already exists/.test(f.message))) return { outcome: 'exists' };
      throw err;
    }
  }

  return { createUser, findUser, verifyLogin, createSession, getSession, deleteSession, createApiToken, revokeApiToken, resolveApiToken, setDisabled, setPassword, unlock, listUsers, ensureAdmin };
}

export type Accounts = ReturnType<typeof createAccounts>;
