// A round-robin HTTP load balancer on loopback, as a deployment puts in front of its HTTP servers:
// each request goes to the next server, so consecutive requests of one client (a browser, a
// test) land on different processes and only state they share (Postgres, Temporal) carries over.
// A server that refuses the connection (killed, restarting) is skipped for that request; one
// that fails mid-request is a 502, as a real balancer answers for a request it cannot safely send
// twice.
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

/** Headers of one connection, not of the message: each hop sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `backends()` is asked on each request, so a server restarted on another port is picked up. */
export async function startBalancer(backends: () => string[]): Promise<Balancer> {
  const agent = new Agent({ keepAlive: true });
  let next = 0;

  /** Sends the request to one backend; rejects with ECONNREFUSED before anything reached it. */
  const forward = (target: string, req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<void>((resolve, reject) => {
      const url = new URL(target);
      const headers = { ...endToEnd(req.headers), 'content-length': String(body.length) };
      const upstream = request({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', reject);
      });
      upstream.once('error', reject);
      upstream.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const targets = backends();
      for (let tried = 0; tried < targets.length; tried++) {
        const target = targets[next++ % targets.length]!;
        try {
          await forward(target, req, body, res);
          return;
        } catch (err) {
          const refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
          if (refused && !res.headersSent) continue;
          if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
          return;
        }
      }
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no HTTP server answered\n');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
