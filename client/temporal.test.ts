// A client closed while a call it gave up on is still being retried by the SDK (Temporal away) must
// not die of "Channel has been shut down" thrown from the SDK's retry timer. Run in a child process,
// where an uncaught exception is an exit code, not an error vitest reports for the whole run.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const module = resolve(import.meta.dirname, 'temporal.ts');

/** A port that refuses connections: listened on, then closed. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function run(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (_err, _stdout, stderr) => done({ code: child.exitCode, stderr }));
  });
}

describe('openTemporalClient', () => {
  it('closes while Temporal is away and a call is between retries, without an uncaught exception', async () => {
    const port = await refusedPort();
    const { code, stderr } = await run(`
      const { openTemporalClient } = await import(${JSON.stringify(module)});
      const { defaultDataConverter } = await import('@temporalio/common');
      const t = openTemporalClient({ temporalAddress: '127.0.0.1:${port}', temporalNamespace: 'default' }, defaultDataConverter);
      t.client.workflowService.getSystemInfo({}).catch(() => {});
      // Past the first failures, while the next retry is waiting on its timer.
      await new Promise((r) => setTimeout(r, 700));
      await t.close();
      // Longer than the SDK's longest wait between retries.
      await new Promise((r) => setTimeout(r, 7000));
      console.log('closed cleanly');
    `);
    expect(stderr).not.toMatch(/Channel has been shut down/);
    expect(code).toBe(0);
  }, 40_000);
});
