// A real S3-compatible server on loopback for the vault's S3 store: versitygw (built into .tools/bin
// by scripts/setup-versitygw.sh) with its posix backend in a temporary folder, random root
// credentials and one bucket. It can go away and come back on the same port and folder (pause,
// resume), as storage that is down for a while: the objects it had stay.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../local/temporal-server.ts';

const BINARY = fileURLToPath(new URL('../../.tools/bin/versitygw', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  bucket: string;
  /** The folder its objects are files in: <root>/<bucket>/<key>. */
  root: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Goes away: the process is killed (SIGKILL, connections drop mid-request); its folder stays. */
  pause(): Promise<void>;
  /** Starts again on the same port and folder; resolves once it answers. */
  resume(): Promise<void>;
  /** Ends the process and removes its folder. */
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  try {
    accessSync(BINARY, constants.X_OK);
  } catch {
    throw new Error(`${BINARY} not found: run scripts/setup-versitygw.sh (it builds versitygw from the Go module proxy)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'versitygw-'));
  const root = join(dir, 'root');
  const logFile = join(dir, 'versitygw.log');
  mkdirSync(root);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const bucket = 'vault-test';
  const accessKeyId = `AK${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let exitReason: string | undefined;

  /** Spawns the server and resolves once `ready` succeeds against it. */
  const launch = async (ready: () => Promise<unknown>) => {
    const log = openSync(logFile, 'a');
    exitReason = undefined;
    // The credentials go in its environment, not on a command line `ps` shows.
    const proc = spawn(BINARY, ['--port', `127.0.0.1:${port}`, '--quiet', 'posix', root], {
      stdio: ['ignore', log, log],
      env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    });
    closeSync(log);
    child = proc;
    exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        exitReason = `versitygw exited (${signal ?? `code ${code}`}); its log ends:\n${readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n')}`;
        resolve();
      }),
    );
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        return await ready();
      } catch (err) {
        if (exitReason) throw new Error(exitReason);
        if (Date.now() > deadline) throw new Error(`versitygw did not answer within ${START_TIMEOUT_MS / 1000} s: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };

  try {
    await launch(() => client.send(new CreateBucketCommand({ Bucket: bucket })));
  } catch (err) {
    await kill();
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    region,
    bucket,
    root,
    accessKeyId,
    secretAccessKey,
    pause: kill,
    async resume() {
      await kill();
      await launch(() => client.send(new HeadBucketCommand({ Bucket: bucket })));
    },
    async stop() {
      await kill();
      client.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
