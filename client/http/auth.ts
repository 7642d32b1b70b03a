// What the JSON API and the console share about signing in: the session cookie, who may do what,
// the CSRF check, and one throttle of failed sign-ins (an attacker gets one budget, not one per door).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Role } from '../accounts.ts';

export const SESSION_COOKIE = 'sid';

/** Who may call a route: anyone, any signed-in role, coordinators and clinicians, coordinators. */
export type Access = 'public' | 'read' | 'clinical' | 'coordinate';
export const ALLOWED: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  read: ['coordinator', 'clinician', 'ops'],
  clinical: ['coordinator', 'clinician'],
  coordinate: ['coordinator'],
};

export const mayAccess = (role: Role, access: Access): boolean => access === 'public' || ALLOWED[access].includes(role);

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

/** HttpOnly, SameSite=Strict, and Secure unless the request is plain http to localhost. */
export function sessionCookie(req: FastifyRequest, token: string, maxAgeSeconds: number): string {
  const secure = !(req.protocol === 'http' && isLoopbackName(req.hostname));
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAgeSeconds)}${secure ? '; Secure' : ''}`;
}

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

/** Failed sign-ins per email and per client address (in memory, per process). */
export function createLoginThrottle(opts: Partial<LoginLimits> = {}, now: () => number = Date.now) {
  const limits: LoginLimits = { perEmail: 5, perIp: 20, windowMs: 15 * 60_000, ...opts };
  const failures = new Map<string, number[]>();
  const keys = (email: unknown, ip: string): [string, number][] => [
    [`email:${typeof email === 'string' ? email.trim().toLowerCase() : ''}`, limits.perEmail],
    [`ip:${ip}`, limits.perIp],
  ];
  const recent = (key: string): number[] => {
    const cutoff = now() - limits.windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  return {
    /** Seconds to wait before trying again, or undefined when a sign-in may be attempted. */
    wait(email: unknown, ip: string): number | undefined {
      for (const [key, max] of keys(email, ip)) {
        const list = recent(key);
        if (list.length >= max) return Math.max(1, Math.ceil((list[list.length - max]! + limits.windowMs - now()) / 1000));
      }
      return undefined;
    },
    failed(email: unknown, ip: string): void {
      for (const [key] of keys(email, ip)) failures.set(key, [...recent(key), now()]);
      // Bounded: forget the oldest keys first.
      while (failures.size > 50_000) failures.delete(failures.keys().next().value!);
    },
    succeeded(email: unknown): void {
      failures.delete(keys(email, '')[0]![0]);
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
