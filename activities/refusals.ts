// Which database errors no retry can fix. Temporal retries a failed activity forever by default, so
// a write PostgreSQL refuses because of what it holds (a data exception, a violated constraint)
// would retry forever and hold up everything the workflow awaits behind it. Such a refusal fails
// the activity as non-retryable; the workflow records that it could not write and goes on.
import { ApplicationFailure } from '@temporalio/activity';
import { RECORD_REFUSED } from '../domain/failures.ts';

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). A foreign key
 * violation is one too: no action writes about a case before the case's row exists (the workflow's
 * actions wait for it), so a write that finds no case row never will.
 */
export function refusedForGood(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code) ? code : undefined;
}

/** Runs a write; a refusal for good becomes a non-retryable RecordRefused naming only the SQLSTATE (never the data). */
export async function permanentIfRefused<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const code = refusedForGood(err);
    if (code) throw ApplicationFailure.create({ type: RECORD_REFUSED, message: `PostgreSQL refused the write (SQLSTATE ${code})`, nonRetryable: true });
    throw err;
  }
}
