// The worker's liveness and readiness, on a tiny HTTP server of its own (the worker has no other):
//
//   GET /healthz   200 {status:"ok"} while the process runs
//   GET /readyz    200 {status:"ok",…} when the worker is RUNNING and Postgres answers `select 1`;
//                  else 503 {status:"unavailable", checks:{worker,postgres}, workerState}
//
// Same shapes as the HTTP server's probes (client/http/server.ts). Nothing here touches a case.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WorkerHealthDeps {
  /** The worker's state (Worker.getState()): ready only when 'RUNNING'. */
  workerState: () => string;
  /** Resolves when Postgres answers (select 1). */
  checkPostgres: () => Promise<unknown>;
  /** How long the Postgres check may take. Default 3 s. */
  timeoutMs?: number;
}

export interface WorkerHealthServer {
  /** e.g. http://127.0.0.1:9465 */
  url: string;
  close(): Promise<void>;
}

type Check = 'ok' | 'failed';

export interface Readiness {
  ready: boolean;
  body: { status: 'ok' | 'unavailable'; checks: { worker: Check; postgres: Check }; workerState: string };
}

export async function readiness(deps: WorkerHealthDeps): Promise<Readiness> {
  const state = deps.workerState();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('postgres timed out')), deps.timeoutMs ?? 3_000);
  });
  const postgres: Check = await Promise.race([deps.checkPostgres(), timeout]).then(
    () => 'ok' as const,
    () => 'failed' as const,
  );
  clearTimeout(timer);
  const worker: Check = state === 'RUNNING' ? 'ok' : 'failed';
  const ready = worker === 'ok' && postgres === 'ok';
  return { ready, body: { status: ready ? 'ok' : 'unavailable', checks: { worker, postgres }, workerState: state } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(JSON.stringify(body));
}

export async function startWorkerHealthServer(deps: WorkerHealthDeps, listen: { host: string; port: number }): Promise<WorkerHealthServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return send(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const r = await readiness(deps);
      return send(res, r.ready ? 200 : 503, r.body);
    }
    send(res, 404, { error: 'not found' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
