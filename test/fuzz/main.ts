// `npm run fuzz -- --requests N --seed S [--base-url URL]`: the fuzz suite of test/fuzz/fuzz.test.ts
// at any size. Without --base-url it starts its own service (a Temporal dev server, Postgres from
// DATABASE_URL or embedded, an SMTP sink, the worker and the HTTP server); with it, it runs against
// a service already running, as `npm start` runs it (see README, "Fuzzing"). It prints progress,
// then the table of statuses per door and route, the totals and every finding, and exits 1 when
// any property failed.
import { parseArgs } from 'node:util';
import { choosePostgres } from '../harness/postgres-backend.ts';
import { startDevServer } from '../harness/dev-server.ts';
import { createWorkerLogger, installWorkerRuntime } from '../../worker/runtime.ts';
import { formatReport, runFuzz, totals } from './run.ts';
import { captureLogs, connectToRunning, startLocalTarget, type Target } from './target.ts';

const USAGE = `usage: npm run fuzz -- [--requests N] [--seed S] [--concurrency C]
                        [--base-url URL [--email E] [--password P | --password-file F] [--log-file L]]

  --requests N        requests to send (default 2000)
  --seed S            fast-check seed (default: a random one, printed); the same seed sends the same requests
  --concurrency C     requests in flight at once (default 12)
  --base-url URL      fuzz a running service (npm start) instead of starting one; it is reached at
                      TEMPORAL_ADDRESS, DATABASE_URL and DATA_DIR as casectl reaches it
  --email E           its coordinator account (default admin@care.local)
  --password P        its password (default: read from --password-file, else DATA_DIR/admin-password)
  --log-file L        where its output was saved (npm start > L): searched for patient data
  FUZZ_PG_LOG         PostgreSQL's server log file, searched for patient data too (when set)`;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '12' },
    'base-url': { type: 'string' },
    email: { type: 'string', default: 'admin@care.local' },
    password: { type: 'string' },
    'password-file': { type: 'string' },
    'log-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const whole = (name: string, text: string | undefined, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number from ${min}, got '${text}'\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const requests = whole('requests', values.requests, 1);
const seed = values.seed !== undefined ? whole('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31);
const concurrency = whole('concurrency', values.concurrency, 1);
const say = (line: string) => console.log(`[fuzz] ${line}`);

const stops: (() => Promise<void>)[] = [];
const stopAll = async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
};
// Ctrl-C: stop the dev server this command started (it would outlive us), then go.
process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));

let failed = true;
try {
  let target: Target;
  if (values['base-url']) {
    say(`against ${values['base-url']}`);
    target = await connectToRunning({
      baseUrl: values['base-url'],
      email: values.email,
      ...(values.password !== undefined ? { password: values.password } : {}),
      ...(values['password-file'] !== undefined ? { passwordFile: values['password-file'] } : {}),
      ...(values['log-file'] !== undefined ? { logFile: values['log-file'] } : {}),
    });
  } else {
    // The worker's Runtime (and its logger, searched for patient data) before the dev server creates one.
    const logs = captureLogs();
    installWorkerRuntime({ logger: createWorkerLogger({ level: 'INFO', write: logs.worker }) });
    const postgres = await choosePostgres();
    stops.push(postgres.stop);
    const temporal = await startDevServer();
    stops.push(temporal.stop);
    say(`own service: Postgres ${postgres.backend}, Temporal dev server at ${temporal.address}`);
    target = await startLocalTarget({ temporalAddress: temporal.address, postgres: postgres.choice, logs });
  }
  say(`${requests} requests, seed ${seed} (npm run fuzz -- --requests ${requests} --seed ${seed} sends them again)`);
  const report = await runFuzz(target, { requests, seed, concurrency, log: say });
  console.log(formatReport(report));
  failed = Object.values(totals(report)).some((n) => n > 0);
  await target.close(report.after.workflowIds.map((id) => id.replace(/^case-/, '')));
} finally {
  await stopAll();
}
process.exitCode = failed ? 1 : 0;
// The Temporal runtime may keep a handle open; everything of ours is closed by now.
setTimeout(() => process.exit(failed ? 1 : 0), 2000).unref();
