// What the JSON API and the console share about signing in: the session cookie, the CSRF check, and
// one throttle of failed sign-ins (an attacker gets one budget, not one per door). Who may do what is
// domain/actions.ts.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { bearerTokenAuthorizer, type CodecAuthorizer } from '../../codec/codec-server.ts';
import type { Db } from '../../db/connect.ts';
import { mayAccess } from '../../domain/actions.ts';
import { signInKeyOf, signInNeeds, type Accounts, type User } from '../accounts.ts';

export const SESSION_COOKIE = 'sid';

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      const value = part.slice(i + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

const isLoopbackName = (host: string): boolean => host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * What the staff doors know of the address people reach the service at (APP_BASE_URL): where a
 * sign-in may come from, and how the session cookie is set.
 */
export function createSite(publicUrl: string) {
  const base = new URL(publicUrl);
  const https = base.protocol === 'https:';
  const root = publicUrl.replace(/\/+$/, '');
  return {
    https,
    /** An absolute link to one of the service's pages, for an email. */
    link: (path: string): string => `${root}${path}`,
    /**
     * A browser's sign-in posted from another site, or from an opaque origin (`Origin: null`:
     * a sandboxed frame, a data: page): login CSRF, refused. No Origin is a client that is not a
     * browser (curl, casectl), which no other site can drive.
     */
    crossSite(req: FastifyRequest): boolean {
      const origin = req.headers.origin;
      if (origin === undefined) return false;
      if (!URL.canParse(origin)) return true;
      const o = new URL(origin);
      return o.origin !== base.origin && o.host !== req.headers.host;
    },
    /** HttpOnly, SameSite=Strict, and Secure unless the service is plain http on this machine (not the Host header's word alone). */
    cookie(req: FastifyRequest, token: string, maxAgeSeconds: number): string {
      const secure = https || !(req.protocol === 'http' && isLoopbackName(req.hostname));
      return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAgeSeconds)}${secure ? '; Secure' : ''}`;
    },
  };
}
export type Site = ReturnType<typeof createSite>;

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export interface LoginLimits {
  /** Failed sign-ins per email within the window before sign-in is refused with 429. Default 5. */
  perEmail: number;
  /** Failed sign-ins per client address within the window. Default 20. */
  perIp: number;
  /** Default 15 minutes. */
  windowMs: number;
}

/** What a sign-in attempt may do: go on (and be settled once the password is checked), or wait. */
export type Attempt = { wait: number } | { settle(succeeded: boolean): Promise<void> };

/**
 * Sign-in attempts per email and per client address, in Postgres so that every HTTP server counts
 * the same ones. An attempt is recorded before the password is checked (the slow hash), so a burst
 * of simultaneous tries counts in full: the n-th to be recorded sees n. A success forgets the
 * email's attempts and its own; a failure keeps its record until the window passes.
 */
export function createLoginThrottle(db: Db, opts: Partial<LoginLimits> = {}, now: () => number = Date.now) {
  const limits: LoginLimits = { perEmail: 5, perIp: 20, windowMs: 15 * 60_000, ...opts };
  let writes = 0;
  return {
    async reserve(email: unknown, ip: string): Promise<Attempt> {
      const keys: [string, number][] = [
        [signInKeyOf(email), limits.perEmail],
        [`ip:${ip}`, limits.perIp],
      ];
      const since = new Date(now() - limits.windowMs);
      const ids = await db
        .insertInto('sign_in_attempts')
        .values(keys.map(([key]) => ({ key, at: new Date(now()) })))
        .returning('id')
        .execute();
      // Now and then, forget what is out of every window.
      if (++writes % 100 === 0) await db.deleteFrom('sign_in_attempts').where('at', '<', since).execute();
      for (const [key, max] of keys) {
        const recent = await db.selectFrom('sign_in_attempts').select('at').where('key', '=', key).where('at', '>=', since).orderBy('at', 'desc').limit(max + 1).execute();
        if (recent.length > max) {
          // Over the limit: this attempt never reaches the password, and does not count against the window's end.
          await db.deleteFrom('sign_in_attempts').where('id', 'in', ids.map((r) => r.id)).execute();
          const oldestCounted = recent[max - 1]!.at;
          return { wait: Math.max(1, Math.ceil((oldestCounted.getTime() + limits.windowMs - now()) / 1000)) };
        }
      }
      return {
        async settle(succeeded) {
          // A success forgets the email's failures, and is not one of the address's: an office
          // behind one address is not locked out by its staff signing in.
          if (succeeded) await db.deleteFrom('sign_in_attempts').where((eb) => eb.or([eb('key', '=', keys[0]![0]), eb('id', 'in', ids.map((r) => r.id))])).execute();
        },
      };
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** How a sign-in ended, for each door to say in its own way. */
export type SignInOutcome =
  | { outcome: 'wait'; wait: number }
  | { outcome: 'wrong password' }
  | { outcome: 'code needed' }
  | { outcome: 'wrong code' }
  /** The password was right and the account has no second factor yet, though its role needs one. */
  | { outcome: 'set up'; user: User }
  | { outcome: 'signed in'; user: User; recoveryCodeUsed: boolean };

/**
 * One sign-in, the same at every door: the attempt is counted before the password is hashed, then
 * the second factor. Only a complete sign-in clears the email's count: someone who has the password
 * still has five tries at the code per window, not five per password.
 */
export async function signIn(accounts: Accounts, throttle: LoginThrottle, given: { email: string; password: string; code?: string | undefined }, ip: string): Promise<SignInOutcome> {
  const attempt = await throttle.reserve(given.email, ip);
  if ('wait' in attempt) return { outcome: 'wait', wait: attempt.wait };
  const user = given.email && given.password ? await accounts.verifyLogin(given.email, given.password) : undefined;
  if (!user) return { outcome: 'wrong password' };
  const needs = signInNeeds(user);
  if (needs === 'set up') {
    await attempt.settle(true);
    return { outcome: 'set up', user };
  }
  if (needs === 'session') {
    await attempt.settle(true);
    return { outcome: 'signed in', user, recoveryCodeUsed: false };
  }
  const code = given.code?.trim();
  if (!code) return { outcome: 'code needed' };
  const factor = await accounts.checkSecondFactor(user.id, code);
  if (!factor) return { outcome: 'wrong code' };
  await attempt.settle(true);
  return { outcome: 'signed in', user, recoveryCodeUsed: factor === 'recovery' };
}

/**
 * Who may have the codec decrypt a payload for the Temporal Web UI or the CLI: a signed-in staff
 * account whose role reads patient data (its session cookie, or its API token as a bearer token),
 * or the service's own codec token (CODEC_AUTH_TOKEN) when one is set. Never the peer address: a
 * reverse proxy on the same host makes every request come from loopback.
 */
export function staffCodecAuthorizer(accounts: Pick<Accounts, 'getSession' | 'resolveApiToken'>, serviceToken?: string): CodecAuthorizer {
  const service = serviceToken ? bearerTokenAuthorizer(serviceToken) : undefined;
  return async (req: IncomingMessage) => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const token = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1];
      if (!token) return undefined;
      const asService = await service?.(req);
      if (asService) return asService;
      const user = await accounts.resolveApiToken(token);
      return user && mayAccess(user.role, 'read') ? { via: 'api-token', userId: user.id } : undefined;
    }
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = sid ? await accounts.getSession(sid) : undefined;
    return session && mayAccess(session.user.role, 'read') ? { via: 'session', userId: session.user.id } : undefined;
  };
}
