// TEMPORAL_TLS and TEMPORAL_TLS_*: the clients (openTemporalClient, as the HTTP server and casectl
// open Temporal) and the worker (startWorker) reach the shared Temporal server through proxies that
// speak only TLS, one of them requiring a client certificate, with the CA and certificates this
// run generated. The refusals are what proves TLS is on and verifying: a client that quietly fell
// back to plaintext, or skipped checking the server, would fail them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { defaultDataConverter } from '@temporalio/common';
import { loadConfig, type AppConfig } from '../../config.ts';
import { openTemporalClient } from '../../client/temporal.ts';
import { startWorker } from '../../worker/main.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestPki, startTlsProxy, type TestPki, type TlsProxy } from '../harness/tls-proxy.ts';

const tag = randomBytes(3).toString('hex');
const workerEnv: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `tls:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
};

let dir: string;
let pki: TestPki;
let database: TestDatabase;
/** Verifies nothing of the client: TLS with the server's certificate only. */
let tlsProxy: TlsProxy;
/** Also requires a client certificate from the test CA (mTLS). */
let mtlsProxy: TlsProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  pki = createTestPki(dir);
  const [host, port] = inject('temporalAddress').split(':');
  const target = { host: host!, port: Number(port) };
  [database, tlsProxy, mtlsProxy] = await Promise.all([createTestDatabase(), startTlsProxy(target, pki, { requireClientCert: false }), startTlsProxy(target, pki, { requireClientCert: true })]);
});

afterAll(async () => {
  await Promise.all([tlsProxy?.stop(), mtlsProxy?.stop(), database?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const through = (proxy: TlsProxy, env: NodeJS.ProcessEnv) => loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`, ...env });
const mtlsEnv = () => ({ TEMPORAL_TLS_CA_FILE: pki.caFile, TEMPORAL_TLS_CERT_FILE: pki.clientCertFile, TEMPORAL_TLS_KEY_FILE: pki.clientKeyFile });

/** Asks the server something through a client opened as the HTTP server and casectl open theirs. */
async function systemInfo(config: AppConfig) {
  const temporal = openTemporalClient(config, defaultDataConverter);
  try {
    await temporal.connection.ensureConnected();
    return await temporal.client.workflowService.getSystemInfo({});
  } finally {
    await temporal.close();
  }
}

/**
 * Expects `attempt` to fail at the proxy's handshake: the proxy completed none, and saw at least one
 * refused (its codes, e.g. ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE; the client's own error often
 * says no more than that it could not connect before its deadline).
 */
async function expectRefused(proxy: TlsProxy, attempt: () => Promise<unknown>, refusal?: RegExp): Promise<Error> {
  const [handshakes, refusals] = [proxy.handshakes, proxy.refusals.length];
  const error = await attempt().then(
    () => expect.fail('connected'),
    (err: unknown) => err as Error,
  );
  expect(proxy.handshakes).toBe(handshakes);
  // Polled: the client may give up before the proxy's side of the same handshake reports.
  await expect.poll(() => proxy.refusals.slice(refusals).join(' '), { timeout: 5_000 }).toMatch(refusal ?? /./);
  return error;
}

describe('clients over TLS', () => {
  it('reach Temporal through TLS when given the private CA', async () => {
    const before = tlsProxy.handshakes;
    const info = await systemInfo(through(tlsProxy, { TEMPORAL_TLS_CA_FILE: pki.caFile }));
    expect(info.serverVersion).toBeTruthy();
    expect(tlsProxy.handshakes).toBeGreaterThan(before);
  });

  it('are refused without the CA: the server is verified, not merely encrypted to', async () => {
    await expectRefused(tlsProxy, () => systemInfo(through(tlsProxy, { TEMPORAL_TLS: 'on' })));
  });

  it('are refused when the server name does not match the certificate', async () => {
    await expectRefused(tlsProxy, () => systemInfo(through(tlsProxy, { TEMPORAL_TLS_CA_FILE: pki.caFile, TEMPORAL_TLS_SERVER_NAME: 'elsewhere.test' })));
  });

  // The premise of the tests above: whatever reached Temporal through a proxy spoke TLS to it.
  it('are refused in plaintext by the proxies', async () => {
    await expectRefused(tlsProxy, () => systemInfo(through(tlsProxy, {})), /WRONG_VERSION_NUMBER/);
  });

  it('reach a server that requires client certificates with TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE, and are refused without them', async () => {
    const info = await systemInfo(through(mtlsProxy, mtlsEnv()));
    expect(info.serverVersion).toBeTruthy();
    await expectRefused(mtlsProxy, () => systemInfo(through(mtlsProxy, { TEMPORAL_TLS_CA_FILE: pki.caFile })), /PEER_DID_NOT_RETURN_A_CERTIFICATE/);
  });
});

describe('the worker over TLS', () => {
  const workerConfig = (proxy: TlsProxy, env: NodeJS.ProcessEnv) =>
    through(proxy, { ...env, TASK_QUEUE: `tls-${tag}`, DATABASE_URL: database.url, DATA_DIR: dir, WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'ERROR' });
  const start = (proxy: TlsProxy, env: NodeJS.ProcessEnv) => startWorker(workerConfig(proxy, env), { env: workerEnv, writeLog: () => {} });

  it('polls its task queue through mTLS, naming the server by TEMPORAL_TLS_SERVER_NAME', async () => {
    const before = mtlsProxy.handshakes;
    const worker = await start(mtlsProxy, { ...mtlsEnv(), TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
    try {
      expect(mtlsProxy.handshakes).toBeGreaterThan(before);
      // The address is an IP: a name in the handshake came from TEMPORAL_TLS_SERVER_NAME.
      expect(mtlsProxy.serverNames).toContain('temporal.test');
      // The worker's polls arrive at the server: it works through the proxy, not merely connects.
      const temporal = openTemporalClient(through(mtlsProxy, mtlsEnv()), defaultDataConverter);
      try {
        await expect
          .poll(async () => {
            const queue = await temporal.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: `tls-${tag}` }, taskQueueType: 1 });
            return queue.pollers?.length ?? 0;
          }, { timeout: 20_000, interval: 250 })
          .toBeGreaterThan(0);
      } finally {
        await temporal.close();
      }
    } finally {
      await worker.shutdown();
    }
  });

  it('does not start without its client certificate where one is required', async () => {
    const error = await expectRefused(mtlsProxy, () => start(mtlsProxy, { TEMPORAL_TLS_CA_FILE: pki.caFile }), /PEER_DID_NOT_RETURN_A_CERTIFICATE/);
    // In TLS 1.3 the client finishes its handshake before the server checks for a certificate, so
    // the worker sees the server's alert, the connection closing, or its next write meeting the closed
    // connection (a broken pipe), by timing; the proxy's refusal above is what proves the reason.
    expect(error.message).toMatch(/CertificateRequired|connection closed|broken pipe/);
  });

  it('does not start without the CA', async () => {
    const error = await expectRefused(tlsProxy, () => start(tlsProxy, { TEMPORAL_TLS: '1' }), /UNKNOWN_CA/);
    expect(error.message).toMatch(/UnknownIssuer/);
  });
});
