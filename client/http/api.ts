// The JSON API under /api/: the same actions and reads as casectl, through the same action layer
// (client/actions.ts), for signed-in staff. A Fastify plugin, registered by server.ts.
//
//   POST   /api/session                         sign in {email, password} → cookie `sid` + {csrfToken}
//   GET    /api/session                         who is signed in (and the session's CSRF token)
//   DELETE /api/session                         sign out
//   GET    /api/cases?stage=&hospital=&alert=&page=&pageSize=   cases, those needing attention first
//   POST   /api/cases/search                    the same, with {search} (a case id or family name) in the body
//   POST   /api/cases                           open a case (the case.json of casectl case open)
//   GET    /api/cases/:caseId                   status; /emails, /timeline and /access-log beside it
//   POST   /api/cases/:caseId/actions/:action   every action of domain/actions.ts but submitCheckin
//   POST   /api/cases/:caseId/clinical          a clinical observation (the JSON of casectl checkin clinical)
//   POST   /api/cases/:caseId/alerts/:alertId/ack
//   GET    /api/cases/:caseId/documents         a case's files; /:fileId the file itself, /:fileId/accept and /reject
//   GET    /api/hospitals, POST /api/hospitals
//   GET    /api/openapi.json                    OpenAPI 3.1, built from the routes (openapi.ts)
//
// Auth: the `sid` session cookie (then every request but GET needs `X-CSRF-Token`, the token the
// sign-in answered with) or `Authorization: Bearer <API token>` (casectl user token). Roles:
// coordinator everything; clinician reads, clinical observations and alert acknowledgements; ops
// reads. The actor of every action is the signed-in account's email. Every read of a case (its
// status, emails, timeline, files, a file, its access log) is answered only once the access log
// has its entry (client/access-log.ts): the account, the client's address (req.ip, as TRUST_PROXY
// has it), what was read.
//
// Errors are JSON {error, ...}: 400 {fields:[{field, message}]} a request the document does not
// allow, 401 not signed in, 403 wrong role or CSRF token, 404 unknown case, 405 (with Allow) a method
// the path does not have, 409 {reason} a request the document allows but the state refuses (the
// case's step, a hospital not registered, a code taken), 413 too large, 415 not JSON, 429 too many
// failed sign-ins, 503 the case worker did not answer in time, or PostgreSQL or Temporal are away.
//
// Validation happens once, in zod: each route parses its input with the schemas its document is
// generated from (openapi.ts), so that what the document allows is what the route accepts.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteOptions } from 'fastify';
import { z } from 'zod';
import { isFileId } from '../../domain/files.ts';
import { ACCESS_ACTIONS, ACCESS_PARTIES } from '../../domain/access.ts';
import { caseIdSchema, documentTypeSchema, hospitalCodeSchema, isCaseId, openCaseSchema, STAGES } from '../../domain/case.ts';
import { acceptFile, FileNotFound, rejectFile, type Documents } from '../documents.ts';
import { sendDownload } from './download.ts';
import { StoreUnavailable } from '../../activities/vault/store.ts';
import { actionAccess, actionSchema, actionSummary, mayAccess, ROLES, staffActions, type Access, type StaffAction } from '../../domain/actions.ts';
import { observationSchema } from '../../domain/crs.ts';
import { InputError, parseInput, secretTextSchema, trimmedClass } from '../../domain/validation.ts';
import { hospitalSchema, requestIdSchema, type ActOptions, type CaseActionName, type CaseActions } from '../actions.ts';
import { ActionRefusedError, CaseNotFoundError } from '../case-calls.ts';
import { listFilterSchema, READ_WAIT_MS } from '../reads.ts';
import { emailSchema, type Accounts, type User } from '../accounts.ts';
import { readCookie, sameToken, SESSION_COOKIE, signIn, type LoginThrottle, type Site } from './auth.ts';
import { doc, jsonSchema, openApiDocument, type JsonSchema, type Provides } from './openapi.ts';
import { withTimeout } from '../../common/timeout.ts';
import { isUnavailable, RETRY_AFTER_SECONDS, UnavailableError } from '../unavailable.ts';
import { accessLogQuerySchema, type AccessAction, type AccessDetail, type AccessLog } from '../access-log.ts';

/** The actions the API serves: every staff action of domain/actions.ts, each at POST /api/cases/:caseId/actions/:action. */
export type ApiAction = StaffAction;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call an /api route (api.ts). */
    access?: Access;
  }
}

/** What an action's body looks like, where the summary alone does not say. */
const BODY_HINT: Partial<Record<ApiAction, string>> = {
  submitToHospitals: ': {"hospitals": ["HKU"]}',
  recordClinical: ': {"observation": {...}}',
};

export interface ApiOptions {
  actions: CaseActions;
  accounts: Accounts;
  /** Failed sign-ins, shared with the console. */
  throttle: LoginThrottle;
  site: Site;
  /** How long an action or status waits for the case workflow. Default 20 s. */
  workflowTimeoutMs?: number;
  now?: () => number;
  /** Tells the request log which case and account a request was about (ids only). */
  note?: (req: FastifyRequest, fields: { caseId?: string; userId?: number }) => void;
  /** Called for unexpected errors (answered 500); must log the error's class name only. */
  onError?: (req: FastifyRequest, err: Error) => void;
  /** A case's files (the vault); without it, the /documents routes are not served. */
  documents?: Documents;
  /** Where every read of a case is recorded before it is answered. */
  accessLog: AccessLog;
}

/** A refusal with its status, answered as {error}. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
  }
}

/**
 * The action layer refused input the document allows, because of the state of things (a hospital that
 * is not registered, a code already taken): 409 with the reason, and the fields it names.
 */
class StateConflict extends Error {
  readonly fields: InputError['fields'];
  constructor(err: InputError) {
    super(err.message);
    this.name = 'StateConflict';
    this.fields = err.fields;
  }
}

/** Runs an action whose input the route has already parsed: an InputError now is the state's, not the request's. */
async function stateful<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof InputError ? new StateConflict(err) : err;
  }
}

interface Principal {
  user: User;
  via: 'session' | 'token';
  sessionToken?: string;
  csrfToken?: string;
}

// ---- the schemas each route parses with, and documents (openapi.ts) -----------------------------

/** emailSchema trims and lowercases before it checks: the document says so (an address of at most 254 characters once trimmed). */
const loginEmailDoc: JsonSchema = (() => {
  const address = String(jsonSchema(z.email()).pattern).replace(/^\^|\$$/g, '');
  const space = trimmedClass();
  const notSpace = space.replace('[', '[^');
  return {
    type: 'string',
    description: 'an email address, of at most 254 characters once trimmed (letter case does not matter)',
    pattern: `^${space}*${address}${space}*$`,
    allOf: [{ pattern: `^${space}*${notSpace}{1,254}${space}*$` }],
  };
})();
const loginSchema = z
  .object({
    email: emailSchema.meta(loginEmailDoc),
    password: secretTextSchema(1, 1024),
    code: secretTextSchema(1, 64).optional().meta({ description: 'the code from the account\'s authenticator app, or one of its recovery codes' }),
  })
  .strict();
// Names never go in a URL: searching is POST /cases/search.
const listQuerySchema = listFilterSchema.omit({ search: true });
const submitBodySchema = z
  .object({ hospitals: z.array(hospitalCodeSchema()).min(1, 'name at least one hospital').max(20, 'at most 20 hospitals at once').meta({ uniqueItems: true }) })
  .strict()
  .refine((b) => new Set(b.hospitals).size === b.hospitals.length, { message: 'names a hospital twice', path: ['hospitals'] });
// zod writes a preprocessed schema (observationSchema is one) as optional; parsing needs the observation.
const recordClinicalBodySchema = z.object({ observation: observationSchema() }).strict().meta({ required: ['observation'] });

const anyObject: JsonSchema = { type: 'object', additionalProperties: true };
const caseIdParam = { caseId: jsonSchema(caseIdSchema()) };
const caseListSchema: JsonSchema = {
  type: 'object',
  properties: { cases: { type: 'array', items: { type: 'object', properties: { caseId: { type: 'string' } }, required: ['caseId'] } }, page: { type: 'integer' }, pageSize: { type: 'integer' }, total: { type: 'integer' } },
  required: ['cases', 'page', 'pageSize', 'total'],
};
/** What GET /cases/:caseId and most actions answer (CaseStatus), in the parts a client follows. */
const caseStatusSchema: JsonSchema = {
  type: 'object',
  properties: { caseId: { type: 'string' }, stage: { type: 'string', enum: [...STAGES] }, alerts: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } },
  required: ['caseId', 'stage', 'alerts'],
};
const accessRecordSchema: JsonSchema = {
  type: 'object',
  properties: {
    at: { type: 'string', format: 'date-time' },
    party: { type: 'string', enum: [...ACCESS_PARTIES] },
    actor: { type: 'string' },
    action: { type: 'string', enum: [...ACCESS_ACTIONS] },
    detail: { type: ['object', 'null'] },
    clientAddress: { type: ['string', 'null'] },
  },
  required: ['at', 'party', 'actor', 'action', 'detail', 'clientAddress'],
};
const openedSchema: JsonSchema = { type: 'object', properties: { caseId: jsonSchema(caseIdSchema()), created: { type: 'boolean' } }, required: ['caseId', 'created'] };
const userSchema: JsonSchema = { type: 'object', properties: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: [...ROLES] } }, required: ['email', 'name', 'role'] };
const sessionSchema: JsonSchema = { type: 'object', properties: { user: userSchema, csrfToken: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } }, required: ['user'] };

/** An answer that names its case: links to every operation on that case. */
const followCase: Provides = { caseId: '$response.body#/caseId' };

/**
 * A route's body in the document: its schema without the fields the route fills in itself (`filled`),
 * and whether it may be left out (the route then reads {}, which is a body some routes take).
 */
function bodyDoc(schema: z.ZodType, filled: Record<string, unknown> = {}): { body: JsonSchema; bodyOptional: boolean } {
  return { body: jsonSchema(schema, Object.keys(filled)), bodyOptional: schema.safeParse(filled).success };
}

/** The body of POST /cases/:caseId/actions/:action, as parsed and documented. */
function actionBody(name: ApiAction) {
  if (name === 'submitToHospitals') return bodyDoc(submitBodySchema);
  if (name === 'recordClinical') return bodyDoc(recordClinicalBodySchema);
  return bodyDoc(actionSchema(name), { actor: 'the.signed-in@account.example' });
}

/** What an action answers: the case's status, or (recordClinical) the observation's outcome. */
const actionAnswer = (name: ApiAction): JsonSchema => (name === 'recordClinical' ? anyObject : caseStatusSchema);

// ---- the plugin -----------------------------------------------------------------------------------

export async function apiPlugin(app: FastifyInstance, opts: ApiOptions): Promise<void> {
  const { actions, accounts, accessLog } = opts;
  const now = opts.now ?? Date.now;
  const { throttle, site } = opts;
  const workflowTimeoutMs = opts.workflowTimeoutMs ?? 20_000;
  const note = opts.note ?? (() => {});
  const principals = new WeakMap<FastifyRequest, Principal>();

  // zod validates (one place, the same messages as casectl); the routes' schemas only document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    // Fail closed: a route that does not say who may use it stops the server from starting.
    if ((route.config as { access?: Access } | undefined)?.access === undefined) throw new Error(`API route ${[route.method].flat().join(',')} ${route.url} has no access rule (config.access)`);
    // The routes of the document (and of Allow): not Fastify's HEAD twins of GET, nor the catch-all below.
    if (route.method !== 'HEAD' && !(Array.isArray(route.method) && route.method.includes('HEAD'))) routes.push(route);
  });

  // ---- auth ----

  app.addHook('onRequest', async (req) => {
    // Every route has its rule (onRoute above); none is the not-found handler's, which says only 404.
    const access = req.routeOptions.config.access ?? 'public';
    if (access === 'public') return;
    const principal = await authenticate(req);
    if (!principal) throw new ApiError(401, 'not signed in');
    principals.set(req, principal);
    note(req, { userId: principal.user.id });
    if (principal.via === 'session' && req.method !== 'GET' && req.method !== 'HEAD') {
      if (!sameToken(String(req.headers['x-csrf-token'] ?? ''), principal.csrfToken ?? '')) throw new ApiError(403, 'missing or wrong X-CSRF-Token header');
    }
    if (!mayAccess(principal.user.role, access)) throw new ApiError(403, `a ${principal.user.role} account may not do this`);
  });

  // Bodies are JSON: the server also reads forms (for the console and the check-in pages), which the API does not take.
  app.addHook('preParsing', async (req) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    const type = req.headers['content-type'];
    if (hasBody && !(type !== undefined && /^application\/json\s*(;|$)/i.test(type))) throw new ApiError(415, 'the body must be JSON, sent with Content-Type: application/json');
  });

  async function authenticate(req: FastifyRequest): Promise<Principal | undefined> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      const user = m ? await accounts.resolveApiToken(m[1]!) : undefined;
      return user ? { user, via: 'token' } : undefined;
    }
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!token) return undefined;
    const session = await accounts.getSession(token);
    return session ? { user: session.user, via: 'session', sessionToken: token, csrfToken: session.csrfToken } : undefined;
  }

  const principal = (req: FastifyRequest): Principal => {
    const p = principals.get(req);
    if (!p) throw new ApiError(401, 'not signed in');
    return p;
  };
  const actor = (req: FastifyRequest): string => principal(req).user.email;
  /** A read of a case by the signed-in account: answered once its access log entry is written. */
  const seen = <T>(req: FastifyRequest, caseId: string, action: AccessAction, read: () => Promise<T>, detail: AccessDetail = {}, release?: (answer: T) => void): Promise<T> =>
    accessLog.logged({ caseId, party: 'staff', actor: actor(req), action, detail: { via: 'api', ...detail }, clientAddress: req.ip }, read, release);

  // ---- errors ----

  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'no such API route' }));
  app.setErrorHandler((err: Error & { statusCode?: number; rateLimited?: boolean }, req, reply) => {
    if (err instanceof InputError) return reply.code(400).send({ error: err.message, fields: err.fields });
    if (err instanceof CaseNotFoundError || err instanceof FileNotFound) return reply.code(404).send({ error: err.message });
    if (err instanceof StoreUnavailable) return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error: 'the file store cannot be reached just now: try again shortly' });
    if (err instanceof ActionRefusedError) return reply.code(409).send({ error: `refused: ${err.message}`, reason: err.message });
    if (err instanceof StateConflict) return reply.code(409).send({ error: `refused: ${err.message}`, reason: err.message, fields: err.fields });
    if (err instanceof ApiError) {
      if (err.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer');
      return reply.code(err.statusCode).send({ error: err.message });
    }
    if (err.name === 'WorkflowTimeout') {
      return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error: 'the case worker did not answer in time; the action may still be applied: retry with the same Idempotency-Key to apply it once and get its answer' });
    }
    if (isUnavailable(err)) {
      const error = err instanceof UnavailableError ? err.message : 'the database or Temporal cannot be reached just now: try again shortly';
      return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own: a body that is not JSON, too large, an unsupported content type.
      return reply.code(err.statusCode).send({ error: err.message, ...(err.statusCode === 400 ? { fields: [{ field: '', message: err.message }] } : {}) });
    }
    opts.onError?.(req, err);
    return reply.code(500).send({ error: 'internal error' });
  });

  const timed = <T>(promise: Promise<T>): Promise<T> =>
    withTimeout(promise, workflowTimeoutMs, () => Object.assign(new Error('workflow timed out'), { name: 'WorkflowTimeout' }));

  // ---- session ----

  const userOut = (u: User) => ({ email: u.email, name: u.name, role: u.role });

  app.post(
    '/session',
    {
      config: { access: 'public' },
      schema: doc({
        operationId: 'signIn',
        summary: 'sign in: sets the HttpOnly session cookie `sid`; send the csrfToken as X-CSRF-Token on every request but GET',
        tags: ['session'],
        ...bodyDoc(loginSchema),
        success: { 200: sessionSchema },
        refusals: [401, 403, 429, 503],
      }),
    },
    async (req, reply: FastifyReply) => {
      if (site.crossSite(req)) throw new ApiError(403, 'sign in from this service\'s own pages: a sign-in from another site is refused');
      // What no account can match (an email with U+0000, say) is refused before the throttle stores it.
      const given = parseInput(loginSchema, req.body ?? {});
      const result = await signIn(accounts, throttle, given, req.ip);
      switch (result.outcome) {
        case 'wait':
          return reply.code(429).header('Retry-After', String(result.wait)).send({ error: 'too many failed sign-ins: try again later' });
        case 'wrong password':
          return reply.code(401).send({ error: 'wrong email or password' });
        case 'code needed':
          return reply.code(401).send({ error: 'this account signs in with a second factor: send the code from its authenticator app (or a recovery code) as "code"' });
        case 'wrong code':
          return reply.code(401).send({ error: 'wrong or already used code' });
        case 'set up':
          // The set-up shows a QR code: a page, not an API call.
          throw new ApiError(403, `this account must set up its second factor before it can sign in here: sign in to the console (/console/sign-in) first`);
      }
      const user = result.user;
      note(req, { userId: user.id });
      const session = await accounts.createSession(user.id);
      reply.header('Set-Cookie', site.cookie(req, session.token, Math.round((session.expiresAt.getTime() - now()) / 1000)));
      return reply.send({ user: userOut(user), csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() });
    },
  );

  app.get(
    '/session',
    { config: { access: 'read' }, schema: doc({ operationId: 'whoAmI', summary: 'who is signed in', tags: ['session'], success: { 200: sessionSchema }, refusals: [503] }) },
    async (req) => {
      const p = principal(req);
      return { user: userOut(p.user), ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}) };
    },
  );

  app.delete(
    '/session',
    {
      config: { access: 'read' },
      schema: doc({ operationId: 'signOut', summary: 'sign out: ends the session (an API token has none to end: 409)', tags: ['session'], success: { 204: null }, refusals: [409, 503], sessionOnly: true }),
    },
    async (req, reply: FastifyReply) => {
      const p = principal(req);
      if (p.via !== 'session' || !p.sessionToken) throw new StateConflict(new InputError([{ field: 'Authorization', message: 'signed in with an API token: there is no session to end' }]));
      await accounts.deleteSession(p.sessionToken);
      return reply.code(204).header('Set-Cookie', site.cookie(req, '', 0)).send();
    },
  );

  // ---- hospitals ----

  app.get(
    '/hospitals',
    { config: { access: 'read' }, schema: doc({ operationId: 'listHospitals', summary: 'the hospitals', tags: ['hospitals'], success: { 200: { type: 'array', items: anyObject } }, refusals: [503] }) },
    async () => actions.listHospitals(),
  );

  app.post(
    '/hospitals',
    {
      config: { access: 'coordinate' },
      schema: doc({
        operationId: 'addHospital',
        summary: 'add a hospital (409 when its code is taken)',
        tags: ['hospitals'],
        ...bodyDoc(hospitalSchema),
        success: { 201: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } },
        refusals: [409, 503],
        provides: { hospitalCode: '$response.body#/code' },
      }),
    },
    async (req, reply: FastifyReply) => {
      const hospital = parseInput(hospitalSchema, req.body ?? {});
      return reply.code(201).send(await stateful(() => actions.addHospital(hospital)));
    },
  );

  // ---- cases: reads ----

  app.get(
    '/cases',
    {
      config: { access: 'read' },
      schema: doc({
        operationId: 'listCases',
        summary: 'cases, those needing attention first (open clinical alerts, other open alerts, overdue steps, the rest by last change, closed last)',
        tags: ['cases'],
        query: jsonSchema(listQuerySchema),
        success: { 200: caseListSchema },
        refusals: [503],
      }),
    },
    async (req) => actions.listCases(parseInput(listQuerySchema, req.query ?? {})),
  );

  app.post(
    '/cases/search',
    {
      config: { access: 'read' },
      schema: doc({
        operationId: 'searchCases',
        summary: 'the case list with a search: a case id or part of the family name (in the body, so that no name is in a URL)',
        tags: ['cases'],
        ...bodyDoc(listFilterSchema),
        success: { 200: caseListSchema },
        refusals: [503],
      }),
    },
    async (req) => {
      const body = objectBody(req);
      // listFilterSchema turns the text of a query string into numbers; a JSON body has numbers.
      const notNumbers = (['page', 'pageSize'] as const).filter((k) => k in body && typeof body[k] !== 'number');
      if (notNumbers.length) throw new InputError(notNumbers.map((field) => ({ field, message: 'must be a number' })));
      return actions.listCases(parseInput(listFilterSchema, body));
    },
  );

  type CaseReq = FastifyRequest<{ Params: { caseId: string } }>;
  const caseIdOf = (req: FastifyRequest): string => {
    const caseId = (req.params as { caseId?: string }).caseId ?? '';
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    note(req, { caseId });
    return caseId;
  };

  /** A route's handler that reads the case of its path, through the access log. */
  const caseRead =
    <T>(action: AccessAction, read: (caseId: string) => Promise<T>) =>
    async (req: FastifyRequest): Promise<T> => {
      const caseId = caseIdOf(req);
      return seen(req, caseId, action, () => read(caseId));
    };

  app.get(
    '/cases/:caseId',
    {
      config: { access: 'read' },
      schema: doc({
        operationId: 'getCase',
        summary: 'where a case stands',
        tags: ['cases'],
        params: caseIdParam,
        success: { 200: caseStatusSchema },
        refusals: [404, 503],
        provides: followCase,
      }),
    },
    caseRead('case_viewed', (caseId) => actions.statusForReading(caseId, READ_WAIT_MS)),
  );
  app.get(
    '/cases/:caseId/emails',
    {
      config: { access: 'read' },
      schema: doc({ operationId: 'caseEmails', summary: 'what was sent to whom, when, with what status', tags: ['cases'], params: caseIdParam, success: { 200: { type: 'array', items: anyObject } }, refusals: [404, 503] }),
    },
    caseRead('emails_viewed', (caseId) => actions.emails(caseId)),
  );
  app.get(
    '/cases/:caseId/timeline',
    {
      config: { access: 'read' },
      schema: doc({ operationId: 'caseTimeline', summary: 'everything that happened on a case, oldest first, with its actor', tags: ['cases'], params: caseIdParam, success: { 200: { type: 'array', items: anyObject } }, refusals: [404, 503] }),
    },
    caseRead('timeline_viewed', (caseId) => actions.timeline(caseId)),
  );
  app.get(
    '/cases/:caseId/access-log',
    {
      config: { access: 'read' },
      schema: doc({
        operationId: 'caseAccessLog',
        summary: `who has seen or acted on the case's data (staff, the family, hospitals, translators), newest first; reading it is an entry too`,
        tags: ['cases'],
        params: caseIdParam,
        query: jsonSchema(accessLogQuerySchema),
        success: { 200: { type: 'array', items: accessRecordSchema } },
        refusals: [404, 503],
      }),
    },
    async (req: CaseReq) => {
      const caseId = caseIdOf(req);
      const { limit } = parseInput(accessLogQuerySchema, req.query ?? {});
      return seen(req, caseId, 'access_log_viewed', () => accessLog.list(caseId, { limit }));
    },
  );

  // ---- cases: actions ----

  app.post(
    '/cases',
    {
      config: { access: 'coordinate' },
      schema: doc({
        operationId: 'openCase',
        summary: 'open a case (the same patient again finds the existing case: 200 instead of 201)',
        tags: ['cases'],
        ...bodyDoc(openCaseSchema()),
        success: { 201: openedSchema, 200: openedSchema },
        refusals: [503],
        provides: followCase,
      }),
    },
    async (req, reply: FastifyReply) => {
      const opened = await timed(actions.openCase(req.body ?? {}, actor(req)));
      note(req, { caseId: opened.caseId });
      return reply.code(opened.created ? 201 : 200).send(opened);
    },
  );

  /** The body as an object (none: {}); `actor` comes from the account, never from the body. */
  const objectBody = (req: FastifyRequest): Record<string, unknown> => {
    const body = req.body === undefined ? {} : req.body;
    if (typeof body !== 'object' || Array.isArray(body) || body === null) throw new InputError([{ field: '', message: 'the body must be a JSON object' }]);
    if ('actor' in body) throw new InputError([{ field: 'actor', message: 'is set from the signed-in account; leave it out' }]);
    return body as Record<string, unknown>;
  };

  /** The request's Idempotency-Key: a retry with the same key is applied once and answers as the first did. */
  const requestOf = (req: FastifyRequest): ActOptions => {
    const key = req.headers['idempotency-key'];
    if (key === undefined) return {};
    const parsed = requestIdSchema.safeParse(key);
    if (!parsed.success) throw new InputError([{ field: 'Idempotency-Key', message: parsed.error.issues[0]!.message }]);
    return { requestId: parsed.data };
  };

  async function runAction(req: FastifyRequest, caseId: string, name: ApiAction, args: Record<string, unknown>) {
    const who = actor(req);
    const request = requestOf(req);
    if (name === 'submitToHospitals') {
      const { hospitals } = parseInput(submitBodySchema, args);
      // A code the document allows may name no hospital: the registry's state, 409.
      return stateful(() => timed(actions.submit(caseId, hospitals, who, request)));
    }
    if (name === 'recordClinical') {
      parseInput(recordClinicalBodySchema, args);
      // As sent: the action layer parses it again (parsing fills in the defaults).
      return recordClinical(caseId, args.observation, who, request);
    }
    return timed(actions.act(caseId, name as CaseActionName, { ...args, actor: who } as never, request));
  }

  async function recordClinical(caseId: string, observation: unknown, who: string, request: ActOptions) {
    return timed(actions.recordClinical(caseId, observation, who, request));
  }

  for (const name of staffActions()) {
    const access = actionAccess(name);
    const summary = `${actionSummary(name)}${BODY_HINT[name] ?? ''}`;
    app.post(
      `/cases/:caseId/actions/${name}`,
      {
        config: { access },
        schema: doc({
          operationId: name,
          summary: `${summary} (${access === 'coordinate' ? 'coordinators' : 'coordinators and clinicians'})`,
          tags: ['actions'],
          params: caseIdParam,
          idempotent: true,
          ...actionBody(name),
          success: { 200: actionAnswer(name) },
          refusals: [404, 409, 503],
          ...(name === 'recordClinical' ? {} : { provides: followCase }),
        }),
      },
      async (req) => {
        const caseId = caseIdOf(req);
        return runAction(req, caseId, name, objectBody(req));
      },
    );
  }

  app.post(
    '/cases/:caseId/clinical',
    {
      config: { access: 'clinical' },
      schema: doc({
        operationId: 'recordObservation',
        summary: 'record a clinical observation (the JSON of casectl crs grade); the case grades it and escalates (coordinators and clinicians)',
        tags: ['actions'],
        params: caseIdParam,
        idempotent: true,
        ...bodyDoc(observationSchema()),
        success: { 200: anyObject },
        refusals: [404, 409, 503],
      }),
    },
    async (req) => {
      const caseId = caseIdOf(req);
      const body = objectBody(req);
      try {
        parseInput(observationSchema(), body);
      } catch (err) {
        // Named as in the action's body: observation.<field>.
        if (err instanceof InputError) throw new InputError(err.fields.map((f) => ({ field: f.field ? `observation.${f.field}` : 'observation', message: f.message })));
        throw err;
      }
      return recordClinical(caseId, body, actor(req), requestOf(req));
    },
  );

  const alertIdSchema = actionSchema('acknowledgeAlert').shape.alertId;
  app.post(
    '/cases/:caseId/alerts/:alertId/ack',
    {
      config: { access: 'clinical' },
      schema: doc({
        operationId: 'ackAlert',
        summary: 'acknowledge an alert (coordinators and clinicians)',
        tags: ['actions'],
        params: { ...caseIdParam, alertId: { ...jsonSchema(alertIdSchema), description: 'an alert of the case, e.g. a1' } },
        idempotent: true,
        success: { 200: caseStatusSchema },
        refusals: [404, 409, 503],
        provides: followCase,
      }),
    },
    async (req: FastifyRequest<{ Params: { caseId: string; alertId: string } }>) => {
      const caseId = caseIdOf(req);
      const alertId = parseInput(z.object({ alertId: alertIdSchema }), req.params).alertId;
      return timed(actions.act(caseId, 'acknowledgeAlert', { alertId, actor: actor(req) }, requestOf(req)));
    },
  );

  // ---- a case's files ----

  if (opts.documents) {
    const documents = opts.documents;
    const fileIdParam = { ...caseIdParam, fileId: { type: 'string', format: 'uuid', description: 'a file of the case (GET /api/cases/{caseId}/documents)' } };
    type FileReq = FastifyRequest<{ Params: { caseId: string; fileId: string } }>;
    /** The case (404 when it has no row) and the file id (404 when it is not one). */
    const fileOf = async (req: FileReq) => {
      const caseId = await knownCase(req);
      if (!isFileId(req.params.fileId)) throw new FileNotFound(`no file ${req.params.fileId} in case ${caseId}`);
      return { caseId, fileId: req.params.fileId };
    };
    const knownCase = async (req: FastifyRequest) => {
      const caseId = caseIdOf(req);
      if (!(await documents.familyView(caseId))) throw new CaseNotFoundError(caseId);
      return caseId;
    };
    const fileSchema: JsonSchema = { type: 'object', properties: { id: { type: 'string' }, documentType: { type: 'string' }, status: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' }, kind: { type: 'string', enum: ['original', 'translation'] }, language: { type: ['string', 'null'], description: 'for a translation, the language it is written in' } }, required: ['id', 'documentType', 'status', 'size', 'sha256', 'kind'] };
    const acceptSchema = z.object({ documentType: documentTypeSchema().optional() }).strict();
    const rejectSchema = z.object({ reason: actionSchema('requestDocument').shape.reason }).strict();

    app.get(
      '/cases/:caseId/documents',
      { config: { access: 'read' }, schema: doc({ operationId: 'listDocuments', summary: "a case's files: what was sent, by whom, and their review", tags: ['documents'], params: caseIdParam, success: { 200: { type: 'array', items: fileSchema } }, refusals: [404, 503] }) },
      async (req) => {
        const caseId = await knownCase(req);
        return seen(req, caseId, 'files_listed', () => documents.list(caseId));
      },
    );
    app.get(
      '/cases/:caseId/documents/:fileId',
      { config: { access: 'read' }, schema: doc({ operationId: 'getDocument', summary: 'a file, decrypted, byte for byte as it was sent', tags: ['documents'], params: fileIdParam, success: { 200: {} }, download: true, refusals: [404, 503] }) },
      async (req: FileReq, reply) => {
        const { caseId, fileId } = await fileOf(req);
        const { file, body } = await seen(
          req,
          caseId,
          'file_downloaded',
          async () => {
            const file = await documents.find(caseId, fileId);
            if (!file) throw new FileNotFound(`no file ${fileId} in case ${caseId}`);
            return { file, body: await documents.open(caseId, fileId) };
          },
          { fileId },
          ({ body }) => body.destroy(),
        );
        return sendDownload(reply, file, body);
      },
    );
    app.post(
      '/cases/:caseId/documents/:fileId/accept',
      {
        config: { access: actionAccess('receiveDocument') },
        schema: doc({ operationId: 'acceptDocument', summary: 'accept a file as a document of the case (as receiveDocument, with the file linked); documentType when not what the sender said', tags: ['documents'], params: fileIdParam, idempotent: true, ...bodyDoc(acceptSchema), success: { 200: fileSchema }, refusals: [404, 503] }),
      },
      async (req: FileReq) => {
        const { caseId, fileId } = await fileOf(req);
        const { documentType } = parseInput(acceptSchema, objectBody(req));
        const who = actor(req);
        const request = requestOf(req);
        const { file, note } = await acceptFile(documents, caseId, fileId, { ...(documentType ? { documentType } : {}), actor: who }, (file) => timed(actions.act(caseId, 'receiveDocument', { ...file, actor: who }, request)));
        return { ...file, ...(note ? { note } : {}) };
      },
    );
    app.post(
      '/cases/:caseId/documents/:fileId/reject',
      {
        config: { access: actionAccess('requestDocument') },
        schema: doc({ operationId: 'rejectDocument', summary: 'reject a file and email the family what to send again and why (as requestDocument); a translation goes back to the translator (as rejectTranslation)', tags: ['documents'], params: fileIdParam, idempotent: true, ...bodyDoc(rejectSchema), success: { 200: fileSchema }, refusals: [404, 409, 503] }),
      },
      async (req: FileReq) => {
        const { caseId, fileId } = await fileOf(req);
        const { reason } = parseInput(rejectSchema, objectBody(req));
        const who = actor(req);
        const request = requestOf(req);
        return rejectFile(documents, caseId, fileId, { reason, actor: who }, (r) => timed(actions.act(caseId, r.action, { ...r.args, reason, actor: who }, request)));
      },
    );
  }

  // ---- OpenAPI ----

  app.get(
    '/openapi.json',
    { config: { access: 'public' }, schema: doc({ operationId: 'openApi', summary: 'this document', tags: ['meta'], success: { 200: anyObject } }) },
    async () => openApiDocument(routes),
  );

  // ---- a method the path does not have ----

  // Any other request under /api/: 405 with the methods its path has (Allow), else 404. Answered
  // before the body is read, so that its content cannot make it a 400.
  // As OpenAPI matches a URL to its paths: a concrete one before one with parameters
  // (/api/cases/search is not the case "search").
  let paths: { re: RegExp; params: number; methods: string[] }[] | undefined;
  const methodsOf = (url: string): string[] => {
    paths ??= routes.map((r) => ({ re: new RegExp(`^${r.url.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`), params: r.url.split(':').length - 1, methods: [r.method].flat() }));
    const matching = paths.filter((p) => p.re.test(url));
    const concrete = Math.min(...matching.map((p) => p.params));
    const methods = new Set(matching.filter((p) => p.params === concrete).flatMap((p) => p.methods));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
  app.route({
    // Every method Fastify routes (GET to QUERY); one it does not know reaches the not-found handler.
    method: app.supportedMethods as HTTPMethods[],
    url: '/*',
    config: { access: 'public' },
    onRequest: async (req, reply) => {
      const methods = methodsOf(req.url.split('?')[0]!);
      if (!methods.length) return reply.code(404).send({ error: 'no such API route' });
      return reply
        .code(405)
        .header('Allow', methods.join(', '))
        .send({ error: `${req.method} is not a method of this path: it has ${methods.join(', ')}` });
    },
    handler: async () => undefined,
  });
}
