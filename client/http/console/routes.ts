// The staff console under /console: server-rendered pages and plain forms over the same action layer
// as the JSON API and casectl. Sessions are the API's (cookie `sid`); every form carries the
// session's CSRF token; names are only ever posted, never put in a URL.
//
//   GET  /console/sign-in, POST /console/sign-in, POST /console/sign-out
//   the account pages (second factor, own account, password links, everyone's accounts): account-routes.ts
//   GET  /console/                        the case list (filters in the query, no search)
//   POST /console/cases                   the case list with a search and filters (posted)
//   GET  /console/cases/new, POST         open a case
//   GET  /console/cases/:caseId           a case; POST …/actions/:action, POST …/alerts/:alertId/ack
//   GET  /console/cases/:caseId/files/:fileId   a file, as a download; POST …/accept, POST …/reject
//
// A case page and a file are shown only once the access log has their entry (client/access-log.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCaseId } from '../../../domain/case.ts';
import { InputError, type FieldProblem } from '../../../domain/validation.ts';
import { requestIdSchema, type ActOptions, type CaseActionName, type CaseActions } from '../../actions.ts';
import { ActionRefusedError, CaseNotFoundError } from '../../case-calls.ts';
import { READ_WAIT_MS } from '../../reads.ts';
import type { Accounts, User } from '../../accounts.ts';
import { actionAccess, actionSchema, mayAccess } from '../../../domain/actions.ts';
import { z } from 'zod';
import { parseInput } from '../../../domain/validation.ts';
import { acceptFile, FileNotFound, rejectFile, type Documents } from '../../documents.ts';
import { sendDownload } from '../download.ts';
import { readCookie, sameToken, SESSION_COOKIE, type LoginThrottle, type Site } from '../auth.ts';
import { argsFromForm, formErrors, isFormAction, type FormValues } from './forms.ts';
import { CONSOLE_STYLE_HASH, type Viewer } from './html.ts';
import { withTimeout } from '../../../common/timeout.ts';
import { isUnavailable, RETRY_AFTER_SECONDS } from '../../unavailable.ts';
import { caseListPage, casePage, messagePage, openCasePage, type ListFilters } from './views.ts';
import { accountRoutes, PageError, PUBLIC_PAGES, SET_UP_PAGES } from './account-routes.ts';
import type { Mailer } from '../../../activities/mailer.ts';
import type { AccessAction, AccessDetail, AccessLog } from '../../access-log.ts';

export interface ConsoleOptions {
  actions: CaseActions;
  accounts: Accounts;
  throttle: LoginThrottle;
  site: Site;
  workflowTimeoutMs?: number;
  now?: () => number;
  temporalUi?: { url: string; namespace: string };
  note?: (req: FastifyRequest, fields: { caseId?: string; userId?: number }) => void;
  onError?: (req: FastifyRequest, err: Error) => void;
  /** Sends staff their password links; without it the console offers none. */
  mailer?: Mailer;
  /** A case's files (the vault); without it, the case page shows none. */
  documents?: Documents;
  /** Where every view of a case and every download is recorded before it is shown. */
  accessLog: AccessLog;
}

/** The newest entries of a case's access log its page shows (the API and casectl give more). */
export const ACCESS_SHOWN = 50;

const CONSOLE_CSP = `default-src 'none'; style-src ${CONSOLE_STYLE_HASH}; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

type CaseRequest = FastifyRequest<{ Params: { caseId: string } }>;

export async function consolePlugin(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const { actions, accounts, throttle, accessLog } = opts;
  const now = opts.now ?? Date.now;
  const note = opts.note ?? (() => {});
  const workflowTimeoutMs = opts.workflowTimeoutMs ?? 20_000;
  const viewers = new WeakMap<FastifyRequest, { user: User; viewer: Viewer; sessionToken: string }>();
  // Plain forms only: a JSON body could hold what no form can (objects, numbers) where strings are expected.
  app.removeContentTypeParser(['application/json', 'text/plain']);

  // same-origin, not no-referrer: under no-referrer a browser posts the console's own forms with
  // `Origin: null`, which the sign-in refuses as it would a sandboxed page's.
  const send = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('Content-Security-Policy', CONSOLE_CSP).header('Referrer-Policy', 'same-origin').type('text/html; charset=utf-8').send(body);
  const timed = <T>(promise: Promise<T>): Promise<T> =>
    withTimeout(promise, workflowTimeoutMs, () => new PageError(503, 'The case did not answer', 'The case worker did not answer in time. The action may still be applied: reload the case in a moment.'));

  // ---- who is signed in ----

  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url ?? '';
    if (PUBLIC_PAGES.has(route)) return;
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = token ? await accounts.getSession(token, { allowPending: true }) : undefined;
    if (!session || !token) {
      // Expired or never signed in: to the sign-in page (a form posted after expiry is not applied).
      return reply.redirect(token ? '/console/sign-in?expired=1' : '/console/sign-in', 303);
    }
    // Signed in with the password only: the second factor's set-up, and nothing else.
    if (session.pendingEnrolment && !SET_UP_PAGES.has(route)) return reply.redirect('/console/account/second-factor', 303);
    note(req, { userId: session.user.id });
    const { user } = session;
    viewers.set(req, { user, sessionToken: token, viewer: { name: user.name, email: user.email, role: user.role, admin: user.admin, csrfToken: session.csrfToken } });
  });
  app.addHook('preHandler', async (req) => {
    if (req.method !== 'POST' || PUBLIC_PAGES.has(req.routeOptions.url ?? '')) return;
    const given = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!sameToken(typeof given === 'string' ? given : '', viewerOf(req).csrfToken)) {
      throw new PageError(403, 'Not done', 'This form was stale or did not come from the console (its security token did not match). Go back, reload the page and try again.');
    }
  });
  const signedIn = (req: FastifyRequest) => {
    const v = viewers.get(req);
    if (!v) throw new PageError(401, 'Not signed in', 'Please sign in.');
    return v;
  };
  const viewerOf = (req: FastifyRequest): Viewer => signedIn(req).viewer;
  /** A read of a case by the signed-in account: shown once its access log entry is written. */
  const seen = <T>(req: FastifyRequest, caseId: string, action: AccessAction, read: () => Promise<T>, detail: AccessDetail = {}, release?: (answer: T) => void): Promise<T> =>
    accessLog.logged({ caseId, party: 'staff', actor: signedIn(req).user.email, action, detail: { via: 'console', ...detail }, clientAddress: req.ip }, read, release);
  const must = (req: FastifyRequest, access: 'read' | 'clinical' | 'coordinate') => {
    const { user } = signedIn(req);
    if (!mayAccess(user.role, access)) throw new PageError(403, 'Not allowed', `A ${user.role} account may not do this.`);
    return user;
  };

  app.setNotFoundHandler((req, reply) => send(reply, 404, messagePage(viewers.get(req)?.viewer, 'Not found', 'There is no such page.')));
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const viewer = viewers.get(req)?.viewer;
    if (err instanceof PageError) return send(reply, err.statusCode, messagePage(viewer, err.title, err.message));
    if (err instanceof CaseNotFoundError) return send(reply, 404, messagePage(viewer, 'No such case', err.message));
    if (err instanceof InputError) return send(reply, 400, messagePage(viewer, 'Not done', err.message));
    if (err.statusCode === 415) return send(reply, 415, messagePage(viewer, 'Not done', 'The console takes its own forms only (application/x-www-form-urlencoded).'));
    // Fastify's own refusals (a body too large, a malformed form): its message names what was wrong, never data.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return send(reply, err.statusCode, messagePage(viewer, 'Not done', `The request could not be read: ${err.message}`));
    if (isUnavailable(err)) {
      return send(reply.header('Retry-After', String(RETRY_AFTER_SECONDS)), 503, messagePage(viewer, 'Not available just now', 'The console cannot reach its database or Temporal at the moment. Nothing was changed by this page; try again in a minute.'));
    }
    opts.onError?.(req, err);
    return send(reply, 500, messagePage(viewer, 'Something went wrong', 'The console could not do this. Nothing was changed by this page; try again, and tell the team if it persists.'));
  });

  await accountRoutes(app, { accounts, throttle, site: opts.site, send, signedIn, note, now, ...(opts.mailer ? { mailer: opts.mailer } : {}) });

  // ---- the case list ----

  const hospitals = async () => (await actions.listHospitals()).map((h) => ({ code: h.code, name: h.name, timezone: h.timezone }));
  const filtersFrom = (raw: Record<string, unknown>, withSearch: boolean): ListFilters & { page?: string } => {
    const pick = (k: string) => (typeof raw[k] === 'string' && (raw[k] as string).trim() ? (raw[k] as string).trim() : undefined);
    const f: ListFilters & { page?: string } = {};
    for (const k of ['stage', 'hospital', 'alert', 'page', ...(withSearch ? ['search'] : [])] as const) {
      const v = pick(k);
      if (v !== undefined) (f as Record<string, string>)[k] = v;
    }
    return f;
  };
  async function listPage(req: FastifyRequest, reply: FastifyReply, filters: ListFilters & { page?: string }) {
    const viewer = viewerOf(req);
    const hs = await hospitals();
    try {
      const list = await actions.listCases({ ...filters, pageSize: 50 });
      return send(reply, 200, caseListPage(viewer, list, filters, hs, now()));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const list = await actions.listCases({ pageSize: 50 });
      return send(reply, 400, caseListPage(viewer, list, filters, hs, now(), err.fields));
    }
  }
  app.get('/', async (req, reply) => listPage(req, reply, filtersFrom((req.query ?? {}) as Record<string, unknown>, false)));
  app.get('/cases', async (_req, reply) => reply.redirect('/console/', 303));
  app.post('/cases', async (req, reply) => listPage(req, reply, filtersFrom((req.body ?? {}) as Record<string, unknown>, true)));

  // ---- opening a case ----

  app.get('/cases/new', async (req, reply) => {
    must(req, 'coordinate');
    return send(reply, 200, openCasePage(viewerOf(req), {}, []));
  });
  app.post('/cases/new', async (req, reply) => {
    const user = must(req, 'coordinate');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const k of ['patientRef', 'diagnosis', 'therapy', 'family.name', 'family.email', 'family.language', 'family.timeZone']) values[k] = typeof body[k] === 'string' ? (body[k] as string) : '';
    const input = {
      patientRef: values.patientRef,
      diagnosis: values.diagnosis,
      therapy: values.therapy,
      family: { name: values['family.name'], email: values['family.email']!.trim(), language: values['family.language']!.trim(), timeZone: values['family.timeZone']!.trim() },
    };
    try {
      const opened = await timed(actions.openCase(input, user.email));
      note(req, { caseId: opened.caseId });
      return reply.redirect(`/console/cases/${opened.caseId}?done=${opened.created ? 'opened' : 'existing'}`, 303);
    } catch (err) {
      if (err instanceof InputError) return send(reply, 400, openCasePage(viewerOf(req), values, err.fields));
      throw err;
    }
  });

  // ---- a case ----

  const caseIdOf = (req: CaseRequest): string => {
    const caseId = req.params.caseId;
    if (!isCaseId(caseId)) throw new CaseNotFoundError(caseId);
    note(req, { caseId });
    return caseId;
  };

  async function showCase(req: CaseRequest, reply: FastifyReply, status: number, extra: { done?: string; form?: { action: string; values: FormValues; errors: FieldProblem[]; refused?: string } } = {}) {
    const caseId = caseIdOf(req);
    // One entry for all the page shows, its access log included; read after the entry, so that
    // the page lists this view too.
    const [caseStatus, page, hs, emails, timeline, files] = await seen(req, caseId, 'case_viewed', () =>
      Promise.all([
        actions.statusForReading(caseId, READ_WAIT_MS),
        actions.casePage(caseId),
        hospitals(),
        actions.emails(caseId).catch(() => []),
        actions.timeline(caseId).catch(() => []),
        opts.documents?.list(caseId).catch(() => []),
      ]),
    );
    const access = await accessLog.list(caseId, { limit: ACCESS_SHOWN + 1 });
    const html = casePage(viewerOf(req), {
      status: caseStatus,
      ...page,
      hospitals: hs,
      emails,
      timeline,
      ...(files ? { files } : {}),
      access: { entries: access.slice(0, ACCESS_SHOWN), more: access.length > ACCESS_SHOWN },
      now: now(),
      ...(opts.temporalUi ? { temporalUrl: `${opts.temporalUi.url}/namespaces/${encodeURIComponent(opts.temporalUi.namespace)}/workflows/${encodeURIComponent(`case-${caseId}`)}` } : {}),
      ...extra,
    });
    return send(reply, status, html);
  }

  app.get('/cases/:caseId', async (req: CaseRequest, reply) => {
    must(req, 'read');
    const done = (req.query as Record<string, unknown> | undefined)?.done;
    return showCase(req, reply, 200, typeof done === 'string' ? { done } : {});
  });

  app.post('/cases/:caseId/actions/:action', async (req: FastifyRequest<{ Params: { caseId: string; action: string } }>, reply) => {
    const action = req.params.action;
    if (!isFormAction(action)) throw new PageError(404, 'Not found', 'There is no such action.');
    const user = must(req, actionAccess(action));
    const caseId = caseIdOf(req);
    const values = { ...(req.body as FormValues) };
    const request = requestOf(values);
    delete values._csrf;
    try {
      const status = await timed(actions.status(caseId));
      const args = argsFromForm(action, values, status, await hospitals());
      if (action === 'submitToHospitals') await timed(actions.submit(caseId, args.hospitals as string[], user.email, request));
      else if (action === 'recordClinical') await timed(actions.recordClinical(caseId, args.observation, user.email, request));
      else await timed(actions.act(caseId, action as CaseActionName, { ...args, actor: user.email } as never, request));
    } catch (err) {
      if (err instanceof InputError) return showCase(req, reply, 400, { form: { action, values, errors: formErrors(action, err.fields) } });
      if (err instanceof ActionRefusedError) return showCase(req, reply, 409, { form: { action, values, errors: [], refused: err.message } });
      throw err;
    }
    return reply.redirect(`/console/cases/${caseId}?done=${action}#main`, 303);
  });

  // ---- a case's files ----

  if (opts.documents) {
    const documents = opts.documents;
    type FileRequest = FastifyRequest<{ Params: { caseId: string; fileId: string } }>;
    app.get('/cases/:caseId/files/:fileId', async (req: FileRequest, reply) => {
      must(req, 'read');
      const caseId = caseIdOf(req);
      const { file, body } = await seen(
        req,
        caseId,
        'file_downloaded',
        async () => {
          const file = await documents.find(caseId, req.params.fileId);
          if (!file) throw new PageError(404, 'Not found', 'There is no such file in this case.');
          return { file, body: await documents.open(caseId, file.id) };
        },
        { fileId: req.params.fileId },
        ({ body }) => body.destroy(),
      );
      return sendDownload(reply, file, body);
    });
    app.post('/cases/:caseId/files/:fileId/:review', async (req: FastifyRequest<{ Params: { caseId: string; fileId: string; review: string } }>, reply) => {
      const { review } = req.params;
      if (review !== 'accept' && review !== 'reject') throw new PageError(404, 'Not found', 'There is no such page.');
      const user = must(req, actionAccess(review === 'accept' ? 'receiveDocument' : 'requestDocument'));
      const caseId = caseIdOf(req);
      const values = { ...(req.body as FormValues) };
      const request = requestOf(values);
      const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
      try {
        if (review === 'accept') {
          const documentType = text('documentType');
          await acceptFile(documents, caseId, req.params.fileId, { ...(documentType ? { documentType } : {}), actor: user.email }, (file) =>
            timed(actions.act(caseId, 'receiveDocument', { ...file, actor: user.email }, request)),
          );
        } else {
          const { reason } = parseInput(z.object({ reason: actionSchema('requestDocument').shape.reason }), { reason: text('reason') });
          await rejectFile(documents, caseId, req.params.fileId, { reason, actor: user.email }, (r) => timed(actions.act(caseId, r.action, { ...r.args, reason, actor: user.email }, request)));
        }
      } catch (err) {
        if (err instanceof FileNotFound) throw new PageError(404, 'Not found', 'There is no such file in this case.');
        if (err instanceof InputError) return showCase(req, reply, 400, { form: { action: 'reviewFile', values, errors: err.fields } });
        if (err instanceof ActionRefusedError) return showCase(req, reply, 409, { form: { action: 'reviewFile', values, errors: [], refused: err.message } });
        throw err;
      }
      return reply.redirect(`/console/cases/${caseId}?done=${review === 'accept' ? 'fileAccepted' : 'fileRejected'}`, 303);
    });
  }

  app.post('/cases/:caseId/alerts/:alertId/ack', async (req: FastifyRequest<{ Params: { caseId: string; alertId: string } }>, reply) => {
    const user = must(req, 'clinical');
    const caseId = caseIdOf(req);
    try {
      await timed(actions.act(caseId, 'acknowledgeAlert', { alertId: req.params.alertId, actor: user.email }, requestOf({ ...(req.body as FormValues) })));
    } catch (err) {
      if (err instanceof ActionRefusedError || err instanceof InputError) return showCase(req, reply, 409, { form: { action: 'acknowledgeAlert', values: {}, errors: [], refused: err.message } });
      throw err;
    }
    return reply.redirect(`/console/cases/${caseId}?done=acknowledgeAlert`, 303);
  });
}

/**
 * The form's own id (rendered into it): posting the same form twice, or again after a time-out,
 * applies its action once. Taken out of the values, so it is never mistaken for an argument.
 */
function requestOf(values: FormValues): ActOptions {
  const id = values._request;
  delete values._request;
  return typeof id === 'string' && requestIdSchema.safeParse(id).success ? { requestId: id } : {};
}

