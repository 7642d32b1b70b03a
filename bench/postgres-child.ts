// The embedded Postgres (db/embedded.ts: PGlite behind its socket server) in a process of its own,
// so that its CPU is counted apart from the worker's and the load generator's. Data in argv[2]
// (a directory) or in memory; tells the parent its URL over IPC and stops when told or orphaned.
import { startEmbeddedPostgres } from '../db/embedded.ts';

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
