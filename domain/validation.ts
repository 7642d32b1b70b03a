// One way to turn untrusted input (CLI flags, JSON files, HTTP bodies, Update arguments) into
// typed values, with errors that name the offending field. Pure: used by workflows too.
import { z } from 'zod';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Bad input: carries every problem, each naming its field. Safe to show to the person who sent it. */
export class InputError extends Error {
  readonly fields: FieldProblem[];
  constructor(fields: FieldProblem[]) {
    super(fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; '));
    this.name = 'InputError';
    this.fields = fields;
  }
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Parses `input` with `schema`, or throws an InputError naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InputError(result.error.issues.map((i) => ({ field: fieldPath(i.path), message: i.message })));
}

// ---- text a person typed --------------------------------------------------------------------
// Every string a person can send passes one of these. Beyond being the right length, text must be
// something a person could have meant and every store can hold: PostgreSQL refuses U+0000 in text
// and jsonb (a case opened with one could never be written down), an unpaired surrogate cannot be
// encoded as UTF-8, non-characters are reserved, and control characters other than line breaks and
// tabs in free text are never typed on purpose (they can forge log lines or email headers).

/** Non-characters: U+FDD0..U+FDEF and the last two code points of every plane. */
const NON_CHARACTER = /[\uFDD0-\uFDEF\uFFFE\uFFFF]|[\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/u;
/** C0 and C1 controls and DEL; free text may also hold tabs and line breaks. */
const CONTROL_LINE = /[\u0000-\u001F\u007F-\u009F]/;
const CONTROL_FREE_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `s` is not acceptable text, in words for the person who sent it; undefined when it is. */
export function textProblem(s: string, opts: { multiline?: boolean } = {}): string | undefined {
  if (!s.isWellFormed()) return 'contains a broken character (an unpaired surrogate)';
  const control = (opts.multiline ? CONTROL_FREE_TEXT : CONTROL_LINE).exec(s);
  if (control) return `contains a control character (${codePoint(control[0])})${opts.multiline ? '' : '; it must be on one line'}`;
  const reserved = NON_CHARACTER.exec(s);
  if (reserved) return `contains a character that is not text (${codePoint(reserved[0])})`;
  return undefined;
}

export interface TextOptions {
  /** At least this many characters after trimming (default 1: required). 0 allows empty. */
  min?: number;
  /** Free text (notes, reasons): line breaks and tabs allowed; otherwise one line. */
  multiline?: boolean;
}

/** A trimmed string of at most `max` characters that is text (textProblem), for every field a person types. */
export function textSchema(max: number, opts: TextOptions = {}) {
  const min = opts.min ?? 1;
  const schema = z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be text') })
    .superRefine((s, ctx) => {
      const problem = textProblem(s, opts);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
    })
    .trim()
    .min(min, min === 1 ? 'is required' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    // Zero-width and other invisible characters alone are as empty as nothing, to whoever reads it.
    .refine((s) => min === 0 || s === '' || !INVISIBLE_ONLY.test(s), { message: 'is required', abort: true });
  return schema.meta(textJsonSchema(min, max, opts.multiline ?? false));
}

const INVISIBLE_ONLY = /^[\p{Z}\p{Cf}\s]+$/u;

// ---- the same rules as JSON Schema (the API's OpenAPI document) ----------------------------------
// zod writes `minLength`/`maxLength` for textSchema, but they count before trimming and say nothing of
// the characters it refuses. This pattern says what textSchema accepts instead, character for
// character: leading and trailing whitespace (what String.prototype.trim removes) around a text of
// `min` to `max` characters that starts and ends with something else, every character allowed by
// textProblem, and (when required) at least one character that is not invisible. The classes are
// written out (client/http/openapi.test.ts checks each against textProblem, trim and INVISIBLE_ONLY
// over every code point) so that every regex engine reads them alike: no \s, no \p{...}, no
// lookahead, and astral characters one by one, never in a range. Lengths count code points, as zod
// does. One thing it cannot say: an unpaired surrogate (no JSON Schema engine outside JavaScript holds
// one in a string), which the description names.

/** Characters as a regex class lists them: the code points from..to, each on its own. */
const listed = (...ranges: [number, number][]): string =>
  ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i))).join('');

/** What textProblem refuses (but unpaired surrogates): controls, then non-characters. */
const NON_CHARACTERS = `\\uFDD0-\\uFDEF\\uFFFE\\uFFFF${listed(...Array.from({ length: 16 }, (_, i): [number, number] => [(i + 1) * 0x10000 + 0xfffe, (i + 1) * 0x10000 + 0xffff]))}`;
const REFUSED_IN_LINE = `\\u0000-\\u001F\\u007F-\\u009F${NON_CHARACTERS}`;
const REFUSED_IN_FREE_TEXT = `\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F${NON_CHARACTERS}`;
/** What String.prototype.trim removes (ECMAScript's WhiteSpace and LineTerminator): tab to CR, then spaces. */
const TRIMMED_SPACES = '\\u0020\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';
const TRIMMED = `\\u0009-\\u000D${TRIMMED_SPACES}`;
/** INVISIBLE_ONLY's characters (\p{Z}, \p{Cf} and \s, as of Unicode 16). */
const INVISIBLE = `${TRIMMED}\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFFF9-\\uFFFB${listed(
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
)}`;

/** Everything String.prototype.trim removes, as a class (for schemas that trim without textSchema's checks). */
export const trimmedClass = (): string => `[${TRIMMED}]`;

/** The pattern's character classes: any allowed character, one that trim keeps, whitespace that trim removes, a visible one. */
export function textClasses(multiline: boolean): { allowed: string; kept: string; trimmed: string; visible: string } {
  const refused = multiline ? REFUSED_IN_FREE_TEXT : REFUSED_IN_LINE;
  // Among the whitespace, free text allows tab and line breaks; one line refuses them as controls.
  const trimmed = multiline ? `[\\u0009\\u000A\\u000D${TRIMMED_SPACES}]` : `[${TRIMMED_SPACES}]`;
  return { allowed: `[^${refused}]`, kept: `[^${refused}${TRIMMED}]`, trimmed, visible: `[^${refused}${INVISIBLE}]` };
}

/** JSON Schema for textSchema(max, {min, multiline}): what it accepts, as a pattern (see above). */
function textJsonSchema(min: number, max: number, multiline: boolean) {
  const { allowed: a, kept: k, trimmed: w, visible } = textClasses(multiline);
  // The text trim leaves: `min` to `max` characters, the first and the last kept by trim.
  const text = max === 1 ? k : min <= 1 ? `${k}(?:${a}{0,${max - 2}}${k})?` : `${k}${a}{${min - 2},${max - 2}}${k}`;
  const what = multiline ? 'text (line breaks and tabs allowed)' : 'one line of text';
  return {
    description: `${what}, ${min === 0 ? `at most ${max}` : `${min} to ${max}`} characters once trimmed; no control characters${multiline ? ' but line breaks and tabs' : ''}, unpaired surrogates or non-characters${min > 0 ? ', and not only invisible ones' : ''}`,
    // zod's bounds count before trimming: the pattern says them instead.
    minLength: undefined,
    maxLength: undefined,
    pattern: min === 0 ? `^${w}*(?:${text}${w}*)?$` : `^${w}*${text}${w}*$`,
    // Not only invisible characters: one is visible (a pattern is not anchored).
    ...(min > 0 ? { allOf: [{ pattern: visible }] } : {}),
  };
}

/** A string that is text (textProblem) but is not trimmed or bounded otherwise: passwords. */
export function secretTextSchema(min: number, max: number) {
  return z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be text') })
    .superRefine((s, ctx) => {
      if (!s.isWellFormed() || s.includes('\u0000')) ctx.addIssue({ code: 'custom', message: 'contains a character that cannot be typed', input: s });
    })
    .min(min, min <= 1 ? 'is required' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .meta({ description: `${min} to ${max} characters, none of them U+0000 or an unpaired surrogate`, pattern: '^[^\\u0000]*$' });
}
