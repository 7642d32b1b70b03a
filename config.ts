// Process configuration, read once from the environment. Defaults make `npm start` and casectl
// in another terminal find each other on one machine with nothing configured.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { inspect } from 'node:util';

export interface AppConfig {
  temporalAddress: string;
  /** Undefined: plaintext. Read from TEMPORAL_TLS and TEMPORAL_TLS_* at start-up (temporalTls below). */
  temporalTls?: TemporalTls;
  temporalNamespace: string;
  taskQueue: string;
  databaseUrl: string;
  /** Unset: mail is captured as .eml files in DATA_DIR/mail instead of being sent. */
  smtpUrl?: string;
  /**
   * Mail to another machine goes over TLS (STARTTLS required, or smtps://), never falling back to
   * plaintext; a mail server on this machine, or SMTP_ALLOW_PLAINTEXT=1 (a mail catcher on a
   * private network), may be plaintext.
   */
  smtpRequireTls: boolean;
  mailFrom: string;
  coordinatorEmail: string;
  translatorEmail: string;
  appBaseUrl: string;
  port: number;
  dataDir: string;
  temporalUiPort: number;
  /** The Temporal Web UI the console links each case's workflow to. */
  temporalUiUrl: string;
  embeddedPostgresPort: number;
  /** Where the worker serves the Temporal SDK's Prometheus metrics (`ip:port`); undefined: off. */
  workerMetricsAddress?: string;
  /** The worker's liveness and readiness server (/healthz, /readyz). Port 0: any free port. */
  workerHealthHost: string;
  workerHealthPort: number;
  /** The least severe level the worker logs. */
  logLevel: LogLevel;
  /** Cases the worker keeps in memory; undefined: sized from the expected burst and the worker's memory (worker/cache-size.ts). */
  workerMaxCachedWorkflows?: number;
  /** The most cases one worker wakes in the same minute (check-ins due together): the cache is sized to hold them. */
  workerExpectedBurst: number;
  /**
   * The proxies in front of the HTTP server whose X-Forwarded-For is believed: how many hops, or
   * their addresses. Undefined: none (the TCP peer is the client).
   */
  trustProxy?: number | string[];
  vault: VaultConfig;
}

/** Where the families' files are kept (encrypted) and how much of them. */
export interface VaultConfig {
  /** Unset: files under DATA_DIR/vault. */
  s3?: S3Settings;
  maxFileBytes: number;
  maxCaseBytes: number;
  /** Days after a case closes or is cancelled before its files are shredded. */
  retentionDays: number;
}

export interface S3Settings {
  bucket: string;
  region: string;
  /** Unset: AWS itself. */
  endpoint?: string;
  /** Unset: the AWS SDK's own chain (environment, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The Temporal SDK's TLS options, the same for the clients' Connection and the worker's
 * NativeConnection. Without a CA the system's trusted roots verify the server; without a server
 * name, the host of TEMPORAL_ADDRESS.
 */
export interface TemporalTls {
  serverRootCACertificate?: Buffer;
  /** For a server that requires client certificates (mTLS). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  serverNameOverride?: string;
}

/** What both kinds of Temporal connection take from the configuration: one place, so they cannot differ. */
export function temporalConnectionOptions(config: Pick<AppConfig, 'temporalAddress' | 'temporalTls'>): { address: string; tls?: TemporalTls } {
  return { address: config.temporalAddress, ...(config.temporalTls ? { tls: config.temporalTls } : {}) };
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export const DEFAULT_EMBEDDED_PG_PORT = 55432;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = intVar(env, 'PORT', 8080);
  const embeddedPostgresPort = intVar(env, 'EMBEDDED_PG_PORT', DEFAULT_EMBEDDED_PG_PORT);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    ...temporalTls(env),
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TASK_QUEUE || 'cases',
    databaseUrl: env.DATABASE_URL || `postgres://postgres:postgres@127.0.0.1:${embeddedPostgresPort}/postgres?sslmode=disable`,
    smtpUrl: env.SMTP_URL || undefined,
    smtpRequireTls: requireTls(env),
    mailFrom: env.MAIL_FROM || 'Care Coordination <care@localhost>',
    coordinatorEmail: env.COORDINATOR_EMAIL || 'coordinator@localhost',
    translatorEmail: env.TRANSLATOR_EMAIL || 'translation@localhost',
    appBaseUrl: (env.APP_BASE_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    port,
    dataDir: resolve(env.DATA_DIR || 'data'),
    temporalUiPort: intVar(env, 'TEMPORAL_UI_PORT', 8233),
    temporalUiUrl: (env.TEMPORAL_UI_URL || `http://localhost:${intVar(env, 'TEMPORAL_UI_PORT', 8233)}`).replace(/\/$/, ''),
    embeddedPostgresPort,
    ...metricsAddress(env),
    workerHealthHost: env.WORKER_HEALTH_HOST?.trim() || '127.0.0.1',
    workerHealthPort: intVar(env, 'WORKER_HEALTH_PORT', 9465),
    logLevel: logLevel(env),
    ...workflowCache(env),
    ...trustProxy(env),
    vault: vaultConfig(env),
  };
}

const MIB = 1024 * 1024;

function vaultConfig(env: NodeJS.ProcessEnv): VaultConfig {
  const value = (name: string) => env[name]?.trim() || undefined;
  const maxFileBytes = (wholeNumberVar(env, 'VAULT_MAX_FILE_MB', 100_000, 'a size in MiB up to 100000') ?? 1024) * MIB;
  const maxCaseBytes = (wholeNumberVar(env, 'VAULT_MAX_CASE_MB', 1_000_000, 'a size in MiB up to 1000000') ?? 10 * 1024) * MIB;
  if (maxFileBytes < 1 || maxCaseBytes < maxFileBytes) throw new Error('VAULT_MAX_FILE_MB must be at least 1, and VAULT_MAX_CASE_MB at least as large');
  const retentionDays = wholeNumberVar(env, 'VAULT_RETENTION_DAYS', 36_500, 'a number of days up to 36500') ?? 365;
  const s3Vars = ['VAULT_S3_ENDPOINT', 'VAULT_S3_REGION', 'VAULT_S3_ACCESS_KEY_ID', 'VAULT_S3_SECRET_ACCESS_KEY'].filter((n) => value(n));
  const bucket = value('VAULT_S3_BUCKET');
  if (!bucket) {
    if (s3Vars.length) throw new Error(`${s3Vars.join(', ')} set without VAULT_S3_BUCKET: name the bucket to keep files in S3, or unset them to keep files under DATA_DIR`);
    return { maxFileBytes, maxCaseBytes, retentionDays };
  }
  const [accessKeyId, secretAccessKey] = [value('VAULT_S3_ACCESS_KEY_ID'), value('VAULT_S3_SECRET_ACCESS_KEY')];
  if (!accessKeyId !== !secretAccessKey) throw new Error('VAULT_S3_ACCESS_KEY_ID and VAULT_S3_SECRET_ACCESS_KEY go together: set both, or neither to use the AWS SDK\'s own credentials');
  const endpoint = value('VAULT_S3_ENDPOINT');
  if (endpoint && !/^https?:\/\/[^/\s]+/.test(endpoint)) throw new Error(`VAULT_S3_ENDPOINT must be an http(s) URL, got '${endpoint}'`);
  return {
    maxFileBytes,
    maxCaseBytes,
    retentionDays,
    s3: { bucket, region: value('VAULT_S3_REGION') ?? 'us-east-1', ...(endpoint ? { endpoint } : {}), ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}) },
  };
}

/**
 * TRUST_PROXY: a hop count (1: one proxy in front, whose address for the client is believed and
 * nothing the client wrote before it) or the proxies' addresses and networks. Never "every hop":
 * then a client rotating its own X-Forwarded-For escapes every per-address limit.
 */
function trustProxy(env: NodeJS.ProcessEnv): { trustProxy?: number | string[] } {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw) return {};
  const usage = `TRUST_PROXY must be how many proxies are in front (1 for one) or their addresses (10.0.0.5, 10.0.0.0/8, comma-separated); got '${raw}'`;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 10) throw new Error(usage);
    return { trustProxy: hops };
  }
  const addresses = raw.split(',').map((a) => a.trim());
  const valid = (a: string) => {
    const [ip, bits, extra] = a.split('/');
    if (extra !== undefined || !ip || !isIP(ip)) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (isIP(ip) === 4 ? 32 : 128));
  };
  if (!addresses.every(valid)) throw new Error(usage);
  return { trustProxy: addresses };
}

const TLS_FILES = ['TEMPORAL_TLS_CA_FILE', 'TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE'] as const;

/**
 * TEMPORAL_TLS turns TLS on; any TEMPORAL_TLS_* setting implies it, and contradicting it is an
 * error rather than a silent plaintext connection. The files are read and parsed here, once, so a
 * wrong path or a swapped certificate and key stop the process at start-up, naming the variable,
 * instead of surfacing later as a handshake failure from the SDK's native layer.
 */
function temporalTls(env: NodeJS.ProcessEnv): { temporalTls?: TemporalTls } {
  const value = (name: string) => env[name]?.trim() || undefined;
  const flag = value('TEMPORAL_TLS');
  const on = flag === undefined ? undefined : /^(1|true|yes|on)$/i.test(flag) ? true : /^(0|false|no|off)$/i.test(flag) ? false : null;
  if (on === null) throw new Error(`TEMPORAL_TLS must be on or off (1/0, true/false, yes/no); got '${flag}'`);
  const settings = [...TLS_FILES, 'TEMPORAL_TLS_SERVER_NAME'].filter((name) => value(name) !== undefined);
  if (on === false && settings.length > 0) throw new Error(`TEMPORAL_TLS is off but ${settings.join(', ')} ${settings.length > 1 ? 'are' : 'is'} set: unset TEMPORAL_TLS to connect to Temporal over TLS, or unset ${settings.length > 1 ? 'them' : 'it'}`);
  if (!on && settings.length === 0) return {};

  const [caFile, certFile, keyFile] = TLS_FILES.map(value);
  if (!certFile !== !keyFile) {
    const [has, missing] = certFile ? ['TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE'] : ['TEMPORAL_TLS_KEY_FILE', 'TEMPORAL_TLS_CERT_FILE'];
    throw new Error(`${missing} must be set with ${has}: the client certificate for mTLS needs both its certificate and its private key`);
  }
  const serverName = value('TEMPORAL_TLS_SERVER_NAME');
  // A name as it appears in a certificate: no scheme, port or path.
  if (serverName !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(serverName)) {
    throw new Error(`TEMPORAL_TLS_SERVER_NAME must be the host name in Temporal's certificate (e.g. temporal.example.org); got '${serverName}'`);
  }

  const tls: TemporalTls = {};
  if (caFile) tls.serverRootCACertificate = certificateFile('TEMPORAL_TLS_CA_FILE', caFile).pem;
  if (certFile && keyFile) {
    const crt = certificateFile('TEMPORAL_TLS_CERT_FILE', certFile);
    const key = privateKeyFile('TEMPORAL_TLS_KEY_FILE', keyFile);
    if (!crt.x509.checkPrivateKey(key.parsed)) throw new Error(`TEMPORAL_TLS_KEY_FILE ('${keyFile}') is not the private key of the certificate in TEMPORAL_TLS_CERT_FILE ('${certFile}')`);
    tls.clientCertPair = hideKey({ crt: crt.pem, key: key.pem });
  }
  if (serverName) tls.serverNameOverride = serverName;
  return { temporalTls: tls };
}

function pemFile(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${name}: cannot read '${path}' (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

function certificateFile(name: string, path: string): { pem: Buffer; x509: X509Certificate } {
  const pem = pemFile(name, path);
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not PEM');
    return { pem, x509: new X509Certificate(pem) };
  } catch {
    throw new Error(`${name} ('${path}') holds no PEM certificate`);
  }
}

// The SDK takes no passphrase: an encrypted key is refused here.
function privateKeyFile(name: string, path: string): { pem: Buffer; parsed: KeyObject } {
  const pem = pemFile(name, path);
  try {
    return { pem, parsed: createPrivateKey(pem) };
  } catch {
    throw new Error(`${name} ('${path}') holds no unencrypted PEM private key`);
  }
}

/** The private key stays readable to the SDK but out of anything that prints the configuration. */
function hideKey(pair: { crt: Buffer; key: Buffer }): { crt: Buffer; key: Buffer } {
  const shown = () => ({ crt: `<${pair.crt.length} bytes>`, key: '<private key>' });
  Object.defineProperty(pair, 'toJSON', { value: shown });
  Object.defineProperty(pair, inspect.custom, { value: shown });
  return pair;
}

function requireTls(env: NodeJS.ProcessEnv): boolean {
  if (!env.SMTP_URL || /^(1|true|yes)$/i.test(env.SMTP_ALLOW_PLAINTEXT?.trim() ?? '')) return false;
  if (!URL.canParse(env.SMTP_URL)) throw new Error(`SMTP_URL must be a URL like smtp://user:pass@mail.example.org:587; got something else`);
  const host = new URL(env.SMTP_URL).hostname;
  return !(host === 'localhost' || host === '[::1]' || /^127\./.test(host));
}

/** WORKER_MAX_CACHED_WORKFLOWS: unset or empty sizes the cache from WORKER_EXPECTED_BURST (default 1,000) and memory. */
function workflowCache(env: NodeJS.ProcessEnv): { workerMaxCachedWorkflows?: number; workerExpectedBurst: number } {
  const n = wholeNumberVar(env, 'WORKER_MAX_CACHED_WORKFLOWS', Number.MAX_SAFE_INTEGER, 'a whole number of cases');
  const workerExpectedBurst = wholeNumberVar(env, 'WORKER_EXPECTED_BURST', 1_000_000, 'a whole number of cases up to 1000000') ?? 1000;
  return n === undefined ? { workerExpectedBurst } : { workerMaxCachedWorkflows: n, workerExpectedBurst };
}

/** WORKER_METRICS_ADDRESS: unset is 127.0.0.1:9464, empty turns the endpoint off. */
function metricsAddress(env: NodeJS.ProcessEnv): { workerMetricsAddress?: string } {
  const raw = env.WORKER_METRICS_ADDRESS;
  if (raw === undefined) return { workerMetricsAddress: '127.0.0.1:9464' };
  const value = raw.trim();
  if (value === '') return {};
  // The SDK's exporter binds a socket address: an IP literal and a port, no host names.
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new Error(`WORKER_METRICS_ADDRESS must be ip:port (e.g. 0.0.0.0:9464), or empty to turn metrics off; got '${raw}'`);
  return { workerMetricsAddress: value };
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toUpperCase();
  if (!raw) return 'INFO';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got '${env.LOG_LEVEL}'`);
  return raw as LogLevel;
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumberVar(env, name, 65535, 'a port number') ?? fallback;
}

/** A whole number from 0 to `max`; unset or blank is undefined, anything else names the variable. */
function wholeNumberVar(env: NodeJS.ProcessEnv, name: string, max: number, what: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name} must be ${what}, got '${raw}'`);
  return n;
}
