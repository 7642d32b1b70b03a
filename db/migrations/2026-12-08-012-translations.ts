// A translation is a file of the vault like the family's: the same row, with `kind` 'translation'
// and `language` the language it is written in (the document it translates is its document_type).
// Originals keep kind 'original'; their language is the case's documents row's, not repeated here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('files')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('original').check(sql`kind in ('original', 'translation')`))
    .addColumn('language', 'text')
    .execute();
}
