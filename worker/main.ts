// The worker process: `npm run worker` (compose runs it too). Migrates the database, then
// runs case workflows and activities until SIGINT/SIGTERM.
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config.ts';
import { connect } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createMailer } from '../activities/mailer.ts';
import { createDataConverter, loadKeyring } from '../codec/keys.ts';
import { createCheckinLinks, loadLinkSecret } from '../activities/checkin-link.ts';
import { createCaseWorker } from './create-worker.ts';

export async function runWorker(config = loadConfig(), signal?: AbortSignal): Promise<void> {
  const db = connect(config.databaseUrl);
  await migrateToLatest(db);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createCaseWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    dataConverter: createDataConverter(loadKeyring(process.env, { generateIn: config.dataDir })),
    db,
    mailer,
    config,
    links: createCheckinLinks(loadLinkSecret(process.env, { generateIn: config.dataDir })),
  });
  signal?.addEventListener('abort', () => worker.shutdown(), { once: true });
  try {
    await worker.run();
  } finally {
    mailer.close();
    await connection.close();
    await db.destroy();
  }
}

if (import.meta.main) {
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  await runWorker(loadConfig(), stop.signal);
}
