// An isolated, migrated database for one test file, whatever the backend.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type Db } from '../../db/connect.ts';
import { createDatabase, databaseUrl, dropDatabase } from '../../db/admin.ts';
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
  await createDatabase(choice.adminUrl, name);
  const url = databaseUrl(choice.adminUrl, name);
  const db = connect(url);
  await migrateToLatest(db);
  return {
    db,
    url,
    async close() {
      await db.destroy();
      await dropDatabase(choice.adminUrl, name);
    },
  };
}
