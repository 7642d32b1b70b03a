// Staff accounts: users with a role, password sign-in, sessions and API tokens. Used by the JSON
// API (client/http/api.ts) and by `casectl user`. Only hashes of secrets are stored:
//
// - passwords: scrypt (memory-hard) with a random per-password salt; the parameters travel in the
//   stored string, `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url), so they can be raised later
//   without invalidating existing hashes; verification compares in constant time;
// - session and API tokens: 32 random bytes; the database holds their sha256 only.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
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

export const newUserSchema = z
  .object({
    email: emailSchema,
    name: textSchema(200),
    role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
    password: secretTextSchema(12, 1024),
  })
  .strict();

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

  /** A new API token for the account with `email`; the token is returned once and only its hash kept. */
  async function createApiToken(email: string, name: string): Promise<{ token: string; user: User; name: string }> {
    const tokenName = parseInput(z.object({ name: tokenNameSchema }), { name }).name;
    const user = await findUser(email);
    if (!user) throw new InputError([{ field: 'email', message: `no enabled account for ${email}` }]);
    const token = newToken(API_TOKEN_PREFIX);
    await db.insertInto('api_tokens').values({ token_hash: sha256(token), user_id: user.id, name: tokenName }).execute();
    return { token, user, name: tokenName };
  }

  async function resolveApiToken(token: string): Promise<User | undefined> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
    const hash = sha256(token);
    const row = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.disabled', 'api_tokens.last_used_at'])
      .where('api_tokens.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.disabled) return undefined;
    const t = now();
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

  return { createUser, findUser, verifyLogin, createSession, getSession, deleteSession, createApiToken, resolveApiToken, ensureAdmin };
}

export type Accounts = ReturnType<typeof createAccounts>;
