// An HTTP server under measurement for the upload scenario, in a process of its own (bench/
// scenarios/upload.ts forks it) so that its RSS and CPU are the server's alone: either the service's
// HTTP server exactly as `npm run http` starts it (startHttpServer: the records page, the vault on
// the filesystem under DATA_DIR), or a plain one, Fastify with the same multipart parser and limits,
// that writes each file part to disk as it came, unencrypted: the vault's share of the upload is the
// difference between the two. Answers the parent over IPC: stats (memory now and its peaks since the
// last reset, sampled every 100 ms in here), reset, shutdown.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';

export interface UploadChildConfig {
  kind: 'service' | 'plain';
  /** The service's DATA_DIR (its vault goes under it), or where the plain server writes its files. */
  dataDir: string;
  /** The service only. */
  databaseUrl?: string;
  temporalAddress?: string;
  smtpUrl?: string;
  /** CHECKIN_LINK_SECRET, PAYLOAD_KEYS, VAULT_KEYS: the service's secrets. */
  env?: Record<string, string>;
  maxFileBytes: number;
}

export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export type UploadParentMessage = { type: 'stats' } | { type: 'reset' } | { type: 'shutdown' };
export type UploadChildMessage =
  | { type: 'ready'; pid: number; url: string }
  | { type: 'stats'; now: ServerMemory; peak: ServerMemory; cpuUs: number }
  | { type: 'reset-done' }
  | { type: 'failed'; message: string };

const send = (m: UploadChildMessage) => process.send?.(m);

function memory(): ServerMemory {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** The plain server: the same parser and limits as the records page, no vault, no database. */
async function startPlain(cfg: UploadChildConfig): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ bodyLimit: 64 * 1024 });
  await app.register(multipart, { throwFileSizeLimit: false, limits: { fileSize: cfg.maxFileBytes + 1, files: 20, fields: 5, fieldSize: 200, parts: 25, headerPairs: 50 } });
  let n = 0;
  app.post('/upload/:token', async (req, reply) => {
    let stored = 0;
    for await (const part of req.parts()) {
      if (part.type === 'field') continue;
      await pipeline(part.file, createWriteStream(join(cfg.dataDir, `plain-${process.pid}-${++n}`), { mode: 0o600, flags: 'wx' }));
      stored++;
    }
    return reply.redirect(`${req.url.split('?')[0]}?sent=${stored}`, 303);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, close: () => app.close() };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_UPLOAD_CONFIG ?? '') as UploadChildConfig;
  let server: { url: string; close(): Promise<void> };
  if (cfg.kind === 'service') {
    // Imported here only: the plain server's memory must not hold the service's modules.
    const [{ loadConfig }, { startHttpServer }] = await Promise.all([import('../config.ts'), import('../client/http/main.ts')]);
    const config = loadConfig({
      DATABASE_URL: cfg.databaseUrl,
      TEMPORAL_ADDRESS: cfg.temporalAddress,
      SMTP_URL: cfg.smtpUrl,
      DATA_DIR: cfg.dataDir,
      PORT: '0',
      APP_BASE_URL: 'http://127.0.0.1:8080',
      COORDINATOR_EMAIL: 'coordinator@bench.test',
      MAIL_FROM: 'Care Coordination <care@bench.test>',
      VAULT_MAX_FILE_MB: String(Math.ceil(cfg.maxFileBytes / 2 ** 20)),
      VAULT_MAX_CASE_MB: String(Math.ceil(cfg.maxFileBytes / 2 ** 20) * 4),
    });
    server = await startHttpServer(config, { env: cfg.env ?? {}, host: '127.0.0.1', log: () => {} });
  } else {
    server = await startPlain(cfg);
  }

  // Peaks between samples are missed; the parent also reads the kernel's high-water mark (VmHWM).
  let peak = memory();
  const sample = () => {
    const m = memory();
    peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed), external: Math.max(peak.external, m.external), arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers) };
  };
  const sampler = setInterval(sample, 100);
  process.on('message', (m: UploadParentMessage) => {
    if (m.type === 'stats') {
      sample();
      const cpu = process.cpuUsage();
      send({ type: 'stats', now: memory(), peak, cpuUs: cpu.user + cpu.system });
    } else if (m.type === 'reset') {
      peak = memory();
      send({ type: 'reset-done' });
    } else if (m.type === 'shutdown') {
      clearInterval(sampler);
      void server.close().finally(() => process.exit(0));
    }
  });
  // The parent going away must not leave a server listening.
  process.on('disconnect', () => {
    clearInterval(sampler);
    void server.close().finally(() => process.exit(0));
  });
  send({ type: 'ready', pid: process.pid, url: server.url });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: (err as Error).stack ?? String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
