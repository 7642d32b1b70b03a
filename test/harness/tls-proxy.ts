// TLS in front of a real plaintext server (the Temporal frontend), as a load balancer or Temporal's
// own TLS would put it in production: a private CA, a server certificate and a client certificate
// made by the openssl CLI for each test run, and a proxy that terminates TLS (optionally requiring
// the client's certificate) and passes the bytes on. A client that does not verify the server, or
// has no certificate to show, fails a real handshake; nothing is simulated.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { splice } from './tcp-proxy.ts';

export interface TestPki {
  caFile: string;
  /** The proxy's certificate: CN and DNS name `temporal.test`, and IP 127.0.0.1. */
  serverCertFile: string;
  serverKeyFile: string;
  /** A client certificate the same CA issued, for mTLS. */
  clientCertFile: string;
  clientKeyFile: string;
}

/** Writes a fresh CA and the certificates it issues into `dir` (a temporary directory). */
export function createTestPki(dir: string): TestPki {
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=case-coordination test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  // rustls (the worker's native connection) refuses a leaf marked CA:TRUE, which `req -x509` would
  // mark it by default: each leaf is a request the CA signs with only the extensions given here.
  const issue = (name: string, subject: string, extensions: string[]) => {
    writeFileSync(file(`${name}.ext`), ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', ...extensions].join('\n'));
    const request = openssl(['req', '-new', ...ecKey, '-keyout', file(`${name}.key`), '-subj', subject]);
    openssl(['x509', '-req', '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`)], request.toString());
  };
  issue('server', '/CN=temporal.test', ['extendedKeyUsage=serverAuth', 'subjectAltName=DNS:temporal.test,IP:127.0.0.1']);
  issue('client', '/CN=case-worker', ['extendedKeyUsage=clientAuth']);
  return { caFile: file('ca.crt'), serverCertFile: file('server.crt'), serverKeyFile: file('server.key'), clientCertFile: file('client.crt'), clientKeyFile: file('client.key') };
}

export interface TlsProxy {
  port: number;
  /** Handshakes that completed. */
  handshakes: number;
  /** Why each failed handshake failed, as the proxy saw it. */
  refusals: string[];
  /** The names clients asked for (SNI) in completed handshakes; none when they connected by IP. */
  serverNames: string[];
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1 (any free port), speaking TLS with ALPN h2 as gRPC needs. */
export async function startTlsProxy(target: { host: string; port: number }, pki: TestPki, opts: { requireClientCert: boolean }): Promise<TlsProxy> {
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      key: readFileSync(pki.serverKeyFile),
      cert: readFileSync(pki.serverCertFile),
      ALPNProtocols: ['h2'],
      ...(opts.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(pki.caFile) } : {}),
    },
    (client: TLSSocket) => {
      proxy.handshakes++;
      if (client.servername) proxy.serverNames.push(client.servername);
      splice(client, target, sockets);
    },
  );
  const proxy: TlsProxy = {
    port: 0,
    handshakes: 0,
    refusals: [],
    serverNames: [],
    stop: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => proxy.refusals.push(err.code ?? err.message));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  proxy.port = (server.address() as { port: number }).port;
  return proxy;
}
