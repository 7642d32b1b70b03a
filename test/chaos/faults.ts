// The faults of the run, on the seeded schedule of plan.ts: a worker SIGKILLed (both, once, in a
// longer run), an HTTP server SIGKILLed, PostgreSQL stopped fast and started again, the mail server
// away. Each process comes back on the same port after its time away. Processes and PostgreSQL
// take turns (a process that starts while PostgreSQL is down would fail to start for that reason);
// the mail server's outage runs beside them.
import type { ChaosStack } from './stack.ts';
import type { FaultEvent } from './plan.ts';

export interface FaultRecord {
  kind: FaultEvent['kind'];
  target?: number;
  /** When it began, ms after the start of the run. */
  atMs: number;
  downMs: number;
  /** How long until everything was back (ready), ms after it began. */
  backAfterMs?: number;
  /** Starting a process again failed first (and was retried), or never worked. */
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RESTART_GIVE_UP_MS = 5 * 60_000;

export function runFaults(stack: ChaosStack, events: FaultEvent[], startMs: number, log: (line: string) => void): { done: Promise<FaultRecord[]>; records: FaultRecord[] } {
  const records: FaultRecord[] = [];
  const { deployment } = stack;

  /** Starts a process again until it is ready: it may fail while PostgreSQL or Temporal is still coming back. */
  async function bringBack(what: string, start: () => Promise<void>, record: FaultRecord): Promise<void> {
    const giveUpAt = Date.now() + RESTART_GIVE_UP_MS;
    for (;;) {
      try {
        await start();
        return;
      } catch (err) {
        record.problems.push(`${what} did not start: ${(err as Error).message.split('\n')[0]}`);
        if (Date.now() > giveUpAt) throw err;
        await sleep(3_000);
      }
    }
  }

  async function apply(e: FaultEvent, record: FaultRecord): Promise<void> {
    switch (e.kind) {
      case 'kill_worker':
        await deployment.killWorker(e.target!);
        await sleep(e.downMs);
        await bringBack(`worker-${e.target}`, () => deployment.restartWorker(e.target!), record);
        return;
      case 'kill_both_workers':
        await Promise.all([deployment.killWorker(0), deployment.killWorker(1)]);
        await sleep(e.downMs);
        await Promise.all([0, 1].map((i) => bringBack(`worker-${i}`, () => deployment.restartWorker(i), record)));
        return;
      case 'kill_http':
        await deployment.killHttp(e.target!);
        await sleep(e.downMs);
        await bringBack(`http-${e.target}`, () => deployment.restartHttp(e.target!), record);
        return;
      case 'restart_postgres':
        await stack.postgres.restart(e.downMs);
        // Temporal's server lives on this PostgreSQL too: it should ride the restart out.
        if (!stack.temporal.running()) {
          record.problems.push('temporal-server exited during the PostgreSQL restart (restarted)');
          await stack.temporal.restart();
        }
        return;
      case 'stop_mail':
        await stack.sink.pause();
        await sleep(e.downMs);
        await stack.sink.resume();
        return;
    }
  }

  async function lane(list: FaultEvent[]): Promise<void> {
    for (const e of list) {
      const wait = startMs + e.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const began = Date.now();
      const record: FaultRecord = { kind: e.kind, ...(e.target !== undefined ? { target: e.target } : {}), atMs: began - startMs, downMs: Math.round(e.downMs), problems: [] };
      records.push(record);
      log(`fault: ${e.kind}${e.target !== undefined ? ` ${e.target}` : ''} for ${(e.downMs / 1000).toFixed(0)} s`);
      try {
        await apply(e, record);
        record.backAfterMs = Date.now() - began;
      } catch (err) {
        record.problems.push(`never came back: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }

  const done = Promise.all([lane(events.filter((e) => e.kind !== 'stop_mail')), lane(events.filter((e) => e.kind === 'stop_mail'))]).then(() => records);
  return { done, records };
}
