// What every scenario runs against, injected: a Temporal server's address, a migrated database, an
// SMTP sink, the workflow bundles. bench/env.ts starts them for `npm run bench`; the smoke test
// (test/bench/bench-smoke.test.ts) passes the test suite's shared dev server and a test database.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Db } from '../db/connect.ts';
import { bundleCaseWorkflows, bundleWorkflows } from '../worker/bundle.ts';
import { createDataConverter, parseKeysEnv } from '../codec/keys.ts';
import type { BenchSmtp } from './smtp-sink.ts';

export interface Bundles {
  /** The case workflows (workflows/index.ts), as the service's worker runs them. */
  casePath: string;
  /** The bare baselines (bench/workflows.ts). */
  barePath: string;
}

export interface BenchContext {
  temporalAddress: string;
  namespace: string;
  /** The benchmark's own client connection (the load generator's). */
  connection: Connection;
  databaseUrl: string;
  db: Db;
  smtp: BenchSmtp;
  bundles: Bundles;
  /** PAYLOAD_KEYS format; the case worker and the case client encrypt payloads with it, as the service does. */
  payloadKeys: string;
  /** The check-in link secret the case worker signs with and the HTTP server verifies with. */
  linkSecret: Buffer;
  /** Unique per run: task queues, hospital codes and patient references carry it. */
  runId: string;
  tmpDir: string;
  /** When set, workers write V8 CPU profiles here. */
  cpuProfileDir?: string;
  /** Processes whose CPU time the scenarios attribute, when known. */
  pids: { postgres?: number; temporal?: number };
  log(line: string): void;
}

async function write(code: Promise<{ code: string }>, file: string): Promise<string> {
  writeFileSync(file, (await code).code);
  return file;
}

/** Bundles the case workflows (as the service's worker does) and the bare ones once, into files the worker processes load. */
export async function buildBundles(dir: string): Promise<Bundles> {
  mkdirSync(dir, { recursive: true });
  const [casePath, barePath] = await Promise.all([
    write(bundleCaseWorkflows(), join(dir, 'case-workflows.js')),
    write(bundleWorkflows(fileURLToPath(new URL('./workflows.ts', import.meta.url))), join(dir, 'bare-workflows.js')),
  ]);
  return { casePath, barePath };
}

export interface ContextParts {
  temporalAddress: string;
  namespace?: string;
  databaseUrl: string;
  db: Db;
  smtp: BenchSmtp;
  tmpDir: string;
  bundles: Bundles;
  cpuProfileDir?: string;
  pids?: BenchContext['pids'];
  log?: (line: string) => void;
}

export async function createContext(parts: ContextParts): Promise<BenchContext> {
  const connection = await Connection.connect({ address: parts.temporalAddress });
  return {
    temporalAddress: parts.temporalAddress,
    namespace: parts.namespace ?? 'default',
    connection,
    databaseUrl: parts.databaseUrl,
    db: parts.db,
    smtp: parts.smtp,
    bundles: parts.bundles,
    payloadKeys: `bench:${randomBytes(32).toString('base64')}`,
    linkSecret: randomBytes(32),
    runId: randomBytes(3).toString('hex'),
    tmpDir: parts.tmpDir,
    ...(parts.cpuProfileDir ? { cpuProfileDir: parts.cpuProfileDir } : {}),
    pids: parts.pids ?? {},
    log: parts.log ?? (() => {}),
  };
}

/** A client that encrypts payloads like the service's clients (casectl, the HTTP server). */
export function caseClient(ctx: BenchContext): Client {
  return new Client({ connection: ctx.connection, namespace: ctx.namespace, dataConverter: createDataConverter(parseKeysEnv(ctx.payloadKeys)) });
}

/** A plain client for the bare baselines. */
export function bareClient(ctx: BenchContext): Client {
  return new Client({ connection: ctx.connection, namespace: ctx.namespace });
}
