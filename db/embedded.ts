// Embedded Postgres for zero-setup runs: PGlite (Postgres compiled to WASM) served on a
// loopback port, so every process (worker, casectl, tests) uses the same `pg` driver.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { fixPgliteSocketQueue } from './pglite-socket-fix.ts';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `dataDir` undefined → in memory. `port` 0 → any free port. */
export async function startEmbeddedPostgres(opts: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  fixPgliteSocketQueue();
  const pglite = await PGlite.create(opts.dataDir);
  // PGlite is one session; the socket server multiplexes clients onto it and keeps a client's
  // transaction (and, with the fix, each extended-protocol exchange) together, so a pool of
  // connections and a second process both work.
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: opts.port ?? 0, maxConnections: 64 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    async stop() {
      await server.stop();
      await pglite.close();
    },
  };
}
