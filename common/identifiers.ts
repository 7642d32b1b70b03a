// Identifiers derived from what people typed: the case id from the patient reference (the same
// reference finds the same case), the Update id of a check-in report from the report (a retried
// post is applied once). Both end up in plaintext in Temporal (workflow ids, history), so both are
// keyed (HMAC-SHA256 with IDENTIFIER_KEY): a bare hash of a medical record number or of a short
// report can be reversed by guessing.
import { createHash, createHmac } from 'node:crypto';
import { loadSecret } from './secrets.ts';

export const IDENTIFIER_KEY_ENV = 'IDENTIFIER_KEY';

/** IDENTIFIER_KEY (base64, 32+ bytes), else <generateIn>/identifier-key. Every process that opens cases must share it. */
export function loadIdentifierKey(env: Record<string, string | undefined> = process.env, opts: { generateIn?: string } = {}): Buffer {
  return loadSecret(env, { name: IDENTIFIER_KEY_ENV, what: 'identifier key', file: 'identifier-key', minBytes: 32, ...opts });
}

export function createIdentifiers(key: Buffer) {
  const mac = (label: string, text: string) => createHmac('sha256', key).update(`${label}:${text}`).digest('hex');
  return {
    caseId: (patientRef: string): string => `c${mac('case', patientRef.trim()).slice(0, 12)}`,
    checkinUpdateId: (checkinId: number, report: unknown): string => `checkin-${checkinId}-${mac('checkin-report', JSON.stringify(report)).slice(0, 24)}`,
  };
}
export type Identifiers = ReturnType<typeof createIdentifiers>;

/**
 * The case id of a case opened before 7 December 2026, an unkeyed hash: looked up (never stored
 * anew) so that opening such a case again still finds it.
 */
export function caseIdBefore20261207(patientRef: string): string {
  return `c${createHash('sha256').update(`case:${patientRef.trim()}`).digest('hex').slice(0, 12)}`;
}
