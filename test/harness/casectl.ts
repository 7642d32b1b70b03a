// casectl as an operator runs it: `node client/casectl.ts ...` in its own process, so that what it
// prints (and only that) is on its standard output and error.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs casectl with `args` in `env`; resolves with its exit code and output (never rejects on an exit code). */
export function runCasectlProcess(args: string[], env: NodeJS.ProcessEnv, opts: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['client/casectl.ts', ...args], { cwd: root, env, timeout: opts.timeoutMs ?? 45_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}
