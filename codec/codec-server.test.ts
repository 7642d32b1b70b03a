import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { bearerTokenAuthorizer, createCodecHandler } from './codec-server.ts';
import { EncryptionCodec } from './encryption-codec.ts';

const TOKEN = 'test-token-7c1f0e9a';
const UI_ORIGIN = 'http://localhost:8233';
const codec = new EncryptionCodec({ currentKeyId: 'k1', keys: new Map([['k1', Buffer.alloc(32, 5)]]) });
const patient = { name: 'Amelia Okonkwo-Hart', mrn: 'MRN-00417721' };

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array(0)).toString('base64'),
});
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

let server: Server;
let base: string;
const seenNamespaces: (string | undefined)[] = [];

beforeAll(async () => {
  const bearer = bearerTokenAuthorizer(TOKEN);
  const handler = createCodecHandler({
    codec,
    authorize: async (req: IncomingMessage) => {
      seenNamespaces.push(req.headers['x-namespace'] as string | undefined);
      return bearer(req);
    },
    allowedOrigins: [UI_ORIGIN],
  });
  server = createServer((req, res) => {
    handler(req, res)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('not a codec path');
        }
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });

describe('codec server', () => {
  it('decodes encrypted payloads for an authorised caller', async () => {
    const originals = [defaultPayloadConverter.toPayload(patient), defaultPayloadConverter.toPayload('second')];
    const encrypted = await codec.encode(originals);

    const res = await post('/codec/decode', JSON.stringify({ payloads: encrypted.map(toJson) }), { 'X-Namespace': 'cart-prod' });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { payloads: JsonPayload[] };
    expect(body).toEqual({ payloads: originals.map(toJson) });
    expect(body.payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([patient, 'second']);
    expect(seenNamespaces.at(-1)).toBe('cart-prod');
  });

  it('encodes payloads so that they decode back to the originals', async () => {
    const original = defaultPayloadConverter.toPayload(patient);
    const res = await post('/codec/encode', JSON.stringify({ payloads: [toJson(original)] }));

    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    expect(payloads).toHaveLength(1);
    const encoded = payloads[0] as JsonPayload;
    expect(Buffer.from(encoded.metadata.encoding as string, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.metadata['encryption-key-id'] as string, 'base64').toString()).toBe('k1');
    expect(Buffer.from(encoded.data, 'base64').includes(Buffer.from('Amelia'))).toBe(false);
    const [decoded] = await codec.decode([fromJson(encoded)]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(patient);
  });

  it('answers an empty payload list with an empty list', async () => {
    const res = await post('/codec/decode', '{"payloads":[]}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ payloads: [] });
  });

  it.each([
    ['no Authorization header', undefined],
    ['wrong token', `Bearer ${TOKEN}x`],
    ['token prefix', `Bearer ${TOKEN.slice(0, -1)}`],
    ['wrong scheme', `Basic ${TOKEN}`],
  ])('rejects %s with 401 and no payload data', async (_label, authorization) => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(patient)]);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (authorization !== undefined) headers.Authorization = authorization;
    const res = await fetch(`${base}/codec/decode`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ payloads: encrypted.map(toJson) }),
    });

    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"unauthorized"}');
  });

  it('answers a preflight from an allowed origin with the CORS headers', async () => {
    const res = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,authorization,x-namespace',
      },
    });

    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, X-Namespace');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('gives a preflight from another origin no CORS headers', async () => {
    const res = await fetch(`${base}/codec/encode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });

    expect(res.status).toBe(204);
    const corsHeaders = [...res.headers.keys()].filter((h) => h.startsWith('access-control-'));
    expect(corsHeaders).toEqual([]);
  });

  it('adds CORS headers to actual responses for an allowed origin and refuses other origins', async () => {
    const allowed = await post('/codec/decode', '{"payloads":[]}', { Origin: UI_ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');

    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(patient)]);
    const other = await post('/codec/decode', JSON.stringify({ payloads: encrypted.map(toJson) }), { Origin: 'https://evil.example' });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(await other.json()).toEqual({ error: 'origin https://evil.example is not allowed' });
  });

  it.each([
    ['{"payloads": [', 'request body is not valid JSON'],
    ['', 'request body is not valid JSON'],
    ['[]', 'request body must be a JSON object with a "payloads" array'],
    ['{"payloads": {}}', 'request body must be a JSON object with a "payloads" array'],
    ['{"payloads": [42]}', 'payloads[0] must be an object'],
    ['{"payloads": [{"metadata": {}, "data": ""}, {"metadata": "x"}]}', 'payloads[1].metadata must be an object of base64 strings'],
    ['{"payloads": [{"metadata": {"encoding": 7}}]}', 'payloads[0].metadata.encoding must be a base64 string'],
    ['{"payloads": [{"metadata": {}, "data": "not base64!"}]}', 'payloads[0].data must be a base64 string'],
  ])('rejects malformed body %j with 400', async (body, error) => {
    const res = await post('/codec/decode', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
  });

  it('reports a payload it cannot decrypt with 422, naming no key id', async () => {
    const other = new EncryptionCodec({ currentKeyId: 'k2', keys: new Map([['k2', Buffer.alloc(32, 6)]]) });
    const encrypted = await other.encode([defaultPayloadConverter.toPayload(patient)]);
    const res = await post('/codec/decode', JSON.stringify({ payloads: encrypted.map(toJson) }));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'decode failed: a payload could not be decoded (an unknown or retired key, or damaged data)' });
  });

  it('leaves other paths to the surrounding server and rejects other methods', async () => {
    const notMine = await fetch(`${base}/codec/other`, { method: 'POST', body: '{}' });
    expect(notMine.status).toBe(404);
    expect(await notMine.text()).toBe('not a codec path');

    const get = await fetch(`${base}/codec/decode`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('accepts a query string on the codec path', async () => {
    const res = await post('/codec/decode?x=1', '{"payloads":[]}');
    expect(res.status).toBe(200);
  });
});

describe('createCodecHandler options', () => {
  it('rejects wildcard or malformed allowed origins', () => {
    const authorize = async () => ({ via: 'codec-token' as const });
    for (const origin of ['*', 'https://ui.example/', 'ui.example', 'https://ui.example/path']) {
      expect(() => createCodecHandler({ codec, authorize, allowedOrigins: [origin] }), origin).toThrow(`allowedOrigins: '${origin}' is not an exact origin`);
    }
  });

  it('bearerTokenAuthorizer refuses an empty token', () => {
    expect(() => bearerTokenAuthorizer('')).toThrow('bearerTokenAuthorizer: token must be a non-empty string without whitespace');
  });
});
