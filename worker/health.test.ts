import { afterEach, describe, expect, it } from 'vitest';
import { readiness, startWorkerHealthServer, type WorkerHealthServer } from './health.ts';

const ok = async () => undefined;
const down = async () => {
  throw new Error('ECONNREFUSED');
};

describe('worker readiness', () => {
  it('is ready only while the worker is RUNNING and Postgres answers', async () => {
    expect(await readiness({ workerState: () => 'RUNNING', checkPostgres: ok })).toEqual({
      ready: true,
      body: { status: 'ok', checks: { worker: 'ok', postgres: 'ok' }, workerState: 'RUNNING' },
    });
    for (const state of ['INITIALIZED', 'STOPPING', 'DRAINING', 'DRAINED', 'STOPPED', 'FAILED']) {
      const r = await readiness({ workerState: () => state, checkPostgres: ok });
      expect(r.ready, state).toBe(false);
      expect(r.body).toEqual({ status: 'unavailable', checks: { worker: 'failed', postgres: 'ok' }, workerState: state });
    }
    expect((await readiness({ workerState: () => 'RUNNING', checkPostgres: down })).body.checks).toEqual({ worker: 'ok', postgres: 'failed' });
  });

  it('counts a Postgres check that hangs past the timeout as failed', async () => {
    const t0 = Date.now();
    const r = await readiness({ workerState: () => 'RUNNING', checkPostgres: () => new Promise(() => {}), timeoutMs: 100 });
    expect(r.body.checks.postgres).toBe('failed');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});

describe('worker health server', () => {
  let server: WorkerHealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /healthz, /readyz (503 while draining) and nothing else', async () => {
    let state = 'RUNNING';
    server = await startWorkerHealthServer({ workerState: () => state, checkPostgres: ok }, { host: '127.0.0.1', port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const live = await fetch(`${server.url}/healthz`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'ok' }]);
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    state = 'DRAINING';
    const draining = await fetch(`${server.url}/readyz?verbose=1`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'unavailable', checks: { worker: 'failed', postgres: 'ok' }, workerState: 'DRAINING' });
    // Still alive while it drains.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.url}/readyz`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses to start on a port in use', async () => {
    server = await startWorkerHealthServer({ workerState: () => 'RUNNING', checkPostgres: ok }, { host: '127.0.0.1', port: 0 });
    const port = Number(new URL(server.url).port);
    await expect(startWorkerHealthServer({ workerState: () => 'RUNNING', checkPostgres: ok }, { host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
  });
});
