// A hospital's packet page opens with its link and a one-time code emailed to the hospital's
// registered address (client/http/packet.ts). The codes are kept per link, hashed; the sessions a
// right code opens are kept here too (their token's hash), so a locked link's sessions can end at
// once; and a link locked after too many wrong codes stays locked, with whether the case was told.
// Every row names its link by the sha256 of the token: never the token itself.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('packet_codes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('link_hash', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('hospital_code', 'text', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('packet_codes_link_idx').on('packet_codes').columns(['link_hash', 'created_at']).execute();

  await db.schema
    .createTable('packet_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('link_hash', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('packet_sessions_link_idx').on('packet_sessions').column('link_hash').execute();

  await db.schema
    .createTable('packet_locks')
    .addColumn('link_hash', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('hospital_code', 'text', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('locked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('told_at', 'timestamptz')
    .execute();
}
