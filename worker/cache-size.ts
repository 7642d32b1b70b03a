// How many cases a worker keeps in its workflow cache when WORKER_MAX_CACHED_WORKFLOWS does not say.
//
// The SDK's default grows with the machine (about 2,300 on a 24 GiB one), and each cached case
// costs about 1 MiB of RSS, so 10,000 open cases took 3.3 GB at rest (BENCHMARKS.md, item 6).
// What the cache must hold is the cases that wake together: check-ins due in the same minute.
// Smaller, and each of them replays its history first (a burst of 1,000 with a cache of 100 timed
// out most families' reports, item 9); larger buys only fewer replays of cases that wake alone,
// a few times a day, for 35 ms each. So the cache is the expected burst, unless the worker's
// memory cannot hold that many, in which case it is what the memory holds and the worker says so.
// The SDK sizes its own default from the V8 heap limit, but cached cases live mostly outside it.
import { totalmem } from 'node:os';
import type { AppConfig } from '../config.ts';

const MIB = 2 ** 20;
/**
 * What a cache slot costs a worker that holds many more open cases than its cache: 1 MiB of RSS
 * for the cached case itself, and about as much again that the allocator keeps once cases have
 * passed through the slot (a cache of 1,000: 1,247 MiB at 1,000 open cases, 2,064 MiB at 10,000;
 * BENCHMARKS.md, item 10).
 */
export const BYTES_PER_CACHED_CASE = 2 * MIB;
/** Node, the SDK's core and the workflow thread with nothing cached: 245 MiB measured. */
const RESERVED_BYTES = 256 * MIB;

export interface CachePlan {
  size: number;
  /** 'configured': WORKER_MAX_CACHED_WORKFLOWS; 'burst': the expected burst fits; 'memory': it does not, and the cache is what fits. */
  reason: 'configured' | 'burst' | 'memory';
  expectedBurst: number;
  memoryBytes: number;
}

/** The memory this process may use: its container's limit where there is one, else the machine's. */
export function workerMemoryBytes(): number {
  const machine = totalmem();
  // Unconstrained, Node answers 0 or 2^64 - 1 depending on the platform.
  const limit = process.constrainedMemory();
  return limit > 0 && limit < machine ? limit : machine;
}

export function planWorkflowCache(opts: { configured?: number; expectedBurst: number; memoryBytes: number }): CachePlan {
  const { configured, expectedBurst, memoryBytes } = opts;
  if (configured !== undefined) return { size: configured, reason: 'configured', expectedBurst, memoryBytes };
  const fits = Math.floor(Math.max(0, memoryBytes - RESERVED_BYTES) / BYTES_PER_CACHED_CASE);
  // The SDK takes 0 (no cache) or at least 2; a worker with memory for fewer still runs, replaying every task.
  if (fits >= expectedBurst) return { size: Math.max(2, expectedBurst), reason: 'burst', expectedBurst, memoryBytes };
  return { size: Math.max(2, fits), reason: 'memory', expectedBurst, memoryBytes };
}

/** The workflow cache a case worker runs with under this configuration, and why. */
export function cachePlan(config: Pick<AppConfig, 'workerMaxCachedWorkflows' | 'workerExpectedBurst'>): CachePlan {
  return planWorkflowCache({
    ...(config.workerMaxCachedWorkflows !== undefined ? { configured: config.workerMaxCachedWorkflows } : {}),
    expectedBurst: config.workerExpectedBurst,
    memoryBytes: workerMemoryBytes(),
  });
}
