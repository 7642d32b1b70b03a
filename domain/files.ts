// The files of a case: who may send them, the states of their review, and what the vault accepts.
import { z } from 'zod';
export const FILE_SENDERS = ['family', 'coordinator', 'translator', 'hospital'] as const;
export type FileSender = (typeof FILE_SENDERS)[number];

/** An original document, or a translation of one (into the file's language). */
export const FILE_KINDS = ['original', 'translation'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** pending_review until a coordinator looks; purged once the case's data key is shredded. */
export const FILE_STATUSES = ['pending_review', 'accepted', 'rejected', 'purged'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/**
 * How long the records link in an email opens the family's records page; every records email
 * brings a fresh one, and the page refuses any link once the case is closed or cancelled.
 */
export const RECORDS_LINK_MS = 60 * 24 * 3600 * 1000;

/** A file's id (a UUID), as the vault names it. */
const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE_ID_SCHEMA = z.string().regex(FILE_ID, 'must be a file id (casectl docs list)');
// Functions, not the regex or the schema: the worker deep-freezes what this module exports (see domain/case.ts).
export const isFileId = (s: string): boolean => FILE_ID.test(s);
export const fileIdSchema = () => FILE_ID_SCHEMA;

/** `processing`: keeping and using the health data to coordinate care; `share`: with one named hospital. */
export type ConsentKind = 'processing' | 'share';

/**
 * The version of the consent words on the records page (i18n recordsPages.consentBody): change it
 * when the words change in substance, so that what each family agreed to stays known.
 */
export const CONSENT_VERSION = '2026-12-07';
