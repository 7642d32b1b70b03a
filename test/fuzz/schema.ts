// Request bodies and query strings from the JSON Schemas of the OpenAPI document (the API's zod
// schemas, as the server publishes them): a valid value first, then one mutation of it, so that
// most requests get past the first check and reach the code behind it. A field's name can say more
// than its schema (a hospital code that exists, an instant near now, patient data that must carry
// a canary): `Hints` supplies those values.
import fc from 'fast-check';
import { PROTOTYPE_KEYS, anyJson, aroundBound, awkward, blank, edgeNumber, notOfType, numberWithin, patientText, withKey, withoutKey } from './values.ts';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

/** A value for a field by its name (the last segment of its path), or undefined to use its schema. */
export type Hints = (name: string, schema: JsonSchema) => fc.Arbitrary<unknown> | undefined;

const typeOf = (s: JsonSchema): string | undefined => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type) ?? (s.properties ? 'object' : undefined);

/** A value the schema accepts (mostly: hints may pick a code that does not exist, on purpose). */
export function validValue(schema: JsonSchema, hints: Hints, name = ''): fc.Arbitrary<unknown> {
  // An array's name names its items (hospitals: hospital codes).
  const hinted = typeOf(schema) === 'array' ? undefined : hints(name, schema);
  if (hinted) return hinted;
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  switch (typeOf(schema)) {
    case 'object': {
      const props = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, validValue(s, hints, k)]));
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
    }
    case 'array': {
      const item = validValue(schema.items ?? {}, hints, name);
      const minLength = schema.minItems ?? 0;
      const some = fc.uniqueArray(item, { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)), selector: (v) => JSON.stringify(v) });
      if (schema.maxItems !== undefined) return some;
      // No bound on the count: thousands of entries are valid too (the "5,000 reminders" kind).
      return fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: some }, { weight: 1, arbitrary: fc.tuple(item, fc.constantFrom(500, 5000)).map(([v, n]) => Array.from({ length: n }, () => v)) });
    }
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return patientText(schema.maxLength ?? 200).filter((s) => s.trim().length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity));
    case 'integer':
    case 'number':
      return numberWithin({ integer: typeOf(schema) === 'integer', ...pick(schema, 'minimum', 'maximum', 'exclusiveMinimum') });
    case 'boolean':
      return fc.boolean();
    default:
      return anyJson;
  }
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Pick<T, K>;
}

/** Every object member the schema describes, with its path: where a mutation may strike. */
function fieldsOf(schema: JsonSchema, path: string[] = []): { path: string[]; schema: JsonSchema; required: boolean }[] {
  const out: { path: string[]; schema: JsonSchema; required: boolean }[] = [];
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    out.push({ path: [...path, k], schema: s, required: (schema.required ?? []).includes(k) });
    if (typeOf(s) === 'object') out.push(...fieldsOf(s, [...path, k]));
  }
  return out;
}

/** One change to a valid value, and the field it certainly breaks (when it certainly breaks one). */
interface Mutation {
  path: string[];
  apply: (current: unknown) => { value: unknown } | { remove: true };
  /** Added under the object at `path` instead of replacing it. */
  addKey?: string;
  broke?: string;
}

const dotted = (path: string[]) => path.join('.');

function mutationsAt(field: { path: string[]; schema: JsonSchema; required: boolean }, hints: Hints): fc.Arbitrary<Mutation>[] {
  const { path, schema, required } = field;
  const at = dotted(path);
  const type = typeOf(schema);
  const replace = (arb: fc.Arbitrary<unknown>, broke?: string) => arb.map((v): Mutation => ({ path, apply: () => ({ value: v }), ...(broke !== undefined ? { broke } : {}) }));
  const list: fc.Arbitrary<Mutation>[] = [
    fc.constant<Mutation>({ path, apply: () => ({ remove: true }), ...(required ? { broke: at } : {}) }),
    replace(notOfType(type), at),
    replace(fc.constant(null), Array.isArray(schema.type) && schema.type.includes('null') ? undefined : at),
  ];
  if (type === 'string') {
    list.push(replace(awkward));
    list.push(replace(blank, (schema.minLength ?? 0) > 0 ? at : undefined));
    if (schema.maxLength !== undefined) list.push(replace(aroundBound(schema.maxLength).filter((s) => s.length > schema.maxLength!), at));
  }
  if (type === 'number' || type === 'integer') list.push(replace(edgeNumber));
  if (type === 'array') {
    // Thousands of valid entries: the "5,000 reminders" kind of input a schema without a bound lets in.
    list.push(replace(fc.tuple(validValue(schema.items ?? {}, hints, path.at(-1)), fc.constantFrom(0, 1, 500, 5000)).map(([v, n]) => Array.from({ length: n }, () => v))));
  }
  if (type === 'object') list.push(...extraKeys(path, schema));
  return list;
}

/** An unknown key, or a prototype key, added to the object at `path`. */
function extraKeys(path: string[], schema: JsonSchema): fc.Arbitrary<Mutation>[] {
  const closed = schema.additionalProperties === false;
  const add = (keys: fc.Arbitrary<string>, brokeIfClosed: boolean) =>
    fc.tuple(keys, anyJson).map(([key, v]): Mutation => ({
      path,
      addKey: key,
      apply: () => ({ value: v }),
      ...(closed && brokeIfClosed ? { broke: dotted([...path, key]) } : {}),
    }));
  return [add(fc.constantFrom('extra', 'actor', 'caseId', 'id', 'Extra Field', ''), true), add(fc.constantFrom(...PROTOTYPE_KEYS), true)];
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const go = (value: unknown, depth: number): unknown => {
    if (depth === m.path.length) {
      if (m.addKey !== undefined) {
        const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
        const r = m.apply(undefined);
        return 'value' in r ? withKey(obj, m.addKey, r.value) : obj;
      }
      const r = m.apply(value);
      return 'value' in r ? r.value : undefined;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const obj = value as Record<string, unknown>;
    const key = m.path[depth]!;
    const next = go(obj[key], depth + 1);
    return next === undefined && depth + 1 === m.path.length && m.addKey === undefined ? withoutKey(obj, key) : withKey(obj, key, next);
  };
  return go(root, 0);
}

export interface GeneratedBody {
  value: unknown;
  broke?: string;
}

/** A body for the schema: valid, or valid with one mutation (which may leave it valid). */
export function bodyFor(schema: JsonSchema, hints: Hints): fc.Arbitrary<GeneratedBody> {
  const valid = validValue(schema, hints);
  const fields = fieldsOf(schema);
  const root: fc.Arbitrary<Mutation>[] = [
    ...(typeOf(schema) === 'object' ? extraKeys([], schema) : []),
    notOfType(typeOf(schema)).map((v): Mutation => ({ path: [], apply: () => ({ value: v }), broke: '' })),
  ];
  const mutations = fc.oneof(...root, ...fields.flatMap((f) => mutationsAt(f, hints)));
  return fc.oneof(
    { withCrossShrink: true },
    { weight: 1, arbitrary: valid.map((value) => ({ value })) },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, mutations).map(([value, m]) => ({ value: applyMutation(value, m), ...(m.broke !== undefined ? { broke: m.broke } : {}) })),
    },
  );
}

/** Query parameters: valid or invalid values for the documented ones, sometimes an unknown or repeated one. */
export function queryFor(params: { name: string; required: boolean; schema: JsonSchema }[], hints: Hints): fc.Arbitrary<{ pairs: [string, string][]; broke?: string }> {
  const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  const each = params.map((p) =>
    fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: validValue(p.schema, hints, p.name).map((v) => ({ pairs: [[p.name, str(v)]] as [string, string][] })) },
      { weight: 1, arbitrary: fc.oneof(awkward, edgeNumber.map(str)).map((v) => ({ pairs: [[p.name, v]] as [string, string][] })) },
      { weight: 1, arbitrary: fc.tuple(awkward, awkward).map(([a, b]) => ({ pairs: [[p.name, a], [p.name, b]] as [string, string][] })) },
    ),
  );
  // An unknown parameter breaks a request only where the route reads its query (the others ignore it).
  const extra = fc.oneof(
    { withCrossShrink: true },
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('search', 'extra', ...PROTOTYPE_KEYS, 'page[0]'), awkward).map(([k, v]) => ({ pairs: [[k, v]] as [string, string][], ...(params.length ? { broke: k } : {}) })) },
  );
  return fc.tuple(fc.tuple(...each), extra).map(([parts, x]) => {
    const pairs = [...parts, x].flatMap((p) => p?.pairs ?? []);
    return { pairs, ...(x?.broke !== undefined ? { broke: x.broke } : {}) };
  });
}
