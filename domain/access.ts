// The access log's words, in one place for every door that writes it (the console, the API, casectl,
// the hospitals' packet page, the translators' page): who may appear in it, what they may be seen
// doing, and what an entry's detail may hold. The log answers "who has seen this family's data",
// so its detail holds ids only, checked here by shape: a free-text field would let a file name, a
// diagnosis or what someone typed into it.
import { z } from 'zod';
import { documentTypeSchema, hospitalCodeSchema, languageSchema } from './case.ts';
import { fileIdSchema } from './files.ts';

/** Who was there: a staff account, the family through their link, a hospital, a translator. */
export const ACCESS_PARTIES = ['staff', 'family', 'hospital', 'translator'] as const;
export type AccessParty = (typeof ACCESS_PARTIES)[number];

/**
 * What they did. Reads of a case's data, and what happens at the doors of the people outside the
 * staff (a one-time code sent or refused, a decision, a translation uploaded): a packet page's
 * entries are as much a part of who has seen the case as a staff member's.
 */
export const ACCESS_ACTIONS = [
  // A case's status (API, casectl), or the console's case page: everything the page shows with it
  // (the family's contact, emails, timeline, files, its access log) is this one entry.
  'case_viewed',
  'timeline_viewed',
  'emails_viewed',
  'files_listed',
  'file_downloaded',
  'access_log_viewed',
  'packet_viewed',
  'code_sent',
  'code_refused',
  'decision_recorded',
  'translation_uploaded',
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** The staff's doors, as an entry's detail names them (`via`). */
export const STAFF_DOORS = ['console', 'api', 'casectl'] as const;
export type StaffDoor = (typeof STAFF_DOORS)[number];

/** A status or a reason, as a program names it (accepted, declined, expired, wrong_code), never a sentence. */
const TOKEN = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a lower-case word (a status or a reason), not text');

const DETAIL_SCHEMA = z
  .object({
    via: z.enum(STAFF_DOORS).optional(),
    fileId: fileIdSchema().optional(),
    hospitalCode: hospitalCodeSchema().optional(),
    round: z.number().int().min(1).max(1000).optional(),
    documentType: documentTypeSchema().optional(),
    /** A translation's language. */
    language: languageSchema().optional(),
    status: TOKEN.optional(),
    reason: TOKEN.optional(),
  })
  .strict();

/** What an entry may say beyond who, what and when: ids, each checked for its shape. */
export type AccessDetail = z.infer<typeof DETAIL_SCHEMA>;
export const accessDetailSchema = () => DETAIL_SCHEMA;
