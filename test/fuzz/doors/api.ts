// The JSON API, every operation of the OpenAPI document the server publishes (/api/openapi.json):
// a route added to the API is fuzzed without a change here. Path and query parameters and bodies
// come from the operation's schemas (schema.ts); then other methods on the same paths.
import fc from 'fast-check';
import type { Body, Creates, HttpCall } from '../request.ts';
import { bodyFor, queryFor, type Hints, type JsonSchema } from '../schema.ts';
import { awkward } from '../values.ts';
import type { FuzzContext } from '../world.ts';
import { OBSERVATION_SCHEMA, alertId, caseRef, csrf, identity, oddBody, pgAway, strayHeaders } from './common.ts';
import { encodeQuery, encodeSegment, type DoorRoute } from './paths.ts';

/**
 * Routes whose body the document describes only as an open object: the clinical observation is
 * checked by domain/crs.ts, so its fields come from there.
 */
const OPEN_BODIES: Record<string, JsonSchema> = { 'POST /api/cases/{caseId}/clinical': OBSERVATION_SCHEMA };

/** What an accepted request creates, by route: a refused one must leave no such row. */
const CREATES: Record<string, (body: Record<string, unknown>) => Creates | undefined> = {
  'POST /api/cases': (b) => (typeof b.patientRef === 'string' ? { table: 'cases', key: b.patientRef } : undefined),
  'POST /api/hospitals': (b) => (typeof b.code === 'string' ? { table: 'hospitals', key: b.code } : undefined),
};

export function apiRoutes(ctx: FuzzContext, hints: Hints): DoorRoute[] {
  const routes: DoorRoute[] = [];
  for (const [path, operations] of Object.entries(ctx.openapi.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const route = `${method.toUpperCase()} ${path}`;
      const params = op.parameters ?? [];
      const query = queryFor(
        params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required, schema: p.schema as JsonSchema })),
        hints,
      );
      const schema = OPEN_BODIES[route] ?? (op.requestBody?.content['application/json']?.schema as JsonSchema | undefined);
      const json = schema ? bodyFor(schema, hints) : fc.constant(undefined);
      const body = fc.oneof(
        { withCrossShrink: true },
        { weight: 8, arbitrary: json.map((b) => (b === undefined ? { body: undefined } : { body: { kind: 'json', value: b.value } as Body, broke: b.broke })) },
        { weight: 1, arbitrary: oddBody.map((body) => ({ body, broke: undefined })) },
      );
      const extraPath = params.filter((p) => p.in === 'path' && p.name !== 'caseId' && p.name !== 'alertId');
      const arb = fc
        .record({
          as: identity,
          csrf,
          caseRef: caseRef(ctx),
          alertId,
          other: fc.tuple(...extraPath.map(() => awkward)),
          query,
          body,
          headers: strayHeaders,
          pgAway: pgAway(ctx),
        })
        .map((r): HttpCall => {
          let p = path.replace('{alertId}', encodeSegment(r.alertId));
          extraPath.forEach((x, i) => (p = p.replace(`{${x.name}}`, encodeSegment(r.other[i] ?? ''))));
          const value = r.body.body?.kind === 'json' ? r.body.body.value : undefined;
          const creates = value && typeof value === 'object' && !Array.isArray(value) ? CREATES[route]?.(value as Record<string, unknown>) : undefined;
          const broke = r.body.broke ?? r.query.broke;
          return {
            door: 'api',
            route,
            method: method.toUpperCase(),
            path: `${p}${encodeQuery(r.query.pairs)}`,
            ...(path.includes('{caseId}') ? { caseRef: r.caseRef } : {}),
            as: r.as,
            csrf: r.csrf,
            headers: r.headers,
            ...(r.body.body ? { body: r.body.body } : {}),
            ...(creates ? { creates } : {}),
            ...(broke !== undefined ? { broke } : {}),
            ...(r.pgAway ? { pgAway: true } : {}),
          };
        });
      routes.push({ door: 'api', route, arb });
    }
  }
  // Methods the document does not list, on its paths and next to them.
  const paths = Object.keys(ctx.openapi.paths);
  routes.push({
    door: 'api',
    route: 'OTHER /api/*',
    arb: fc.record({ method: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'POST', 'GET'), path: fc.oneof(fc.constantFrom(...paths), fc.constantFrom('/api/nope', '/api/', '/api/cases/', '/api/cases/{caseId}/actions/submitCheckin', '/api/cases/{caseId}/actions/nope')), as: identity, csrf, caseRef: caseRef(ctx) }).map(
      (r): HttpCall => ({ door: 'api', route: 'OTHER /api/*', method: r.method, path: r.path.replace('{alertId}', 'a1'), caseRef: r.caseRef, as: r.as, csrf: r.csrf, headers: {} }),
    ),
  });
  return routes;
}
