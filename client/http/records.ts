// The family's records page behind the signed link in their records emails: consent, then what is
// missing and what has come, and the upload itself (multipart, one or more files, no JavaScript
// needed), streamed into the vault. The link opens only its own case, never after it is closed.
//
//   GET  /upload/:token   the consent page, or the records page
//   POST /upload/:token   multipart (documentType, file…): the upload; urlencoded consent=agree|withdraw
//   *    /upload/:token/tus[/:id]   the same upload, resumable, for the page's script (resumable.ts)
//
// Tokens are bearer secrets in the URL path, and file names may say who the patient is: nothing
// here logs a URL, a token, a file name or a file.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CheckinLinks } from '../../common/checkin-link.ts';
import { withTimeout } from '../../common/timeout.ts';
import type { CaseStatus } from '../../domain/case.ts';
import { DOCUMENT_TYPES } from '../../domain/case.ts';
import { unapprovedHospitals } from '../../domain/case-rules.ts';
import { RETRY_AFTER_SECONDS } from '../unavailable.ts';
import { documentTypeOf, type Documents, type FamilyView } from '../documents.ts';
import type { Uploads } from '../uploads.ts';
import { resumableRoutes } from './resumable.ts';
import { invalidLinkPage, STYLE_HASH } from './pages.ts';
import { perLinkLimit } from './checkin.ts';
import { assetRoutes, RECORDS_SCRIPTS } from './assets.ts';
import { consentPage, recordsMessagePage, recordsPage, sentPage, withdrawnPage, type RecordsPageInput } from './records-pages.ts';
import { storeParts } from './upload-parts.ts';
import { pageLanguage, type PageLanguage } from './texts.ts';
import { tellCase, type OutsidePageOptions } from './server.ts';

export interface RecordsPluginOptions extends OutsidePageOptions {
  documents: Documents;
  /** Resumable uploads under way (the tus door at /upload/:token/tus). */
  uploads: Uploads;
  links: Pick<CheckinLinks, 'verifyFiles'>;
  familyContact: (caseId: string) => Promise<{ language: string } | undefined>;
  maxFileBytes: number;
  /** The family's consent withdrawn or given again, to the case (its recordConsent action: it stops or resumes sharing, and alerts). */
  recordConsent: (caseId: string, consent: 'withdrawn' | 'given') => Promise<unknown>;
  /** Files stored, to the case (its filesUploaded action: it waits for their review and tells the coordinator). */
  filesUploaded: (caseId: string, fileIds: string[]) => Promise<unknown>;
  /** Where the case stands (the workflow): which hospitals wait for the family's approval. */
  getCaseStatus: (caseId: string) => Promise<CaseStatus>;
  /** The family's approval of a hospital, to the case (its approveSharing action). */
  approveSharing: (caseId: string, hospitalCode: string) => Promise<unknown>;
  fallbackLanguage: (req: FastifyRequest) => PageLanguage;
}

const OVER: readonly string[] = ['closed', 'cancelled'];
/** The family pages' policy (server.ts), and the records page's scripts (assets.ts) with their uploads. */
const RECORDS_CSP = `default-src 'none'; style-src ${STYLE_HASH}; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
/** How long the page waits for the case's own answer about hospitals to approve. */
const STATUS_WAIT_MS = 5_000;
/** Files in one request; each is checked and stored on its own. */
const MAX_FILES = 20;

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

export async function recordsPlugin(app: FastifyInstance, opts: RecordsPluginOptions): Promise<void> {
  const { documents, links, now, context, sendPage, fallbackLanguage } = opts;
  // One byte over the limit reaches the vault, which refuses the file; at the limit exactly, the
  // parser would cut the file short without a word.
  await app.register(multipart, { throwFileSizeLimit: false, limits: { fileSize: opts.maxFileBytes + 1, files: MAX_FILES, fields: 5, fieldSize: 200, parts: MAX_FILES + 5, headerPairs: 50 } });

  const limit = perLinkLimit;

  /** The case of a live link on a case still open, in the family's language; or why not (and the page that says so). */
  async function check(req: TokenRequest): Promise<{ ok: true; caseId: string; lang: PageLanguage; view: FamilyView } | { ok: false; status: 400 | 410; why: 'invalid' | 'expired' | 'closed'; lang: PageLanguage }> {
    const verdict = links.verifyFiles(req.params.token, now());
    if (!verdict.ok && verdict.reason !== 'expired') return { ok: false, status: 400, why: 'invalid', lang: fallbackLanguage(req) };
    const caseId = verdict.ok ? verdict.caseId : verdict.claims.caseId;
    const c = context(req);
    c.caseId = caseId;
    const contact = await opts.familyContact(caseId);
    const lang = contact ? pageLanguage(contact.language) : fallbackLanguage(req);
    c.lang = lang;
    const view = await documents.familyView(caseId);
    if (!verdict.ok) return { ok: false, status: 410, why: 'expired', lang };
    if (!view || OVER.includes(view.stage)) return { ok: false, status: 410, why: 'closed', lang };
    return { ok: true, caseId, lang, view };
  }

  async function open(req: TokenRequest, reply: FastifyReply) {
    const link = await check(req);
    if (link.ok) return link;
    sendPage(reply, link.status, link.why === 'invalid' ? invalidLinkPage({ lang: link.lang }) : recordsMessagePage(link.lang, link.why));
    return undefined;
  }

  await app.register(resumableRoutes, {
    uploads: opts.uploads,
    maxFileBytes: opts.maxFileBytes,
    // A piece of a large file is a request, or two with the HEAD after a drop: a fast connection
    // sends a few a second, which the page's own limits would cut off.
    rateLimit: limit({ max: 600, timeWindowMs: 60_000 }),
    stored: (caseId, fileId) => tellCase(app.log, caseId, opts.filesUploaded(caseId, [fileId])),
    async check(req) {
      const link = await check(req);
      if (!link.ok) return { ok: false, status: link.status, reason: link.why };
      // As the form: nothing is taken before the family has agreed. 403, not the form's 409, which
      // tus clients retry for minutes as a conflict of offsets.
      if (!link.view.consentedAt) return { ok: false, status: 403, reason: 'consent' };
      return { ok: true, caseId: link.caseId };
    },
  });

  /**
   * The hospitals waiting for the family's approval, named; none when the case does not answer in
   * time (the page works without). A case that still counts the family's consent as withdrawn,
   * while the page has it in force (telling it failed last time), is told again.
   */
  const toApprove = async (req: FastifyRequest, caseId: string, view: FamilyView) => {
    const status = await withTimeout(opts.getCaseStatus(caseId), STATUS_WAIT_MS, () => new Error('no answer')).catch(() => undefined);
    if (status?.consentWithdrawn && view.consentedAt) await tellCase(req.log, caseId, opts.recordConsent(caseId, 'given'));
    const codes = status ? unapprovedHospitals(status) : [];
    return codes.length ? documents.hospitalNames(codes) : [];
  };

  const pageInput = async (req: FastifyRequest, caseId: string, lang: PageLanguage, view: FamilyView): Promise<RecordsPageInput> => ({
    lang,
    view,
    documentTypes: [...new Set([...view.missing, ...DOCUMENT_TYPES])],
    maxFileBytes: opts.maxFileBytes,
    scripts: RECORDS_SCRIPTS,
    toApprove: await toApprove(req, caseId, view),
  });

  // The one page of the service with scripts: its own two, from this origin, and their uploads to it.
  await app.register(assetRoutes);
  const sendRecordsPage = (reply: FastifyReply, status: number, input: RecordsPageInput) =>
    sendPage(reply.header('Content-Security-Policy', RECORDS_CSP), status, recordsPage(input));

  app.get<{ Params: { token: string } }>('/upload/:token', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    // After an upload (redirected here, so that reloading the page does not send the files again).
    const sent = Number((req.query as { sent?: string }).sent);
    if (Number.isInteger(sent) && sent >= 1 && sent <= MAX_FILES) return sendPage(reply, 200, sentPage(link.lang, sent));
    return link.view.consentedAt ? sendRecordsPage(reply, 200, await pageInput(req, link.caseId, link.lang, link.view)) : sendPage(reply, 200, consentPage(link.lang));
  });

  app.post<{ Params: { token: string } }>('/upload/:token', { config: { rateLimit: limit(opts.postLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const { caseId, lang, view } = link;

    if (!req.isMultipart()) {
      const consent = (req.body as { consent?: unknown } | undefined)?.consent;
      if (consent === 'agree') {
        // Given again after a withdrawal: the case resumes sharing (a first consent changes nothing there).
        if ((await documents.agree(caseId, req.params.token)) === 'renewed') await opts.recordConsent(caseId, 'given');
        return reply.redirect(req.url, 303);
      }
      const hospital = (req.body as { hospital?: unknown } | undefined)?.hospital;
      if (consent === 'share' && view.consentedAt && typeof hospital === 'string') {
        const waiting = await toApprove(req, caseId, view);
        const chosen = waiting.find((h) => h.code === hospital);
        if (chosen) {
          await documents.recordSharing(caseId, chosen.code, req.params.token);
          await opts.approveSharing(caseId, chosen.code);
        }
        return sendRecordsPage(reply, chosen ? 200 : 409, { ...(await pageInput(req, caseId, lang, view)), ...(chosen ? { approved: chosen.name } : {}) });
      }
      if (consent === 'withdraw') {
        await documents.withdraw(caseId);
        // Told every time (the case takes it once): a family that sends it again after a failure is heard.
        await opts.recordConsent(caseId, 'withdrawn');
        return sendPage(reply, 200, withdrawnPage(lang));
      }
      return view.consentedAt ? sendRecordsPage(reply, 400, { ...(await pageInput(req, caseId, lang, view)), missingField: 'noFile' }) : sendPage(reply, 400, consentPage(lang));
    }
    if (!view.consentedAt) return sendPage(reply, 409, consentPage(lang));

    let documentType: string | undefined;
    const typeOf = () => documentTypeOf(documentType);
    const read = await storeParts(req, {
      field: (name, value) => {
        if (name === 'documentType') documentType = value;
      },
      storeOf: (fileName) => {
        const type = typeOf();
        return type ? (body) => documents.store({ caseId, documentType: type, fileName, body, sender: 'family', actor: 'family' }) : undefined;
      },
    });
    if (read === 'unavailable') {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendPage(reply, 503, recordsMessagePage(lang, 'unavailable'));
    }
    const { stored, problems } = read;
    if (stored.length > 0) await tellCase(req.log, caseId, opts.filesUploaded(caseId, stored.map((f) => f.id)));
    if (stored.length > 0 && problems.length === 0) return reply.redirect(`${req.url.split('?')[0]}?sent=${stored.length}`, 303);
    const now = (await documents.familyView(caseId)) ?? view;
    const chosen = typeOf();
    const missingField = stored.length + problems.length === 0 ? (chosen ? 'noFile' : 'documentType') : undefined;
    const status = problems.some((p) => p.reason === 'too_large' || p.reason === 'case_full') ? 413 : problems.length ? 415 : 400;
    return sendRecordsPage(reply, status, { ...(await pageInput(req, caseId, lang, now)), problems, ...(missingField ? { missingField } : {}), ...(chosen ? { documentType: chosen } : {}) });
  });
}
