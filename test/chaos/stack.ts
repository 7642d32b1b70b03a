// Everything the chaos run stands on, as a deployment runs it: a private PostgreSQL server
// (postgres-cluster.ts) holding Temporal's two databases and the app's, temporal-server 1.32.0 on
// it (local/temporal-server.ts), an SMTP sink that can go away, and the service as two worker
// processes and two HTTP server processes behind a round-robin balancer
// (test/harness/deployment.ts). Also a Temporal client with the run's payload keys and a
// connection to the app's database, for the checks afterwards.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createDataConverter, loadKeyring, type Keyring } from '../../codec/keys.ts';
import { connect, type Db } from '../../db/connect.ts';
import { createDatabase, databaseUrl } from '../../db/admin.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startTemporalServer, type TemporalServer } from '../../local/temporal-server.ts';
import { startDeployment, type Deployment } from '../harness/deployment.ts';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.ts';

/** The links in emails point here; families open them on the balancer instead (family.ts). */
export const APP_BASE_URL = 'http://care.test';
export const COORDINATOR_EMAIL = 'coordinator@care.test';
export const TASK_QUEUE = 'cases-chaos';

export interface ChaosStack {
  postgres: PostgresCluster;
  temporal: TemporalServer;
  sink: SmtpSink;
  deployment: Deployment;
  /** The balancer: where staff and families reach the service. */
  url: string;
  admin: { email: string; password: string };
  client: Client;
  keyring: Keyring;
  /** The run's throwaway PAYLOAD_KEYS, for reading its kept histories afterwards. */
  payloadKeys: string;
  db: Db;
  /** Stops everything; the logs stay in `logDir`. */
  stop(): Promise<void>;
}

/** The stacks running in this process, so that a command interrupted (Ctrl-C, a crash) still stops its servers. */
const running = new Set<ChaosStack>();
export async function stopRunningStacks(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

export async function startChaosStack(opts: { logDir: string; log: (line: string) => void }): Promise<ChaosStack> {
  mkdirSync(opts.logDir, { recursive: true });
  // The processes append to their logs: a run's logs are its own.
  for (const f of readdirSync(opts.logDir)) if (/^(worker-\d+|http-\d+|temporal-server|postgresql)\.log$/.test(f)) rmSync(join(opts.logDir, f));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const started = Date.now();
    const postgres = await startPostgresCluster();
    stops.push(async () => {
      // Its folder goes with it: keep the server's log beside the others.
      copyFileSync(postgres.logFile, join(opts.logDir, 'postgresql.log'));
      await postgres.stop();
    });
    const temporal = await startTemporalServer({ adminUrl: postgres.adminUrl, logFile: join(opts.logDir, 'temporal-server.log') });
    stops.push(() => temporal.stop());
    await createDatabase(postgres.adminUrl, 'app');
    const appUrl = databaseUrl(postgres.adminUrl, 'app');
    const db = connect(appUrl);
    stops.push(() => db.destroy());
    // Before the processes start, so that four of them do not race to migrate.
    await migrateToLatest(db);
    const sink = await startSmtpSink();
    stops.push(() => sink.stop());
    opts.log(`PostgreSQL ${postgres.port}, temporal-server ${temporal.address}, SMTP ${sink.url}: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const admin = { email: 'chaos.coordinator@care.test', password: randomBytes(12).toString('base64url') };
    const secrets = {
      PAYLOAD_KEYS: `chaos:${randomBytes(32).toString('base64')}`,
      CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    };
    const dataDir = mkdtempSync(join(tmpdir(), 'chaos-data-'));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const deploymentStarted = Date.now();
    const deployment = await startDeployment({
      env: {
        ...secrets,
        TEMPORAL_ADDRESS: temporal.address,
        TASK_QUEUE,
        DATABASE_URL: appUrl,
        SMTP_URL: sink.url,
        DATA_DIR: dataDir,
        COORDINATOR_EMAIL,
        TRANSLATOR_EMAIL: 'translator@care.test',
        MAIL_FROM: 'Care <care@care.test>',
        APP_BASE_URL,
      },
      logDir: opts.logDir,
    });
    stops.push(() => deployment.stop());
    opts.log(`2 workers and 2 HTTP servers behind ${deployment.url}: ready in ${((Date.now() - deploymentStarted) / 1000).toFixed(1)} s`);

    const keyring = loadKeyring(secrets);
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace, dataConverter: createDataConverter(keyring) });
    const stack: ChaosStack = {
      postgres,
      temporal,
      sink,
      deployment,
      url: deployment.url,
      admin,
      client,
      keyring,
      payloadKeys: secrets.PAYLOAD_KEYS,
      db,
      async stop() {
        running.delete(stack);
        await stopAll();
      },
    };
    running.add(stack);
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
