// Process configuration, read once from the environment. Defaults make `npm start` and casectl
// in another terminal find each other on one machine with nothing configured.
import { resolve } from 'node:path';

export interface AppConfig {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  databaseUrl: string;
  /** Unset: mail is captured as .eml files in DATA_DIR/mail instead of being sent. */
  smtpUrl?: string;
  mailFrom: string;
  coordinatorEmail: string;
  translatorEmail: string;
  appBaseUrl: string;
  port: number;
  dataDir: string;
  temporalUiPort: number;
  embeddedPostgresPort: number;
}

export const DEFAULT_EMBEDDED_PG_PORT = 55432;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = intVar(env, 'PORT', 8080);
  const embeddedPostgresPort = intVar(env, 'EMBEDDED_PG_PORT', DEFAULT_EMBEDDED_PG_PORT);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TASK_QUEUE || 'cases',
    databaseUrl: env.DATABASE_URL || `postgres://postgres:postgres@127.0.0.1:${embeddedPostgresPort}/postgres?sslmode=disable`,
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'Care Coordination <care@localhost>',
    coordinatorEmail: env.COORDINATOR_EMAIL || 'coordinator@localhost',
    translatorEmail: env.TRANSLATOR_EMAIL || 'translation@localhost',
    appBaseUrl: (env.APP_BASE_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    port,
    dataDir: resolve(env.DATA_DIR || 'data'),
    temporalUiPort: intVar(env, 'TEMPORAL_UI_PORT', 8233),
    embeddedPostgresPort,
  };
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got '${raw}'`);
  return n;
}
