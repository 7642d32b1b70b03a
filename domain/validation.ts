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
  return z
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
}

const INVISIBLE_ONLY = /^[\p{Z}\p{Cf}\s]+$/u;

/** A string that is text (textProblem) but is not trimmed or bounded otherwise: passwords. */
export function secretTextSchema(min: number, max: number) {
  return z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be text') })
    .superRefine((s, ctx) => {
      if (!s.isWellFormed() || s.includes('\u0000')) ctx.addIssue({ code: 'custom', message: 'contains a character that cannot be typed', input: s });
    })
    .min(min, min <= 1 ? 'is required' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`);
}
