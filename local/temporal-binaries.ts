// Where the Temporal dev server (CLI) and the time-skipping test server come from, in order:
// an explicit env path, the project's .tools/bin (scripts/setup-temporal.sh), `temporal` on
// PATH, and last the SDK's own download (needs internet). The production-shaped server on
// PostgreSQL and its SQL tool come from .tools/bin only (scripts/setup-temporal-server.sh).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

const toolsBin = fileURLToPath(new URL('../.tools/bin/', import.meta.url));

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

export function findTemporalExecutable(kind: 'cli' | 'test-server'): { executable: ServerExecutable; source: string } {
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
