// The embedded Postgres (db/embedded.ts: PGlite behind its socket server) in a process of its own,
// so that its CPU is counted apart from the worker's and the load generator's. Data in argv[2]
// (a directory) or in memory; tells the parent its URL over IPC and stops when told or orphaned.
// The socket server gets bench/pglite-fix.ts first: without it, concurrent connections corrupt
// each other's queries and the server soon stalls (bench/pglite-check.ts).
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { fixPgliteSocketQueue } from './pglite-fix.ts';

fixPgliteSocketQueue();

const dataDir = process.argv[2];
const pg = await startEmbeddedPostgres({ ...(dataDir ? { dataDir } : {}), port: 0 });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop().catch(() => {});
  process.exit(0);
};
process.on('message', (m: { type: string }) => {
  if (m.type === 'shutdown') void stop();
});
process.on('disconnect', () => void stop());
process.send?.({ type: 'ready', url: pg.url, pid: process.pid });
