// The codec endpoint the Temporal Web UI decrypts payloads through (/codec/encode, /codec/decode),
// and the rest of the server: probes, metrics, the root and paths nothing serves.
import fc from 'fast-check';
import type { Body, HttpCall } from '../request.ts';
import { PROTOTYPE_KEYS, awkward, canary, withKey } from '../values.ts';
import type { FuzzContext } from '../world.ts';
import { oddBody, pgAway, strayHeaders } from './common.ts';
import { encodeSegment, type DoorRoute } from './paths.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** One payload of the codec protocol: plain JSON, "encrypted" junk, or not a payload. */
const payload: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: canary.map((c) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ notes: c })) })) },
  { weight: 2, arbitrary: fc.constantFrom('AAAA', '', 'not base64!', '====', b64('x'.repeat(100))).map((data) => ({ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('fuzz') }, data })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 7, 'x', [], { metadata: 'x' }, { metadata: { encoding: 7 } }, { data: 7 }, {}) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), awkward).map(([k, v]) => withKey({ data: b64('{}') }, k, v)) },
);

const codecBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: fc.array(payload, { maxLength: 4 }).map((payloads): Body => ({ kind: 'json', value: { payloads } })) },
  { weight: 1, arbitrary: fc.constantFrom(0, 5000).map((n): Body => ({ kind: 'json', value: { payloads: Array.from({ length: n }, () => ({ data: 'AA==' })) } })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({}, { payloads: 'x' }, { payloads: {} }, []).map((value): Body => ({ kind: 'json', value })) },
  { weight: 2, arbitrary: oddBody },
);

export function otherRoutes(ctx: FuzzContext): DoorRoute[] {
  const codec = fc
    .record({
      op: fc.constantFrom('encode', 'decode', 'nope', 'encode/', 'decode?x=1'),
      method: fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'OPTIONS', 'DELETE') }),
      body: codecBody,
      origin: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constantFrom('http://localhost:8233', 'https://evil.example', 'not a url', 'null').map((o) => ({ origin: o })) }),
      headers: strayHeaders,
    })
    .map(
      (r): HttpCall => ({
        door: 'codec',
        route: `${r.method} /codec/*`,
        method: r.method,
        path: `/codec/${r.op}`,
        as: 'anonymous',
        csrf: 'missing',
        headers: { ...r.headers, ...r.origin },
        ...(r.method === 'GET' || r.method === 'OPTIONS' ? {} : { body: r.body }),
      }),
    );
  const probes = ['/healthz', '/readyz', '/metrics', '/', '/checkin/', '/api', '/console'];
  const probe = fc
    .record({
      path: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...probes) },
        { weight: 1, arbitrary: fc.constantFrom('/%00', '/..%2f..%2fetc%2fpasswd', '/%E0%A4%A', `/${'a'.repeat(3000)}`, '//', '/.env', '/console/../api/cases') },
        { weight: 1, arbitrary: awkward.map((s) => `/${encodeSegment(s)}`) },
      ),
      method: fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'POST', 'DELETE', 'OPTIONS', 'TRACE') }),
      headers: strayHeaders,
      pgAway: pgAway(ctx),
    })
    .map((r): HttpCall => ({ door: 'probe', route: `${r.method} ${probes.includes(r.path) ? r.path : '(other paths)'}`, method: r.method, path: r.path, as: 'anonymous', csrf: 'missing', headers: r.headers, ...(r.pgAway ? { pgAway: true } : {}) }));
  return [
    { door: 'codec', route: '/codec/*', arb: codec },
    { door: 'probe', route: 'probes', arb: probe },
  ];
}
