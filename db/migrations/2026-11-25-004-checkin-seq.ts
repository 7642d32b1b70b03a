// A check-in row keeps the newest state the case reported, like the case row (cases.status_seq):
// two writes about one check-in can be in flight at once (the family's answer, from an Update,
// beside a reminder's escalation from the main flow), and an older one landing last must not turn
// an answered check-in back.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkins').addColumn('status_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
