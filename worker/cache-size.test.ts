import { describe, expect, it } from 'vitest';
import { BYTES_PER_CACHED_CASE, planWorkflowCache, workerMemoryBytes } from './cache-size.ts';

const GiB = 2 ** 30;

describe('the workflow cache a worker sizes for itself', () => {
  it('holds the expected burst when the memory does', () => {
    expect(planWorkflowCache({ expectedBurst: 1000, memoryBytes: 24 * GiB })).toEqual({ size: 1000, reason: 'burst', expectedBurst: 1000, memoryBytes: 24 * GiB });
    // Not the SDK's default, which would grow with the machine (about 2,300 cases, 3.3 GB at rest).
    expect(planWorkflowCache({ expectedBurst: 1000, memoryBytes: 256 * GiB }).size).toBe(1000);
  });

  it('holds what fits, and says the burst does not, in a worker with less memory', () => {
    const small = planWorkflowCache({ expectedBurst: 1000, memoryBytes: 1.5 * GiB });
    expect(small.reason).toBe('memory');
    expect(small.size).toBeLessThan(1000);
    expect(small.size).toBeGreaterThan(100);
    // Every cached case is paid for; more memory, more cases.
    const more = planWorkflowCache({ expectedBurst: 1000, memoryBytes: 1.5 * GiB + 100 * BYTES_PER_CACHED_CASE });
    expect(more.size - small.size).toBe(100);
  });

  it('never asks the SDK for a cache of 1 (it takes 0 or at least 2), even with no memory to spare', () => {
    expect(planWorkflowCache({ expectedBurst: 1000, memoryBytes: 64 * 2 ** 20 }).size).toBe(2);
    expect(planWorkflowCache({ expectedBurst: 0, memoryBytes: 24 * GiB }).size).toBe(2);
  });

  it('takes WORKER_MAX_CACHED_WORKFLOWS as it is, 0 included', () => {
    expect(planWorkflowCache({ configured: 0, expectedBurst: 1000, memoryBytes: 24 * GiB })).toMatchObject({ size: 0, reason: 'configured' });
    expect(planWorkflowCache({ configured: 5000, expectedBurst: 1000, memoryBytes: 1 * GiB })).toMatchObject({ size: 5000, reason: 'configured' });
  });

  it("reads this process's memory: a container's limit or the machine's", () => {
    const m = workerMemoryBytes();
    expect(m).toBeGreaterThan(0);
    expect(Number.isSafeInteger(m)).toBe(true);
  });
});
