// The vault's objects in S3-compatible storage (AWS SDK v3): production and docker-compose.yml.
// A put streams its body as a multipart upload of bounded memory (lib-storage's Upload: parts of
// 5 MiB, a few at a time) whatever its length; an object becomes visible only when the upload
// completes, and a failed upload is aborted so its parts do not stay behind. The store's errors
// are the interface's: ObjectNotFound, and StoreUnavailable for an unreachable or failing server
// (network errors, 5xx, throttling), which the HTTP layer answers with 503 and Retry-After.
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { checkKey, ObjectNotFound, StoreUnavailable, type ObjectStore } from './store.ts';

export type S3StoreOptions = {
  /** e.g. http://127.0.0.1:7070; absent for AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Absent: the AWS SDK's own chain (environment, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bucket in the path (http://host/bucket/key) rather than the host name: most self-hosted servers want it. */
  forcePathStyle?: boolean;
  /** Put before every key, e.g. `vault/`, when the bucket is shared. */
  prefix?: string;
  /** Tries per request, the first included (the SDK's default is 3). */
  maxAttempts?: number;
  /** How long a connection may take to open (default 5 s), and a socket may stay idle (default 60 s). */
  connectionTimeoutMs?: number;
  socketTimeoutMs?: number;
};

// Errors of a connection rather than of a request: the server is away, or went away mid-request.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

function isUnavailable(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode ?? 0;
    return status >= 500 || status === 429;
  }
  const e = err as { code?: string; name?: string };
  return NETWORK_CODES.has(e.code ?? '') || e.name === 'TimeoutError';
}

/** The store's own error for what the SDK threw; anything else (a refused signature, say) as it was. */
function translate(err: unknown, key: string): unknown {
  if (err instanceof S3ServiceException && err.name === 'NoSuchKey') return new ObjectNotFound(key);
  if (isUnavailable(err)) return new StoreUnavailable(`object storage unavailable: ${(err as Error).message || (err as Error).name}`, { cause: err });
  return err;
}

export function s3Store(options: S3StoreOptions): ObjectStore {
  const { bucket, prefix = '' } = options;
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts,
    requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5_000, socketTimeout: options.socketTimeoutMs ?? 60_000 },
  });
  const keyOf = (key: string) => prefix + checkKey(key);

  return {
    async put(key, body) {
      // The body's own failure (the sender went away, a size limit) is the caller's error, not the store's.
      let bodyError: Error | undefined;
      body.once('error', (err) => (bodyError = err));
      const upload = new Upload({ client, params: { Bucket: bucket, Key: keyOf(key), Body: body } });
      try {
        await upload.done();
      } catch (err) {
        throw bodyError ?? translate(err, key);
      }
    },
    async get(key) {
      try {
        const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        return Body as Readable;
      } catch (err) {
        throw translate(err, key);
      }
    },
    async deletePrefix(prefixOfKeys) {
      // As a folder, like the filesystem store: `cases/c1` is not the start of `cases/c10/...`.
      const folder = `${keyOf(prefixOfKeys.replace(/\/$/, ''))}/`;
      try {
        let ContinuationToken: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, ContinuationToken }));
          const objects = (page.Contents ?? []).map(({ Key }) => ({ Key }));
          if (objects.length) {
            const { Errors } = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
            if (Errors?.length) throw new Error(`could not delete ${Errors.length} objects under ${folder}: ${Errors[0]!.Code} ${Errors[0]!.Message}`);
          }
          ContinuationToken = page.NextContinuationToken;
        } while (ContinuationToken);
      } catch (err) {
        throw translate(err, folder);
      }
    },
    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
      } catch (err) {
        throw translate(err, key);
      }
    },
  };
}
