// The staff console: every form its pages showed when the world was seeded (sign-in, search and
// filters, opening a case, each action form of each stage, alert acknowledgements, sign-out), posted
// as a browser would (urlencoded, the session's CSRF token in `_csrf`) and as a browser would not
// (JSON with values that are not strings, the wrong content type, fields missing, repeated or
// unknown); and its pages fetched with odd queries. Sign-in is also sent from other origins.
import fc from 'fast-check';
import type { FormField } from '../html.ts';
import type { Body, Creates, HttpCall, Identity } from '../request.ts';
import { validValue, type Hints, type JsonSchema } from '../schema.ts';
import { anyPatientText, awkward, aroundBound, notOfType, patientEmail } from '../values.ts';
import type { FuzzContext } from '../world.ts';
import { alertId, caseRef, csrf, localDateTime, oddBody, pgAway, strayHeaders } from './common.ts';
import { encodeQuery, encodeSegment, type DoorRoute } from './paths.ts';

/** The console signs in with a cookie only: an API token reaches it as nobody. */
const consoleIdentity: fc.Arbitrary<Identity> = fc.oneof(
  { withCrossShrink: true },
  { weight: 16, arbitrary: fc.constant('coordinator' as const) },
  { weight: 2, arbitrary: fc.constant('clinician' as const) },
  { weight: 1, arbitrary: fc.constant('ops' as const) },
  { weight: 1, arbitrary: fc.constantFrom('anonymous' as const, 'forged' as const, 'coordinatorToken' as const) },
);

/**
 * The JSON Schema of the API operation a console form stands for (its fields are that body's, named
 * by path: family.email), so that a field gets what the API would take: opening a case is POST
 * /api/cases, searching POST /api/cases/search, an action form the action's route.
 */
function apiFieldSchemas(ctx: FuzzContext, formPath: string): (name: string) => JsonSchema | undefined {
  const apiPath = formPath.replace(/^\/console\/cases\/new$/, '/api/cases').replace(/^\/console\/cases$/, '/api/cases/search').replace(/^\/console\//, '/api/');
  const body = ctx.openapi.paths[apiPath]?.post?.requestBody?.content['application/json']?.schema as JsonSchema | undefined;
  return (name) => name.split('.').reduce<JsonSchema | undefined>((s, key) => s?.properties?.[key], body);
}

/**
 * A value a person could give the field: its options, a time, a number, or what the API's schema
 * for the same field takes (with the same hints as the API's bodies); or an awkward one.
 */
function fieldValue(field: FormField, ctx: FuzzContext, hints: Hints, schema: JsonSchema | undefined): fc.Arbitrary<string> {
  const typed = (() => {
    if (field.type === 'select' || field.type === 'hidden' || field.type === 'checkbox' || field.type === 'radio') return field.options.length ? fc.constantFrom(...field.options) : fc.constant('');
    if (schema?.type === 'string' && field.type !== 'datetime-local') return validValue(schema, hints, field.name.split('.').at(-1)).map(String);
    if (field.type === 'datetime-local') return localDateTime(ctx);
    if (field.type === 'number') return fc.oneof(fc.constantFrom('37.5', '39.1', '0', '10', '6', '-1', '1e309', '38,5', 'NaN', ''), fc.double({ noNaN: true }).map(String));
    if (field.type === 'email' || field.name.endsWith('email')) return patientEmail;
    if (field.type === 'password') return fc.oneof(fc.constantFrom('not the password', ''), aroundBound(1024, fc.constant('p')));
    return anyPatientText(field.name === 'patientRef' ? 64 : 2000);
  })();
  return fc.oneof({ withCrossShrink: true }, { weight: 10, arbitrary: typed }, { weight: 1, arbitrary: awkward });
}

/** The form's fields as posted: each present or not, a checkbox group as repeated pairs, sometimes an unknown field. */
function formPairs(fields: FormField[], ctx: FuzzContext, hints: Hints, schemaOf: (name: string) => JsonSchema | undefined): fc.Arbitrary<[string, string][]> {
  const own = fields.filter((f) => f.name !== '_csrf');
  const each = own.map((f) => {
    const value = fieldValue(f, ctx, hints, schemaOf(f.name));
    return f.type === 'checkbox' && f.options.length > 1
      ? fc.subarray(f.options).map((vs) => vs.map((v): [string, string] => [f.name, v]))
      : fc.oneof(
          { withCrossShrink: true },
          { weight: 40, arbitrary: value.map((v): [string, string][] => [[f.name, v]]) },
          { weight: 1, arbitrary: fc.constant<[string, string][]>([]) },
          { weight: 1, arbitrary: fc.tuple(value, value).map(([a, b]): [string, string][] => [[f.name, a], [f.name, b]]) },
        );
  });
  const extra = fc.oneof({ weight: 6, arbitrary: fc.constant<[string, string][]>([]) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'actor', '_csrf[]'), awkward).map(([k, v]): [string, string][] => [[k, v]]) });
  return fc.tuple(fc.tuple(...each), extra).map(([parts, x]) => [...parts.flat(), ...x]);
}

/** The same fields as JSON: strings (as a script might post), or values of another type (as none should). */
const asJson = (pairs: [string, string][], typed: unknown[]): Record<string, unknown> =>
  Object.fromEntries(pairs.map(([k, v], i) => [k, i < typed.length && typed[i] !== undefined ? typed[i] : v]));

function formBody(fields: FormField[], ctx: FuzzContext, hints: Hints, schemaOf: (name: string) => JsonSchema | undefined): fc.Arbitrary<Body> {
  const pairs = formPairs(fields, ctx, hints, schemaOf);
  const wrongTypes = fc.array(fc.option(notOfType('string'), { nil: undefined, freq: 2 }), { maxLength: fields.length });
  return fc.oneof(
    { weight: 8, arbitrary: pairs.map((p): Body => ({ kind: 'form', pairs: p })) },
    { weight: 1, arbitrary: pairs.map((p): Body => ({ kind: 'json', value: asJson(p, []) })) },
    { weight: 2, arbitrary: fc.tuple(pairs, wrongTypes).map(([p, t]): Body => ({ kind: 'json', value: asJson(p, t) })) },
    { weight: 1, arbitrary: oddBody },
  );
}

/** Sign-in must refuse a post from another origin, and answer whatever the Origin header holds. */
const origin: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { withCrossShrink: true },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constantFrom('{self}', 'null', 'https://evil.example', 'http://localhost:1/x', 'http://127.0.0.1').map((o) => ({ origin: o })) },
  { weight: 1, arbitrary: fc.constantFrom('not a url', 'http://[::1', '%', '//evil.example', 'http://', ':').map((o) => ({ origin: o })) },
);

export function consoleRoutes(ctx: FuzzContext, hints: Hints): DoorRoute[] {
  const routes: DoorRoute[] = [];
  for (const form of ctx.consoleForms) {
    const signIn = form.path === '/console/sign-in';
    const schemaOf = apiFieldSchemas(ctx, form.path);
    const arb = fc
      .record({
        as: signIn ? fc.constant('anonymous' as const) : consoleIdentity,
        csrf,
        caseRef: caseRef(ctx),
        alertId,
        body: form.method === 'GET' ? fc.constant(undefined) : formBody(form.fields, ctx, hints, schemaOf),
        query: form.method === 'GET' ? formPairs(form.fields, ctx, hints, schemaOf) : fc.constant<[string, string][]>([]),
        headers: signIn ? origin : strayHeaders,
        pgAway: pgAway(ctx),
      })
      .map((r): HttpCall => {
        const pairs = r.body?.kind === 'form' ? r.body.pairs : r.body?.kind === 'json' ? Object.entries(r.body.value as Record<string, unknown>) : [];
        const patientRef = pairs.find(([k]) => k === 'patientRef')?.[1];
        const creates: Creates | undefined = form.path === '/console/cases/new' && typeof patientRef === 'string' ? { table: 'cases', key: patientRef } : undefined;
        return {
          door: 'console',
          route: form.route,
          method: form.method,
          path: `${form.path.replace('{alertId}', encodeSegment(r.alertId))}${encodeQuery(r.query)}`,
          ...(form.path.includes('{caseId}') ? { caseRef: r.caseRef } : {}),
          as: r.as,
          csrf: r.csrf,
          headers: r.headers,
          ...(r.body ? { body: r.body } : {}),
          ...(creates ? { creates } : {}),
          ...(r.pgAway ? { pgAway: true } : {}),
        };
      });
    routes.push({ door: 'console', route: form.route, arb });
  }
  // Pages, with the queries they read and some they do not.
  const pages = ['/console/', '/console/cases/new', '/console/cases/{caseId}', '/console/sign-in', '/console/cases', '/console/nope', '/console/cases/{caseId}/actions/nope'];
  const query = fc.oneof(
    { weight: 3, arbitrary: fc.constant<[string, string][]>([]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('stage', 'hospital', 'alert', 'page', 'done', 'expired', 'search', '__proto__'), fc.oneof(awkward, fc.constantFrom('records', 'monitoring', '1', '0', '-1', '1e309', 'opened', 'submitToHospitals', 'approveSharing'))).map(([k, v]): [string, string][] => [[k, v]]) },
  );
  routes.push({
    door: 'console',
    route: 'GET /console/*',
    arb: fc.record({ page: fc.constantFrom(...pages), query, as: consoleIdentity, caseRef: caseRef(ctx), pgAway: pgAway(ctx) }).map(
      (r): HttpCall => ({
        door: 'console',
        route: 'GET /console/*',
        method: 'GET',
        path: `${r.page}${encodeQuery(r.query)}`,
        ...(r.page.includes('{caseId}') ? { caseRef: r.caseRef } : {}),
        as: r.as,
        csrf: 'right',
        headers: {},
        ...(r.pgAway ? { pgAway: true } : {}),
      }),
    ),
  });
  return routes;
}
