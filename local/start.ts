// `npm start`: the whole service on one machine with nothing to configure. Starts what is not
// configured (embedded Postgres in DATA_DIR, the Temporal dev server with its Web UI), then the
// worker. casectl in another terminal finds both on their default addresses. Ctrl-C stops all.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../config.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { caseSearchAttributes } from '../domain/search-attributes.ts';
import { DEV_SERVER_FLAGS, ensureTemporalExecutable, isMissingBinary, NO_TEMPORAL_HINT } from './temporal-binaries.ts';
import { startWorker } from '../worker/main.ts';
import { createWorkerLogger, installWorkerRuntime } from '../worker/runtime.ts';
import { startHttpServer } from '../client/http/main.ts';

const config = loadConfig();
// Health data lives here (the embedded databases, captured mail, secrets): the service's user only.
mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
chmodSync(config.dataDir, 0o700);
const stops: (() => Promise<void>)[] = [];
const say = (line: string) => console.log(`[start] ${line}`);

// The dev server npm start runs speaks plaintext: TLS settings without an address would only fail
// at the worker's handshake, with a message about certificates instead of this one.
if (!process.env.TEMPORAL_ADDRESS && config.temporalTls) {
  say('TEMPORAL_TLS and TEMPORAL_TLS_* are for a Temporal server run elsewhere: set TEMPORAL_ADDRESS to it, or unset them to use the dev server npm start runs');
  process.exit(1);
}

// The worker's Temporal Runtime (metrics, JSON logs) before the dev server would create a default one.
installWorkerRuntime({ metricsAddress: config.workerMetricsAddress, logger: createWorkerLogger({ level: config.logLevel }) });

if (!process.env.DATABASE_URL) {
  const pg = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pg'), port: config.embeddedPostgresPort });
  stops.push(pg.stop);
  say(`embedded Postgres (PGlite, data in ${join(config.dataDir, 'pg')}) on ${pg.url.replace(/\/\/[^@]*@/, '//')}`);
} else {
  say('Postgres from DATABASE_URL');
}

if (!process.env.TEMPORAL_ADDRESS) {
  const { executable, source } = ensureTemporalExecutable('cli', say);
  const [host, port] = config.temporalAddress.split(':');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: host,
      port: Number(port),
      ui: true,
      uiPort: config.temporalUiPort,
      dbFilename: join(config.dataDir, 'temporal.db'),
      namespace: config.temporalNamespace,
      searchAttributes: caseSearchAttributes,
      // The Web UI decodes encrypted payloads through the HTTP server's codec endpoint.
      extraArgs: [...DEV_SERVER_FLAGS, '--ui-codec-endpoint', `http://localhost:${config.port}/codec`],
    },
  }).catch(async (err: unknown) => {
    if (!isMissingBinary(err)) throw err;
    say(NO_TEMPORAL_HINT);
    for (const s of stops.reverse()) await s().catch(() => undefined);
    process.exit(1);
  });
  stops.push(() => env.teardown());
  say(`Temporal dev server on ${config.temporalAddress} (binary from ${source}); Web UI at http://localhost:${config.temporalUiPort}`);
} else {
  say(`Temporal at ${config.temporalAddress}`);
}

say(config.smtpUrl ? 'mail goes out through SMTP_URL' : `mail is captured in ${join(config.dataDir, 'mail')} (set SMTP_URL to send)`);
const stop = new AbortController();
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    stop.abort();
  });
}
// Nothing to configure: without ADMIN_EMAIL the first account is admin@care.local (a name the
// email check accepts; localhost has no dot), with a password
// generated once and kept (readable by this user only) in DATA_DIR.
let passwordFile: string | undefined;
if (!process.env.ADMIN_EMAIL) {
  passwordFile = join(config.dataDir, 'admin-password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  process.env.ADMIN_EMAIL = 'admin@care.local';
  process.env.ADMIN_PASSWORD = readFileSync(passwordFile, 'utf8').trim();
}
const http = await startHttpServer(config);
stops.push(() => http.close());
say(`HTTP server (family check-in pages, health, codec for the Web UI) at ${http.url}`);
say(`staff console at ${http.url}/console/ and JSON API at ${http.url}/api/ (OpenAPI: ${http.url}/api/openapi.json)`);
// Without ADMIN_EMAIL the account is ours to name, even when Postgres was slow to answer at start.
say(passwordFile ? `sign in as admin@care.local with the password in ${passwordFile} (the first account; more with: npm run cli -- user add)` : http.signIn);
try {
  const worker = await startWorker(config, { signal: stop.signal });
  say(`worker health at ${worker.healthUrl}/healthz and ${worker.healthUrl}/readyz; ${worker.metricsUrl ? `Temporal SDK metrics at ${worker.metricsUrl}` : 'worker metrics off (WORKER_METRICS_ADDRESS is empty)'}`);
  say(`case metrics at ${http.url}/metrics`);
  say('worker running. In another terminal: npm run cli -- --help   (Ctrl-C here stops everything)');
  await worker.finished;
} finally {
  for (const s of stops.reverse()) await s().catch((err: unknown) => console.error(`[start] ${(err as Error).message}`));
  say('stopped');
}
