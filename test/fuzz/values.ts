// The awkward values every door is fed, as fast-check arbitraries:
//
// - text: each class of Unicode that has broken a text pipeline somewhere (U+0000 and the other
//   characters PostgreSQL refuses, C0 and C1 controls, lone surrogates, non-characters, bidi and
//   zero-width marks, combining runs, emoji, other scripts, odd spaces), markup and injection
//   strings, empty and whitespace-only text, and text just under, at and past a field's bound;
// - numbers at and past their bounds, floats where integers are expected, and number-like JSON
//   that JavaScript cannot hold (1e309, -0, 30-digit integers) written raw into the body;
// - canaries: a unique string in every generated patient-data field (names, diagnosis, notes,
//   emails, patient references, reasons), so that a log line holding patient data is found
//   afterwards by the pattern alone.
import fc from 'fast-check';

/** Every canary matches this, and nothing else the suite or the service writes does. */
export const CANARY_PATTERN = /fzc[0-9a-f]{10}/g;
export const canary: fc.Arbitrary<string> = fc.integer({ min: 0, max: 2 ** 40 - 1 }).map((n) => `fzc${n.toString(16).padStart(10, '0')}`);

const CLASSES: Record<string, readonly string[]> = {
  nul: ['\u0000'],
  c0: ['\u0001', '\u0007', '\b', '\t', '\n', '\v', '\f', '\r', '\u001b', '\u001f', '\u007f'],
  c1: ['\u0080', '\u0085', '\u009b', '\u009f'],
  // JSON.stringify writes a lone surrogate as a \ud800 escape: the raw body carries it.
  loneSurrogate: ['\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800'],
  nonCharacter: ['\ufffe', '\uffff', '\ufdd0', '\ufdef', '\u{1fffe}', '\u{10ffff}'],
  bidi: ['\u200e', '\u200f', '\u202a', '\u202b', '\u202e', '\u2066', '\u2067', '\u2069', '\u061c'],
  zeroWidth: ['\u200b', '\u200c', '\u200d', '\ufeff', '\u2060'],
  combining: ['e\u0301', '\u0301', `a${'\u0300'.repeat(40)}`, '\ufdfa', '\u01c5'],
  emoji: ['👩‍👩‍👧‍👦', '🇪🇸', '👍🏽', '😀', '\u{1f9ec}'],
  scripts: ['李伟', 'Lucía Fernández', 'لوسيا', 'שלום', 'हिन्दी', 'Ελένη', 'Ⅻ', 'ß', 'İ'],
  spaces: [' ', '\u00a0', '\u2028', '\u2029', '\u3000', '\u1680', '\u180e'],
  markup: ['<script>alert(1)</script>', '"><img src=x>', "'; drop table cases; --", '%s%n', '${7*7}', '{{7*7}}', '../../etc/passwd', '\\', '"', '&amp;', '%00', '\\u0000'],
  digits: ['３８．２', '٣٨٫٢', '①', '๓๘'],
  words: ['null', 'undefined', 'NaN', 'true', '[object Object]', '__proto__', 'constructor', 'toString'],
};

/**
 * One awkward piece. U+0000 comes up three times as often as any other class: PostgreSQL refuses
 * it in text and jsonb, so it is the class most likely to pass validation and fail later, in an
 * activity, where only the checks after the run can see it.
 */
const piece: fc.Arbitrary<string> = fc.oneof(...Object.entries(CLASSES).map(([name, values]) => ({ weight: name === 'nul' ? 3 : 1, arbitrary: fc.constantFrom(...values) })));

/** Up to four awkward pieces run together (the empty string included). */
export const awkward: fc.Arbitrary<string> = fc.array(piece, { maxLength: 4 }).map((p) => p.join(''));

/** Empty and whitespace-only text. */
export const blank: fc.Arbitrary<string> = fc.constantFrom('', ' ', '\t\n', '\u3000', '\u200b\u200b');

/** A string of `length` characters that starts with `prefix` (a canary survives truncation at the front). */
const padded = (prefix: string, length: number): string => (prefix + 'x'.repeat(Math.max(0, length - prefix.length))).slice(0, Math.max(length, 0));

/** Text one under, at and one past `max` characters, or twice as long. */
export function aroundBound(max: number, prefix: fc.Arbitrary<string> = canary): fc.Arbitrary<string> {
  return fc.tuple(prefix, fc.constantFrom(max - 1, max, max + 1, 2 * max)).map(([p, n]) => padded(p, n));
}

/**
 * Patient data a field may hold: awkward text around a canary mostly (cut to `max`, the canary
 * first then), plain text, or text exactly at the bound. What a field may not hold (blank, past the
 * bound) comes from anyPatientText or a mutation.
 */
export function patientText(max = 2000): fc.Arbitrary<string> {
  return fc.oneof(
    { withCrossShrink: true },
    { weight: 2, arbitrary: canary.map((c) => `Ana ${c} Fernández`.slice(0, Math.max(max, 13))) },
    { weight: 6, arbitrary: fc.tuple(awkward, canary, awkward).map(([a, c, b]) => (a.length + c.length + b.length <= max ? `${a}${c}${b}` : `${c}${a}${b}`.slice(0, max))) },
    { weight: 1, arbitrary: aroundBound(max).filter((s) => s.length <= max) },
  );
}

/** Patient data as a person may type it into a form or a flag: blank and past the bound too. */
export function anyPatientText(max = 2000): fc.Arbitrary<string> {
  return fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: patientText(max) }, { weight: 1, arbitrary: blank }, { weight: 1, arbitrary: aroundBound(max) });
}

/** A family's email with a canary: valid mostly, else awkward. */
export const patientEmail: fc.Arbitrary<string> = fc.oneof(
  { withCrossShrink: true },
  { weight: 12, arbitrary: canary.map((c) => `${c}@example.org`) },
  { weight: 1, arbitrary: fc.tuple(canary, awkward).map(([c, a]) => `${c}${a}@example.org`) },
  { weight: 1, arbitrary: fc.tuple(canary, fc.constantFrom('@@example.org', '@', '@localhost', '@例え.jp', ' @example.org', '@example.org\n')).map(([c, tail]) => `${c}${tail}`) },
  { weight: 1, arbitrary: aroundBound(254, canary.map((c) => `${c}@`)).map((s) => `${s}.org`) },
);

/** Number-like JSON that a JavaScript number cannot hold, written into the body as it is. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toJSON(): string {
    return `<raw ${this.text}>`;
  }
}

/** Numbers at and past bounds of any kind, and values that look like numbers but are not. */
export const edgeNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 0.5, 1e10, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, 2 ** 31, -(2 ** 31)),
  fc.constantFrom('1e309', '-1e309', '-0', '1.0', '1E400', '123456789012345678901234567890', '0.000000000000000000000001').map((t) => new RawJson(t)),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '7', ' 7 ', '0x10', '1_000', ''),
);

export interface NumberBounds {
  integer: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

/**
 * A number the bounds allow: an ordinary one mostly, else one at a bound; where the schema sets no
 * upper bound, that is 1e10, 1e300 or the largest double (all valid, and absurd). Rarely one just
 * past a bound, or a fraction where an integer is asked for.
 */
export function numberWithin(b: NumberBounds): fc.Arbitrary<number> {
  const min = b.minimum ?? (b.exclusiveMinimum !== undefined ? b.exclusiveMinimum + (b.integer ? 1 : 0.001) : -1000);
  const max = b.maximum ?? Math.max(min + 1000, 1000);
  const inside = b.integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const atBounds = [
    ...(b.minimum !== undefined ? [b.minimum] : b.exclusiveMinimum === 0 && !b.integer ? [Number.MIN_VALUE] : b.exclusiveMinimum === undefined ? [-1e300] : [min]),
    ...(b.maximum !== undefined ? [b.maximum] : b.integer ? [Number.MAX_SAFE_INTEGER] : [1e10, 1e300, Number.MAX_VALUE]),
  ];
  const past = [b.minimum !== undefined ? b.minimum - 1 : b.exclusiveMinimum ?? -1e308, ...(b.maximum !== undefined ? [b.maximum + 1] : []), ...(b.integer ? [min + 0.5] : [])];
  return fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: inside }, { weight: 2, arbitrary: fc.constantFrom(...atBounds) }, { weight: 1, arbitrary: fc.constantFrom(...past) });
}

/** A value of any JSON type but `type`: what "wrong type" sends. */
export function notOfType(type: string | undefined): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    // Number({}) and Number('abc') are NaN, so a coercing schema refuses these too.
    number: fc.constantFrom<unknown>('abc', { n: 1 }, [1, 2]),
    string: fc.constantFrom<unknown>(7, -0.5, true, { s: 'x' }, ['x']),
    boolean: fc.constantFrom<unknown>('yes', 1, {}),
    object: fc.constantFrom<unknown>('x', 7, [], [{}]),
    array: fc.constantFrom<unknown>('x', 7, {}, { 0: 'x' }),
  };
  const key = type === 'integer' ? 'number' : type;
  return key && all[key] ? all[key]! : fc.constantFrom<unknown>({ odd: true }, 'x');
}

/** Any small JSON value, for fields whose schema says nothing. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: awkward },
  { weight: 1, arbitrary: edgeNumber },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [[[[[]]]]], { a: { b: { c: {} } } }) },
);

/** The keys that reach an object's prototype when a parser or a merge is careless. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** `obj` with `key` set, defined as an own property even when `key` is __proto__. */
export function withKey(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  return Object.fromEntries([...Object.entries(obj).filter(([k]) => k !== key), [key, value]]);
}

/** `obj` without `key`. */
export function withoutKey(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
}

/** JSON text of `value`, with RawJson written as it is and own __proto__ keys kept. */
export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : toJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
