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
