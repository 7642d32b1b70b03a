// The HTTP server: what every door shares (security headers, the request log, JSON bodies, error
// pages, liveness and readiness, metrics) and the doors themselves as plugins:
//
//   GET  /healthz               200 {status:"ok"} while the process runs
//   GET  /readyz                200, or 503 naming what failed: Postgres (select 1), Temporal
//   GET  /metrics               Prometheus text (prom-client): case counts from Postgres, requests (metrics.ts)
//   *    /checkin/:token        the families' check-in pages (checkin.ts)
//   *    /upload/:token         the families' records page (records.ts), only with deps.records;
//                               /upload/:token/tus its resumable uploads (resumable.ts)
//   *    /packet/:token         a hospital's packet page (packet.ts), only with deps.packets
//   *    /translation/:token    the translator's page (translation.ts), only with deps.records
//   *    /api/...               the JSON API for signed-in staff (api.ts), only with deps.staff
//   *    /console/...           the staff console (console/routes.ts), only with deps.staff
//   *    /codec/encode|decode   codec server (codec/codec-server.ts), only when deps.codec is set
//
// Tokens are bearer secrets in the URL path: nothing here logs a URL, a token or form content.
// Logs go through Fastify's own logger, pino, built by common/logging.ts (the worker's shape and
// allowlist): each response is one JSON line with time, level, msg, component "http", event,
// method, route pattern, status, case id, account id and ms (RequestLog, below).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream/promises';
import Fastify, { errorCodes, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/connect.ts';
import type { CaseStatus } from '../../domain/case.ts';
import type { CheckinOutcome } from '../../domain/monitoring.ts';
import { InputError } from '../../domain/validation.ts';
import type { CheckinLinks } from '../../common/checkin-link.ts';
import type { CodecHandler } from '../../codec/codec-server.ts';
import type { CaseActions } from '../actions.ts';
import { checkinPlugin, type CheckinSubmission } from './checkin.ts';
import { recordsPlugin, type RecordsPluginOptions } from './records.ts';
import { packetPlugin, type PacketPluginOptions } from './packet.ts';
import { translationPlugin } from './translation.ts';
import { errorPage, notFoundPage, STYLE_HASH, tooManyPage } from './pages.ts';
import { PAGE_LANGUAGES, languageFromHeader, type PageLanguage } from './texts.ts';
import { createHttpMetrics, readCaseMetrics } from './metrics.ts';
import { createLogger, type LineWriter, type Logger } from '../../common/logging.ts';
import { apiPlugin } from './api.ts';
import { consolePlugin } from './console/routes.ts';
import { createLoginThrottle, createSite, type LoginLimits } from './auth.ts';
import type { Accounts } from '../accounts.ts';
import { createAccessLog, type AccessEntry } from '../access-log.ts';
import type { Mailer } from '../../activities/mailer.ts';
import { TimeoutError, withTimeout } from '../../common/timeout.ts';
import { isUnavailable, RETRY_AFTER_SECONDS } from '../unavailable.ts';

export type HttpLogEvent =
  | 'request'
  | 'request_failed'
  | 'checkin_failed'
  | 'codec_failed'
  | 'codec_used'
  | 'uploads_expired'
  | 'case_not_told'
  | 'code_not_sent'
  | 'access_not_logged'
  | 'metrics_failed'
  | 'api_failed'
  | 'admin_created'
  | 'no_accounts'
  | 'accounts_failed'
  | 'listening'
  | 'stopping'
  | 'stopped';

/** What the HTTP server's lines may carry besides time, level and msg (anything else is dropped: common/logging.ts). */
export interface HttpLogFields {
  method?: string;
  /** The route pattern (`/checkin/:token`), never the URL. */
  route?: string;
  status?: number;
  caseId?: string;
  /** The signed-in staff account (API requests): its id, never its email. */
  userId?: number;
  /** An error: logged as its class name (`error`), failure type and code, never its message (it may quote what the family typed). */
  error?: unknown;
  ms?: number;
  address?: string;
  /** codec_used: encode or decode, how the caller signed in, the namespace it named, how many payloads. */
  kind?: 'encode' | 'decode';
  via?: 'session' | 'api-token' | 'codec-token';
  namespace?: string;
  size?: number;
}

/** One line of the HTTP server's log as JSON.parse reads it. Fastify's own few lines (it is listening) have no event. */
export interface HttpLogLine extends Omit<HttpLogFields, 'error'> {
  time: string;
  level: 'info' | 'warn' | 'error';
  msg: string;
  component: 'http';
  event?: HttpLogEvent;
  error?: string;
  errorType?: string;
  errorCode?: string | number;
}

/** The HTTP server's pino logger at INFO: every line with component "http", through the allowlist. Default: standard output. */
export function createHttpLogger(write?: LineWriter): Logger {
  return createLogger({ level: 'INFO', ...(write ? { write } : {}) }).child({ component: 'http' });
}

/**
 * Tells the case what an outside party did beside doing it (files stored, a packet opened): their
 * part is kept whatever the case answers, and a case not told is a logged warning. True when told.
 */
export function tellCase(log: FastifyBaseLogger, caseId: string, telling: Promise<unknown>): Promise<boolean> {
  return telling.then(
    () => true,
    (err: unknown) => {
      logEvent(log, 'warn', 'case_not_told', { caseId, error: err });
      return false;
    },
  );
}

/** A line about something other than a request answered: the event names it, as field and message. */
export function logEvent(logger: FastifyBaseLogger, level: 'info' | 'warn' | 'error', event: HttpLogEvent, fields: HttpLogFields = {}): void {
  logger[level]({ event, ...fields }, event);
}

const routeOf = (req: FastifyRequest): string => req.routeOptions.url ?? '(no route)';

/**
 * Fastify's per-request lines in this server's shape: one line per request, once it is answered,
 * with its route pattern, status, time and the ids of the case and account it was about. Fastify's
 * own lines would name the URL (which holds a family's token) and use an error's message as the
 * line's message.
 */
class RequestLog extends LogController {
  readonly #context: (req: FastifyRequest) => RequestContext | undefined;

  constructor(context: (req: FastifyRequest) => RequestContext | undefined) {
    super();
    this.#context = context;
  }

  override incomingRequest(): void {}

  override requestCompleted(err: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const c = this.#context(req);
    const route = routeOf(req);
    const fields: HttpLogFields = { method: req.method, route, status: reply.statusCode, caseId: c?.caseId, userId: c?.userId, ms: Math.round(reply.elapsedTime), error: err ?? undefined };
    // Fields left undefined are not written.
    reply.log[err ? 'error' : 'info']({ event: 'request', ...fields }, `${req.method} ${route} ${reply.statusCode}`);
  }

  // Only Fastify's default not-found handler calls this: the server has its own, and the request line says 404.
  override routeNotFound(): void {}

  // An error that got past the server's error handlers: its class name, never its message.
  override defaultErrorLog(err: Error, req: FastifyRequest, reply: FastifyReply): void {
    logEvent(reply.log, reply.statusCode >= 500 ? 'error' : 'info', 'request_failed', { route: routeOf(req), status: reply.statusCode, error: err });
  }

  override writeHeadError(err: Error, req: FastifyRequest, reply: FastifyReply): void {
    logEvent(reply.log, 'warn', 'request_failed', { route: routeOf(req), error: err });
  }
}

export interface RateLimitSetting {
  max: number;
  timeWindowMs: number;
}

export interface HttpServerConfig {
  /** Where people reach the service (APP_BASE_URL): https makes cookies Secure and adds HSTS. Default http://localhost. */
  publicUrl?: string;
  /** Behind reverse proxies: how many, or their addresses (config.ts TRUST_PROXY); never every hop. */
  trustProxy?: number | string[];
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
  actions: Pick<CaseActions, 'status' | 'submitCheckin' | 'familyContact' | 'act' | 'filesUploaded'>;
  db: Db;
  /** Verifies the families' link tokens (common/checkin-link.ts createCheckinLinks). */
  links: Pick<CheckinLinks, 'verify' | 'verifyFiles' | 'verifyTranslation'>;
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
  /** Where the JSON log lines go (one string per line). Default: standard output. */
  log?: LineWriter;
  /** The families' records page (records.ts) at /upload, when given. */
  records?: Pick<RecordsPluginOptions, 'documents' | 'uploads' | 'maxFileBytes'>;
  /** Hospitals' packet pages (packet.ts) at /packet, when given: the codes go out through `mailer`. */
  packets?: Pick<PacketPluginOptions, 'packets' | 'documents' | 'links' | 'mailer' | 'logAccess'>;
  /** What staff use, when given: the JSON API (api.ts) at /api and the console (console/routes.ts) at /console. */
  staff?: {
    actions: CaseActions;
    accounts: Accounts;
    loginLimits?: Partial<LoginLimits>;
    /** Where the console links each case's workflow, e.g. http://localhost:8233 and namespace default. */
    temporalUi?: { url: string; namespace: string };
    /** Sends staff their password links (the worker's mail server). */
    mailer?: Mailer;
  };
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
export interface RequestContext {
  caseId?: string;
  userId?: number;
  lang?: PageLanguage;
  phone?: string;
}

/** What every outside party's pages share (familyPages below): the clock, limits per link and address, what the request learned, the page's shell. */
export interface OutsidePageOptions {
  now: () => number;
  /** Per token and client address. */
  getLimit: RateLimitSetting;
  postLimit: RateLimitSetting;
  /** What the request learned, for its log line and the server's error page (caseId, language, phone). */
  context: (req: FastifyRequest) => RequestContext;
  sendPage: (reply: FastifyReply, status: number, html: string) => FastifyReply;
  fallbackLanguage: (req: FastifyRequest) => PageLanguage;
}

export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const { db, links, client } = deps;
  const config = deps.config ?? {};
  const now = deps.now ?? Date.now;
  const logger = createHttpLogger(deps.log);
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
  const metrics = createHttpMetrics({
    read: () => withTimeout(readCaseMetrics(db), readinessTimeoutMs, timedOut('metrics')),
    onReadFailed: (err) => logEvent(logger, 'warn', 'metrics_failed', { route: '/metrics', error: err }),
  });

  const trusted = config.trustProxy;
  const app = Fastify({
    // pino, whose every line passes the allowlist (common/logging.ts); the request lines are RequestLog's.
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLog((req) => contexts.get(req)),
    // A hop count as proxy-addr counts it: the peer is hop 0, so n proxies are hops 0 to n-1.
    trustProxy: typeof trusted === 'number' ? (_address: string, hop: number) => hop < trusted : (trusted ?? false),
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A check-in token is at most 256 characters: a longer one gets the family's page that says the
    // link is not valid, not the router's 414. (Under routerOptions: at the top level Fastify 5.12
    // warns on standard error, a line that is not JSON.)
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

  // Served over https: browsers are told never to try plain http here again (a year).
  const headers = new URL(config.publicUrl ?? 'http://localhost').protocol === 'https:' ? { ...SECURITY_HEADERS, 'Strict-Transport-Security': 'max-age=31536000' } : SECURITY_HEADERS;
  app.addHook('onSend', async (_req, reply, payload) => {
    // A page may bring its own policy (the console's stylesheet differs from the family pages').
    for (const [name, value] of Object.entries(headers)) if (!reply.hasHeader(name)) reply.header(name, value);
    return payload;
  });
  // Fastify reads no body for GET or HEAD, so a route answered with the body still unread: on a
  // connection the client asked to close, Node then closes the socket with those bytes pending, and
  // the kernel resets it, dropping what of the answer it had not sent yet (the 220 KB OpenAPI
  // document never arrived). Such a body is read and thrown away first, within the same limit.
  app.addHook('preValidation', async (req) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)) await discardBody(req.raw, req.routeOptions.bodyLimit);
  });
  // Counted once answered (logged then too, by RequestLog).
  app.addHook('onResponse', async (req, reply) => {
    metrics.countRequest(routeOf(req), reply.statusCode);
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
    if (status >= 500) logEvent(req.log, 'error', 'checkin_failed', { route: routeOf(req), caseId: c.caseId, error: err });
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
  const metricsLimit = config.metricsLimit ?? { max: 60, timeWindowMs: 60_000 };
  app.get('/metrics', { config: { rateLimit: { max: metricsLimit.max, timeWindow: metricsLimit.timeWindowMs } } }, async (req, reply) => {
    if (metricsToken) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer').type('text/plain; charset=utf-8').send('unauthorized\n');
      }
    }
    // Without Postgres: case_metrics_database_up 0 and the request counts. This scrape is counted
    // once answered: it shows up in the next one.
    return reply.type(metrics.contentType).send(await metrics.scrape());
  });

  // ---- the families' pages: check-in and records ----------------------------------------

  // What both kinds of family page share: the link, the family, the clock, the limits per link and address, the page's shell.
  const familyPages = {
    links,
    familyContact: (caseId: string) => deps.actions.familyContact(caseId),
    now,
    getLimit: config.checkinGetLimit ?? { max: 60, timeWindowMs: 60_000 },
    postLimit: config.checkinPostLimit ?? { max: 10, timeWindowMs: 60_000 },
    context,
    sendPage,
    fallbackLanguage,
  };
  await app.register(checkinPlugin, { ...familyPages, workflowTimeoutMs, getCaseStatus, submitCheckin });
  // One access log for every door: staff reads (the API and the console), the hospitals' and the translator's pages.
  const accessLog = createAccessLog(db);
  const logAccess = (entry: unknown) => accessLog.record(entry as AccessEntry);

  if (deps.records) {
    await app.register(recordsPlugin, {
      ...familyPages,
      ...deps.records,
      getCaseStatus,
      approveSharing: (caseId, hospitalCode) => withTimeout(deps.actions.act(caseId, 'approveSharing', { hospitalCode, actor: 'family' }), workflowTimeoutMs, timedOut('approve')),
      recordConsent: (caseId, consent) => withTimeout(deps.actions.act(caseId, 'recordConsent', { consent, actor: 'family' }), workflowTimeoutMs, timedOut('consent')),
      filesUploaded: (caseId, fileIds) => withTimeout(deps.actions.filesUploaded(caseId, fileIds, 'family'), workflowTimeoutMs, timedOut('files')),
    });
    // The translator's door, over the same vault.
    await app.register(translationPlugin, {
      ...familyPages,
      documents: deps.records.documents,
      maxFileBytes: deps.records.maxFileBytes,
      getCaseStatus,
      logAccess,
      completeTranslation: (caseId, documentType, requestId) => withTimeout(deps.actions.act(caseId, 'completeTranslation', { documentType, actor: 'translator' }, { requestId }), workflowTimeoutMs, timedOut('translation')),
    });
  }

  if (deps.packets) {
    await app.register(packetPlugin, {
      ...familyPages,
      logAccess,
      ...deps.packets,
      https: new URL(config.publicUrl ?? 'http://localhost').protocol === 'https:',
      getCaseStatus: (caseId) => withTimeout(getCaseStatus(caseId), workflowTimeoutMs, timedOut('status')),
      act: (caseId, action, actor, requestId) => withTimeout(deps.actions.act(caseId, action.name, { ...action.args, actor }, { requestId }), workflowTimeoutMs, timedOut(action.name)),
    });
  }

  // ---- JSON API ---------------------------------------------------------------------------

  if (deps.staff) {
    const { actions, accounts, temporalUi, mailer } = deps.staff;
    const throttle = createLoginThrottle(db, deps.staff.loginLimits, now);
    const site = createSite(config.publicUrl ?? 'http://localhost');
    const note = (req: FastifyRequest, fields: { caseId?: string; userId?: number }) => {
      const c = context(req);
      if (fields.caseId) c.caseId = fields.caseId;
      if (fields.userId) c.userId = fields.userId;
    };
    const onError = (req: FastifyRequest, err: Error) => {
      const c = context(req);
      logEvent(req.log, 'error', 'api_failed', { route: routeOf(req), caseId: c.caseId, error: err });
    };
    await app.register(apiPlugin, { prefix: '/api', actions, accounts, accessLog, throttle, site, workflowTimeoutMs, now, note, onError, ...(deps.records ? { documents: deps.records.documents } : {}) });
    await app.register(consolePlugin, { prefix: '/console', actions, accounts, accessLog, throttle, site, workflowTimeoutMs, now, note, onError, ...(temporalUi ? { temporalUi } : {}), ...(mailer ? { mailer } : {}), ...(deps.records ? { documents: deps.records.documents } : {}) });
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
          logEvent(req.log, 'error', 'codec_failed', { route: '/codec/*', error: err });
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

/** Reads a body no route takes to its end; past the route's limit, Fastify's 413 (as for a body a route takes). */
async function discardBody(body: IncomingMessage, limit: number): Promise<void> {
  if (Number(body.headers['content-length']) > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
  let size = 0;
  const tooLarge = new AbortController();
  body.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) tooLarge.abort();
  });
  try {
    await finished(body, { signal: tooLarge.signal });
  } catch (err) {
    if (tooLarge.signal.aborted) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    // As Fastify answers a body that could not be read (the client went away): 400, not a fault.
    throw Object.assign(err as Error, { statusCode: 400 });
  }
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
