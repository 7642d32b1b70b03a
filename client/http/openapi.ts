// The JSON API's OpenAPI 3.1 document (/api/openapi.json), built from the routes api.ts registers.
// Each route says what it is (`doc`): its operation id, its parameters and body as JSON Schema
// converted from the zod schemas the route parses with (`jsonSchema`), what it answers when it
// succeeds, the refusals particular to it, and which ids its answer gives a client to follow
// (`provides`). The rest follows from the route and is added here, the same way for every operation:
//
// - 400 on every operation (a URL that cannot be decoded, a bad parameter or body); 401 where a
//   sign-in is needed; 403 where a role is (clinical, coordinate), or a CSRF token (a session's
//   request but GET); 413 and 415 where there is a body (too large; not JSON);
// - security: none for public operations, else a session (with its CSRF token but on GET) or a
//   bearer token; DELETE /api/session a session only;
// - links, so that a stateful client can follow a case: from every answer that names a case
//   (`provides.caseId`) to every operation on it (an alert's id is not in every answer: it is left to
//   the client), from a new hospital to the case list filtered by it.
//
// What the document allows is what the server accepts: the schemas are the zod schemas the routes
// parse with, and where zod cannot say a rule in JSON Schema, the domain's schemas carry it as
// metadata (domain/validation.ts textSchema's pattern, domain/case.ts time zones, domain/crs.ts and
// domain/actions.ts rules across fields). test/e2e/schemathesis.test.ts holds the server to it.
import type { FastifySchema, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { Access } from '../../domain/actions.ts';

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema (what a request may send), without `$schema` and the keys in `omit`. */
export function jsonSchema(schema: z.ZodType, omit: string[] = []): JsonSchema {
  const s = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    // zod writes its own pattern beside `format` (email, date-time): the pattern is what it checks, and
    // another validator's idea of the format is not (an email's local part of more than 64 characters).
    override: ({ jsonSchema: j }) => {
      if (j.format && j.pattern) delete j.format;
    },
  }) as JsonSchema;
  delete s.$schema;
  const props = s.properties as Record<string, unknown> | undefined;
  if (props) for (const k of omit) delete props[k];
  if (Array.isArray(s.required)) s.required = (s.required as string[]).filter((k) => !omit.includes(k));
  return s;
}

/** Every refusal's body: {error}, with {fields} on a 400 and {reason} on a 409. */
export const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] } },
    reason: { type: 'string' },
  },
  required: ['error'],
};

/** The refusals a route names itself; the others follow from the route (above). */
export type OwnRefusal = 401 | 403 | 404 | 409 | 429 | 503;

/** Runtime expressions (OpenAPI links) for the ids a route's answer always names. */
export interface Provides {
  caseId?: string;
  hospitalCode?: string;
}

/** What a route says about itself in the document; api.ts passes it as the route's `schema`. */
export interface OperationDoc {
  operationId: string;
  summary: string;
  tags: string[];
  /** Path parameters, each required. */
  params?: Record<string, JsonSchema>;
  /** The query string, as an object schema. */
  query?: JsonSchema;
  /** Takes an Idempotency-Key header. */
  idempotent?: boolean;
  body?: JsonSchema;
  /** The body may be left out: the route reads {}, and {} is a body it takes. */
  bodyOptional?: boolean;
  /** What it answers when it succeeds, by status; null: no content. */
  success: Record<number, JsonSchema | null>;
  /** It answers a file (application/octet-stream, as an attachment), not JSON. */
  download?: boolean;
  refusals?: OwnRefusal[];
  /** Only a session signs it in (not an API token). */
  sessionOnly?: boolean;
  provides?: Provides;
}

export const doc = (d: OperationDoc): FastifySchema => d as unknown as FastifySchema;

const idempotencyKey: JsonSchema = {
  type: 'string',
  pattern: '^[A-Za-z0-9_.:-]{8,100}$',
  description: 'your id for this request: a retry with the same key is applied once and answers as the first did',
};

const ERRORS: Record<number, string> = {
  400: 'the request breaks this document: {error, fields: [{field, message}]} names each field (a URL that cannot be decoded, a parameter, the body)',
  401: 'not signed in, or the session or token is not (or no longer) valid',
  403: "the account's role may not do this, or a session's request lacks its X-CSRF-Token; at sign-in, a sign-in from another site, or an account that must first set up its second factor in the console",
  404: 'no such case (or no such file of the case)',
  409: 'the document allows the request but the state refuses it: {error, reason} (the case is not at that step, a hospital that is not registered or a code that is taken)',
  413: 'the body is larger than 64 KiB',
  415: 'the body is not JSON (send Content-Type: application/json)',
  429: 'too many failed sign-ins: wait Retry-After seconds',
  503: 'the case worker did not answer in time (retry with the same Idempotency-Key), or PostgreSQL or Temporal cannot be reached: retry after Retry-After seconds',
};
const retryAfter = { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } };

function refusal(code: number): Record<string, unknown> {
  return {
    description: ERRORS[code],
    content: { 'application/json': { schema: errorSchema } },
    ...(code === 429 || code === 503 ? { headers: retryAfter } : {}),
    ...(code === 401 ? { headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } } } : {}),
  };
}

const ACCESS_TEXT: Record<Access, string> = {
  public: 'no sign-in',
  read: 'any signed-in role (coordinator, clinician, ops)',
  clinical: 'coordinator or clinician',
  coordinate: 'coordinator',
};

interface Built {
  path: string;
  method: string;
  doc: OperationDoc;
  operation: Record<string, unknown>;
}

/** OpenAPI 3.1 from the registered routes (those with an OperationDoc as their schema). */
export function openApiDocument(routes: RouteOptions[]): Record<string, unknown> {
  const built: Built[] = [];
  for (const route of routes) {
    const d = route.schema as OperationDoc | undefined;
    if (!d?.operationId) continue;
    const access = (route.config as { access?: Access } | undefined)?.access ?? 'public';
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toLowerCase())) {
      built.push({ path, method, doc: d, operation: operation(d, access, method) });
    }
  }
  for (const b of built) addLinks(b, built);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const b of built) (paths[b.path] ??= {})[b.method] = b.operation;
  return {
    openapi: '3.1.0',
    info: {
      title: 'CAR-T case coordination API',
      version: '1',
      description:
        'The actions and reads of casectl, for signed-in staff. A method a path does not list is answered 405 with Allow. A request the document allows may still be refused by the state of things: 404 for a case that does not exist, 409 with a reason otherwise.',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'sid', description: 'from POST /api/session' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'the csrfToken of POST /api/session; with a session, on every request but GET' },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token from casectl user token' },
      },
    },
    paths,
  };
}

function operation(d: OperationDoc, access: Access, method: string): Record<string, unknown> {
  const parameters: unknown[] = [];
  for (const [name, schema] of Object.entries(d.params ?? {})) parameters.push({ name, in: 'path', required: true, schema });
  const query = d.query ?? {};
  const required = (query.required ?? []) as string[];
  for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) parameters.push({ name, in: 'query', required: required.includes(name), schema });
  if (d.idempotent) parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: idempotencyKey });

  const responses: Record<string, unknown> = {};
  for (const [code, schema] of Object.entries(d.success)) {
    responses[code] =
      schema === null
        ? { description: 'done: no content' }
        : d.download
          ? { description: 'the file, byte for byte as it was sent', content: { 'application/octet-stream': {} }, headers: { 'Content-Disposition': { description: 'attachment, with the file name as sent', schema: { type: 'string' } } } }
          : { description: 'done', content: { 'application/json': { schema } } };
  }
  const signedIn = access !== 'public';
  const codes = new Set<number>([400, ...(d.refusals ?? [])]);
  if (signedIn) codes.add(401);
  if (signedIn && (access !== 'read' || method !== 'get')) codes.add(403);
  if (d.body) [413, 415].forEach((c) => codes.add(c));
  for (const code of [...codes].sort((a, b) => a - b)) responses[code] = refusal(code);

  const session = method === 'get' ? { session: [] } : { session: [], csrf: [] };
  return {
    operationId: d.operationId,
    summary: d.summary,
    tags: d.tags,
    description: `Who may call it: ${ACCESS_TEXT[access]}.`,
    ...(parameters.length ? { parameters } : {}),
    ...(d.body ? { requestBody: { required: !d.bodyOptional, content: { 'application/json': { schema: d.body } } } } : {}),
    responses,
    security: !signedIn ? [] : d.sessionOnly ? [session] : [session, { bearer: [] }],
  };
}

/** Links from each success answer of `from` to the operations that take the ids it names. */
function addLinks(from: Built, all: Built[]): void {
  const p = from.doc.provides;
  if (!p) return;
  const links: Record<string, unknown> = {};
  for (const to of all) {
    const params = Object.keys(to.doc.params ?? {});
    const queryParams = Object.keys((to.doc.query?.properties ?? {}) as object);
    if (p.caseId && params.includes('caseId')) links[to.doc.operationId] = { operationId: to.doc.operationId, parameters: { caseId: p.caseId } };
    if (p.hospitalCode && queryParams.includes('hospital')) links[to.doc.operationId] = { operationId: to.doc.operationId, parameters: { 'query.hospital': p.hospitalCode } };
  }
  if (!Object.keys(links).length) return;
  const responses = from.operation.responses as Record<string, Record<string, unknown>>;
  for (const code of Object.keys(from.doc.success)) responses[code]!.links = links;
}
