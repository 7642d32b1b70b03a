// Initial tables for the case lifecycle. Never edit a migration after it ships: add a new one.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('hospitals')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('cases')
    .addColumn('case_id', 'text', (c) => c.primaryKey())
    .addColumn('patient_ref', 'text', (c) => c.notNull())
    .addColumn('diagnosis', 'text', (c) => c.notNull())
    .addColumn('therapy', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('waiting_for', 'jsonb')
    // The workflow's event sequence number behind stage/waiting_for: activities may land out of order.
    .addColumn('status_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('chosen_hospital', 'text', (c) => c.references('hospitals.code'))
    .addColumn('close_reason', 'text')
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('cases_stage_idx').on('cases').column('stage').execute();

  await db.schema
    .createTable('contacts')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contacts_pk', ['case_id', 'role'])
    .execute();

  await db.schema
    .createTable('documents')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('document_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('language', 'text')
    .addColumn('waive_reason', 'text')
    .addColumn('translation', 'text', (c) => c.notNull().defaultTo('not_needed'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('documents_pk', ['case_id', 'document_type'])
    .execute();

  await db.schema
    .createTable('submissions')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('hospital_code', 'text', (c) => c.notNull().references('hospitals.code'))
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('decision', 'text')
    .addColumn('decision_reason', 'text')
    .addColumn('requested_documents', 'jsonb')
    .addColumn('decided_at', 'timestamptz')
    .addPrimaryKeyConstraint('submissions_pk', ['case_id', 'hospital_code', 'round'])
    .execute();

  await db.schema
    .createTable('admissions')
    .addColumn('case_id', 'text', (c) => c.primaryKey().references('cases.case_id'))
    .addColumn('hospital_code', 'text', (c) => c.notNull().references('hospitals.code'))
    .addColumn('admission_at', 'timestamptz', (c) => c.notNull())
    .addColumn('contact', 'text')
    .addColumn('notes', 'text')
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('infusion_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('emails')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('case_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('message_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('emails_case_idx').on('emails').column('case_id').execute();

  await db.schema
    .createTable('timeline')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('event_key', 'text', (c) => c.notNull().unique())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb')
    .execute();
  await db.schema.createIndex('timeline_case_idx').on('timeline').columns(['case_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['timeline', 'emails', 'admissions', 'submissions', 'documents', 'contacts', 'cases', 'hospitals']) {
    await db.schema.dropTable(t).execute();
  }
}
