// Sign-in attempts, shared by every HTTP server: behind a load balancer each server counting in
// its own memory let an email have its 5 tries on each. An attempt is written before the password
// is checked, so a burst of simultaneous tries counts in full.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('sign_in_attempts_key_at_idx').on('sign_in_attempts').columns(['key', 'at']).execute();
}
