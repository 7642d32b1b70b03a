// What a hospital's packet page (client/http/packet.ts) keeps in PostgreSQL: the one-time codes
// emailed for a link, the sessions a right code opens, a link locked after too many wrong codes;
// and what the page reads: the case's summary, the hospital, the files it may download.
//
// A link is named everywhere by the sha256 of its token, never the token. A code is kept as the
// sha256 of the link's hash and the code: six digits are no secret against whoever reads the
// table, but that reader is outside the threat model (README, Security), and the hash keeps the
// codes out of backups and query logs. Every change to a link's codes happens under an advisory
// lock on the link, so two servers cannot both send a code in the same minute, nor both count the
// fifth wrong code.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { FileRow } from './documents.ts';

/** How long an emailed code works. */
export const CODE_LIFETIME_MS = 10 * 60_000;
/** At most one code a minute per link. */
export const CODE_INTERVAL_MS = 60_000;
/** Wrong codes a link takes, all its codes together, before it is locked for good. */
export const MAX_WRONG_CODES = 5;
/** A session on the packet page. */
export const SESSION_LIFETIME_MS = 30 * 60_000;

const hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The name a link goes by in every table: the sha256 of its token. */
export const linkHashOf = (token: string): string => hex(token);

const codeHashOf = (linkHash: string, code: string): string => hex(`${linkHash}:${code}`);

/** Six digits, or undefined for anything else (spaces and dashes, as people copy codes, are dropped). */
export function codeOf(typed: unknown): string | undefined {
  if (typeof typed !== 'string' || typed.length > 40) return undefined;
  const code = typed.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}

/** A packet link: whose case and round it opens, by its hash. */
export interface PacketLink {
  linkHash: string;
  caseId: string;
  hospitalCode: string;
  round: number;
}

export type CodeVerdict =
  | { ok: true }
  | { ok: false; why: 'none' | 'expired' | 'used' }
  | { ok: false; why: 'wrong'; left: number }
  /** `justLocked`: this attempt locked it (the case is to be told). */
  | { ok: false; why: 'locked'; justLocked: boolean };

export type SendVerdict = { ok: true; code: string; id: string } | { ok: false; why: 'too_soon'; retryAfterSeconds: number } | { ok: false; why: 'locked' };

export interface PacketSummary {
  patientRef: string;
  diagnosis: string;
  therapy: string;
}

export interface PacketHospital {
  code: string;
  name: string;
  email: string;
  language: string;
}

export type Packets = ReturnType<typeof createPackets>;

export function createPackets(db: Db) {
  const lockLink = (trx: Db, linkHash: string) => sql`select pg_advisory_xact_lock(hashtext(${`packet:${linkHash}`}))`.execute(trx);

  async function locked(trx: Db, linkHash: string): Promise<boolean> {
    return (await trx.selectFrom('packet_locks').select('link_hash').where('link_hash', '=', linkHash).executeTakeFirst()) !== undefined;
  }

  return {
    async hospital(code: string): Promise<PacketHospital | undefined> {
      return db.selectFrom('hospitals').select(['code', 'name', 'email', 'language']).where('code', '=', code).executeTakeFirst();
    },

    async summary(caseId: string): Promise<PacketSummary | undefined> {
      const row = await db.selectFrom('cases').select(['patient_ref', 'diagnosis', 'therapy']).where('case_id', '=', caseId).executeTakeFirst();
      return row && { patientRef: row.patient_ref, diagnosis: row.diagnosis, therapy: row.therapy };
    },

    /**
     * The documents a hospital asked for when it answered the round before `round` (more
     * information): what a resubmission brings. The case forgets them once the round is sent; its
     * projected rows keep each round's.
     */
    async requested(caseId: string, hospitalCode: string, round: number): Promise<string[]> {
      if (round <= 1) return [];
      const row = await db.selectFrom('submissions').select('requested_documents').where('case_id', '=', caseId).where('hospital_code', '=', hospitalCode).where('round', '=', round - 1).executeTakeFirst();
      return row?.requested_documents ?? [];
    },

    /** Whether the link is locked, and whether the case has been told. */
    async lock(linkHash: string): Promise<{ told: boolean } | undefined> {
      const row = await db.selectFrom('packet_locks').select('told_at').where('link_hash', '=', linkHash).executeTakeFirst();
      return row && { told: row.told_at !== null };
    },

    async lockTold(linkHash: string): Promise<void> {
      await db.updateTable('packet_locks').set({ told_at: new Date() }).where('link_hash', '=', linkHash).where('told_at', 'is', null).execute();
    },

    /**
     * A new code for the link, stored (hashed) before `deliver` emails it. If the delivery fails
     * the code is removed, so that nothing half-done stays behind and the minute's limit does not
     * hold up the retry; the failure is rethrown.
     */
    async sendCode(link: PacketLink, nowMs: number, deliver: (code: string) => Promise<void>): Promise<SendVerdict> {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const verdict = await db.transaction().execute(async (trx): Promise<SendVerdict> => {
        await lockLink(trx, link.linkHash);
        if (await locked(trx, link.linkHash)) return { ok: false, why: 'locked' };
        const last = await trx.selectFrom('packet_codes').select('created_at').where('link_hash', '=', link.linkHash).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
        const wait = last ? last.created_at.getTime() + CODE_INTERVAL_MS - nowMs : 0;
        if (wait > 0) return { ok: false, why: 'too_soon', retryAfterSeconds: Math.ceil(wait / 1000) };
        const row = await trx
          .insertInto('packet_codes')
          .values({ link_hash: link.linkHash, case_id: link.caseId, hospital_code: link.hospitalCode, round: link.round, code_hash: codeHashOf(link.linkHash, code), expires_at: new Date(nowMs + CODE_LIFETIME_MS), created_at: new Date(nowMs) })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { ok: true, code, id: row.id };
      });
      if (!verdict.ok) return verdict;
      try {
        await deliver(code);
      } catch (err) {
        await db.deleteFrom('packet_codes').where('id', '=', verdict.id).execute();
        throw err;
      }
      return verdict;
    },

    /**
     * Checks a code typed for the link against its newest code: right once, within its ten
     * minutes. A wrong code counts against the link; the fifth locks it for good and ends its
     * sessions. A right code that is expired or used is refused without counting.
     */
    async checkCode(link: PacketLink, code: string, nowMs: number): Promise<CodeVerdict> {
      return db.transaction().execute(async (trx): Promise<CodeVerdict> => {
        await lockLink(trx, link.linkHash);
        if (await locked(trx, link.linkHash)) return { ok: false, why: 'locked', justLocked: false };
        const newest = await trx.selectFrom('packet_codes').select(['id', 'code_hash', 'expires_at', 'used_at']).where('link_hash', '=', link.linkHash).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
        if (!newest) return { ok: false, why: 'none' };
        const right = timingSafeEqual(Buffer.from(newest.code_hash, 'hex'), Buffer.from(codeHashOf(link.linkHash, code), 'hex'));
        if (right) {
          if (newest.used_at) return { ok: false, why: 'used' };
          if (newest.expires_at.getTime() <= nowMs) return { ok: false, why: 'expired' };
          await trx.updateTable('packet_codes').set({ used_at: new Date(nowMs) }).where('id', '=', newest.id).execute();
          return { ok: true };
        }
        await trx.updateTable('packet_codes').set({ attempts: sql`attempts + 1` }).where('id', '=', newest.id).execute();
        const { wrong } = await trx.selectFrom('packet_codes').select(sql<string>`coalesce(sum(attempts), 0)`.as('wrong')).where('link_hash', '=', link.linkHash).executeTakeFirstOrThrow();
        const left = MAX_WRONG_CODES - Number(wrong);
        if (left > 0) return { ok: false, why: 'wrong', left };
        await trx.insertInto('packet_locks').values({ link_hash: link.linkHash, case_id: link.caseId, hospital_code: link.hospitalCode, round: link.round }).execute();
        await trx.deleteFrom('packet_sessions').where('link_hash', '=', link.linkHash).execute();
        return { ok: false, why: 'locked', justLocked: true };
      });
    },

    /** A session for the link: the cookie's token (only its hash is kept). */
    async openSession(link: PacketLink, nowMs: number): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      // The link's sessions that have ended are of no more use: they go as a new one comes.
      await db.deleteFrom('packet_sessions').where('link_hash', '=', link.linkHash).where('expires_at', '<=', new Date(nowMs)).execute();
      await db.insertInto('packet_sessions').values({ id: hex(token), link_hash: link.linkHash, case_id: link.caseId, created_at: new Date(nowMs), expires_at: new Date(nowMs + SESSION_LIFETIME_MS) }).execute();
      return token;
    },

    /** Whether `token` is a live session of this link (a session of another link opens nothing here). */
    async hasSession(linkHash: string, token: string | undefined, nowMs: number): Promise<boolean> {
      if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
      const row = await db.selectFrom('packet_sessions').select('expires_at').where('id', '=', hex(token)).where('link_hash', '=', linkHash).executeTakeFirst();
      return row !== undefined && row.expires_at.getTime() > nowMs;
    },
  };
}

/**
 * What a hospital may download of a case's files: the originals a coordinator accepted, and the
 * accepted translations written in the hospital's language (its primary subtag: a translation into
 * es-MX serves a hospital that reads es), by document.
 */
export function packetFiles(files: FileRow[], language: string): FileRow[] {
  const primary = (lang: string) => lang.toLowerCase().split('-')[0];
  return files
    .filter((f) => f.status === 'accepted' && (f.kind === 'original' || (f.language !== null && primary(f.language) === primary(language))))
    .sort((a, b) => a.documentType.localeCompare(b.documentType));
}
