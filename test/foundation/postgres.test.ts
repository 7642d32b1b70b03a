import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.close());

describe('test database', () => {
  it('has every table of the migrations and round-trips rows through the pg driver', async () => {
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(t.db);
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['access_log', 'admissions', 'cases', 'contacts', 'documents', 'emails', 'hospitals', 'submissions', 'timeline']),
    );
    await t.db.insertInto('hospitals').values({ code: 'H1', name: 'Hospital One', email: 'intl@h1.example', language: 'zh', time_zone: 'Asia/Shanghai', phone: null }).execute();
    const row = await t.db.selectFrom('hospitals').selectAll().where('code', '=', 'H1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Hospital One', language: 'zh' });
    expect(row.created_at).toBeInstanceOf(Date);
  });

  it('is isolated: a unique constraint holds and a failed transaction leaves nothing behind', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await trx.insertInto('hospitals').values({ code: 'H2', name: 'Two', email: 'e', language: 'en', time_zone: 'UTC', phone: null }).execute();
        await trx.insertInto('hospitals').values({ code: 'H2', name: 'Dup', email: 'e', language: 'en', time_zone: 'UTC', phone: null }).execute();
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await t.db.selectFrom('hospitals').select('code').where('code', '=', 'H2').execute()).toEqual([]);
  });
});
