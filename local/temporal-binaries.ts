// Where the Temporal dev server (CLI) and the time-skipping test server come from, in order:
// an explicit env path, the project's .tools/bin (scripts/setup-temporal.sh), `temporal` on
// PATH, and last the SDK's own download (needs internet).
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
