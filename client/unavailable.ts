// Which failures mean "a dependency is away", answered 503 with Retry-After rather than 500: the
// request was fine and will work when PostgreSQL or Temporal is back (the pg pool and the Temporal
// connection reconnect by themselves), so the person or the proxy in front should simply retry.
import { isGrpcServiceError, NamespaceNotFoundError } from '@temporalio/client';

/** Seconds a client is asked to wait before retrying. */
export const RETRY_AFTER_SECONDS = 60;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// SQLSTATE 08 (connection exception), 57P01-57P03 (shut down, crashed, starting), 53300 (too many connections).
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
// The pg driver's own words for a connection it lost or could not get.
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
// The case's last workflow task failed (a worker killed mid-task, say): Temporal retries it.
const GRPC_FAILED_PRECONDITION = 9;
const WORKFLOW_TASK_FAILED = /Workflow Task in failed state/;

/** Something the service itself knows is away for now (a case whose worker has not answered yet). */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

export function isUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  if (err instanceof UnavailableError) return true;
  // A namespace just registered is unknown to the server's frontends until their caches refresh (a
  // few seconds; the chaos run met it 39 s after start). One never registered stays 503 too, and
  // its log line names the namespace: a deployment's fault, not the caller's.
  if (err instanceof NamespaceNotFoundError) return true;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code))) return true;
  if (isGrpcServiceError(err) && (err.code === GRPC_UNAVAILABLE || err.code === GRPC_DEADLINE_EXCEEDED)) return true;
  if (isGrpcServiceError(err) && err.code === GRPC_FAILED_PRECONDITION && WORKFLOW_TASK_FAILED.test(err.details ?? err.message)) return true;
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isUnavailable(x, depth + 1))) return true;
  return isUnavailable(e.cause, depth + 1);
}
