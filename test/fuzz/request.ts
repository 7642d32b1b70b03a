// What the fuzz suite sends, as plain data that fast-check generates and shrinks: an HTTP request to
// one of the server's doors, or a casectl command line. Whatever depends on the moment it is sent
// (the case now in a slot, a session's cookie, a check-in's signed link, a temporary file) is named
// here and resolved by send.ts, so that a request replays and shrinks as the same request.
import { toJson } from './values.ts';

export type Door = 'api' | 'console' | 'checkin' | 'codec' | 'probe' | 'casectl';

/** Who sends it: nobody, a signed-in role (session cookie), an API token, or a forged credential. */
export const IDENTITIES = ['anonymous', 'coordinator', 'clinician', 'ops', 'coordinatorToken', 'opsToken', 'forged'] as const;
export type Identity = (typeof IDENTITIES)[number];

/** With a session: the right CSRF token, none, or another one. */
export type Csrf = 'right' | 'missing' | 'wrong';

/** A case: the one in a seeded slot when sent (slots are refilled when a case moves on), or a literal id. */
export type CaseRef = { slot: string } | { literal: string };

/** A check-in link, signed when sent. */
export interface LinkSpec {
  kind: 'open' | 'answered' | 'upcoming' | 'expired' | 'forged' | 'tampered' | 'unknownCase' | 'malformed';
  slot: string;
  /** The whole token, for `malformed`. */
  text?: string;
}

export type Body =
  | { kind: 'json'; value: unknown; contentType?: string }
  | { kind: 'form'; pairs: [string, string][]; contentType?: string }
  | { kind: 'raw'; text: string; contentType?: string }
  | { kind: 'oversized'; bytes: number; contentType: string };

/** A row that the request creates when it is accepted, and must not create when refused. */
export interface Creates {
  table: 'cases' | 'hospitals' | 'users' | 'protocols';
  key: string;
}

export interface HttpCall {
  door: Exclude<Door, 'casectl'>;
  /** The route pattern, for the table and for telling failures apart: `POST /api/cases/{caseId}`. */
  route: string;
  method: string;
  /** The path with `{caseId}`, `{token}` (and `{alertId}`) still to fill, and the query. */
  path: string;
  caseRef?: CaseRef;
  link?: LinkSpec;
  as: Identity;
  csrf: Csrf;
  headers: Record<string, string>;
  body?: Body;
  creates?: Creates;
  /** The field this request broke on purpose (removed, wrong type, too long, unknown): a 400 must name it. */
  broke?: string;
  /** Sent while the HTTP server cannot reach Postgres. */
  pgAway?: boolean;
}

/** One argument of a casectl command line: a word, the case in a slot, or a temporary file's path. */
export type CliWord = string | { slot: string } | { file: string };

export interface CliCall {
  door: 'casectl';
  route: string;
  argv: CliWord[];
  stdin: string;
  creates?: Creates;
}

export type FuzzRequest = HttpCall | CliCall;

const clip = (s: string, n = 160): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** Text with every character that does not print shown as an escape, so a report shows what was sent. */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff0-\uffff]|[\ud800-\udfff]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function bodySummary(body: Body | undefined): string {
  if (!body) return '';
  const type = body.contentType !== undefined ? ` [content-type: ${body.contentType || '(none)'}]` : '';
  switch (body.kind) {
    case 'json':
      return ` json ${visible(clip(toJson(body.value), 600))}${type}`;
    case 'form':
      return ` form ${visible(clip(body.pairs.map(([k, v]) => `${k}=${v}`).join('&'), 600))}${type}`;
    case 'raw':
      return ` raw ${visible(clip(JSON.stringify(body.text), 600))}${type}`;
    case 'oversized':
      return ` ${body.bytes} bytes${type}`;
  }
}

const word = (w: CliWord): string => (typeof w === 'string' ? JSON.stringify(w) : 'slot' in w ? `<case in ${w.slot}>` : `<file ${visible(clip(JSON.stringify(w.file), 300))}>`);

/** One line that says what a request was: enough to send it again by hand. */
export function describeRequest(r: FuzzRequest): string {
  if (r.door === 'casectl') return `casectl ${visible(r.argv.map(word).join(' '))}${r.stdin ? ` <<< ${visible(clip(JSON.stringify(r.stdin), 300))}` : ''}`;
  const who = r.as === 'coordinator' || r.as === 'clinician' || r.as === 'ops' ? `${r.as} session, CSRF ${r.csrf}` : r.as;
  const where = [r.caseRef ? `case ${'slot' in r.caseRef ? `in slot ${r.caseRef.slot}` : visible(JSON.stringify(r.caseRef.literal))}` : '', r.link ? `link ${r.link.kind}${r.link.text !== undefined ? ` ${visible(clip(JSON.stringify(r.link.text), 120))}` : ''} (${r.link.slot})` : '']
    .filter(Boolean)
    .join(', ');
  const headers = Object.keys(r.headers).length ? ` headers ${visible(clip(JSON.stringify(r.headers), 300))}` : '';
  return `${r.method} ${visible(clip(r.path, 300))} as ${who}${where ? ` (${where})` : ''}${headers}${bodySummary(r.body)}${r.pgAway ? ' (Postgres away)' : ''}`;
}
