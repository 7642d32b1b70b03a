import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseIdBefore20261207, createIdentifiers, loadIdentifierKey } from './identifiers.ts';

describe('identifiers derived from what people typed', () => {
  const a = createIdentifiers(randomBytes(32));
  const b = createIdentifiers(randomBytes(32));

  it('a case id is the same for the same reference under one key, and nobody without the key can compute it', () => {
    expect(a.caseId('MRN-00417721')).toMatch(/^c[0-9a-f]{12}$/);
    expect(a.caseId(' MRN-00417721 ')).toBe(a.caseId('MRN-00417721'));
    expect(b.caseId('MRN-00417721')).not.toBe(a.caseId('MRN-00417721'));
    const bare = `c${createHash('sha256').update('case:MRN-00417721').digest('hex').slice(0, 12)}`;
    expect(caseIdBefore20261207('MRN-00417721')).toBe(bare);
    expect(a.caseId('MRN-00417721')).not.toBe(bare);
  });

  it("a check-in report's Update id is keyed: the same report the same id, no bare hash of it", () => {
    const report = { temperatureC: 38.4, symptoms: { chills: true } };
    expect(a.checkinUpdateId(3, report)).toMatch(/^checkin-3-[0-9a-f]{24}$/);
    expect(a.checkinUpdateId(3, structuredClone(report))).toBe(a.checkinUpdateId(3, report));
    expect(b.checkinUpdateId(3, report)).not.toBe(a.checkinUpdateId(3, report));
    expect(a.checkinUpdateId(3, report)).not.toContain(createHash('sha256').update(JSON.stringify(report)).digest('hex').slice(0, 24));
  });

  it('the key: IDENTIFIER_KEY, else one made once in the data directory (0600) and kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idkey-'));
    try {
      const first = loadIdentifierKey({}, { generateIn: dir });
      expect(first.length).toBe(32);
      expect(loadIdentifierKey({}, { generateIn: dir }).equals(first)).toBe(true);
      expect(statSync(join(dir, 'identifier-key')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, 'identifier-key'), 'utf8').trim()).toBe(first.toString('base64'));
      const set = randomBytes(32);
      expect(loadIdentifierKey({ IDENTIFIER_KEY: set.toString('base64') }, { generateIn: dir }).equals(set)).toBe(true);
      expect(() => loadIdentifierKey({ IDENTIFIER_KEY: randomBytes(8).toString('base64') })).toThrow(/IDENTIFIER_KEY: the secret is 8 bytes, at least 32 are needed/);
      expect(() => loadIdentifierKey({})).toThrow(/No identifier key configured\. Set IDENTIFIER_KEY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
