// Resumable uploads under way (client/uploads.ts): one row per upload a family's browser has begun
// through tus and not finished. The bytes are not here: each piece that came is its own encrypted
// vault object, listed in `parts` in order. `received` is the tus offset, the plaintext bytes those
// pieces hold; `size` the Upload-Length declared at creation. A row goes when its file is stored,
// refused, cancelled, or left untouched past the expiry.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('document_type', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('received', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('parts', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('uploads_case_idx').on('uploads').column('case_id').execute();
  await db.schema.createIndex('uploads_updated_idx').on('uploads').column('updated_at').execute();
}
