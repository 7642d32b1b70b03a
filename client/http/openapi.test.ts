// What the API's document says a request may hold is what the zod schemas accept: the patterns it
// publishes for typed text (domain/validation.ts) against textSchema, over every code point and on
// generated text; the time zones it lists against the time zone check. Then the document and the
// methods a path does not have, from the API plugin alone (nothing behind it is reached), and the
// document over a socket, from the whole HTTP server with nothing behind it.
// (test/e2e/schemathesis.test.ts holds the whole document to the running server.)
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import fc from 'fast-check';
import { z } from 'zod';
import { textClasses, textProblem, textSchema, trimmedClass } from '../../domain/validation.ts';
import { timeZoneSchema } from '../../domain/case.ts';
import { jsonSchema, type JsonSchema } from './openapi.ts';
import { apiPlugin, type ApiOptions } from './api.ts';
import { createHttpServer } from './server.ts';

/** The rule INVISIBLE_ONLY applies, one character at a time. */
const INVISIBLE = /^[\p{Z}\p{Cf}\s]$/u;

function codePoints(): string[] {
  const all: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) all.push(String.fromCodePoint(cp));
  return all;
}

describe("typed text's character classes", () => {
  const all = codePoints();
  for (const multiline of [false, true]) {
    it(`name each code point as textProblem, trim and the invisible check do (${multiline ? 'free text' : 'one line'})`, () => {
      const classes = textClasses(multiline);
      const re = Object.fromEntries(Object.entries(classes).map(([k, c]) => [k, new RegExp(`^${c}$`, 'u')])) as Record<keyof typeof classes, RegExp>;
      const wrong: string[] = [];
      for (const c of all) {
        const allowed = textProblem(c, { multiline }) === undefined;
        const expected = { allowed, kept: allowed && c.trim() !== '', trimmed: allowed && c.trim() === '', visible: allowed && !INVISIBLE.test(c) };
        for (const k of Object.keys(expected) as (keyof typeof expected)[]) {
          if (re[k].test(c) !== expected[k]) wrong.push(`${k} U+${c.codePointAt(0)!.toString(16).toUpperCase()}`);
        }
      }
      expect(wrong.slice(0, 20)).toEqual([]);
    });
  }

  it('trimmedClass is what String.prototype.trim removes', () => {
    const re = new RegExp(`^${trimmedClass()}$`, 'u');
    expect(all.filter((c) => re.test(c) !== (c.trim() === '')).map((c) => c.codePointAt(0))).toEqual([]);
  });
});

/** Does a string meet a text field's JSON Schema (its pattern and those of its allOf)? */
function meets(schema: JsonSchema, s: string): boolean {
  const patterns = [schema.pattern, ...((schema.allOf ?? []) as JsonSchema[]).map((p) => p.pattern)] as string[];
  return patterns.every((p) => new RegExp(p, 'u').test(s));
}

describe('typed text in the document', () => {
  const cases: [string, z.ZodType][] = [
    ['one line, 1 to 5', textSchema(5)],
    ['one line, 3 to 8', textSchema(8, { min: 3 })],
    ['free text, 0 to 6', textSchema(6, { min: 0, multiline: true })],
    ['free text, 1 to 4', textSchema(4, { multiline: true })],
  ];
  // Characters of every kind textSchema tells apart, and ones it does not.
  const char = fc.constantFrom('a', 'é', '中', '😀', ' ', '\u00a0', '\u3000', '\ufeff', '\t', '\n', '\r', '\u000b', '\u0000', '\u0085', '\u200b', '\u00ad', '\u2028', '\ufdd0', '\uffff', '\u{1fffe}', '\u{e0041}', 'Z');
  for (const [name, schema] of cases) {
    it(`allows exactly what textSchema accepts (${name})`, () => {
      const doc = jsonSchema(schema);
      expect(doc.minLength).toBeUndefined();
      expect(doc.maxLength).toBeUndefined();
      fc.assert(
        fc.property(fc.array(char, { maxLength: 11 }), (chars) => {
          const s = chars.join('');
          expect(meets(doc, s), JSON.stringify(s)).toBe(schema.safeParse(s).success);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('counts a character outside the BMP once, as zod and JSON Schema both do', () => {
    const doc = jsonSchema(textSchema(2));
    for (const s of ['😀😀', '😀😀😀', ' 😀𝄞 ']) expect(meets(doc, s), s).toBe(textSchema(2).safeParse(s).success);
  });
});

describe('time zones in the document', () => {
  it('lists only zones the time zone check accepts, UTC and Europe/Madrid among them', () => {
    const zones = jsonSchema(timeZoneSchema()).enum as string[];
    expect(zones).toEqual(expect.arrayContaining(['UTC', 'Europe/Madrid', 'Asia/Hong_Kong']));
    expect(zones.filter((tz) => !timeZoneSchema().safeParse(tz).success)).toEqual([]);
  });
});

/** The API plugin with nothing behind it: what is answered before any account or case is looked at. */
async function apiAlone() {
  const app = Fastify();
  const nothing = {} as never;
  const options: ApiOptions = { actions: nothing, accounts: { resolveApiToken: async () => undefined } as never, accessLog: nothing, throttle: nothing, site: nothing };
  await app.register(apiPlugin, { prefix: '/api', ...options });
  return app;
}

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  requestBody?: { required: boolean };
  responses: Record<string, { links?: Record<string, { operationId: string; parameters: Record<string, string> }> }>;
}

describe('the document', () => {
  it('names every operation, its security and statuses, and links a new case to its operations', async () => {
    const app = await apiAlone();
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    const op = (path: string, method: string) => doc.paths[path]![method]!;
    expect(op('/api/openapi.json', 'get').security).toEqual([]);
    expect(op('/api/session', 'delete').security).toEqual([{ session: [], csrf: [] }]);
    expect(op('/api/cases/{caseId}', 'get').security).toEqual([{ session: [] }, { bearer: [] }]);
    expect(Object.keys(op('/api/cases', 'post').responses)).toEqual(['200', '201', '400', '401', '403', '413', '415', '503']);
    expect(Object.keys(op('/api/cases/{caseId}/actions/cancelCase', 'post').responses)).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '503']);
    // {} is a body confirmAdmission takes, and the route reads {} when there is none.
    expect(op('/api/cases/{caseId}/actions/confirmAdmission', 'post').requestBody?.required).toBe(false);
    expect(op('/api/cases/{caseId}/actions/cancelCase', 'post').requestBody?.required).toBe(true);
    const links = op('/api/cases', 'post').responses['201']!.links!;
    expect(links.getCase).toEqual({ operationId: 'getCase', parameters: { caseId: '$response.body#/caseId' } });
    const onACase = ops.filter((o) => Object.entries(doc.paths).some(([path, p]) => path.includes('{caseId}') && Object.values(p).includes(o)));
    expect(Object.keys(links).sort()).toEqual(onACase.map((o) => o.operationId).sort());
  });
});

describe('the document to a GET that carries a body, on a connection the client closes (as the fuzz suite sends)', () => {
  /** One request on its own connection (Connection: close): the status and body, or the socket's error code. */
  const exchange = (port: number, body: string) =>
    new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/api/openapi.json', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      req.end(body);
    });

  it('is answered, not reset: a body within the limit is read and ignored, a larger one is refused 413', async () => {
    const nothing = {} as never;
    const app = await createHttpServer({ actions: nothing, db: nothing, links: nothing, client: nothing, staff: { actions: nothing, accounts: nothing }, log: () => {} });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      // The document is over 200 KB: answered with such a body unread, it was cut off by a reset (ECONNRESET).
      const small = await exchange(port, JSON.stringify('x'.repeat(60_000)));
      expect('status' in small && small.status).toBe(200);
      expect('body' in small && (JSON.parse(small.body) as { openapi: string }).openapi).toBe('3.1.0');
      const large = await exchange(port, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      expect([large, 'body' in large && JSON.parse(large.body)]).toEqual([{ status: 413, body: expect.any(String) }, { error: expect.stringContaining('too large') }]);
    } finally {
      await app.close();
    }
  });
});

describe('a method a path does not have', () => {
  it('is answered 405 with the methods it has (Allow), before any sign-in or body is looked at; no path at all is a 404', async () => {
    const app = await apiAlone();
    const put = await app.inject({ method: 'PUT', url: '/api/cases', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect([put.statusCode, put.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
    expect(put.json()).toEqual({ error: expect.stringContaining('GET, HEAD, POST') });
    // A concrete path before one with a parameter: /api/cases/search is no case.
    const options = await app.inject({ method: 'OPTIONS', url: '/api/cases/search' });
    expect([options.statusCode, options.headers.allow]).toEqual([405, 'POST']);
    const trace = await app.inject({ method: 'TRACE', url: '/api/cases/c1a2b3c4d5e6/actions/cancelCase' });
    expect([trace.statusCode, trace.headers.allow]).toEqual([405, 'POST']);
    expect((await app.inject({ method: 'GET', url: '/api/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/cases/c1a2b3c4d5e6/actions/submitCheckin' })).statusCode).toBe(404);
  });

  it('and a declared one still asks who is calling first (401), and then for JSON (415)', async () => {
    const app = await apiAlone();
    expect((await app.inject({ method: 'POST', url: '/api/cases', headers: { 'content-type': 'text/plain' }, payload: 'x' })).statusCode).toBe(401);
    const form = await app.inject({ method: 'POST', url: '/api/session', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.example&password=x' });
    expect([form.statusCode, form.json()]).toEqual([415, { error: expect.stringContaining('application/json') }]);
  });
});

describe('a route without an access rule', () => {
  it('stops the API from starting (fail closed), naming the route', async () => {
    const app = Fastify();
    const nothing = {} as never;
    void app.register(async (api) => {
      await apiPlugin(api, { actions: nothing, accounts: nothing, accessLog: nothing, throttle: nothing, site: nothing });
      api.get('/forgotten', async () => ({ patientData: 'would be public' }));
    });
    await expect(app.ready()).rejects.toThrow('API route GET /forgotten has no access rule (config.access)');
  });
});
