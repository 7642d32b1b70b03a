// The JSON API under /api/: the same actions and reads as casectl, through the same action layer
// (client/actions.ts), for signed-in staff. A Fastify plugin, registered by server.ts.
//
//   POST   /api/session                         sign in {email, password} → cookie `sid` + {csrfToken}
//   GET    /api/session                         who is signed in (and the session's CSRF token)
//   DELETE /api/session                         sign out
//   GET    /api/cases?stage=&hospital=&alert=&page=&pageSize=   cases, those needing attention first
//   POST   /api/cases/search                    the same, with {search} (a case id or family name) in the body
//   POST   /api/cases                           open a case (the case.json of casectl case open)
//   GET    /api/cases/:caseId                   status; /emails and /timeline beside it
//   POST   /api/cases/:caseId/actions/:action   every action of domain/actions.ts but submitCheckin
//   POST   /api/cases/:caseId/clinical          a clinical observation (the JSON of casectl checkin clinical)
//   POST   /api/cases/:caseId/alerts/:alertId/ack
//   GET    /api/hospitals, POST /api/hospitals
//   GET    /api/openapi.json                    OpenAPI 3.1, generated from the routes' schemas
//
// Auth: the `sid` session cookie (then every request but GET needs `X-CSRF-Token`, the token the
// sign-in answered with) or `Authorization: Bearer <API token>` (casectl user token). Roles:
// coordinator everything; clinician reads, clinical observations and alert acknowledgements; ops
// reads. The actor of every action is the signed-in account's email.
//
// Errors are JSON {error, ...}: 400 {fields:[{field, message}]} bad input, 401 not signed in,
// 403 wrong role or CSRF token, 404 unknown case, 409 {reason} refused by the case's state,
// 429 too many failed sign-ins, 503 the case worker did not answer in time.
//
// Validation happens once, in zod (the action layer and the schemas here); the routes' JSON
// schemas are generated from the same zod schemas and document the API (they are not compiled).
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import { openCaseSchema, hospitalCodeSchema, isCaseId } from '../../domain/case.ts';
import { actionSchema } from '../../domain/actions.ts';
import { parseObservation } from '../../domain/crs.ts';
import { InputError, parseInput, secretTextSchema } from '../../domain/validation.ts';
import { hospitalSchema, requestIdSchema, type ActOptions, type CaseActionName, type CaseActions } from '../actions.ts';
import { ActionRefusedError, CaseNotFoundError } from '../case-calls.ts';
import { listFilterSchema, READ_WAIT_MS } from '../reads.ts';
import { emailSchema, type Accounts, type User } from '../accounts.ts';
import { readCookie, sameToken, sessionCookie, SESSION_COOKIE, type LoginThrottle } from './auth.ts';
import { actionAccess, actionSummary, mayAccess, staffActions, type Access, type StaffAction } from '../../domain/actions.ts';
import { withTimeout } from '../../common/timeout.ts';
import { isUnavailable, RETRY_AFTER_SECONDS } from '../unavailable.ts';

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
  /** How long an action or status waits for the case workflow. Default 20 s. */
  workflowTimeoutMs?: number;
  now?: () => number;
  /** Tells the request log which case and account a request was about (ids only). */
  note?: (req: FastifyRequest, fields: { caseId?: string; userId?: number }) => void;
  /** Called for unexpected errors (answered 500); must log the error's class name only. */
  onError?: (req: FastifyRequest, err: Error) => void;
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

interface Principal {
  user: User;
  via: 'session' | 'token';
  sessionToken?: string;
  csrfToken?: string;
}

// ---- JSON schemas (documentation, generated from the zod schemas) -------------------------------

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, omit: string[] = []): JsonSchema {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete s.$schema;
  const props = s.properties as Record<string, unknown> | undefined;
  if (props) for (const k of omit) delete props[k];
  if (Array.isArray(s.required)) s.required = (s.required as string[]).filter((k) => !omit.includes(k));
  return s;
}

const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] } },
    reason: { type: 'string' },
  },
  required: ['error'],
};
const anyObject: JsonSchema = { type: 'object', additionalProperties: true };
const caseIdParam: JsonSchema = { type: 'object', properties: { caseId: { type: 'string', description: 'e.g. c1a2b3c4d5e6' } }, required: ['caseId'] };
const errors = (...codes: number[]): Record<number, JsonSchema> => Object.fromEntries(codes.map((c) => [c, errorSchema]));
const idempotencyHeader: JsonSchema = {
  type: 'object',
  properties: { 'Idempotency-Key': { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,100}$', description: 'your id for this request: a retry with the same key is applied once and answers as the first did' } },
};

const loginSchema = z.object({ email: emailSchema, password: secretTextSchema(1, 1024) }).strict();
// Names never go in a URL: searching is POST /cases/search.
const listQuerySchema = listFilterSchema.omit({ search: true });
const caseListSchema: JsonSchema = { type: 'object', properties: { cases: { type: 'array', items: anyObject }, page: { type: 'integer' }, pageSize: { type: 'integer' }, total: { type: 'integer' } } };
const submitBodySchema = z.object({ hospitals: z.array(hospitalCodeSchema()).min(1, 'name at least one hospital') }).strict();
const clinicalBodySchema = z.object({ observation: z.record(z.string(), z.unknown()) }).strict();

function actionBodySchema(name: ApiAction): JsonSchema {
  if (name === 'submitToHospitals') return jsonSchema(submitBodySchema);
  if (name === 'recordClinical') return jsonSchema(clinicalBodySchema);
  return jsonSchema(actionSchema(name), ['actor']);
}

// ---- the plugin -----------------------------------------------------------------------------------

export async function apiPlugin(app: FastifyInstance, opts: ApiOptions): Promise<void> {
  const { actions, accounts } = opts;
  const now = opts.now ?? Date.now;
  const throttle = opts.throttle;
  const workflowTimeoutMs = opts.workflowTimeoutMs ?? 20_000;
  const note = opts.note ?? (() => {});
  const principals = new WeakMap<FastifyRequest, Principal>();

  // zod validates (one place, the same messages as casectl); the JSON schemas only document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD' && !(Array.isArray(route.method) && route.method.includes('HEAD'))) routes.push(route);
  });

  // ---- auth ----

  app.addHook('onRequest', async (req) => {
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

  // ---- errors ----

  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'no such API route' }));
  app.setErrorHandler((err: Error & { statusCode?: number; rateLimited?: boolean }, req, reply) => {
    if (err instanceof InputError) return reply.code(400).send({ error: err.message, fields: err.fields });
    if (err instanceof CaseNotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof ActionRefusedError) return reply.code(409).send({ error: `refused: ${err.message}`, reason: err.message });
    if (err instanceof ApiError) {
      if (err.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer');
      return reply.code(err.statusCode).send({ error: err.message });
    }
    if (err.name === 'WorkflowTimeout') {
      return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error: 'the case worker did not answer in time; the action may still be applied: retry with the same Idempotency-Key to apply it once and get its answer' });
    }
    if (isUnavailable(err)) return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error: 'the database or Temporal cannot be reached just now: try again shortly' });
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
  const userSchema: JsonSchema = { type: 'object', properties: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ['coordinator', 'clinician', 'ops'] } } };
  const sessionOut: JsonSchema = { type: 'object', properties: { user: userSchema, csrfToken: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } };

  app.post(
    '/session',
    {
      config: { access: 'public' },
      schema: {
        summary: 'sign in: sets the HttpOnly session cookie `sid`; send the csrfToken as X-CSRF-Token on every request but GET',
        tags: ['session'],
        body: jsonSchema(loginSchema),
        response: { 200: sessionOut, ...errors(400, 401, 429) },
      },
    },
    async (req, reply: FastifyReply) => {
      const raw = (req.body ?? {}) as { email?: unknown };
      const attempt = await throttle.reserve(raw.email, req.ip);
      if ('wait' in attempt) return reply.code(429).header('Retry-After', String(attempt.wait)).send({ error: 'too many failed sign-ins: try again later' });
      const { email, password } = parseInput(loginSchema, req.body ?? {});
      const user = await accounts.verifyLogin(email, password);
      await attempt.settle(user !== undefined);
      if (!user) return reply.code(401).send({ error: 'wrong email or password' });
      note(req, { userId: user.id });
      const session = await accounts.createSession(user.id);
      reply.header('Set-Cookie', sessionCookie(req, session.token, Math.round((session.expiresAt.getTime() - now()) / 1000)));
      return reply.send({ user: userOut(user), csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() });
    },
  );

  app.get(
    '/session',
    { config: { access: 'read' }, schema: { summary: 'who is signed in', tags: ['session'], response: { 200: sessionOut, ...errors(401) } } },
    async (req) => {
      const p = principal(req);
      return { user: userOut(p.user), ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}) };
    },
  );

  app.delete(
    '/session',
    { config: { access: 'read' }, schema: { summary: 'sign out', tags: ['session'], response: { 204: { type: 'null' }, ...errors(400, 401, 403) } } },
    async (req, reply: FastifyReply) => {
      const p = principal(req);
      if (p.via !== 'session' || !p.sessionToken) throw new InputError([{ field: 'Authorization', message: 'signed in with an API token: there is no session to end' }]);
      await accounts.deleteSession(p.sessionToken);
      return reply.code(204).header('Set-Cookie', sessionCookie(req, '', 0)).send();
    },
  );

  // ---- hospitals ----

  app.get(
    '/hospitals',
    { config: { access: 'read' }, schema: { summary: 'the hospitals', tags: ['hospitals'], response: { 200: { type: 'array', items: anyObject }, ...errors(401) } } },
    async () => actions.listHospitals(),
  );

  app.post(
    '/hospitals',
    { config: { access: 'coordinate' }, schema: { summary: 'add a hospital', tags: ['hospitals'], body: jsonSchema(hospitalSchema), response: { 201: anyObject, ...errors(400, 401, 403) } } },
    async (req, reply: FastifyReply) => reply.code(201).send(await actions.addHospital(req.body ?? {})),
  );

  // ---- cases: reads ----

  app.get(
    '/cases',
    {
      config: { access: 'read' },
      schema: {
        summary: 'cases, those needing attention first (open clinical alerts, other open alerts, overdue steps, the rest by last change, closed last); search matches a case id or the family name',
        tags: ['cases'],
        querystring: jsonSchema(listQuerySchema),
        response: {
          200: caseListSchema,
          ...errors(400, 401),
        },
      },
    },
    async (req) => {
      return actions.listCases(parseInput(listQuerySchema, req.query ?? {}));
    },
  );

  app.post(
    '/cases/search',
    {
      config: { access: 'read' },
      schema: {
        summary: 'the case list with a search: a case id or part of the family name (in the body, so that no name is in a URL)',
        tags: ['cases'],
        body: jsonSchema(listFilterSchema),
        response: { 200: caseListSchema, ...errors(400, 401) },
      },
    },
    async (req) => actions.listCases(req.body ?? {}),
  );

  type CaseReq = FastifyRequest<{ Params: { caseId: string } }>;
  const caseIdOf = (req: FastifyRequest): string => {
    const caseId = (req.params as { caseId?: string }).caseId ?? '';
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    note(req, { caseId });
    return caseId;
  };

  app.get(
    '/cases/:caseId',
    { config: { access: 'read' }, schema: { summary: 'where a case stands', tags: ['cases'], params: caseIdParam, response: { 200: anyObject, ...errors(401, 404) } } },
    async (req: CaseReq) => actions.statusForReading(caseIdOf(req), READ_WAIT_MS),
  );
  app.get(
    '/cases/:caseId/emails',
    { config: { access: 'read' }, schema: { summary: 'what was sent to whom, when, with what status', tags: ['cases'], params: caseIdParam, response: { 200: { type: 'array', items: anyObject }, ...errors(401, 404) } } },
    async (req: CaseReq) => actions.emails(caseIdOf(req)),
  );
  app.get(
    '/cases/:caseId/timeline',
    { config: { access: 'read' }, schema: { summary: 'everything that happened on a case, oldest first, with its actor', tags: ['cases'], params: caseIdParam, response: { 200: { type: 'array', items: anyObject }, ...errors(401, 404) } } },
    async (req: CaseReq) => actions.timeline(caseIdOf(req)),
  );

  // ---- cases: actions ----

  app.post(
    '/cases',
    {
      config: { access: 'coordinate' },
      schema: {
        summary: 'open a case (the same patient again finds the existing case: 200 instead of 201)',
        tags: ['cases'],
        body: jsonSchema(openCaseSchema()),
        response: { 201: { type: 'object', properties: { caseId: { type: 'string' }, created: { type: 'boolean' } } }, ...errors(400, 401, 403) },
      },
    },
    async (req, reply: FastifyReply) => {
      const opened = await timed(actions.openCase(req.body ?? {}, actor(req)));
      note(req, { caseId: opened.caseId });
      return reply.code(opened.created ? 201 : 200).send(opened);
    },
  );

  /** The body as an object of arguments; `actor` comes from the account, never from the body. */
  const argsOf = (req: FastifyRequest): Record<string, unknown> => {
    const body = req.body ?? {};
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
      return timed(actions.submit(caseId, hospitals, who, request));
    }
    if (name === 'recordClinical') {
      const { observation } = parseInput(clinicalBodySchema, args);
      return recordClinical(caseId, observation, who, request);
    }
    return timed(actions.act(caseId, name as CaseActionName, { ...args, actor: who } as never, request));
  }

  async function recordClinical(caseId: string, observation: unknown, who: string, request: ActOptions) {
    try {
      parseObservation(observation);
    } catch (err) {
      // Named as in the action's body: observation.<field>.
      if (err instanceof InputError) throw new InputError(err.fields.map((f) => ({ field: f.field ? `observation.${f.field}` : 'observation', message: f.message })));
      throw err;
    }
    return timed(actions.recordClinical(caseId, observation, who, request));
  }

  for (const name of staffActions()) {
    const access = actionAccess(name);
    const summary = `${actionSummary(name)}${BODY_HINT[name] ?? ''}`;
    app.post(
      `/cases/:caseId/actions/${name}`,
      {
        config: { access },
        schema: {
          summary: `${summary} (${access === 'coordinate' ? 'coordinators' : 'coordinators and clinicians'})`,
          tags: ['actions'],
          params: caseIdParam,
          headers: idempotencyHeader,
          body: actionBodySchema(name),
          response: { 200: anyObject, ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      async (req) => {
        const caseId = caseIdOf(req);
        return runAction(req, caseId, name, argsOf(req));
      },
    );
  }

  app.post(
    '/cases/:caseId/clinical',
    {
      config: { access: 'clinical' },
      schema: {
        summary: 'record a clinical observation (the JSON of casectl crs grade); the case grades it and escalates (coordinators and clinicians)',
        tags: ['actions'],
        params: caseIdParam,
        headers: idempotencyHeader,
        body: anyObject,
        response: { 200: anyObject, ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const caseId = caseIdOf(req);
      const body = req.body ?? {};
      if (body && typeof body === 'object' && 'actor' in body) throw new InputError([{ field: 'actor', message: 'is set from the signed-in account; leave it out' }]);
      return recordClinical(caseId, body, actor(req), requestOf(req));
    },
  );

  app.post(
    '/cases/:caseId/alerts/:alertId/ack',
    {
      config: { access: 'clinical' },
      schema: {
        summary: 'acknowledge an alert (coordinators and clinicians)',
        tags: ['actions'],
        params: { type: 'object', properties: { caseId: { type: 'string' }, alertId: { type: 'string', description: 'e.g. a1' } }, required: ['caseId', 'alertId'] },
        headers: idempotencyHeader,
        response: { 200: anyObject, ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req: FastifyRequest<{ Params: { caseId: string; alertId: string } }>) => {
      const caseId = caseIdOf(req);
      return timed(actions.act(caseId, 'acknowledgeAlert', { alertId: req.params.alertId, actor: actor(req) }, requestOf(req)));
    },
  );

  // ---- OpenAPI ----

  app.get('/openapi.json', { config: { access: 'public' }, schema: { summary: 'this document', tags: ['meta'], response: { 200: anyObject } } }, async () => openApiDocument(routes));
}

// ---- helpers ----------------------------------------------------------------------------------

const ACCESS_TEXT: Record<Access, string> = {
  public: 'no sign-in',
  read: 'any signed-in role (coordinator, clinician, ops)',
  clinical: 'coordinator or clinician',
  coordinate: 'coordinator',
};

/** OpenAPI 3.1 from the registered routes' schemas (JSON Schema 2020-12, as zod writes it). */
export function openApiDocument(routes: RouteOptions[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const schema = (route.schema ?? {}) as { summary?: string; tags?: string[]; params?: JsonSchema; querystring?: JsonSchema; headers?: JsonSchema; body?: JsonSchema; response?: Record<string, JsonSchema> };
    const access = (route.config as { access?: Access } | undefined)?.access ?? 'public';
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, s] of [
      ['path', schema.params],
      ['query', schema.querystring],
      ['header', schema.headers],
    ] as const) {
      const props = (s?.properties ?? {}) as Record<string, JsonSchema>;
      const required = (s?.required ?? []) as string[];
      for (const [name, p] of Object.entries(props)) parameters.push({ name, in: where, required: where === 'path' || required.includes(name), schema: p });
    }
    const responses: Record<string, unknown> = {};
    for (const [code, s] of Object.entries(schema.response ?? {})) {
      responses[code] = code === '204' ? { description: 'no content' } : { description: Number(code) < 400 ? 'done' : 'error', content: { 'application/json': { schema: s } } };
    }
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toLowerCase());
    for (const method of methods) {
      (paths[path] ??= {})[method] = {
        summary: schema.summary,
        ...(schema.tags ? { tags: schema.tags } : {}),
        description: `Who may call it: ${ACCESS_TEXT[access]}.`,
        ...(parameters.length ? { parameters } : {}),
        ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
        responses,
        security: access === 'public' ? [] : [{ session: [], csrf: [] }, { bearer: [] }],
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CAR-T case coordination API', version: '1', description: 'The actions and reads of casectl, for signed-in staff.' },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'from POST /api/session' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'the csrfToken of POST /api/session; on every request but GET' },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token from casectl user token' },
      },
    },
    paths,
  };
}
