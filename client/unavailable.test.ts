// Which failures are "try again shortly" (503) rather than a fault (500). The gRPC errors are built
// as @grpc/grpc-js builds them (code, details, metadata), the shape the Temporal client throws.
import { describe, expect, it } from 'vitest';
import { NamespaceNotFoundError } from '@temporalio/client';
import { isUnavailable, UnavailableError } from './unavailable.ts';

const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });

describe('isUnavailable', () => {
  it('holds for a case whose last workflow task failed (Temporal retries it), and for Temporal away', () => {
    expect(isUnavailable(grpc(9, 'Unable to query workflow due to Workflow Task in failed state.'))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('Failed to query Workflow'), { cause: grpc(9, 'Unable to query workflow due to Workflow Task in failed state.') }))).toBe(true);
    expect(isUnavailable(grpc(14, 'No connection established'))).toBe(true);
    expect(isUnavailable(new UnavailableError('case c1 is being opened'))).toBe(true);
    expect(isUnavailable(new NamespaceNotFoundError('cases'))).toBe(true);
  });

  it('does not hold for other refusals of the same code, or for faults', () => {
    expect(isUnavailable(grpc(9, 'Workflow execution is already completed'))).toBe(false);
    expect(isUnavailable(grpc(3, 'invalid argument'))).toBe(false);
    expect(isUnavailable(new Error('boom'))).toBe(false);
  });
});
