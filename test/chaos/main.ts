// `npm run chaos -- --cases N --minutes M [--seed S]`: the chaos suite of test/chaos (run.ts says
// what it does) at any size, on its own production-shaped stack. It prints progress, then the
// report, and exits 1 when any check failed.
import { parseArgs } from 'node:util';
import { findTemporalServerBinaries } from '../../local/temporal-binaries.ts';
import { findPostgresBinaries } from './postgres-cluster.ts';
import { formatReport, passed } from './report.ts';
import { runChaos } from './run.ts';
import { stopRunningStacks } from './stack.ts';

const USAGE = `usage: npm run chaos -- --cases N --minutes M [--seed S] [--log-dir DIR]

  --cases N      cases to drive (default 40)
  --minutes M    how long cases are opened and faults happen (default 10); the run takes longer:
                 setup, the last cases' paths, then the checks
  --seed S       seed of the plan: paths, answers, faults (default: a random one, printed)
  --log-dir DIR  where the processes', Temporal's and PostgreSQL's logs go (default test-artifacts/chaos-logs)`;

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '40' },
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    'log-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const number = (name: string, text: string | undefined, min: number, whole = true): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || (whole && !Number.isInteger(n))) {
    console.error(`--${name} must be a ${whole ? 'whole ' : ''}number from ${min}, got '${text}'\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const cases = number('cases', values.cases, 1);
const minutes = number('minutes', values.minutes, 1, false);
const seed = values.seed !== undefined ? number('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31);

for (const found of [findPostgresBinaries(), findTemporalServerBinaries()]) {
  if ('missing' in found) {
    console.error(`[chaos] ${found.missing}`);
    process.exit(2);
  }
}

// Interrupted or crashed: stop the PostgreSQL, Temporal and service processes this command started (they would outlive it).
const bail = (code: number) => void stopRunningStacks().finally(() => process.exit(code));
process.once('SIGINT', () => bail(130));
process.once('SIGTERM', () => bail(143));
process.once('uncaughtException', (err) => {
  console.error(err);
  bail(1);
});

const started = Date.now();
const say = (line: string) => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const report = await runChaos({ cases, minutes, seed, ...(values['log-dir'] ? { logDir: values['log-dir'] } : {}), log: say });
console.log(formatReport(report));
const ok = passed(report);
process.exitCode = ok ? 0 : 1;
// The Temporal client's native runtime may keep a handle open; everything of ours is closed by now.
setTimeout(() => process.exit(ok ? 0 : 1), 2000).unref();
