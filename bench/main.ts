// `npm run bench [-- <scenario>…] [--full] [options]`: starts what the benchmarks need (bench/env.ts),
// runs the scenarios, prints one table where every figure stands beside its bare-Temporal (or raw
// nodemailer) baseline measured in the same run, then each scenario's context. See BENCHMARKS.md.
//
//   scenarios: throughput, rest, burst, checkin, alert, coordinator, email, upload (default: all;
//   burst, checkin and alert together run one burst with check-in reports, some of them alarming,
//   arriving during it)
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchEnv, type TemporalKind } from './env.ts';
import { formatReport, type ScenarioReport } from './report.ts';
import { runThroughput, throughputDefaults, type ThroughputOptions } from './scenarios/throughput.ts';
import { runRest, restDefaults, restFull, type RestOptions } from './scenarios/rest.ts';
import { runBurst, burstDefaults, burstFull, type BurstOptions } from './scenarios/burst.ts';
import { runCoordinator, coordinatorDefaults, coordinatorFull, type CoordinatorOptions } from './scenarios/coordinator.ts';
import { runEmail, emailDefaults, emailFull, type EmailOptions } from './scenarios/email.ts';
import { runUpload, uploadDefaults, type UploadOptions } from './scenarios/upload.ts';

const SCENARIOS = ['throughput', 'coordinator', 'email', 'burst', 'checkin', 'alert', 'rest', 'upload'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Every tenth report alarming: 100 alerts among the 1,000 reports of --full, 20 at the default sizes. */
const ALERT_EVERY = 10;

const HELP = `usage: npm run bench -- [scenario…] [options]

scenarios (default: all): ${SCENARIOS.join(', ')}
  throughput  cases inquiry → admission vs a case-shaped bare workflow (and a one-activity one)
  coordinator coordinators' actions through the action layer → answer vs a bare Update
  rest        worker RSS per open case in monitoring (default and small cache), idle CPU
  burst       check-ins falling due in the same minute: due → email accepted
  checkin     the burst, with check-in reports POSTed to the HTTP server meanwhile, vs bare Updates
  alert       the burst with check-in reports, some alarming: report → team's alert email accepted
  email       sendEmail (Postgres idempotency record) vs raw pooled nodemailer
  upload      one large file POSTed to the records page into the vault vs a plain copy and a plain server

options:
  --full                 the issue's sizes (rest 1,000/3,000/10,000; burst 1,000 with reports at 50/s for 60 s; …)
  --seconds N            throughput: seconds each side runs (${throughputDefaults.seconds}; --full 120)
  --concurrency N        throughput: coordinators at once (${throughputDefaults.concurrency})
  --documents N          throughput: documents per case, 1-5 (${throughputDefaults.documents})
  --coordinator-actions N  coordinator: actions each side takes (${coordinatorDefaults.actions}; --full ${coordinatorFull.actions})
  --coordinators N       coordinator: coordinators at once (${coordinatorDefaults.coordinators})
  --levels a,b,c         rest: open cases measured at (${restDefaults.levels.join(',')})
  --small-cache N        rest: the small maxCachedWorkflows (${restDefaults.smallCache})
  --idle-seconds N       rest: idle window for CPU (${restDefaults.idleSeconds})
  --burst-cases N        burst: cases due in the same minute (${burstDefaults.cases})
  --rate N               checkin: reports per second (${burstDefaults.rate})
  --duration N           checkin: seconds of reports (${burstDefaults.duration})
  --alert-every N        alert: every N-th report (the first included) is alarming (${ALERT_EVERY})
  --burst-cache N        burst: the workers' maxCachedWorkflows, both sides (default: the case worker sizes its own, the bare worker the SDK's)
  --due MODE             burst: next-minute (default) or immediate (no waiting for the minute; delays
                         then count from each infusion being recorded: for quick trials only)
  --emails N             email: emails each side sends (${emailDefaults.emails})
  --email-concurrency N  email: sends in flight (${emailDefaults.concurrency})
  --upload-mb N          upload: the file's size in MiB (${uploadDefaults.megabytes}, with or without --full)
  --upload-rounds N      upload: rounds of copy, plain server and service (${uploadDefaults.rounds})
  --upload-no-worker     upload: do not start a case worker to watch its RSS during the uploads
  --temporal KIND        the Temporal server: dev (default: the CLI's dev server) or postgres
                         (temporal-server on two fresh databases of DATABASE_URL's PostgreSQL server)
  --temporal-db KIND     the dev server's SQLite: disk (default, in the temp dir) or memory
  --json FILE            also write the reports as JSON
  --cpu-prof             workers write V8 CPU profiles (see bench/cpuprofile-top.ts)
  --cpu-prof-dir DIR     where (default: a new temp dir)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    full: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    documents: { type: 'string' },
    'coordinator-actions': { type: 'string' },
    coordinators: { type: 'string' },
    'alert-every': { type: 'string' },
    levels: { type: 'string' },
    'small-cache': { type: 'string' },
    'idle-seconds': { type: 'string' },
    'burst-cases': { type: 'string' },
    'burst-cache': { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    due: { type: 'string' },
    emails: { type: 'string' },
    'email-concurrency': { type: 'string' },
    'upload-mb': { type: 'string' },
    'upload-rounds': { type: 'string' },
    'upload-no-worker': { type: 'boolean', default: false },
    json: { type: 'string' },
    temporal: { type: 'string', default: 'dev' },
    'temporal-db': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const unknown = positionals.filter((p) => p !== 'all' && !(SCENARIOS as readonly string[]).includes(p));
if (unknown.length) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}\n\n${HELP}`);
  process.exit(2);
}
if (values.temporal !== 'dev' && values.temporal !== 'postgres') {
  process.stderr.write(`--temporal is dev or postgres, not ${values.temporal}\n\n${HELP}`);
  process.exit(2);
}
const temporalKind: TemporalKind = values.temporal;
const chosen = new Set<Scenario>(positionals.length === 0 || positionals.includes('all') ? SCENARIOS : (positionals as Scenario[]));

const num = (v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
  return n;
};
const full = values.full;
const throughputOpts: ThroughputOptions = {
  seconds: num(values.seconds, full ? 120 : throughputDefaults.seconds),
  concurrency: num(values.concurrency, throughputDefaults.concurrency),
  documents: num(values.documents, throughputDefaults.documents),
  warmup: throughputDefaults.warmup,
};
const coordinatorBase = full ? coordinatorFull : coordinatorDefaults;
const coordinatorOpts: CoordinatorOptions = {
  ...coordinatorBase,
  actions: num(values['coordinator-actions'], coordinatorBase.actions),
  coordinators: num(values.coordinators, coordinatorBase.coordinators),
};
const restBase = full ? restFull : restDefaults;
const restOpts: RestOptions = {
  ...restBase,
  ...(values.levels ? { levels: values.levels.split(',').map((x) => num(x, 0)) } : {}),
  smallCache: num(values['small-cache'], restBase.smallCache),
  idleSeconds: num(values['idle-seconds'], restBase.idleSeconds),
};
const burstBase = full ? burstFull : burstDefaults;
const burstOpts: BurstOptions = {
  ...burstBase,
  cases: num(values['burst-cases'], burstBase.cases),
  rate: num(values.rate, burstBase.rate),
  duration: num(values.duration, burstBase.duration),
  reports: chosen.has('checkin') || chosen.has('alert'),
  alertEvery: chosen.has('alert') ? num(values['alert-every'], ALERT_EVERY) : 0,
  due: values.due === 'immediate' ? 'immediate' : 'next-minute',
  ...(values['burst-cache'] ? { cache: num(values['burst-cache'], 0) } : {}),
};
const emailBase = full ? emailFull : emailDefaults;
const emailOpts: EmailOptions = { ...emailBase, emails: num(values.emails, emailBase.emails), concurrency: num(values['email-concurrency'], emailBase.concurrency) };
const uploadOpts: UploadOptions = { megabytes: num(values['upload-mb'], uploadDefaults.megabytes), rounds: num(values['upload-rounds'], uploadDefaults.rounds), worker: !values['upload-no-worker'] };

const started = Date.now();
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
let cpuProfileDir: string | undefined;
if (values['cpu-prof'] || values['cpu-prof-dir']) {
  cpuProfileDir = values['cpu-prof-dir'] ?? join(tmpdir(), `cart-bench-profiles-${started}`);
  mkdirSync(cpuProfileDir, { recursive: true });
}

const env = await startBenchEnv({ log, temporal: temporalKind, temporalDb: values['temporal-db'] === 'memory' ? 'memory' : 'disk', ...(cpuProfileDir ? { cpuProfileDir } : {}) });
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    log('interrupted: stopping');
    void env.stop().finally(() => process.exit(130));
  });
}

const reports: ScenarioReport[] = [];
const failures: string[] = [];
/** A scenario that fails is reported as failed; the others still run and print. */
async function attempt(name: string, run: () => Promise<ScenarioReport | ScenarioReport[]>): Promise<void> {
  try {
    const r = await run();
    reports.push(...(Array.isArray(r) ? r : [r]));
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
  }
}
try {
  for (const [k, v] of Object.entries(env.machine)) log(`${k}: ${v}`);
  if (chosen.has('throughput')) await attempt('throughput', () => runThroughput(env.ctx, throughputOpts));
  if (chosen.has('coordinator')) await attempt('coordinator', () => runCoordinator(env.ctx, coordinatorOpts));
  if (chosen.has('email')) await attempt('email', () => runEmail(env.ctx, emailOpts));
  if (chosen.has('burst') || chosen.has('checkin') || chosen.has('alert')) await attempt('burst', () => runBurst(env.ctx, burstOpts));
  if (chosen.has('rest')) await attempt('rest', () => runRest(env.ctx, restOpts));
  if (chosen.has('upload')) await attempt('upload', () => runUpload(env.ctx, uploadOpts));
} finally {
  await env.stop();
}

const out = [
  `# CAR-T case coordination benchmarks (${full ? '--full sizes' : 'default sizes'}, Temporal: ${temporalKind})`,
  '',
  ...Object.entries(env.machine).map(([k, v]) => `- ${k}: ${v}`),
  `- wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`,
  '',
  formatReport(reports),
  ...(failures.length ? ['', 'FAILED:', ...failures.map((f) => `- ${f}`)] : []),
  '',
].join('\n');
process.stdout.write(out);
if (values.json) writeFileSync(values.json, JSON.stringify({ machine: env.machine, full, temporal: temporalKind, reports, failures }, null, 2));
if (cpuProfileDir) process.stdout.write(`\nCPU profiles in ${cpuProfileDir} (node bench/cpuprofile-top.ts <file>)\n`);
process.exit(failures.length ? 1 : 0);
