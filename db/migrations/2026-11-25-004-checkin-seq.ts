// A check-in row keeps the newest state the case reported, like the case row (cases.status_seq):
// a check-in's email goes out alongside its "sent" write, so the family's answer, written by a later
// event, can reach Postgres first; the older write must not turn an answered check-in back to open.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkins').addColumn('status_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
