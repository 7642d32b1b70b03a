// Signed links for families. The activity that emails a link and the HTTP server that serves its
// page share this: a check-in email carries `${appBaseUrl}/checkin/<token>` (one check-in), the
// records emails `${appBaseUrl}/upload/<token>` (the case's documents and consent).
//
//   token = base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
//   payload = "v1:<caseId>:<checkinId>:<expiresAt epoch ms>"   a check-in
//           | "f1:<caseId>:<expiresAt epoch ms>"               the case's records page
//           | "p1:<caseId>:<hospitalCode>:<round>:<expiresAt>"  a hospital's packet, one round
//           | "t1:<caseId>:<documentType>:<lang>+<lang>…:<expiresAt>"  a translation request
//
// The prefixes keep them apart: a token of one kind never verifies as another.
// The payload holds only the opaque case id, the check-in number and the expiry: no patient data.
// It is signed, not encrypted (nothing in it is secret); whoever holds a valid token may answer that
// one check-in until it expires, so the token is never logged.
//
// The secret: CHECKIN_LINK_SECRET (base64, at least 32 bytes), else, when asked to
// (loadLinkSecret(env, { generateIn: dataDir })), <dataDir>/checkin-link-secret created with a fresh
// random secret (mode 0600) on first use and reused afterwards, for local development. Changing the
// secret invalidates every link already sent.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { loadSecret } from './secrets.ts';

export const LINK_SECRET_ENV = 'CHECKIN_LINK_SECRET';
export const GENERATED_LINK_SECRET_FILE_NAME = 'checkin-link-secret';
export const MIN_LINK_SECRET_BYTES = 32;

const VERSION = 'v1';
const MAC_BYTES = 32;
const CASE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Longest token worth looking at: a little over the longest payload this module signs. */
const MAX_TOKEN_CHARS = 256;

export interface CheckinLinkClaims {
  caseId: string;
  checkinId: number;
  /** Epoch milliseconds after which the link no longer opens the form. */
  expiresAt: number;
}

/**
 * An expired token is still authentic: its claims come along, so a page can say "this check-in has
 * closed" in the family's language with the team's number.
 */
export type LinkVerification =
  | ({ ok: true } & CheckinLinkClaims)
  | { ok: false; reason: 'malformed' | 'forged' }
  | { ok: false; reason: 'expired'; claims: CheckinLinkClaims };

export interface FilesLinkClaims {
  caseId: string;
  expiresAt: number;
}

export type FilesLinkVerification = Verified<FilesLinkClaims>;

export interface PacketLinkClaims {
  caseId: string;
  hospitalCode: string;
  round: number;
  expiresAt: number;
}

export interface TranslationLinkClaims {
  caseId: string;
  documentType: string;
  /** The languages the document is to be translated into. */
  languages: string[];
  expiresAt: number;
}

/** A link's claims once authentic, or why not; an expired link's claims come along, so that its page can say so. */
export type Verified<C> = ({ ok: true } & C) | { ok: false; reason: 'malformed' | 'forged' } | { ok: false; reason: 'expired'; claims: C };

export interface CheckinLinks {
  sign(claims: CheckinLinkClaims): string;
  verify(token: string, nowMs: number): LinkVerification;
  /** The family's link to their records page. */
  signFiles(claims: FilesLinkClaims): string;
  verifyFiles(token: string, nowMs: number): FilesLinkVerification;
  /** A hospital's link to its packet for one submission round. */
  signPacket(claims: PacketLinkClaims): string;
  verifyPacket(token: string, nowMs: number): Verified<PacketLinkClaims>;
  /** The translator's link to one document's translation request. */
  signTranslation(claims: TranslationLinkClaims): string;
  verifyTranslation(token: string, nowMs: number): Verified<TranslationLinkClaims>;
}

const HOSPITAL_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const DOCUMENT_TYPE_PATTERN = /^[a-z][a-z0-9_]{1,40}$/;
const LANGUAGE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function createCheckinLinks(secret: Buffer): CheckinLinks {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_LINK_SECRET_BYTES) {
    throw new Error(`check-in link secret must be at least ${MIN_LINK_SECRET_BYTES} bytes`);
  }
  const key = Buffer.from(secret); // a private copy: a caller zeroing its buffer cannot change ours
  const mac = (payload: Buffer): Buffer => createHmac('sha256', key).update(payload).digest();

  const encode = (text: string): string => {
    const payload = Buffer.from(text, 'utf8');
    return `${payload.toString('base64url')}.${mac(payload).toString('base64url')}`;
  };
  /** The authenticated payload's text, or why there is none. */
  const decode = (token: string): { text: string } | { reason: 'malformed' | 'forged' } => {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return { reason: 'malformed' };
    const parts = token.split('.');
    if (parts.length !== 2) return { reason: 'malformed' };
    const [encodedPayload, encodedMac] = parts as [string, string];
    if (!BASE64URL_PATTERN.test(encodedPayload) || !BASE64URL_PATTERN.test(encodedMac)) return { reason: 'malformed' };
    const payload = Buffer.from(encodedPayload, 'base64url');
    const given = Buffer.from(encodedMac, 'base64url');
    if (payload.length === 0 || given.length !== MAC_BYTES) return { reason: 'malformed' };
    // One spelling per token: no second encoding of the same bytes (stray low bits) is accepted.
    if (payload.toString('base64url') !== encodedPayload || given.toString('base64url') !== encodedMac) return { reason: 'malformed' };
    // Authenticate before reading anything out of the payload.
    if (!timingSafeEqual(given, mac(payload))) return { reason: 'forged' };
    return { text: payload.toString('utf8') };
  };
  const checkClaims = (caseId: unknown, expiresAt: number) => {
    if (typeof caseId !== 'string' || !CASE_ID_PATTERN.test(caseId)) throw new Error('sign: caseId must be 1-64 characters of A-Z a-z 0-9 _ -');
    if (!Number.isSafeInteger(expiresAt) || expiresAt < 1) throw new Error('sign: expiresAt must be epoch milliseconds');
  };

  return {
    sign({ caseId, checkinId, expiresAt }) {
      checkClaims(caseId, expiresAt);
      if (!Number.isSafeInteger(checkinId) || checkinId < 1) throw new Error('sign: checkinId must be a positive whole number');
      return encode(`${VERSION}:${caseId}:${checkinId}:${expiresAt}`);
    },

    verify(token, nowMs) {
      const decoded = decode(token);
      if (!('text' in decoded)) return { ok: false, reason: decoded.reason };
      const claims = parsePayload(decoded.text);
      if (!claims) return { ok: false, reason: 'malformed' };
      if (!(nowMs < claims.expiresAt)) return { ok: false, reason: 'expired', claims };
      return { ok: true, ...claims };
    },

    signFiles({ caseId, expiresAt }) {
      checkClaims(caseId, expiresAt);
      return encode(`f1:${caseId}:${expiresAt}`);
    },

    verifyFiles(token, nowMs) {
      return verifyWith(token, nowMs, (text) => {
        const m = /^f1:([A-Za-z0-9_-]{1,64}):([1-9]\d{0,15})$/.exec(text);
        return m && Number.isSafeInteger(Number(m[2])) ? { caseId: m[1] as string, expiresAt: Number(m[2]) } : undefined;
      });
    },

    signPacket({ caseId, hospitalCode, round, expiresAt }) {
      checkClaims(caseId, expiresAt);
      if (!HOSPITAL_CODE_PATTERN.test(hospitalCode)) throw new Error('sign: hospitalCode is not a hospital code');
      if (!Number.isSafeInteger(round) || round < 1) throw new Error('sign: round must be a positive whole number');
      return encode(`p1:${caseId}:${hospitalCode}:${round}:${expiresAt}`);
    },

    verifyPacket(token, nowMs) {
      return verifyWith(token, nowMs, (text) => {
        const m = /^p1:([A-Za-z0-9_-]{1,64}):([A-Za-z0-9][A-Za-z0-9_-]{0,31}):([1-9]\d{0,5}):([1-9]\d{0,15})$/.exec(text);
        return m && Number.isSafeInteger(Number(m[4])) ? { caseId: m[1] as string, hospitalCode: m[2] as string, round: Number(m[3]), expiresAt: Number(m[4]) } : undefined;
      });
    },

    signTranslation({ caseId, documentType, languages, expiresAt }) {
      checkClaims(caseId, expiresAt);
      if (!DOCUMENT_TYPE_PATTERN.test(documentType)) throw new Error('sign: documentType is not a document type');
      if (languages.length === 0 || !languages.every((l) => LANGUAGE_PATTERN.test(l))) throw new Error('sign: languages must be language codes');
      return encode(`t1:${caseId}:${documentType}:${languages.join('+')}:${expiresAt}`);
    },

    verifyTranslation(token, nowMs) {
      return verifyWith(token, nowMs, (text) => {
        const m = /^t1:([A-Za-z0-9_-]{1,64}):([a-z][a-z0-9_]{1,40}):([A-Za-z0-9+-]{2,120}):([1-9]\d{0,15})$/.exec(text);
        const languages = m?.[3]!.split('+') ?? [];
        if (!m || !languages.every((l) => LANGUAGE_PATTERN.test(l)) || !Number.isSafeInteger(Number(m[4]))) return undefined;
        return { caseId: m[1] as string, documentType: m[2] as string, languages, expiresAt: Number(m[4]) };
      });
    },
  };

  /** Authenticates, parses (undefined: malformed) and checks the expiry of a token of one kind. */
  function verifyWith<C extends { expiresAt: number }>(token: string, nowMs: number, parse: (text: string) => C | null | undefined): Verified<C> {
    const decoded = decode(token);
    if (!('text' in decoded)) return { ok: false, reason: decoded.reason };
    const claims = parse(decoded.text);
    if (!claims) return { ok: false, reason: 'malformed' };
    if (!(nowMs < claims.expiresAt)) return { ok: false, reason: 'expired', claims };
    return { ok: true, ...claims };
  }
}

function parsePayload(text: string): CheckinLinkClaims | undefined {
  const m = /^v1:([A-Za-z0-9_-]{1,64}):([1-9]\d{0,15}):([1-9]\d{0,15})$/.exec(text);
  if (!m) return undefined;
  const checkinId = Number(m[2]);
  const expiresAt = Number(m[3]);
  if (!Number.isSafeInteger(checkinId) || !Number.isSafeInteger(expiresAt)) return undefined;
  return { caseId: m[1] as string, checkinId, expiresAt };
}

/** The family's records page (upload and consent) that the records emails link to. */
export function uploadUrl(appBaseUrl: string, token: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/upload/${token}`;
}

/** A hospital's packet page that the submission emails link to. */
export function packetUrl(appBaseUrl: string, token: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/packet/${token}`;
}

/** The translator's page that the translation emails link to. */
export function translationUrl(appBaseUrl: string, token: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/translation/${token}`;
}

/** The page a check-in email links to. */
export function checkinUrl(appBaseUrl: string, token: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/checkin/${token}`;
}

export type LoadLinkSecretOptions = {
  /** Data directory: when CHECKIN_LINK_SECRET is not set, use (creating on first use) <generateIn>/checkin-link-secret. */
  generateIn?: string;
};

/** Reads the link secret from CHECKIN_LINK_SECRET, else (if opts.generateIn) <generateIn>/checkin-link-secret. */
export function loadLinkSecret(env: Record<string, string | undefined> = process.env, opts: LoadLinkSecretOptions = {}): Buffer {
  return loadSecret(env, { name: LINK_SECRET_ENV, what: 'check-in link secret', file: GENERATED_LINK_SECRET_FILE_NAME, minBytes: MIN_LINK_SECRET_BYTES, ...opts });
}
