// HTTP handler for the Temporal codec-server protocol, so the Temporal Web UI and the `temporal` CLI
// (`--codec-endpoint http://host:port/codec --codec-auth "Bearer <token>"`) can show decrypted payloads
// to authorised operators. Decryption happens here, never in Temporal.
//
//   POST <path>/encode   POST <path>/decode      (path defaults to /codec)
//   body and response: { "payloads": [ { "metadata": { "<key>": "<base64>" }, "data": "<base64>" } ] }
//
// Mount it inside a bigger server: `if (await handler(req, res)) return;` — it returns false, without
// touching the response, for any other path.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** Who is calling, for the log: an account, or the service's own codec token. */
export interface CodecCaller {
  via: 'session' | 'api-token' | 'codec-token';
  userId?: number;
}
/** The caller a request authenticates as, or undefined: refused (401). */
export type CodecAuthorizer = (req: IncomingMessage) => Promise<CodecCaller | undefined>;

/** One encode or decode that was answered: who, in which namespace, how many payloads (never their content). */
export interface CodecUse {
  operation: 'encode' | 'decode';
  caller: CodecCaller;
  namespace?: string;
  payloads: number;
}

export type CodecHandlerOptions = {
  codec: PayloadCodec;
  /** Decides whether the request may encode/decode (a signed-in account, a token). Fails closed if it throws. */
  authorize: CodecAuthorizer;
  /** Told of every answered encode and decode, for the audit log. */
  onUse?: (use: CodecUse) => void;
  /** Exact browser origins (e.g. "https://temporal-ui.example.org") allowed to call with credentials. No wildcards. */
  allowedOrigins: readonly string[];
  /** URL path prefix; the endpoints are `${path}/encode` and `${path}/decode`. Default "/codec". */
  path?: string;
  /** Largest accepted request body in bytes. Default 16 MiB. */
  maxBodyBytes?: number;
};

export type CodecHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

type JsonPayload = { metadata?: Record<string, string>; data?: string };

const DEFAULT_PATH = '/codec';
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function createCodecHandler(options: CodecHandlerOptions): CodecHandler {
  const { codec, authorize } = options;
  const allowedOrigins = new Set(options.allowedOrigins.map(checkOrigin));
  const prefix = (options.path ?? DEFAULT_PATH).replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const routes = new Map<string, 'encode' | 'decode'>([
    [`${prefix}/encode`, 'encode'],
    [`${prefix}/decode`, 'decode'],
  ]);

  return async (req, res) => {
    const operation = routes.get(pathOf(req));
    if (!operation) return false;

    const origin = req.headers.origin;
    const originAllowed = origin !== undefined && allowedOrigins.has(origin);
    const cors: Record<string, string> = { Vary: 'Origin' };
    if (originAllowed) {
      cors['Access-Control-Allow-Origin'] = origin;
      cors['Access-Control-Allow-Credentials'] = 'true';
    }

    if (req.method === 'OPTIONS') {
      if (originAllowed) {
        cors['Access-Control-Allow-Methods'] = 'POST, OPTIONS';
        cors['Access-Control-Allow-Headers'] = 'Content-Type, Authorization, X-Namespace';
        cors['Access-Control-Max-Age'] = '600';
      }
      res.writeHead(204, cors);
      res.end();
      return true;
    }

    try {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST, OPTIONS');
        throw new HttpError(405, `method ${req.method ?? '?'} not allowed, use POST`);
      }
      // Browsers always send Origin cross-site; refuse other sites outright (the CLI sends none).
      if (origin !== undefined && !originAllowed) throw new HttpError(403, `origin ${origin} is not allowed`);

      let caller: CodecCaller | undefined;
      try {
        caller = await authorize(req);
      } catch {
        throw new HttpError(500, 'authorization check failed');
      }
      if (!caller) throw new HttpError(401, 'unauthorized');

      const payloads = parseBody(await readBody(req, maxBodyBytes));
      let result: Payload[];
      try {
        result = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
      } catch {
        // Which keys the service holds is not the caller's business: the message names none.
        throw new HttpError(422, `${operation} failed: a payload could not be ${operation}d (an unknown or retired key, or damaged data)`);
      }
      const namespace = req.headers['x-namespace'];
      options.onUse?.({ operation, caller, ...(typeof namespace === 'string' ? { namespace } : {}), payloads: payloads.length });
      sendJson(res, 200, { payloads: result.map(toJsonPayload) }, cors);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      sendJson(res, status, { error: message }, status === 413 ? { ...cors, Connection: 'close' } : cors);
      if (status === 413) req.resume();
    }
    return true;
  };
}

/** Authorizer accepting exactly `Authorization: Bearer <token>`, compared in constant time. */
export function bearerTokenAuthorizer(token: string): CodecAuthorizer {
  if (typeof token !== 'string' || token.trim() === '' || /\s/.test(token)) {
    throw new Error('bearerTokenAuthorizer: token must be a non-empty string without whitespace');
  }
  // Compare fixed-length digests so neither content nor length leaks through timing.
  const expected = sha256(token);
  return async (req) => {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match && timingSafeEqual(sha256(match[1] as string), expected) ? { via: 'codec-token' } : undefined;
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function checkOrigin(origin: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
    throw new Error(`allowedOrigins: '${origin}' is not an exact origin like https://temporal-ui.example.org (no path, no trailing slash, no wildcard)`);
  }
  return origin;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): Payload[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (!isObject(body) || !Array.isArray(body.payloads)) {
    throw new HttpError(400, 'request body must be a JSON object with a "payloads" array');
  }
  return body.payloads.map((p: unknown, i: number) => fromJsonPayload(p, `payloads[${i}]`));
}

function fromJsonPayload(value: unknown, where: string): Payload {
  if (!isObject(value)) throw new HttpError(400, `${where} must be an object`);
  const metadata: Record<string, Uint8Array> = {};
  if (value.metadata !== undefined && value.metadata !== null) {
    if (!isObject(value.metadata)) throw new HttpError(400, `${where}.metadata must be an object of base64 strings`);
    for (const [k, v] of Object.entries(value.metadata)) metadata[k] = base64Field(v, `${where}.metadata.${k}`);
  }
  const data = value.data === undefined || value.data === null ? Buffer.alloc(0) : base64Field(value.data, `${where}.data`);
  return { metadata, data };
}

function base64Field(value: unknown, where: string): Buffer {
  if (typeof value !== 'string' || !BASE64_PATTERN.test(value)) throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

function toJsonPayload(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {})) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array(0)).toString('base64') };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    // Decoded payloads are patient data: never cache them anywhere.
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}
