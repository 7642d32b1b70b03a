// What the records page's end-to-end files share: a worker and one or more HTTP servers (in this
// process, sharing one database, DATA_DIR and secrets, as servers behind a balancer do), a staff
// session to open cases through the API, each case's records link from its first email, and the
// vault's documents as the service sees them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { loadConfig, type AppConfig } from '../../config.ts';
import { startHttpServer, type RunningHttpServer } from '../../client/http/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { createDocuments, type Documents } from '../../client/documents.ts';
import { openVault } from '../../activities/vault/open.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { startSmtpSink, type SmtpSink } from './smtp.ts';
import { caseFile } from './drive.ts';
import { signInCode } from './staff.ts';

export interface RecordsStack {
  /** The HTTP servers, the first the one cases are opened through. */
  servers: RunningHttpServer[];
  database: TestDatabase;
  sink: SmtpSink;
  dataDir: string;
  config: AppConfig;
  env: NodeJS.ProcessEnv;
  /** Opens a case through the API; answers its id and the path of its records link (/upload/<token>). */
  openCase(language?: string): Promise<{ caseId: string; path: string }>;
  documents(): Documents;
  stop(): Promise<void>;
}

export async function startRecordsStack(opts: { name: string; servers?: number; config?: Record<string, string> }): Promise<RecordsStack> {
  const tag = randomBytes(3).toString('hex');
  const admin = { email: `${opts.name}.${tag}@care.test`, password: `${opts.name}-password-${tag}` };
  const env: NodeJS.ProcessEnv = {
    PAYLOAD_KEYS: `${opts.name}:${randomBytes(32).toString('base64')}`,
    CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
    VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  };
  const dataDir = mkdtempSync(join(tmpdir(), `${opts.name}-`));
  const [database, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const base = { TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: `${opts.name}-${tag}`, SMTP_URL: sink.url, DATA_DIR: dataDir, DATABASE_URL: database.url, APP_BASE_URL: 'http://care.test', COORDINATOR_EMAIL: 'coordinator@care.test', ...opts.config };
  const config = loadConfig({ ...base, PORT: '0' });
  const worker: RunningWorker = await startWorker(loadConfig({ ...base, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'WARN' }), { env, writeLog: () => {} });
  const servers = await Promise.all(Array.from({ length: opts.servers ?? 1 }, () => startHttpServer(config, { env, host: '127.0.0.1', log: () => {} })));
  const url = servers[0]!.url;
  const r = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...admin, code: await signInCode(database.db, admin.email) }) });
  const session = { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };

  return {
    servers,
    database,
    sink,
    dataDir,
    config,
    env,
    async openCase(language = 'en') {
      const file = caseFile({ family: { language } });
      const opened = await fetch(`${url}/api/cases`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify(file) });
      expect(opened.status).toBe(201);
      const caseId = ((await opened.json()) as { caseId: string }).caseId;
      const email = (file.family as { email: string }).email;
      const [mail] = await sink.waitFor(1, (m) => m.to !== undefined && JSON.stringify(m.to).includes(email), 20_000);
      const path = /http:\/\/care\.test(\/upload\/[A-Za-z0-9_.-]+)/.exec(mail!.text ?? '')?.[1];
      expect(path, 'the first email holds the records link').toBeDefined();
      return { caseId, path: path! };
    },
    documents: () => createDocuments({ db: database.db, vault: openVault(config, database.db, env), limits: config.vault }),
    async stop() {
      await worker.shutdown().catch(() => undefined);
      for (const s of servers) await s.close();
      await sink.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
