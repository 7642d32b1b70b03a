// The document vault: the files families, coordinators, translators and hospitals send.
//
// - case_keys: each case's data key, wrapped (AES-256-GCM) by a vault master key named by key_id.
//   Deleting the wrapped key (shredded_at set, wrapped emptied) makes every object of the case
//   unreadable, wherever copies of the objects went.
// - files: one row per stored file: what it is, who sent it, the sha256 and size of its plaintext,
//   its review status, and the upload it replaces. The object itself (encrypted) is in the object
//   store under object_key; a row exists only once its object is complete.
// - consents: what a family agreed to on their records page (processing of the health data for
//   coordination, or sharing with one named hospital), the version of the words they saw, when, and
//   the link it came through (sha256 of its token); withdrawn_at once they take it back.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('case_keys')
    .addColumn('case_id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('shredded_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('files')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('document_type', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending_review'))
    .addColumn('reason', 'text')
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('replaces', 'uuid', (c) => c.references('files.id'))
    .execute();
  await db.schema
    .createTable('consents')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('hospital_code', 'text')
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('link_hash', 'text', (c) => c.notNull())
    .addColumn('agreed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('withdrawn_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('consents_case_idx').on('consents').column('case_id').execute();
  await db.schema.createIndex('files_case_idx').on('files').columns(['case_id', 'uploaded_at']).execute();
}
