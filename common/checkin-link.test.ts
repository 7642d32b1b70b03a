import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkinUrl, createCheckinLinks, packetUrl, translationUrl, uploadUrl, GENERATED_LINK_SECRET_FILE_NAME, loadLinkSecret } from './checkin-link.ts';

const secret = Buffer.alloc(32, 0x5a);
const otherSecret = Buffer.alloc(32, 0x3c);
const links = createCheckinLinks(secret);
const NOW = Date.UTC(2026, 10, 24, 9, 0);
const claims = { caseId: 'c0123456789ab', checkinId: 3, expiresAt: NOW + 12 * 3600_000 };

/** Flips one character of a base64url string into another valid base64url character. */
const flip = (s: string, at: number): string => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

describe('records page link tokens', () => {
  const files = { caseId: claims.caseId, expiresAt: claims.expiresAt };

  it('verify as the case\'s records link, and until they expire', () => {
    const token = links.signFiles(files);
    expect(links.verifyFiles(token, NOW)).toEqual({ ok: true, ...files });
    expect(links.verifyFiles(token, files.expiresAt)).toEqual({ ok: false, reason: 'expired', claims: files });
    expect(links.verifyFiles(flip(token, 3), NOW)).toMatchObject({ ok: false });
    expect(createCheckinLinks(otherSecret).verifyFiles(token, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(uploadUrl('https://care.example/', token)).toBe(`https://care.example/upload/${token}`);
  });

  it('and a check-in link never opens the records page, nor the other way round', () => {
    expect(links.verifyFiles(links.sign(claims), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(links.verify(links.signFiles(files), NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('packet and translation link tokens', () => {
  const packet = { caseId: claims.caseId, hospitalCode: 'HKU-1', round: 2, expiresAt: claims.expiresAt };
  const translation = { caseId: claims.caseId, documentType: 'medical_report', languages: ['en', 'zh-Hant'], expiresAt: claims.expiresAt };

  it("verify with exactly their claims (a hospital and its round; a document and its languages), until they expire", () => {
    const p = links.signPacket(packet);
    expect(links.verifyPacket(p, NOW)).toEqual({ ok: true, ...packet });
    expect(links.verifyPacket(p, packet.expiresAt)).toEqual({ ok: false, reason: 'expired', claims: packet });
    expect(createCheckinLinks(otherSecret).verifyPacket(p, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(packetUrl('https://care.example/', p)).toBe(`https://care.example/packet/${p}`);
    const t = links.signTranslation(translation);
    expect(links.verifyTranslation(t, NOW)).toEqual({ ok: true, ...translation });
    expect(links.verifyTranslation(flip(t, 5), NOW)).toMatchObject({ ok: false });
    expect(translationUrl('https://care.example', t)).toBe(`https://care.example/translation/${t}`);
  });

  it('never open one another, nor the family\'s pages', () => {
    const all = [links.sign(claims), links.signFiles({ caseId: claims.caseId, expiresAt: claims.expiresAt }), links.signPacket(packet), links.signTranslation(translation)];
    const verifiers = [links.verify, links.verifyFiles, links.verifyPacket, links.verifyTranslation];
    for (const [i, verify] of verifiers.entries()) {
      for (const [j, token] of all.entries()) expect(verify(token, NOW).ok, `verifier ${i}, token ${j}`).toBe(i === j);
    }
  });

  it('refuse to sign what would not round-trip', () => {
    expect(() => links.signPacket({ ...packet, hospitalCode: 'a:b' })).toThrow(/hospitalCode/);
    expect(() => links.signPacket({ ...packet, round: 0 })).toThrow(/round/);
    expect(() => links.signTranslation({ ...translation, languages: [] })).toThrow(/languages/);
    expect(() => links.signTranslation({ ...translation, documentType: 'Scans:x' })).toThrow(/documentType/);
  });
});

describe('check-in link tokens', () => {
  it('a signed token verifies and gives back exactly its claims', () => {
    const token = links.sign(claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(links.verify(token, NOW)).toEqual({ ok: true, ...claims });
    // Tokens are deterministic: the same claims give the same link (a retried activity sends the same email).
    expect(links.sign(claims)).toBe(token);
  });

  it('the payload holds only the case id, check-in number and expiry', () => {
    const [payload] = links.sign(claims).split('.') as [string];
    expect(Buffer.from(payload, 'base64url').toString('utf8')).toBe(`v1:${claims.caseId}:3:${claims.expiresAt}`);
  });

  it('a forged signature is refused as forged', () => {
    const token = links.sign(claims);
    const [payload, mac] = token.split('.') as [string, string];
    expect(links.verify(`${payload}.${flip(mac, 5)}`, NOW)).toEqual({ ok: false, reason: 'forged' });
    // A MAC the attacker computed with a guessed key is just as forged.
    const guessed = createHmac('sha256', Buffer.alloc(32)).update(Buffer.from(payload, 'base64url')).digest('base64url');
    expect(links.verify(`${payload}.${guessed}`, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('a tampered payload (another check-in, a later expiry) is refused as forged', () => {
    const [, mac] = links.sign(claims).split('.') as [string, string];
    for (const tampered of [
      `v1:${claims.caseId}:4:${claims.expiresAt}`,
      `v1:${claims.caseId}:3:${claims.expiresAt + 86_400_000}`,
      `v1:c999999999999:3:${claims.expiresAt}`,
    ]) {
      expect(links.verify(`${Buffer.from(tampered).toString('base64url')}.${mac}`, NOW)).toEqual({ ok: false, reason: 'forged' });
    }
  });

  it('an expired token is refused as expired, from its expiry instant on', () => {
    const token = links.sign(claims);
    expect(links.verify(token, claims.expiresAt - 1).ok).toBe(true);
    expect(links.verify(token, claims.expiresAt)).toEqual({ ok: false, reason: 'expired', claims });
    expect(links.verify(token, claims.expiresAt + 86_400_000)).toEqual({ ok: false, reason: 'expired', claims });
  });

  it('a token signed with another secret is refused as forged', () => {
    const token = createCheckinLinks(otherSecret).sign(claims);
    expect(links.verify(token, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abcdef'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'ab+c.def/'],
    ['short MAC', `${Buffer.from('v1:c1:1:1').toString('base64url')}.${Buffer.alloc(16).toString('base64url')}`],
    ['padding', `${Buffer.from('v1:c1:1:1').toString('base64url')}=.${Buffer.alloc(32).toString('base64url')}`],
    ['huge', `${'A'.repeat(5000)}.${'B'.repeat(43)}`],
  ])('a malformed token (%s) is refused as malformed', (_what, token) => {
    expect(links.verify(token, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a validly signed payload of the wrong shape is refused as malformed', () => {
    const payload = Buffer.from('v2:c1:1:99999999999999');
    const mac = createHmac('sha256', secret).update(payload).digest('base64url');
    expect(links.verify(`${payload.toString('base64url')}.${mac}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a second spelling of the same bytes is refused (one token per link)', () => {
    const token = links.sign(claims);
    const [payload, mac] = token.split('.') as [string, string];
    // The last base64url character of a 32-byte MAC carries 4 unused low bits.
    const last = mac.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(mac.slice(0, -1) + sibling, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);
    expect(links.verify(`${payload}.${mac.slice(0, -1)}${sibling}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to sign claims that could not round-trip', () => {
    expect(() => links.sign({ ...claims, caseId: 'a:b' })).toThrow(/caseId/);
    expect(() => links.sign({ ...claims, checkinId: 0 })).toThrow(/checkinId/);
    expect(() => links.sign({ ...claims, expiresAt: 1.5 })).toThrow(/expiresAt/);
  });

  it('refuses a short secret', () => {
    expect(() => createCheckinLinks(Buffer.alloc(16))).toThrow(/at least 32 bytes/);
  });

  it('checkinUrl puts the token under /checkin/', () => {
    expect(checkinUrl('https://care.example.org/', 'abc.def')).toBe('https://care.example.org/checkin/abc.def');
    expect(checkinUrl('http://localhost:8080', 'abc.def')).toBe('http://localhost:8080/checkin/abc.def');
  });
});

describe('loadLinkSecret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkin-link-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads CHECKIN_LINK_SECRET (base64, at least 32 bytes) before any file', () => {
    const got = loadLinkSecret({ CHECKIN_LINK_SECRET: ` ${secret.toString('base64')} ` }, { generateIn: dir });
    expect(got.equals(secret)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a short or non-base64 secret without echoing it', () => {
    const short = Buffer.alloc(31, 9).toString('base64');
    expect(() => loadLinkSecret({ CHECKIN_LINK_SECRET: short })).toThrow(/31 bytes, at least 32/);
    try {
      loadLinkSecret({ CHECKIN_LINK_SECRET: short });
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
    expect(() => loadLinkSecret({ CHECKIN_LINK_SECRET: 'not*base64!' })).toThrow(/not valid base64/);
  });

  it('generates <dataDir>/checkin-link-secret with mode 0600 on first use and reuses it', () => {
    const first = loadLinkSecret({}, { generateIn: join(dir, 'data') });
    const path = join(dir, 'data', GENERATED_LINK_SECRET_FILE_NAME);
    expect(first.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.toString('base64'));
    expect(loadLinkSecret({}, { generateIn: join(dir, 'data') }).equals(first)).toBe(true);
    expect(readdirSync(join(dir, 'data'))).toEqual([GENERATED_LINK_SECRET_FILE_NAME]);
  });

  it('refuses a corrupt generated file', () => {
    writeFileSync(join(dir, GENERATED_LINK_SECRET_FILE_NAME), 'short\n');
    expect(() => loadLinkSecret({}, { generateIn: dir })).toThrow(/checkin-link-secret.*at least 32/);
  });

  it('without the variable or a data directory, says how to configure it', () => {
    expect(() => loadLinkSecret({})).toThrow(/No check-in link secret configured\. Set CHECKIN_LINK_SECRET/);
  });
});
