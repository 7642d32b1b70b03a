// Post-infusion monitoring: protocols, check-ins, clinical observations and alerts.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('protocols')
    .addColumn('name', 'text', (c) => c.primaryKey())
    // Chosen for a case by the most specific match: hospital and therapy, hospital, therapy, default.
    .addColumn('hospital_code', 'text', (c) => c.references('hospitals.code'))
    .addColumn('therapy', 'text')
    .addColumn('protocol', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('tier', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull())
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('acknowledged_by', 'text')
    .addPrimaryKeyConstraint('alerts_pk', ['case_id', 'alert_id'])
    .execute();
  await db.schema.createIndex('alerts_open_idx').on('alerts').column('case_id').where(sql.ref('acknowledged_at'), 'is', null).execute();

  await db.schema
    .createTable('checkins')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('checkin_id', 'integer', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('answered_at', 'timestamptz')
    .addColumn('tier', 'text')
    .addColumn('temperature_c', 'real')
    .addColumn('report', 'jsonb')
    .addColumn('escalation', 'text')
    .addPrimaryKeyConstraint('checkins_pk', ['case_id', 'checkin_id'])
    .execute();

  await db.schema
    .createTable('observations')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.case_id'))
    .addColumn('event_key', 'text', (c) => c.notNull().unique())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('observation', 'jsonb', (c) => c.notNull())
    .addColumn('crs_grade', 'integer', (c) => c.notNull())
    .addColumn('icans_grade', 'integer', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('grading', 'jsonb', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['observations', 'checkins', 'alerts', 'protocols']) await db.schema.dropTable(t).execute();
}
