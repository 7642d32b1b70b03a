// Applies the project's migrations. Imported by the worker, `npm start` and the test harness;
// run directly (`npm run migrate`) it migrates DATABASE_URL.
import type { Kysely } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import * as caseRecords from './migrations/2026-11-24-001-case-records.ts';
import * as monitoring from './migrations/2026-11-24-002-monitoring.ts';
import * as accounts from './migrations/2026-11-24-003-accounts.ts';
import * as checkinSeq from './migrations/2026-11-25-004-checkin-seq.ts';
import * as rowSeq from './migrations/2026-12-07-005-row-seq.ts';
import * as signInAttempts from './migrations/2026-12-07-006-sign-in-attempts.ts';
import * as tokenLifetime from './migrations/2026-12-07-007-token-lifetime.ts';
import * as secondFactor from './migrations/2026-12-07-008-second-factor.ts';
import * as vault from './migrations/2026-12-07-009-vault.ts';
import * as uploads from './migrations/2026-12-08-010-uploads.ts';
import * as translations from './migrations/2026-12-08-012-translations.ts';
import * as accessLog from './migrations/2026-12-08-013-access-log.ts';
import * as packetCodes from './migrations/2026-12-08-013-packet-codes.ts';
import * as rowOrder from './migrations/2026-12-08-014-row-order.ts';

// A static list rather than a folder scan: works the same under Node, vitest and bundlers.
const migrations: Record<string, Migration> = {
  '2026-11-24-001-case-records': caseRecords,
  '2026-11-24-002-monitoring': monitoring,
  '2026-11-24-003-accounts': accounts,
  '2026-11-25-004-checkin-seq': checkinSeq,
  '2026-12-07-005-row-seq': rowSeq,
  '2026-12-07-006-sign-in-attempts': signInAttempts,
  '2026-12-07-007-token-lifetime': tokenLifetime,
  '2026-12-07-008-second-factor': secondFactor,
  '2026-12-07-009-vault': vault,
  '2026-12-08-010-uploads': uploads,
  '2026-12-08-012-translations': translations,
  '2026-12-08-013-access-log': accessLog,
  '2026-12-08-013-packet-codes': packetCodes,
  '2026-12-08-014-row-order': rowOrder,
};

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

if (import.meta.main) {
  const { connect } = await import('./connect.ts');
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set');
    process.exit(2);
  }
  const db = connect(url);
  const applied = await migrateToLatest(db);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  await db.destroy();
}
