// The HTTP server process (`npm run http`): the families' check-in pages, /healthz and /readyz,
// /metrics (case counts for Prometheus) and the codec endpoint for the Temporal Web UI. `npm start` can run it in-process through
// startHttpServer.
//
// Environment (besides config.ts): HTTP_HOST (default 127.0.0.1; 0.0.0.0 in a container behind a
// proxy), CHECKIN_LINK_SECRET (else DATA_DIR/checkin-link-secret),
// CODEC_AUTH_TOKEN (a service token /codec takes besides signed-in staff accounts),
// METRICS_AUTH_TOKEN (when set, /metrics requires it as a bearer token), ADMIN_EMAIL and
// ADMIN_PASSWORD (and ADMIN_NAME): the first staff account of the JSON API, created when none exists.
import type { Client } from '@temporalio/client';
import { openTemporalClient } from '../temporal.ts';
import { loadConfig, type AppConfig } from '../../config.ts';
import { connect, type Db } from '../../db/connect.ts';
import { createDataConverter, loadKeyring } from '../../codec/keys.ts';
import { EncryptionCodec } from '../../codec/encryption-codec.ts';
import { createCodecHandler } from '../../codec/codec-server.ts';
import { createCheckinLinks, loadLinkSecret } from '../../common/checkin-link.ts';
import { createIdentifiers, loadIdentifierKey } from '../../common/identifiers.ts';
import { createCaseActions } from '../actions.ts';
import { createAccounts } from '../accounts.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { staffCodecAuthorizer } from './auth.ts';
import { createHttpLogger, createHttpServer, logEvent } from './server.ts';
import type { PacketPluginOptions } from './packet.ts';
import type { LineWriter } from '../../common/logging.ts';
import { createMailer } from '../../activities/mailer.ts';
import { openVault } from '../../activities/vault/open.ts';
import { createDocuments } from '../documents.ts';
import { createUploads } from '../uploads.ts';
import { createPackets } from '../packets.ts';
import { join } from 'node:path';

export interface StartHttpServerDeps {
  /** Default process.env: CHECKIN_LINK_SECRET, PAYLOAD_KEYS, CODEC_AUTH_TOKEN, METRICS_AUTH_TOKEN, HTTP_HOST. */
  env?: NodeJS.ProcessEnv;
  /** Reuse a database pool (not closed by close()); default: a new pool on config.databaseUrl. */
  db?: Db;
  /** Reuse a Temporal client (not closed by close()); default: a lazy connection to config.temporalAddress. */
  client?: Client;
  /** Default HTTP_HOST, else 127.0.0.1. */
  host?: string;
  /** Where the JSON log lines go (one string per line). Default: standard output. */
  log?: LineWriter;
  /** The access log of the hospitals' packet pages (client/access-log.ts, once it is there). */
  logAccess?: PacketPluginOptions['logAccess'];
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** How to sign in to the JSON API (/api), for the start-up banner: says whether an account exists. */
  signIn: string;
  /** Stops taking requests, lets the ones in flight finish, closes what startHttpServer opened. */
  close(): Promise<void>;
}

export async function startHttpServer(config: AppConfig, deps: StartHttpServerDeps = {}): Promise<RunningHttpServer> {
  const env = deps.env ?? process.env;
  // The server's own lines before and after it serves (the server logs its requests with its own logger, to the same place).
  const logger = createHttpLogger(deps.log);
  const host = deps.host ?? (env.HTTP_HOST?.trim() || '127.0.0.1');
  const keyring = loadKeyring(env, { generateIn: config.dataDir });
  const links = createCheckinLinks(loadLinkSecret(env, { generateIn: config.dataDir }));

  const closers: (() => Promise<void>)[] = [];
  let client = deps.client;
  if (!client) {
    // Lazy: the server starts (and /readyz says so) while Temporal is still coming up.
    const temporal = openTemporalClient(config, createDataConverter(keyring));
    client = temporal.client;
    closers.push(() => temporal.close());
  }
  let db = deps.db;
  if (!db) {
    const pool = connect(config.databaseUrl, { max: 5 });
    db = pool;
    closers.push(() => pool.destroy());
  }

  const metricsAuthToken = env.METRICS_AUTH_TOKEN?.trim();
  const actions = createCaseActions({ client, db, taskQueue: config.taskQueue, identifiers: createIdentifiers(loadIdentifierKey(env, { generateIn: config.dataDir })) });
  const accounts = createAccounts(db);
  // The Web UI decodes through /codec as a signed-in staff account (its session, with the UI's
  // "include cross-origin credentials"), the CLI with an API token or CODEC_AUTH_TOKEN.
  const codec = {
    handler: createCodecHandler({
      codec: new EncryptionCodec(keyring),
      authorize: staffCodecAuthorizer(accounts, env.CODEC_AUTH_TOKEN?.trim() || undefined),
      allowedOrigins: [`http://localhost:${config.temporalUiPort}`],
      onUse: ({ operation, caller, namespace, payloads }) => logEvent(logger, 'info', 'codec_used', { kind: operation, via: caller.via, userId: caller.userId, namespace, size: payloads }),
    }),
  };
  const accountsDb = db;
  /**
   * The first staff account (ADMIN_EMAIL, ADMIN_PASSWORD) once the accounts tables exist: the
   * migrations run here too (locked, idempotent; the worker runs them as well), since `npm start`
   * starts this server before the worker. Postgres down at start: retried in the background.
   */
  const setUpAccounts = async (): Promise<string> => {
    await migrateToLatest(accountsDb);
    const admin = await accounts.ensureAdmin(env);
    if (admin.outcome === 'created') logEvent(logger, 'info', 'admin_created');
    if (admin.outcome === 'missing') logEvent(logger, 'warn', 'no_accounts');
    return admin.outcome === 'created'
      ? `sign in to the console (/console/) or the API (POST /api/session) as ${admin.email} with ADMIN_PASSWORD`
      : admin.outcome === 'exists'
        ? 'sign in to the console (/console/) or the API (POST /api/session) with your account; add accounts with: npm run cli -- user add --email E --name N --role coordinator|clinician|ops (password on stdin)'
        : 'no staff account yet: set ADMIN_EMAIL and ADMIN_PASSWORD (12+ characters) and restart, or: npm run cli -- user add --email E --name N --role coordinator (password on stdin)';
  };
  // At most a few seconds at start; the check-in pages work without accounts, so a Postgres that
  // does not answer yet is tried again in the background until it does.
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  let warned = false;
  const attempt = (): Promise<string | undefined> =>
    setUpAccounts().catch((err: unknown) => {
      if (!warned) logEvent(logger, 'warn', 'accounts_failed', { error: err });
      warned = true;
      if (!stopped) {
        retry = setTimeout(() => void attempt(), 5_000);
        retry.unref();
      }
      return undefined;
    });
  let waited: NodeJS.Timeout | undefined;
  const signIn =
    (await Promise.race([attempt(), new Promise<undefined>((resolve) => (waited = setTimeout(() => resolve(undefined), 5_000)))]).finally(() => clearTimeout(waited))) ??
    'staff accounts not ready (Postgres did not answer at start): the first account (ADMIN_EMAIL) is created once it does';
  closers.push(async () => {
    stopped = true;
    clearTimeout(retry);
  });
  // Staff's password links go out through the same mail server as families' mail (or into DATA_DIR/mail).
  const mailer = createMailer({ smtpUrl: config.smtpUrl, requireTls: config.smtpRequireTls, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
  closers.push(async () => mailer.close());
  const vault = openVault(config, db, env);
  const documents = createDocuments({ db, vault, limits: config.vault });
  const uploads = createUploads({ db, vault, documents });
  // Resumable uploads left untouched past their expiry go, checked hourly by every HTTP server
  // (removing one twice is harmless); until then their pieces are only ciphertext.
  const sweep = setInterval(() => {
    uploads.expire().then(
      (size) => size > 0 && logEvent(logger, 'info', 'uploads_expired', { size }),
      (err: unknown) => logEvent(logger, 'warn', 'uploads_expired', { error: err }),
    );
  }, 3600_000);
  sweep.unref();
  closers.push(async () => clearInterval(sweep));
  const app = await createHttpServer({
    actions,
    records: {
      documents,
      uploads,
      maxFileBytes: config.vault.maxFileBytes,
    },
    // A hospital's one-time codes go out through the same mail server.
    packets: { packets: createPackets(db), documents, links, mailer, ...(deps.logAccess ? { logAccess: deps.logAccess } : {}) },
    staff: { actions, accounts, mailer, temporalUi: { url: config.temporalUiUrl, namespace: config.temporalNamespace } },
    db,
    links,
    client,
    codec,
    config: { publicUrl: config.appBaseUrl, ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}), ...(metricsAuthToken ? { metricsAuthToken } : {}) },
    ...(deps.log ? { log: deps.log } : {}),
  });
  try {
    await app.listen({ host, port: config.port });
  } catch (err) {
    await app.close().catch(() => {});
    for (const c of closers.reverse()) await c().catch(() => {});
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logEvent(logger, 'info', 'listening', { address: url });

  let closing: Promise<void> | undefined;
  return {
    url,
    signIn,
    close() {
      closing ??= (async () => {
        logEvent(logger, 'info', 'stopping');
        await app.close();
        for (const c of closers.reverse()) await c().catch(() => {});
        logEvent(logger, 'info', 'stopped');
      })();
      return closing;
    },
  };
}

if (import.meta.main) {
  const server = await startHttpServer(loadConfig());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`[http] ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}
