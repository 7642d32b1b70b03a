// What every door's requests share: who sends them, their CSRF token, stray headers, bodies that
// are not what the route reads (malformed JSON, the wrong content type, too large), a share sent
// while Postgres is away, and the values a field's name calls for.
import fc from 'fast-check';
import { DOCUMENT_TYPES } from '../../../domain/case.ts';
import { CEREBRAL_EDEMA, CONSCIOUSNESS, HYPOTENSION, OXYGEN_DEVICES, SEIZURES, TEMPERATURE_RANGE, VASOPRESSORS } from '../../../domain/crs.ts';
import type { Body, CaseRef, Csrf, Identity } from '../request.ts';
import { bodyFor, type Hints, type JsonSchema } from '../schema.ts';
import { awkward, aroundBound, blank, patientEmail, patientText } from '../values.ts';
import type { FuzzContext } from '../world.ts';

/** Mostly the role that may act (so requests get past the door), then every other kind of caller. */
export const identity: fc.Arbitrary<Identity> = fc.oneof(
  { withCrossShrink: true },
  { weight: 14, arbitrary: fc.constant('coordinator' as const) },
  { weight: 5, arbitrary: fc.constant('coordinatorToken' as const) },
  { weight: 2, arbitrary: fc.constant('clinician' as const) },
  { weight: 1, arbitrary: fc.constant('ops' as const) },
  { weight: 1, arbitrary: fc.constant('opsToken' as const) },
  { weight: 1, arbitrary: fc.constant('anonymous' as const) },
  { weight: 1, arbitrary: fc.constant('forged' as const) },
);

export const csrf: fc.Arbitrary<Csrf> = fc.oneof({ withCrossShrink: true }, { weight: 18, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: fc.constant('missing' as const) }, { weight: 1, arbitrary: fc.constant('wrong' as const) });

/**
 * One request in eighty is sent with Postgres cut off from the HTTP server (when the target allows
 * it): each runs alone, so more would slow the run down more than they find.
 */
export const pgAway = (ctx: FuzzContext): fc.Arbitrary<boolean> => (ctx.canCutPostgres ? fc.oneof({ withCrossShrink: true }, { weight: 79, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) : fc.constant(false));

/** A case in a slot mostly; sometimes an id that names no case, or not even an id. */
export const caseRef = (ctx: FuzzContext): fc.Arbitrary<CaseRef> =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: 12, arbitrary: fc.constantFrom(...ctx.slots).map((slot) => ({ slot })) },
    { weight: 1, arbitrary: fc.constantFrom('c000000000000', 'C1A2B3C4D5E6', 'x'.repeat(64), 'x'.repeat(65), '-', '_').map((literal) => ({ literal })) },
    { weight: 1, arbitrary: awkward.filter((s) => s !== '').map((literal) => ({ literal })) },
  );

export const alertId: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a1', 'a2', 'a3', 'a4', 'a5') }, { weight: 1, arbitrary: awkward.filter((s) => s !== '') }, { weight: 1, arbitrary: aroundBound(64, fc.constant('a')) });

/** Stray headers: another language, a malformed credential. Header values must be Latin-1 without controls. */
export const strayHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { withCrossShrink: true },
  { weight: 24, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constantFrom('es', 'zh-CN,zh;q=0.9', 'xx', '*', '', 'en;q=abc', 'es-'.repeat(200)).map((v) => ({ 'accept-language': v })) },
  { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer a b', `Bearer ${'x'.repeat(5000)}`, 'Bearer cct_', 'bearer\tcct_x').map((v) => ({ authorization: v })) },
  { weight: 1, arbitrary: fc.constantFrom('sid=', ';;;', 'sid=a; sid=b', `sid=${'x'.repeat(4000)}`, 'sid', '=sid').map((v) => ({ cookie: v })) },
);

/** Bodies that are not the JSON a route reads. */
export const oddBody: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom('{', '{"a":', '{"a":1,}', "{'a':1}", '[1,2', 'nul', '"\\ud800"', '{"a":"\\u0000"}', '\ufeff{}', '{}{}', '{"a":1,"a":2}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"a":1e309}', '[]', '"x"', '7', 'null', 'true', '')
      .map((text): Body => ({ kind: 'raw', text, contentType: 'application/json' })),
  },
  { weight: 1, arbitrary: fc.constantFrom(1000, 100_000).map((n): Body => ({ kind: 'raw', text: `${'['.repeat(n)}${']'.repeat(n)}`, contentType: 'application/json' })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('{}', 'a=1', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', '<a/>'), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/xml', '', 'application/json, text/plain'))
      .map(([text, contentType]): Body => ({ kind: 'raw', text, contentType })),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(65 * 1024, 200 * 1024, 1024 * 1024), fc.constantFrom('application/json', 'application/x-www-form-urlencoded')).map(([bytes, contentType]): Body => ({ kind: 'oversized', bytes, contentType })) },
);

/** An ISO instant around the run's clock, in several spellings, or something that is not one. */
export const instant = (ctx: FuzzContext): fc.Arbitrary<string> => {
  const near = fc.integer({ min: -40 * 86_400, max: 400 * 86_400 }).map((s) => new Date(ctx.now + s * 1000));
  return fc.oneof(
    { weight: 4, arbitrary: near.map((d) => d.toISOString()) },
    { weight: 1, arbitrary: near.map((d) => `${d.toISOString().slice(0, 19)}+05:30`) },
    { weight: 1, arbitrary: near.map((d) => d.toISOString().slice(0, 19)) },
    { weight: 1, arbitrary: fc.constantFrom('1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', 'tomorrow', '') },
    { weight: 1, arbitrary: awkward },
  );
};

/** A datetime-local value ("2026-12-01T09:30", UTC) around the run's clock, or not one. */
export const localDateTime = (ctx: FuzzContext): fc.Arbitrary<string> =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: 8, arbitrary: fc.integer({ min: -600, max: 0 }).map((m) => new Date(ctx.now + m * 60_000).toISOString().slice(0, 16)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 * 24 * 400 }).map((m) => new Date(ctx.now + m * 60_000).toISOString().slice(0, 16)) },
    { weight: 1, arbitrary: fc.constantFrom('2026-02-30T10:00', '1999-12-31T23:59', '2026-12-01T24:00', '2026-12-01', '', '9999-12-31T23:59') },
    { weight: 1, arbitrary: awkward },
  );

/**
 * What a coordinator would give for a field of this name, and now and then a well-formed value that
 * names nothing (an unknown hospital, a zone that does not exist). Awkward values come from mutations.
 */
const mostly = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ withCrossShrink: true }, { weight: 10, arbitrary: usual }, { weight: 1, arbitrary: odd });
export const hospitalCode = (ctx: FuzzContext): fc.Arbitrary<string> => mostly(fc.constantFrom(...ctx.hospitals), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/));
export const freshHospitalCode: fc.Arbitrary<string> = fc.integer({ min: 0, max: 2 ** 40 }).map((n) => `FZN${n.toString(36).toUpperCase()}`);
export const documentType: fc.Arbitrary<string> = mostly(fc.constantFrom(...DOCUMENT_TYPES), fc.stringMatching(/^[a-z][a-z0-9_]{1,40}$/));
export const language: fc.Arbitrary<string> = mostly(fc.constantFrom('en', 'es', 'zh', 'fr', 'pt-BR', 'zh-Hant-TW'), fc.constantFrom('EN', 'e', 'english', 'en_US', 'x-klingon', ''));
export const timeZone: fc.Arbitrary<string> = mostly(
  fc.constantFrom('UTC', 'Europe/Madrid', 'Asia/Shanghai', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Pacific/Kiritimati', 'Etc/GMT+12'),
  fc.constantFrom('Mars/Olympus', 'utc', 'EST5EDT', 'GMT+25', '', 'Europe/../Madrid'),
);

/** A clinical observation's fields (domain/crs.ts), as a JSON Schema: the API publishes it as an open object. */
export const OBSERVATION_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    temperatureC: { type: 'number', minimum: TEMPERATURE_RANGE.c.min, maximum: TEMPERATURE_RANGE.c.max },
    temperatureF: { type: 'number', minimum: TEMPERATURE_RANGE.f.min, maximum: TEMPERATURE_RANGE.f.max },
    feverMasked: { type: 'boolean' },
    systolicBp: { type: 'number', minimum: 30, maximum: 300 },
    spo2: { type: 'number', minimum: 30, maximum: 100 },
    hypotension: { type: 'string', enum: [...HYPOTENSION] },
    vasopressors: { type: 'array', maxItems: 10, items: { type: 'string', enum: [...VASOPRESSORS, 'noradrenaline'] } },
    oxygen: {
      type: 'object',
      additionalProperties: false,
      required: ['device'],
      properties: { device: { type: 'string', enum: [...OXYGEN_DEVICES] }, flowLpm: { type: 'number', exclusiveMinimum: 0, maximum: 80 } },
    },
    iceScore: { type: 'integer', minimum: 0, maximum: 10 },
    consciousness: { type: 'string', enum: [...CONSCIOUSNESS] },
    sedated: { type: 'boolean' },
    globalAphasia: { type: 'boolean' },
    seizure: { type: 'string', enum: [...SEIZURES] },
    motorWeakness: { type: 'boolean' },
    cerebralEdema: { type: 'string', enum: [...CEREBRAL_EDEMA] },
    ageYears: { type: 'number', minimum: 0, maximum: 130 },
  },
};

/** Values by field name: existing codes and document types, instants near now, patient data with canaries. */
export function hintsFor(ctx: FuzzContext): Hints {
  const codes = hospitalCode(ctx);
  const at = instant(ctx);
  const hints: Hints = (name, schema) => {
    switch (name) {
      case 'hospitalCode':
      case 'hospital':
      case 'hospitals':
        return codes;
      case 'code':
        return fc.oneof({ weight: 3, arbitrary: freshHospitalCode }, { weight: 1, arbitrary: codes });
      case 'documentType':
      case 'documents':
      case 'requiredDocuments':
        return documentType;
      case 'language':
        return language;
      case 'timeZone':
      case 'timezone':
        return timeZone;
      case 'email':
        return patientEmail;
      case 'at':
      case 'admissionAt':
        return at;
      case 'alertId':
        return alertId;
      case 'observation':
        return bodyFor(OBSERVATION_SCHEMA, hints).map((b) => b.value);
      case 'password':
        return fc.oneof(fc.constantFrom('not the password', 'x'), blank, aroundBound(1024, fc.constant('p')));
      case 'phone':
        return mostly(fc.constantFrom('+852 5555 0100', '911', '+34 91 123 45 67'), aroundBound(50, fc.constant('+')));
      case 'patientRef':
      case 'name':
      case 'diagnosis':
      case 'therapy':
      case 'reason':
      case 'outcome':
      case 'notes':
      case 'contact':
      case 'search':
        return patientText(schema.maxLength ?? 2000);
      default:
        return undefined;
    }
  };
  return hints;
}
