// A second factor for staff, an admin right, and single-use links to set a password.
//
// - users.totp_secret: the account's TOTP secret once enrolment is confirmed (base32); while an
//   enrolment is under way the new secret waits in totp_pending so a half-done set-up never locks the
//   person out; totp_last_step is the last time step a code was accepted for, so a code seen once
//   (over a shoulder, in a proxy log) cannot be used again.
// - recovery_codes: sha256 of each one-time code, for a lost phone.
// - sessions.pending_enrolment: a session of an account that must set up its second factor and has
//   not; it opens the set-up page and nothing else.
// - password_links: sha256 of the token in an emailed link (a reset, or a new account's first
//   password), its expiry and when it was used.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('admin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('totp_secret', 'text')
    .addColumn('totp_pending', 'text')
    .addColumn('totp_last_step', 'bigint')
    .execute();
  // Until now every coordinator managed accounts (with casectl): they keep that right.
  await sql`update users set admin = true where role = 'coordinator'`.execute(db);
  await db.schema.alterTable('sessions').addColumn('pending_enrolment', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema
    .createTable('recovery_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('recovery_codes_user_idx').on('recovery_codes').column('user_id').execute();
  await db.schema
    .createTable('password_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('password_links_user_idx').on('password_links').column('user_id').execute();
}
