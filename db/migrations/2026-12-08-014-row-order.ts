// A projected row's order becomes the event's workflow time with its sequence number (a bigint),
// not the sequence number alone. A repaired case (client/repair.ts: a reset) goes on in a new run
// whose numbers start again from the reset point, below those the replaced run wrote: by number alone
// the old run's rows would win until the new run caught up. Workflow time only moves on, across a
// reset too, so the new run's writes come after everything the old run wrote (activities/case-records.ts).
import type { Kysely } from 'kysely';

export const PROJECTED_TABLES = ['cases', 'checkins', 'documents', 'submissions', 'admissions', 'alerts'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of PROJECTED_TABLES) {
    await db.schema.alterTable(table).alterColumn('status_seq', (c) => c.setDataType('bigint')).execute();
  }
}
