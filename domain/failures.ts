// The failures workflows and activities must agree on by name: an activity throws them as
// non-retryable ApplicationFailures, the workflow recognises them by type and goes on.

/** PostgreSQL refused a projection write for good (bad data, a violated constraint): retrying cannot help. */
export const RECORD_REFUSED = 'RecordRefused';
/** An email could not be rendered from its data: retrying cannot help. */
export const EMAIL_UNRENDERABLE = 'EmailUnrenderable';
