// The access log: who has seen or acted on a case's data (staff at the console, the API and
// casectl; the family, hospitals and translators at their own doors), what they did, when and from
// which address. One row per entry in `access_log`; the console's case page, the API
// (GET /api/cases/:caseId/access-log) and `casectl access-log` read it back, newest first.
//
// A staff read is answered only once its entry is written: when the entry cannot be written, the
// read is refused (AccessLogUnavailable, answered 503 with Retry-After, or casectl's exit 1) rather
// than answered unlogged. For a health record a read nobody can account for is worse than a read
// refused for a moment; and the log lives in the same PostgreSQL as the data, so what keeps it
// from being written mostly keeps the read from being made too. A read that fails (an unknown
// case, a missing file) writes nothing: nothing was seen.
import { z } from 'zod';
import type { Db } from '../db/connect.ts';
import { ACCESS_ACTIONS, ACCESS_PARTIES, accessDetailSchema, type AccessAction, type AccessDetail, type AccessParty } from '../domain/access.ts';
import { isCaseId } from '../domain/case.ts';
import { CaseNotFoundError } from './case-calls.ts';
import { UnavailableError } from './unavailable.ts';

export type { AccessAction, AccessDetail, AccessParty } from '../domain/access.ts';

/** One entry, as a door writes it. */
export interface AccessEntry {
  caseId: string;
  party: AccessParty;
  /** A staff account's email, a hospital code, 'family', or the translator's address as the service knows it. */
  actor: string;
  action: AccessAction;
  /** Ids only (domain/access.ts checks each by its shape): never a name, a file name or typed text. */
  detail?: AccessDetail;
  /** The client's address as the HTTP server sees it (req.ip, which honours TRUST_PROXY); null where there is none (casectl). */
  clientAddress: string | null;
}

/** One entry, as the log gives it back. */
export interface AccessRecord {
  id: number;
  at: string;
  party: AccessParty;
  actor: string;
  action: AccessAction;
  detail: AccessDetail | null;
  clientAddress: string | null;
}

/** The entry of a read could not be written: the read is refused (503), not answered unlogged. */
export class AccessLogUnavailable extends UnavailableError {
  constructor(cause: unknown) {
    super('the access log cannot be written just now, so the case is not shown: try again shortly');
    this.name = 'AccessLogUnavailable';
    this.cause = cause;
  }
}

export const DEFAULT_ACCESS_LIMIT = 100;
export const MAX_ACCESS_LIMIT = 1000;

const limitMessage = `must be a number from 1 to ${MAX_ACCESS_LIMIT}`;
/** How many entries a door asks for (the API's query, casectl's --limit), from text. */
export const accessLogQuerySchema = z
  .object({ limit: z.coerce.number({ message: limitMessage }).int(limitMessage).min(1, limitMessage).max(MAX_ACCESS_LIMIT, limitMessage).default(DEFAULT_ACCESS_LIMIT) })
  .strict();

export type AccessLog = ReturnType<typeof createAccessLog>;

export function createAccessLog(db: Db) {
  /** Writes one entry; throws AccessLogUnavailable when it cannot. */
  async function record(entry: AccessEntry): Promise<void> {
    // A wrong entry is the calling door's bug, not the database's: said by field, never by value.
    const detail = accessDetailSchema().safeParse(entry.detail ?? {});
    if (!detail.success) throw new Error(`access log: detail refused (${detail.error.issues.map((i) => i.path.join('.') || '(detail)').join(', ')})`);
    if (!ACCESS_PARTIES.includes(entry.party) || !ACCESS_ACTIONS.includes(entry.action) || !isCaseId(entry.caseId) || !entry.actor || entry.actor.length > 320) {
      throw new Error('access log: an entry needs a case id, a party, an actor and an action of domain/access.ts');
    }
    const hasDetail = Object.keys(detail.data).length > 0;
    try {
      await db
        .insertInto('access_log')
        .values({ case_id: entry.caseId, party: entry.party, actor: entry.actor, action: entry.action, detail: hasDetail ? JSON.stringify(detail.data) : null, client_address: entry.clientAddress })
        .execute();
    } catch (err) {
      throw new AccessLogUnavailable(err);
    }
  }

  return {
    record,

    /**
     * Runs a read, writes its entry, and only then gives the read's answer back (see the top of
     * this file): the one way a door answers a read of a case. `release` lets go of an answer that
     * will not be given (a file's stream, opened by the read).
     */
    async logged<T>(entry: AccessEntry, read: () => Promise<T>, release?: (answer: T) => void): Promise<T> {
      const answer = await read();
      try {
        await record(entry);
      } catch (err) {
        release?.(answer);
        throw err;
      }
      return answer;
    },

    /**
     * A case's entries, newest first. A case is known by its row or by its entries (the log outlives
     * the row); an id that is neither is CaseNotFoundError.
     */
    async list(caseId: string, opts: { limit?: number } = {}): Promise<AccessRecord[]> {
      if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
      const limit = Math.min(Math.max(Math.trunc(opts.limit ?? DEFAULT_ACCESS_LIMIT), 1), MAX_ACCESS_LIMIT);
      const rows = await db.selectFrom('access_log').selectAll().where('case_id', '=', caseId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      if (!rows.length && !(await db.selectFrom('cases').select('case_id').where('case_id', '=', caseId).executeTakeFirst())) throw new CaseNotFoundError(caseId);
      return rows.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), party: r.party, actor: r.actor, action: r.action, detail: r.detail, clientAddress: r.client_address }));
    },
  };
}
