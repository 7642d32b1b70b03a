// Error messages and stack traces are written to Temporal as plain strings unless the failure
// converter moves them into a payload, which the encryption codec then encrypts like any argument.
// Errors can quote the values they choked on (Postgres and SMTP errors do: an address, a name), so
// every process that talks to Temporal uses this converter: the workflow sandbox (bundled by path,
// see worker/bundle.ts), activities and clients (createDataConverter in codec/keys.ts).
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
