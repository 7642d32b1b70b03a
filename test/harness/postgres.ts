// An isolated, migrated database for one test file, whatever the backend.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { connect, type Db } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import type { PostgresChoice } from './postgres-backend.ts';

export interface TestDatabase {
  db: Db;
  url: string;
  close(): Promise<void>;
}

/** `choice` defaults to the one the vitest global setup made; a script outside vitest passes its own. */
export async function createTestDatabase(choice: PostgresChoice = inject('postgres')): Promise<TestDatabase> {
  if (choice.kind === 'pglite') {
    const embedded = await startEmbeddedPostgres();
    const db = connect(embedded.url);
    await migrateToLatest(db);
    return { db, url: embedded.url, close: async () => { await db.destroy(); await embedded.stop(); } };
  }
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: choice.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(choice.adminUrl);
  url.pathname = `/${name}`;
  const db = connect(url.toString());
  await migrateToLatest(db);
  return {
    db,
    url: url.toString(),
    async close() {
      await db.destroy();
      const a = new pg.Client({ connectionString: choice.adminUrl });
      await a.connect();
      try {
        // FORCE cannot end an autovacuum worker that happens to be in the database (it is the
        // superuser's, error 42501), and such a worker is done within moments: try again.
        for (let attempt = 1; ; attempt++) {
          try {
            await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== '42501' || attempt === 10) throw err;
            await new Promise((r) => setTimeout(r, 300));
          }
        }
      } finally {
        await a.end();
      }
    },
  };
}
