// The families' check-in pages, a Fastify plugin beside the console's and the API's: the form behind
// a signed link, and the report it posts, which goes straight to the case workflow's submitCheckin
// Update. What the pages ask of the rest of the service: who the family is (Postgres), where the
// check-in stands (the case's status), and the report's answer.
//
//   GET  /checkin/:token   the form, or the page that says why there is none
//   POST /checkin/:token   the report (urlencoded) → the outcome page with what to do now
//
// Tokens are bearer secrets in the URL path: nothing here logs a URL, a token or form content.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CaseStatus } from '../../domain/case.ts';
import type { CheckinReport } from '../../domain/checkin-report.ts';
import type { CheckinOutcome, CheckinStatus } from '../../domain/monitoring.ts';
import { InputError } from '../../domain/validation.ts';
import type { CheckinLinks } from '../../common/checkin-link.ts';
import { TimeoutError, withTimeout } from '../../common/timeout.ts';
import { ActionRefusedError, CaseNotFoundError } from '../case-calls.ts';
import { emptyCheckinForm, formProblemOf, readCheckinForm, reportFromForm, type FieldProblems } from './checkin-form.ts';
import { answeredPage, closedPage, errorPage, formPage, invalidLinkPage, resultPage, upcomingPage } from './pages.ts';
import { pageLanguage, type PageLanguage } from './texts.ts';
import type { OutsidePageOptions, RateLimitSetting } from './server.ts';

export interface CheckinSubmission {
  caseId: string;
  checkinId: number;
  /** A report that passed parseCheckinReport. */
  report: CheckinReport;
}

export interface FamilyContact {
  language: string;
  timeZone: string;
}

/** Where one check-in stands, as the family's page needs it. */
export type CheckinView =
  | { kind: 'open'; checkin: CheckinStatus; phone?: string }
  | { kind: 'answered'; checkin: CheckinStatus; phone?: string }
  | { kind: 'upcoming'; checkin: CheckinStatus; phone?: string }
  | { kind: 'closed'; phone?: string };

const OVER: readonly string[] = ['closed', 'cancelled'];

export function checkinView(status: CaseStatus, checkinId: number): CheckinView {
  const monitoring = status.monitoring;
  const phone = monitoring?.protocol.team?.phone24h;
  const with_ = <T extends object>(v: T) => (phone ? { ...v, phone } : v);
  const checkin = monitoring?.checkins.find((c) => c.id === checkinId);
  if (!checkin) return with_({ kind: 'closed' as const });
  // An answer is an answer whatever happened since: the family sees what they were told.
  if (checkin.state === 'answered') return with_({ kind: 'answered' as const, checkin });
  if (checkin.state === 'missed' || monitoring?.ended || OVER.includes(status.stage)) return with_({ kind: 'closed' as const });
  if (checkin.state === 'upcoming') return with_({ kind: 'upcoming' as const, checkin });
  return with_({ kind: 'open' as const, checkin });
}

export interface CheckinPluginOptions extends OutsidePageOptions {
  /** Who the family is (client/reads.ts familyContact): their pages are in their language. */
  familyContact: (caseId: string) => Promise<FamilyContact | undefined>;
  links: Pick<CheckinLinks, 'verify'>;
  /** How long a page waits for the case workflow (status, Update). */
  workflowTimeoutMs: number;
  getCaseStatus: (caseId: string) => Promise<CaseStatus>;
  submitCheckin: (submission: CheckinSubmission) => Promise<CheckinOutcome>;
  fallbackLanguage: (req: FastifyRequest) => PageLanguage;
}

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/** A family page's rate limit, counted per link and client address (a hash of the token: never the token). */
export function perLinkLimit(s: RateLimitSetting) {
  const keyGenerator = (req: FastifyRequest): string => {
    const token = (req.params as { token?: string }).token ?? '';
    return `${createHash('sha256').update(token).digest('base64url').slice(0, 22)}|${req.ip}`;
  };
  return { max: s.max, timeWindow: s.timeWindowMs, keyGenerator };
}
const timedOut = (what: string) => () => new TimeoutError(what);

export async function checkinPlugin(app: FastifyInstance, opts: CheckinPluginOptions): Promise<void> {
  const { familyContact, links, now, workflowTimeoutMs, getCaseStatus, submitCheckin, context, sendPage, fallbackLanguage } = opts;

  const limit = perLinkLimit;

  interface Link {
    caseId: string;
    checkinId: number;
    lang: PageLanguage;
    timeZone: string;
  }

  /** The treating team's 24/7 number, when the case can say it quickly: for pages that are not the form. */
  const teamPhoneOf = async (caseId: string): Promise<string | undefined> => {
    const status = await withTimeout(getCaseStatus(caseId), Math.min(workflowTimeoutMs, 5_000), timedOut('status')).catch(() => undefined);
    return status?.monitoring?.protocol.team?.phone24h || undefined;
  };

  /** Verifies the link and finds the family; sends the page that explains why not, or returns it. */
  async function verifyLink(req: TokenRequest, reply: FastifyReply): Promise<Link | undefined> {
    const c = context(req);
    const verdict = links.verify(req.params.token, now());
    if (!verdict.ok && verdict.reason !== 'expired') {
      sendPage(reply, 400, invalidLinkPage({ lang: fallbackLanguage(req) }));
      return undefined;
    }
    const claims = verdict.ok ? verdict : verdict.claims;
    c.caseId = claims.caseId;
    const contact = await familyContact(claims.caseId);
    const lang = contact ? pageLanguage(contact.language) : fallbackLanguage(req);
    c.lang = lang;

    if (!verdict.ok) {
      // Expired: say so in the family's language, with the team's number when the case still answers.
      const phone = await teamPhoneOf(claims.caseId);
      if (phone) c.phone = phone;
      sendPage(reply, 410, closedPage({ lang, ...(phone ? { phone } : {}) }));
      return undefined;
    }
    return { caseId: claims.caseId, checkinId: claims.checkinId, lang, timeZone: timeZoneOf(contact) };
  }

  /** Where the check-in stands (the case's status); sends the page when it is not open, or returns it. */
  async function openView(req: TokenRequest, reply: FastifyReply, link: Link): Promise<CheckinView | undefined> {
    let status: CaseStatus;
    try {
      status = await withTimeout(getCaseStatus(link.caseId), workflowTimeoutMs, timedOut('status'));
    } catch (err) {
      if (err instanceof CaseNotFoundError) {
        sendPage(reply, 410, closedPage({ lang: link.lang }));
        return undefined;
      }
      throw err;
    }
    const view = checkinView(status, link.checkinId);
    if (view.phone) context(req).phone = view.phone;
    return showOpen(reply, view, link.lang) ? view : undefined;
  }

  /** Sends the page for a check-in that is not open; true when it is open. */
  function showOpen(reply: FastifyReply, view: CheckinView, lang: PageLanguage): boolean {
    const ctx = { lang, ...(view.phone ? { phone: view.phone } : {}) };
    switch (view.kind) {
      case 'open':
        return true;
      case 'answered':
        sendPage(reply, 409, answeredPage({ ...ctx, ...(view.checkin.tier ? { tier: view.checkin.tier } : {}) }));
        return false;
      case 'upcoming':
        sendPage(reply, 409, upcomingPage(ctx));
        return false;
      case 'closed':
        sendPage(reply, 410, closedPage(ctx));
        return false;
    }
  }

  app.get<{ Params: { token: string } }>('/checkin/:token', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await verifyLink(req, reply);
    const view = link && (await openView(req, reply, link));
    if (!link || !view) return reply;
    const { lang, timeZone } = link;
    return sendPage(
      reply,
      200,
      formPage({
        lang,
        timeZone,
        values: emptyCheckinForm(now(), timeZone),
        ...(view.phone ? { phone: view.phone } : {}),
        ...(view.kind === 'open' ? { day: view.checkin.day } : {}),
      }),
    );
  });

  // A report goes straight to the case: the workflow's Update accepts it only for an open check-in
  // and refuses it otherwise, so the status is asked for only to draw a page that is not the result
  // (the form again, or where the check-in stands). On the way that matters, one call to Temporal.
  app.post<{ Params: { token: string } }>('/checkin/:token', { config: { rateLimit: limit(opts.postLimit) } }, async (req, reply) => {
    const link = await verifyLink(req, reply);
    if (!link) return reply;
    const { caseId, checkinId, lang, timeZone } = link;
    const values = readCheckinForm(req.body);
    const showForm = async (problems: FieldProblems) => {
      const view = await openView(req, reply, link);
      if (!view) return reply;
      return sendPage(reply, 400, formPage({ lang, timeZone, values, problems, ...(view.phone ? { phone: view.phone } : {}), ...(view.kind === 'open' ? { day: view.checkin.day } : {}) }));
    };

    const form = reportFromForm(values, { timeZone, nowMs: now() });
    if (!form.ok) return showForm(form.problems);

    let outcome: CheckinOutcome;
    try {
      outcome = await withTimeout(submitCheckin({ caseId, checkinId, report: form.report }), workflowTimeoutMs, timedOut('submit'));
    } catch (err) {
      if (err instanceof InputError) return showForm(problemsFromWorkflow(err));
      if (err instanceof CaseNotFoundError) return sendPage(reply, 410, closedPage({ lang }));
      if (err instanceof ActionRefusedError) {
        // Not open (answered, closed, not yet due, or the case is over): nothing was recorded;
        // show where it stands (closed, if the case cannot say).
        const view = await openView(req, reply, link).catch(() => {
          sendPage(reply, 410, closedPage({ lang }));
          return undefined;
        });
        if (!view) return reply;
        return sendPage(reply, 409, errorPage({ lang, ...(view.phone ? { phone: view.phone } : {}) }));
      }
      // Anything else: the error page must still say whom to call.
      const phone = await teamPhoneOf(caseId);
      if (phone) context(req).phone = phone;
      throw err;
    }
    // The workflow's answer names the number to call (the protocol's 24/7 phone, if it has one).
    const teamPhone = outcome.teamPhone?.trim();
    if (teamPhone) context(req).phone = teamPhone;
    return sendPage(reply, 200, resultPage({ lang, tier: outcome.tier, ...(teamPhone ? { phone: teamPhone } : {}) }));
  });
}

function timeZoneOf(contact: FamilyContact | undefined): string {
  const tz = contact?.timeZone;
  if (tz) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return tz;
    } catch {
      // fall through
    }
  }
  return 'UTC';
}

/** The workflow re-validates a report; its field names are the report's, like parseCheckinReport's. */
function problemsFromWorkflow(err: InputError): FieldProblems {
  const problems: FieldProblems = {};
  for (const f of err.fields) {
    const [field, problem] = formProblemOf(f);
    problems[field] ??= problem;
  }
  if (Object.keys(problems).length === 0) problems.notes = 'other';
  return problems;
}
