// Every projected row keeps the newest state the case reported, as the case and check-in rows
// already do: writes about one row can be in flight at once (an Update's beside the main flow's), and
// one landing late must not turn a finished translation back to pending. Each change now carries
// the row's whole state, and the upsert applies it only over an older one.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['documents', 'submissions', 'admissions', 'alerts']) {
    await db.schema.alterTable(table).addColumn('status_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  }
}
