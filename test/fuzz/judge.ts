// The properties each answer must have, door by door:
//
// - no 5xx but the documented 503 (the case worker, or Postgres, did not answer in time); casectl
//   exits 1 ("failure") only on its documented "no answer within N s";
// - every 4xx names what was wrong:
//   · the JSON API and the codec answer a JSON object with a non-empty `error`; an API 400 also
//     lists `fields`, each with a `field` and a non-empty `message`, and when the request broke one
//     field on purpose (left out, wrong type, too long, unknown) one entry names it (by its path, a
//     parent's path, or in its message); a 409 gives a non-empty `reason`;
//   · an HTML page (console, check-in pages, anything else) has a title (h1) and a message (an
//     alert, a field error, or the paragraph under the title); the family's report form shown
//     again (400) shows a field error, and a console page that says "marked below" marks a field;
//   · casectl exits 2, 3 or 4 with an `error: ...` line on standard error (or its usage text).
import { fieldErrors, marksAField, pageMessage } from './html.ts';
import type { FuzzRequest } from './request.ts';
import type { Outcome } from './send.ts';
import { PROTOTYPE_KEYS } from './values.ts';

export type ProblemKind = 'unexpected 5xx' | 'unnamed 4xx' | 'casectl failure' | 'no answer';

export interface Problem {
  kind: ProblemKind;
  detail: string;
}

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}…` : s);

export function judge(req: FuzzRequest, outcome: Outcome): Problem | undefined {
  if (outcome.kind === 'cli') return judgeCli(outcome);
  const { status } = outcome;
  if (status === 0) {
    // A server may drop a connection that is sending far more than it reads.
    if (req.door !== 'casectl' && req.body?.kind === 'oversized') return undefined;
    return { kind: 'no answer', detail: outcome.error ?? 'connection closed without an answer' };
  }
  if (status >= 500 && status !== 503) return { kind: 'unexpected 5xx', detail: `${status} ${bodyOf(outcome)}` };
  // HEAD answers carry no body to name anything in.
  if (status < 400 || status >= 500 || req.door === 'casectl' || req.method === 'HEAD') return undefined;
  const api = req.path === '/api' || req.path.startsWith('/api/');
  const why = api || req.path.startsWith('/codec/') ? jsonUnnamed(outcome, { fieldsRequired: api, broke: req.broke }) : htmlUnnamed(outcome, req.door === 'checkin');
  return why ? { kind: 'unnamed 4xx', detail: `${status}: ${why}; ${bodyOf(outcome)}` } : undefined;
}

/** What an answer said, shortly: a page's title, message and field errors, or the start of its body. */
function bodyOf(o: Extract<Outcome, { kind: 'http' }>): string {
  if (!/^text\/html/.test(o.contentType)) return `body ${clip(o.body)}`;
  const m = pageMessage(o.body);
  const errors = fieldErrors(o.body);
  return `page ${m ? `"${m.title}": ${clip(m.message, 200)}` : '(no title and message)'}${errors.length ? `; field errors: ${clip(errors.join(' | '), 200)}` : ''}`;
}

function judgeCli(o: Extract<Outcome, { kind: 'cli' }>): Problem | undefined {
  if (o.threw) return { kind: 'casectl failure', detail: `runCasectl threw: ${clip(o.threw)}` };
  if (o.code === 0) return undefined;
  const first = o.stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  // Documented: a service that did not answer in time (1), an action not answered yet, to retry with its request id (5).
  if (o.code === 1 || o.code === 5) return /^error: no answer within \d+ s/.test(first) ? undefined : { kind: 'casectl failure', detail: `exit ${o.code}: ${clip(o.stderr)}` };
  if (o.code >= 2 && o.code <= 4) {
    if (/^error: \S.{3,}/.test(first) || /Usage:/.test(o.stderr)) return undefined;
    return { kind: 'unnamed 4xx', detail: `exit ${o.code} with standard error ${JSON.stringify(clip(o.stderr))}` };
  }
  return { kind: 'casectl failure', detail: `exit ${o.code}: ${clip(o.stderr)}` };
}

interface ApiError {
  error?: unknown;
  fields?: { field?: unknown; message?: unknown }[];
  reason?: unknown;
}

/** Why a JSON 4xx does not name what was wrong, or undefined when it does. */
function jsonUnnamed(o: Extract<Outcome, { kind: 'http' }>, { fieldsRequired, broke }: { fieldsRequired: boolean; broke: string | undefined }): string | undefined {
  if (!/^application\/json/.test(o.contentType)) return `content type ${o.contentType || '(none)'} instead of JSON`;
  let body: ApiError;
  try {
    body = JSON.parse(o.body) as ApiError;
  } catch {
    return 'a body that is not JSON';
  }
  if (typeof body !== 'object' || body === null || typeof body.error !== 'string' || body.error.trim() === '') return 'no error message';
  if (o.status === 409 && (typeof body.reason !== 'string' || body.reason.trim() === '')) return 'a 409 without a reason';
  if (o.status !== 400 || (!fieldsRequired && body.fields === undefined)) return undefined;
  if (!Array.isArray(body.fields) || body.fields.length === 0) return 'a 400 without fields';
  const fields = body.fields.map((f) => ({ field: typeof f.field === 'string' ? f.field : undefined, message: typeof f.message === 'string' ? f.message : '' }));
  if (fields.some((f) => f.field === undefined || f.message.trim() === '')) return 'a field without a name or a message';
  // A body can be wrong in more ways than the one broken on purpose (the generator's "valid" body
  // knows the JSON schema, not the domain's rules across fields), and the answer may name those:
  // it must name the broken field only when it names no field at all.
  const namesSomeField = fields.some((f) => f.field !== '');
  if (broke !== undefined && !namesSomeField && !names(fields as { field: string; message: string }[], broke)) return `the fields do not name ${JSON.stringify(broke)}, which the request broke`;
  return undefined;
}

/** Whether one of the fields names the broken field: its path, a parent's, a child's, or in the message. */
function names(fields: { field: string; message: string }[], broke: string): boolean {
  if (broke === '') return true;
  const last = broke.split('.').at(-1)!;
  return fields.some(
    (f) =>
      f.field === broke ||
      f.field.startsWith(`${broke}.`) ||
      f.field.startsWith(`${broke}[`) ||
      f.field.endsWith(`.${broke}`) ||
      (f.field !== '' && (broke.startsWith(`${f.field}.`) || broke.startsWith(`${f.field}[`))) ||
      (last !== '' && f.message.includes(last)) ||
      ((PROTOTYPE_KEYS as readonly string[]).includes(last) && /prototype/i.test(f.message)),
  );
}

/** Why an HTML 4xx does not name what was wrong, or undefined when it does. */
function htmlUnnamed(o: Extract<Outcome, { kind: 'http' }>, checkinPage: boolean): string | undefined {
  if (!/^text\/html/.test(o.contentType)) return `content type ${o.contentType || '(none)'} instead of a page`;
  if (!pageMessage(o.body)) return 'a page without a title and a message';
  if (/marked below/.test(o.body) && !marksAField(o.body)) return 'a form that says fields are marked below, with none marked';
  // The family's report form shown again must say which answer to fix.
  if (checkinPage && o.status === 400 && /<form\b/.test(o.body) && fieldErrors(o.body).length === 0) return 'the report form shown again without saying which answer is wrong';
  return undefined;
}
