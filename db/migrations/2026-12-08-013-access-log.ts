// The access log (client/access-log.ts): who has seen or acted on a case's data, through which
// party's door, when and from where. case_id is no foreign key on purpose: the record of who read
// a family's data must outlive whatever happens to the case's row.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('access_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb')
    .addColumn('client_address', 'text')
    .execute();
  // A case's entries, newest first: every door reads them that way.
  await db.schema.createIndex('access_log_case_at_idx').on('access_log').columns(['case_id', 'at', 'id']).execute();
}
