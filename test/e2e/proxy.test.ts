// Behind one reverse proxy (TRUST_PROXY=1) the client is the address the proxy saw, the last one in
// X-Forwarded-For; whatever a client wrote there itself is not believed. So a client that rotates
// its own X-Forwarded-For escapes no per-address limit, and the clients behind the proxy are told
// apart (one guessing does not lock out the others), and signing in successfully is no failure. Requests are sent as the proxy forwards them:
// the client's own header, then the address the proxy appended.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness/service.ts';
import { signInCode } from '../harness/staff.ts';

const tag = randomBytes(3).toString('hex');
const ADMIN = { email: `proxy.${tag}@care.test`, password: `proxy-password-${tag}` };
let service: Service;

beforeAll(async () => {
  service = await startService({
    name: 'proxy',
    env: {
      PAYLOAD_KEYS: `proxy:${randomBytes(32).toString('base64')}`,
      CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      TRUST_PROXY: '1',
    },
  });
});
afterAll(async () => service?.stop());

const signIn = (body: { email: string; password: string; code?: string }, forwardedFor: string) =>
  fetch(`${service.http.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify(body) });
const withCode = async () => ({ ...ADMIN, code: await signInCode(service.database.db, ADMIN.email) });

describe('behind one proxy (TRUST_PROXY=1)', () => {
  it('a client rotating its own X-Forwarded-For is still one address: its 21st wrong sign-in is refused with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await signIn({ email: `guess${i}.${tag}@care.test`, password: 'guessing-password' }, `198.51.100.${i}, 203.0.113.7`);
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));
  });

  it("counts only failures against an address: an office's staff signing in often are not locked out", async () => {
    for (let i = 0; i < 25; i++) expect((await signIn(await withCode(), '203.0.113.20')).status, `sign-in ${i + 1}`).toBe(200);
  });

  it('tells the clients behind it apart: another one still signs in', async () => {
    expect((await signIn(await withCode(), '203.0.113.7')).status).toBe(429);
    expect((await signIn(await withCode(), '203.0.113.8')).status).toBe(200);
  });
});
