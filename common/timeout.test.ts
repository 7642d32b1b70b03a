import { describe, expect, it } from 'vitest';
import { withTimeout } from './timeout.ts';

class Late extends Error {}

describe('withTimeout', () => {
  it('passes on the answer, or the failure, that comes in time', async () => {
    await expect(withTimeout(Promise.resolve(42), 1000, () => new Late())).resolves.toBe(42);
    await expect(withTimeout(Promise.reject(new Error('refused')), 1000, () => new Late())).rejects.toThrow('refused');
  });

  it("rejects with the caller's own error when no answer comes in time, and a late failure is not reported", async () => {
    const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('connection closed')), 60));
    await expect(withTimeout(late, 20, () => new Late('no answer within 20 ms'))).rejects.toBeInstanceOf(Late);
    // If the abandoned call's rejection were unhandled, vitest would fail this file.
    await new Promise((r) => setTimeout(r, 80));
  });
});
