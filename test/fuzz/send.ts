// Sends one generated request to the target: resolves what depends on the moment (the case in a
// slot, the session's cookie and CSRF token, a signed check-in link, a temporary file), takes
// Postgres away from the HTTP server for the requests that ask for it, and answers what came back.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { runCasectl } from '../../client/casectl.ts';
import { encodeForm, encodeSegment } from './doors/paths.ts';
import type { Body, FuzzRequest, HttpCall, CliCall } from './request.ts';
import type { Target } from './target.ts';
import { toJson, withKey } from './values.ts';
import type { World } from './world.ts';

export type Outcome =
  | { kind: 'http'; status: number; contentType: string; body: string; location?: string; error?: string; ms: number }
  | { kind: 'cli'; code: number; stdout: string; stderr: string; threw?: string; ms: number };

/** The console answers a request without a session by sending the browser to sign in. */
export const signInRedirect = (o: Extract<Outcome, { kind: 'http' }>): boolean => o.status === 303 && o.location?.startsWith('/console/sign-in') === true;

/** How the status table counts an outcome: the HTTP status (a console redirect to sign in apart), `exit N`, or `no answer`. */
export const statusLabel = (o: Outcome): string => {
  if (o.kind === 'cli') return o.threw ? 'threw' : `exit ${o.code}`;
  if (o.status === 0) return 'no answer';
  return signInRedirect(o) ? '303→sign-in' : String(o.status);
};

export interface Sent {
  outcome: Outcome;
  /** The case the request was about, resolved from its slot. */
  caseId?: string;
}

export async function send(target: Target, world: World, req: FuzzRequest, tmpDir: string): Promise<Sent> {
  return req.door === 'casectl' ? sendCli(target, world, req, tmpDir) : sendHttp(target, world, req);
}

/** What is kept of an answer: enough for a 400 that lists thousands of fields (5,000 settings entries). */
const MAX_BODY = 8 * 1024 * 1024;

async function sendHttp(target: Target, world: World, req: HttpCall): Promise<Sent> {
  let caseId = req.caseRef ? ('slot' in req.caseRef ? world.caseIn(req.caseRef.slot) : req.caseRef.literal) : undefined;
  let path = req.path.replace('{caseId}', encodeSegment(caseId ?? ''));
  if (req.link) {
    const link = await world.link(req.link);
    path = path.replace('{token}', encodeSegment(link.token));
    caseId = link.caseId;
  }

  const creds = await world.credentials(req.as);
  const headers: Record<string, string> = {};
  if (creds.cookie) headers.cookie = creds.cookie;
  if (creds.authorization) headers.authorization = creds.authorization;
  for (const [k, v] of Object.entries(req.headers)) headers[k] = v.replace('{self}', target.baseUrl);
  const token = creds.csrf === undefined ? undefined : req.csrf === 'right' ? creds.csrf : req.csrf === 'wrong' ? randomBytes(32).toString('base64url') : undefined;
  if (token && path.startsWith('/api/') && req.method !== 'GET') headers['x-csrf-token'] = token;
  const body = encode(req.body && token && path.startsWith('/console/') ? withCsrf(req.body, token) : req.body);
  if (body?.contentType) headers['content-type'] = body.contentType;

  const t0 = performance.now();
  if (req.pgAway) await target.postgres!.cut();
  let outcome: Outcome;
  try {
    outcome = { ...(await exchange(target.baseUrl, req.method, path, headers, body?.bytes)), ms: 0 };
  } finally {
    if (req.pgAway) {
      await target.postgres!.restore();
      // Let the pool notice its broken connections before the next request borrows one.
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  outcome.ms = Math.round(performance.now() - t0);
  const signedOut = (req.method === 'DELETE' && path.startsWith('/api/session') && outcome.status === 204) || (path.startsWith('/console/sign-out') && outcome.status === 200);
  if (signedOut) world.forget(req.as);
  return { outcome, ...(caseId !== undefined ? { caseId } : {}) };
}

/** The console reads its CSRF token from the form (or the JSON object) posted. */
function withCsrf(body: Body, token: string): Body {
  if (body.kind === 'form') return { ...body, pairs: [...body.pairs, ['_csrf', token]] };
  if (body.kind === 'json' && body.value !== null && typeof body.value === 'object' && !Array.isArray(body.value)) return { ...body, value: withKey(body.value as Record<string, unknown>, '_csrf', token) };
  return body;
}

function encode(body: Body | undefined): { bytes: Buffer; contentType?: string } | undefined {
  if (!body) return undefined;
  const type = (fallback: string) => (body.contentType === undefined ? fallback : body.contentType || undefined);
  const withType = (bytes: Buffer, contentType: string | undefined) => (contentType ? { bytes, contentType } : { bytes });
  switch (body.kind) {
    case 'json':
      return withType(Buffer.from(toJson(body.value), 'utf8'), type('application/json'));
    case 'form':
      return withType(Buffer.from(encodeForm(body.pairs), 'utf8'), type('application/x-www-form-urlencoded'));
    case 'raw':
      return withType(Buffer.from(body.text, 'utf8'), type(''));
    case 'oversized':
      return withType(Buffer.alloc(body.bytes, 'a'), body.contentType);
  }
}

function exchange(baseUrl: string, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Omit<Extract<Outcome, { kind: 'http' }>, 'ms'>> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let answered = false;
    const done = (r: Omit<Extract<Outcome, { kind: 'http' }>, 'ms'>) => {
      if (!answered) resolve(r);
      answered = true;
    };
    // A connection per request (agent: false): a kept-alive socket the server closes while idle
    // would make a request fail with ECONNRESET that says nothing about the request.
    const req = request({ host: url.hostname, port: url.port, method, path, agent: false, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      const location = res.headers.location;
      const finish = () => done({ kind: 'http', status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), ...(location ? { location } : {}) });
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', (err: NodeJS.ErrnoException) => done({ kind: 'http', status: 0, contentType: '', body: '', error: err.code ?? err.message }));
    req.end(body);
  });
}

async function sendCli(target: Target, world: World, req: CliCall, tmpDir: string): Promise<Sent> {
  let caseId: string | undefined;
  const argv = req.argv.map((w) => {
    if (typeof w === 'string') return w;
    if ('slot' in w) return (caseId = world.caseIn(w.slot));
    const path = join(tmpDir, `${randomBytes(6).toString('hex')}.json`);
    writeFileSync(path, w.file);
    return path;
  });
  const out: string[] = [];
  const err: string[] = [];
  const t0 = performance.now();
  let code = -1;
  let threw: string | undefined;
  try {
    code = await runCasectl(argv, { env: target.casectlEnv, io: { out: (t) => void out.push(t), err: (t) => void err.push(t), readStdin: async () => req.stdin } });
  } catch (e) {
    threw = (e as Error).stack ?? String(e);
  }
  const outcome: Outcome = { kind: 'cli', code, stdout: out.join('\n'), stderr: err.join('\n'), ms: Math.round(performance.now() - t0), ...(threw ? { threw } : {}) };
  return { outcome, ...(caseId !== undefined ? { caseId } : {}) };
}
