// A TCP proxy in front of a real server, for tests of what happens when it goes away: cut() closes
// every connection and refuses new ones (as a stopped server does), restore() listens again on the
// same port. Nothing is simulated past the socket: the client sees a real refused connection.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Passes the bytes between `client` and a new connection to `target` both ways, tracking both
 * sockets in `sockets` (so that the caller can cut them) until either closes or fails.
 */
export function splice(client: Socket, target: { host: string; port: number }, sockets: Set<Socket>): void {
  const upstream = connect(target.port, target.host);
  for (const sock of [client, upstream]) {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => splice(client, target, sockets));
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const sock of sockets) sock.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    get port() {
      return port;
    },
    via(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut: close,
    restore: listen,
    stop: close,
  };
}
