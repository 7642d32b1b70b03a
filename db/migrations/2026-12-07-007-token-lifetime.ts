// API tokens end: each has an expiry (set when made) and can be revoked before it. Tokens made
// before this migration get 90 days from now rather than living for ever.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_tokens')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now() + interval '90 days'`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();
}
