// The HTTP server: the family's check-in pages behind signed links, liveness and readiness, and
// (when given) the Temporal codec endpoint for operators.
//
//   GET  /healthz               200 {status:"ok"} while the process runs
//   GET  /readyz                200, or 503 naming what failed: Postgres (select 1), Temporal
//   GET  /metrics               Prometheus text: case counts from Postgres, requests (metrics.ts)
//   GET  /checkin/:token        the form, or the page that says why there is none
//   POST /checkin/:token        the report (urlencoded) → the outcome page with what to do now
//   *    /codec/encode|decode   codec server (codec/codec-server.ts), only when deps.codec is set
//   *    /api/...               the JSON API for signed-in staff (api.ts), only when deps.api is set
//
// Tokens are bearer secrets in the URL path: nothing here logs a URL, a token or form content.
// Each response is logged as one JSON line (worker/logging.ts formatLogLine, the worker's shape):
// time, level, msg, component "http", event, method, route pattern, status, case id.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/connect.ts';
import type { CaseStatus } from '../../domain/case.ts';
import type { CheckinOutcome } from '../../domain/monitoring.ts';
import { InputError } from '../../domain/validation.ts';
import type { CheckinLinks } from '../../activities/checkin-link.ts';
import type { CodecHandler } from '../../codec/codec-server.ts';
import { ActionRefusedError, CaseNotFoundError, type CaseActions } from '../actions.ts';
import { checkinView, loadFamilyContact, type CheckinSubmission, type CheckinView, type FamilyContact } from './checkin.ts';
import { emptyCheckinForm, formProblemOf, readCheckinForm, reportFromForm, type FieldProblems } from './checkin-form.ts';
import { answeredPage, closedPage, errorPage, formPage, invalidLinkPage, notFoundPage, resultPage, STYLE_HASH, tooManyPage, upcomingPage } from './pages.ts';
import { PAGE_LANGUAGES, languageFromHeader, pageLanguage, type PageLanguage } from './texts.ts';
import { caseMetricFamilies, createRequestCounter, databaseUpFamily, readCaseMetrics, renderFamilies, type CaseMetrics } from './metrics.ts';
import { formatLogLine, type LineWriter } from '../../worker/logging.ts';
import { apiPlugin } from './api.ts';
import { consolePlugin } from './console/routes.ts';
import { createLoginThrottle, type LoginLimits } from './auth.ts';
import type { Accounts } from '../accounts.ts';
import { withTimeout } from '../../activities/timeout.ts';
import { isUnavailable, RETRY_AFTER_SECONDS } from '../unavailable.ts';

export interface HttpLogEntry {
  level: 'info' | 'warn' | 'error';
  event:
    | 'request'
    | 'checkin_failed'
    | 'codec_failed'
    | 'codec_not_mounted'
    | 'codec_unauthenticated'
    | 'metrics_failed'
    | 'api_failed'
    | 'admin_created'
    | 'no_accounts'
    | 'accounts_failed'
    | 'listening'
    | 'stopping'
    | 'stopped';
  method?: string;
  /** The route pattern (`/checkin/:token`), never the URL. */
  route?: string;
  status?: number;
  caseId?: string;
  /** The signed-in staff account (API requests): its id, never its email. */
  userId?: number;
  /** An error's class name: never its message (it may quote what the family typed). */
  error?: string;
  ms?: number;
  address?: string;
}
export type HttpLogger = (entry: HttpLogEntry) => void;

/** One JSON line per entry, in the worker's shape: time, level, msg, component "http", then the entry's fields. */
export function jsonLineLogger(write: LineWriter): HttpLogger {
  return (entry) => {
    const { level, ...fields } = entry;
    const msg = entry.event === 'request' ? `${entry.method} ${entry.route} ${entry.status}` : entry.event;
    write(formatLogLine(level, msg, { component: 'http', ...fields }));
  };
}

/** One JSON line per entry on standard output. */
export const stdoutLogger: HttpLogger = jsonLineLogger((line) => {
  process.stdout.write(line);
});

export interface RateLimitSetting {
  max: number;
  timeWindowMs: number;
}

export interface HttpServerConfig {
  /** Behind a reverse proxy: trust X-Forwarded-For for the client address (Fastify's trustProxy). */
  trustProxy?: boolean | string | string[];
  /** POST /checkin/:token, per token and client address. Default 10 a minute. */
  checkinPostLimit?: RateLimitSetting;
  /** GET /checkin/:token, per token and client address. Default 60 a minute. */
  checkinGetLimit?: RateLimitSetting;
  /** How long a page waits for the case workflow (status query, Update). Default 20 s. */
  workflowTimeoutMs?: number;
  /** How long each readiness check may take. Default 3 s. */
  readinessTimeoutMs?: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsAuthToken?: string;
  /** GET /metrics, per client address. Default 60 a minute. */
  metricsLimit?: RateLimitSetting;
}

export interface HttpServerDeps {
  /** The shared action layer: the check-in's state comes from `status`. */
  actions: Pick<CaseActions, 'status' | 'submitCheckin'>;
  db: Db;
  /** Verifies check-in tokens (activities/checkin-link.ts createCheckinLinks). */
  links: Pick<CheckinLinks, 'verify'>;
  /** Temporal: readiness, and the default submitCheckin. */
  client: Client;
  /** The codec server handler (codec/codec-server.ts createCodecHandler), mounted at /codec. */
  codec?: { handler: CodecHandler };
  config?: HttpServerConfig;
  /** The clock for link expiry and "taken at" checks. Default Date.now. */
  now?: () => number;
  /** Where a case stands. Default: actions.status. */
  getCaseStatus?: (caseId: string) => Promise<CaseStatus>;
  /** Sends a valid report to the case workflow. Default: actions.submitCheckin. */
  submitCheckin?: (submission: CheckinSubmission) => Promise<CheckinOutcome>;
  /** Throws when Temporal cannot be reached. Default: GetSystemInfo through `client`. */
  checkTemporal?: () => Promise<void>;
  /** Default: one JSON line per entry on standard output. */
  log?: HttpLogger;
  /** What staff use, when given: the JSON API (api.ts) at /api and the console (console/routes.ts) at /console. */
  staff?: {
    actions: CaseActions;
    accounts: Accounts;
    loginLimits?: Partial<LoginLimits>;
    /** Where the console links each case's workflow, e.g. http://localhost:8233 and namespace default. */
    temporalUi?: { url: string; namespace: string };
  };
}

class TimeoutError extends Error {
  constructor(what: string) {
    super(`${what} timed out`);
    this.name = 'TimeoutError';
  }
}

const timedOut = (what: string) => () => new TimeoutError(what);

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  // Every response is either about one family's check-in or a probe: never cache any of it.
  'Cache-Control': 'no-store',
};

/** What a request has learned about its case, for the log line and for error pages. */
interface RequestContext {
  caseId?: string;
  userId?: number;
  lang?: PageLanguage;
  phone?: string;
}

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const { db, links, client } = deps;
  const config = deps.config ?? {};
  const now = deps.now ?? Date.now;
  const log = deps.log ?? stdoutLogger;
  const workflowTimeoutMs = config.workflowTimeoutMs ?? 20_000;
  const readinessTimeoutMs = config.readinessTimeoutMs ?? 3_000;
  const getCaseStatus = deps.getCaseStatus ?? ((caseId: string) => deps.actions.status(caseId));
  const submitCheckin = deps.submitCheckin ?? ((s: CheckinSubmission) => deps.actions.submitCheckin(s.caseId, s.checkinId, s.report));
  const checkTemporal =
    deps.checkTemporal ??
    (async () => {
      await client.connection.withDeadline(Date.now() + readinessTimeoutMs, () => client.workflowService.getSystemInfo({}));
    });

  const contexts = new WeakMap<FastifyRequest, RequestContext>();
  const context = (req: FastifyRequest): RequestContext => {
    let c = contexts.get(req);
    if (!c) contexts.set(req, (c = {}));
    return c;
  };
  const started = new WeakMap<FastifyRequest, number>();
  const requests = createRequestCounter();

  const app = Fastify({
    // Fastify's own logger would log URLs, which hold tokens: off; the onResponse hook logs instead.
    logger: false,
    trustProxy: config.trustProxy ?? false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A check-in token is at most 256 characters: a longer one gets the family's page that says the
    // link is not valid, not the router's 414.
    routerOptions: { maxParamLength: 1024 },
    // A URL that cannot be decoded: the not-found page (JSON under /api), not the router's own JSON.
    frameworkErrors: (err, req, res) => {
      const reply = res as FastifyReply;
      if (req.url.startsWith('/api/')) void reply.code(400).send({ error: 'the address is not a valid URL', fields: [{ field: 'url', message: 'is not a valid URL' }] });
      else void sendPage(reply, err.statusCode === 400 ? 404 : (err.statusCode ?? 404), notFoundPage({ lang: languageFromHeader(req.headers['accept-language']) }));
    },
  });

  // JSON bodies as JSON.parse reads them, but a key that could reach an object's prototype is refused
  // by name (Fastify's own parser refuses it without saying which).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const refuse = (field: string, message: string) => done(Object.assign(new InputError([{ field, message }]), { statusCode: 400 }), undefined);
    if (body === '') return refuse('', 'the body is empty: send a JSON object');
    let value: unknown;
    try {
      value = JSON.parse(body as string);
    } catch (err) {
      return refuse('', `the body is not valid JSON (${(err as Error).message})`);
    }
    const poisoned = prototypeKey(value);
    if (poisoned !== undefined) return refuse(poisoned, 'is not allowed');
    done(null, value);
  });

  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(rateLimit, {
    global: false,
    // After the body is read: the 429 page can be in the form's language.
    hook: 'preHandler',
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error('rate limited'), { statusCode: ctx.statusCode, rateLimited: true }),
  });

  app.addHook('onRequest', async (req) => {
    started.set(req, performance.now());
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    // A page may bring its own policy (the console's stylesheet differs from the family pages').
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const c = contexts.get(req);
    const t0 = started.get(req);
    requests.inc(req.routeOptions.url ?? '(no route)', reply.statusCode);
    log({
      level: 'info',
      event: 'request',
      method: req.method,
      route: req.routeOptions.url ?? '(no route)',
      status: reply.statusCode,
      ...(c?.caseId ? { caseId: c.caseId } : {}),
      ...(c?.userId ? { userId: c.userId } : {}),
      ...(t0 !== undefined ? { ms: Math.round(performance.now() - t0) } : {}),
    });
  });

  // ---- pages -----------------------------------------------------------------------------

  const sendPage = (reply: FastifyReply, status: number, html: string) => reply.code(status).type('text/html; charset=utf-8').send(html);

  const bodyLanguage = (req: FastifyRequest): PageLanguage | undefined => {
    const lang = (req.body as Record<string, unknown> | undefined)?.lang;
    return typeof lang === 'string' && (PAGE_LANGUAGES as readonly string[]).includes(lang) ? (lang as PageLanguage) : undefined;
  };
  const fallbackLanguage = (req: FastifyRequest): PageLanguage => context(req).lang ?? bodyLanguage(req) ?? languageFromHeader(req.headers['accept-language']);

  app.setNotFoundHandler((req, reply) => sendPage(reply, 404, notFoundPage({ lang: languageFromHeader(req.headers['accept-language']) })));

  app.setErrorHandler((err: Error & { statusCode?: number; rateLimited?: boolean }, req, reply) => {
    const c = context(req);
    const lang = fallbackLanguage(req);
    const phone = c.phone;
    if (err.rateLimited && err.statusCode) return sendPage(reply, err.statusCode, tooManyPage({ lang }));
    // The case workflow not answering in time is overload (a burst of check-ins), and PostgreSQL or
    // Temporal away is an outage, not a fault: 503, so ops can tell them apart and the family's retry
    // works once they are back. The report may still be recorded; a retry then shows it answered.
    const status = err instanceof TimeoutError || isUnavailable(err) ? 503 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) log({ level: 'error', event: 'checkin_failed', route: req.routeOptions.url ?? '(no route)', ...(c.caseId ? { caseId: c.caseId } : {}), error: err.name });
    if (status === 503) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return sendPage(reply, status, errorPage({ lang, ...(phone ? { phone } : {}) }));
  });

  // ---- probes ----------------------------------------------------------------------------

  app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const [pg, temporal] = await Promise.allSettled([
      withTimeout(sql`select 1`.execute(db), readinessTimeoutMs, timedOut('postgres')),
      withTimeout(checkTemporal(), readinessTimeoutMs, timedOut('temporal')),
    ]);
    const checks = { postgres: pg.status === 'fulfilled' ? 'ok' : 'failed', temporal: temporal.status === 'fulfilled' ? 'ok' : 'failed' };
    const ready = checks.postgres === 'ok' && checks.temporal === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  });

  // ---- metrics ---------------------------------------------------------------------------

  const metricsToken = config.metricsAuthToken ? Buffer.from(`Bearer ${config.metricsAuthToken}`) : undefined;
  /** Scrapes that arrive together share one read of the database. */
  let reading: Promise<CaseMetrics> | undefined;
  const readMetrics = () =>
    (reading ??= withTimeout(readCaseMetrics(db), readinessTimeoutMs, timedOut('metrics')).finally(() => {
      reading = undefined;
    }));

  const metricsLimit = config.metricsLimit ?? { max: 60, timeWindowMs: 60_000 };
  app.get('/metrics', { config: { rateLimit: { max: metricsLimit.max, timeWindow: metricsLimit.timeWindowMs } } }, async (req, reply) => {
    if (metricsToken) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer').type('text/plain; charset=utf-8').send('unauthorized\n');
      }
    }
    let families;
    try {
      families = [...caseMetricFamilies(await readMetrics()), databaseUpFamily(true)];
    } catch (err) {
      log({ level: 'warn', event: 'metrics_failed', route: '/metrics', error: (err as Error).name });
      families = [databaseUpFamily(false)];
    }
    // Counted in onResponse: this scrape shows up in the next one.
    families.push(requests.family());
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderFamilies(families));
  });

  // ---- check-in --------------------------------------------------------------------------

  const tokenKey = (req: FastifyRequest): string => {
    const token = (req.params as { token?: string }).token ?? '';
    return `${createHash('sha256').update(token).digest('base64url').slice(0, 22)}|${req.ip}`;
  };
  const limit = (s: RateLimitSetting) => ({ max: s.max, timeWindow: s.timeWindowMs, keyGenerator: tokenKey });

  interface Link {
    caseId: string;
    checkinId: number;
    lang: PageLanguage;
    timeZone: string;
  }

  /** The treating team's 24/7 number, when the case can say it quickly: for pages that are not the form. */
  const teamPhoneOf = async (caseId: string): Promise<string | undefined> => {
    const status = await withTimeout(getCaseStatus(caseId), Math.min(workflowTimeoutMs, 5_000), timedOut('status')).catch(() => undefined);
    return status?.monitoring?.protocol.team?.phone24h || undefined;
  };

  /** Verifies the link and finds the family; sends the page that explains why not, or returns it. */
  async function verifyLink(req: TokenRequest, reply: FastifyReply): Promise<Link | undefined> {
    const c = context(req);
    const verdict = links.verify(req.params.token, now());
    if (!verdict.ok && verdict.reason !== 'expired') {
      sendPage(reply, 400, invalidLinkPage({ lang: fallbackLanguage(req) }));
      return undefined;
    }
    const claims = verdict.ok ? verdict : verdict.claims;
    c.caseId = claims.caseId;
    const contact = await loadFamilyContact(db, claims.caseId);
    const lang = contact ? pageLanguage(contact.language) : fallbackLanguage(req);
    c.lang = lang;

    if (!verdict.ok) {
      // Expired: say so in the family's language, with the team's number when the case still answers.
      const phone = await teamPhoneOf(claims.caseId);
      if (phone) c.phone = phone;
      sendPage(reply, 410, closedPage({ lang, ...(phone ? { phone } : {}) }));
      return undefined;
    }
    return { caseId: claims.caseId, checkinId: claims.checkinId, lang, timeZone: timeZoneOf(contact) };
  }

  /** Where the check-in stands (the case's status); sends the page when it is not open, or returns it. */
  async function openView(req: TokenRequest, reply: FastifyReply, link: Link): Promise<CheckinView | undefined> {
    let status: CaseStatus;
    try {
      status = await withTimeout(getCaseStatus(link.caseId), workflowTimeoutMs, timedOut('status'));
    } catch (err) {
      if (err instanceof CaseNotFoundError) {
        sendPage(reply, 410, closedPage({ lang: link.lang }));
        return undefined;
      }
      throw err;
    }
    const view = checkinView(status, link.checkinId);
    if (view.phone) context(req).phone = view.phone;
    return showOpen(reply, view, link.lang) ? view : undefined;
  }

  /** Sends the page for a check-in that is not open; true when it is open. */
  function showOpen(reply: FastifyReply, view: CheckinView, lang: PageLanguage): boolean {
    const ctx = { lang, ...(view.phone ? { phone: view.phone } : {}) };
    switch (view.kind) {
      case 'open':
        return true;
      case 'answered':
        sendPage(reply, 409, answeredPage({ ...ctx, ...(view.checkin.tier ? { tier: view.checkin.tier } : {}) }));
        return false;
      case 'upcoming':
        sendPage(reply, 409, upcomingPage(ctx));
        return false;
      case 'closed':
        sendPage(reply, 410, closedPage(ctx));
        return false;
    }
  }

  app.get<{ Params: { token: string } }>('/checkin/:token', { config: { rateLimit: limit(config.checkinGetLimit ?? { max: 60, timeWindowMs: 60_000 }) } }, async (req, reply) => {
    const link = await verifyLink(req, reply);
    const view = link && (await openView(req, reply, link));
    if (!link || !view) return reply;
    const { lang, timeZone } = link;
    return sendPage(
      reply,
      200,
      formPage({
        lang,
        timeZone,
        values: emptyCheckinForm(now(), timeZone),
        ...(view.phone ? { phone: view.phone } : {}),
        ...(view.kind === 'open' ? { day: view.checkin.day } : {}),
      }),
    );
  });

  // A report goes straight to the case: the workflow's Update accepts it only for an open check-in
  // and refuses it otherwise, so the status is asked for only to draw a page that is not the result
  // (the form again, or where the check-in stands). On the way that matters, one call to Temporal.
  app.post<{ Params: { token: string } }>('/checkin/:token', { config: { rateLimit: limit(config.checkinPostLimit ?? { max: 10, timeWindowMs: 60_000 }) } }, async (req, reply) => {
    const link = await verifyLink(req, reply);
    if (!link) return reply;
    const { caseId, checkinId, lang, timeZone } = link;
    const values = readCheckinForm(req.body);
    const showForm = async (problems: FieldProblems) => {
      const view = await openView(req, reply, link);
      if (!view) return reply;
      return sendPage(reply, 400, formPage({ lang, timeZone, values, problems, ...(view.phone ? { phone: view.phone } : {}), ...(view.kind === 'open' ? { day: view.checkin.day } : {}) }));
    };

    const form = reportFromForm(values, { timeZone, nowMs: now() });
    if (!form.ok) return showForm(form.problems);

    let outcome: CheckinOutcome;
    try {
      outcome = await withTimeout(submitCheckin({ caseId, checkinId, report: form.report }), workflowTimeoutMs, timedOut('submit'));
    } catch (err) {
      if (err instanceof InputError) return showForm(problemsFromWorkflow(err));
      if (err instanceof CaseNotFoundError) return sendPage(reply, 410, closedPage({ lang }));
      if (err instanceof ActionRefusedError) {
        // Not open (answered, closed, not yet due, or the case is over): nothing was recorded;
        // show where it stands (closed, if the case cannot say).
        const view = await openView(req, reply, link).catch(() => {
          sendPage(reply, 410, closedPage({ lang }));
          return undefined;
        });
        if (!view) return reply;
        return sendPage(reply, 409, errorPage({ lang, ...(view.phone ? { phone: view.phone } : {}) }));
      }
      // Anything else: the error page must still say whom to call.
      const phone = await teamPhoneOf(caseId);
      if (phone) context(req).phone = phone;
      throw err;
    }
    // The workflow's answer names the number to call (the protocol's 24/7 phone, if it has one).
    const teamPhone = outcome.teamPhone?.trim();
    if (teamPhone) context(req).phone = teamPhone;
    return sendPage(reply, 200, resultPage({ lang, tier: outcome.tier, ...(teamPhone ? { phone: teamPhone } : {}) }));
  });

  // ---- JSON API ---------------------------------------------------------------------------

  if (deps.staff) {
    const { actions, accounts, temporalUi } = deps.staff;
    const throttle = createLoginThrottle(db, deps.staff.loginLimits, now);
    const note = (req: FastifyRequest, fields: { caseId?: string; userId?: number }) => {
      const c = context(req);
      if (fields.caseId) c.caseId = fields.caseId;
      if (fields.userId) c.userId = fields.userId;
    };
    const onError = (req: FastifyRequest, err: Error) => {
      const c = context(req);
      log({ level: 'error', event: 'api_failed', route: req.routeOptions.url ?? '(no route)', ...(c.caseId ? { caseId: c.caseId } : {}), error: err.name });
    };
    await app.register(apiPlugin, { prefix: '/api', actions, accounts, throttle, workflowTimeoutMs, now, note, onError });
    await app.register(consolePlugin, { prefix: '/console', actions, accounts, throttle, workflowTimeoutMs, now, note, onError, db, ...(temporalUi ? { temporalUi } : {}) });
    app.get('/', async (_req, reply) => reply.redirect('/console/', 303));
  }

  // ---- codec ------------------------------------------------------------------------------

  if (deps.codec) {
    const handler = deps.codec.handler;
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: '/codec/*',
      // The codec handler reads the raw body itself: take the request over before Fastify parses it.
      onRequest: async (req, reply) => {
        reply.hijack();
        const res = reply.raw;
        // Logged by the onResponse hook like every other request (route /codec/*, status).
        try {
          if (!(await handler(req.raw, res))) {
            res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
            res.end(JSON.stringify({ error: 'not found' }));
          }
        } catch (err) {
          log({ level: 'error', event: 'codec_failed', route: '/codec/*', error: (err as Error).name });
          if (!res.headersSent) {
            res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
            res.end(JSON.stringify({ error: 'internal error' }));
          } else res.destroy();
        }
      },
      handler: async () => undefined,
    });
  }

  return app;
}

/** The path of a `__proto__` key, or of a `constructor` holding `prototype`, anywhere in a parsed JSON value. */
function prototypeKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, v] of Object.entries(value)) {
    const here = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (key === '__proto__' || (key === 'constructor' && v !== null && typeof v === 'object' && Object.hasOwn(v, 'prototype'))) return here;
    const deeper = prototypeKey(v, here);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

function timeZoneOf(contact: FamilyContact | undefined): string {
  const tz = contact?.timeZone;
  if (tz) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return tz;
    } catch {
      // fall through
    }
  }
  return 'UTC';
}

/** The workflow re-validates a report; its field names are the report's, like parseCheckinReport's. */
function problemsFromWorkflow(err: InputError): FieldProblems {
  const problems: FieldProblems = {};
  for (const f of err.fields) {
    const [field, problem] = formProblemOf(f);
    problems[field] ??= problem;
  }
  if (Object.keys(problems).length === 0) problems.notes = 'other';
  return problems;
}
