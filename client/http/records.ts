// The family's records page behind the signed link in their records emails: consent, then what is
// missing and what has come, and the upload itself (multipart, one or more files, no JavaScript
// needed), streamed into the vault. The link opens only its own case, never after it is closed.
//
//   GET  /upload/:token   the consent page, or the records page
//   POST /upload/:token   multipart (documentType, file…): the upload; urlencoded consent=agree|withdraw
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
import { StoreUnavailable } from '../../activities/vault/store.ts';
import { RETRY_AFTER_SECONDS } from '../unavailable.ts';
import { UploadRefused, type Documents, type FileRow } from '../documents.ts';
import { invalidLinkPage } from './pages.ts';
import { perLinkLimit } from './checkin.ts';
import { consentPage, recordsMessagePage, recordsPage, sentPage, withdrawnPage, type FileProblem, type RecordsPageInput } from './records-pages.ts';
import { pageLanguage, type PageLanguage } from './texts.ts';
import type { RateLimitSetting, RequestContext } from './server.ts';

export interface RecordsPluginOptions {
  documents: Documents;
  links: Pick<CheckinLinks, 'verifyFiles'>;
  familyContact: (caseId: string) => Promise<{ language: string } | undefined>;
  maxFileBytes: number;
  /** Tells the coordinator that a family withdrew their consent. */
  notifyWithdrawn: (caseId: string) => Promise<void>;
  /** Where the case stands (the workflow): which hospitals wait for the family's approval. */
  getCaseStatus: (caseId: string) => Promise<CaseStatus>;
  /** The family's approval of a hospital, to the case (its approveSharing action). */
  approveSharing: (caseId: string, hospitalCode: string) => Promise<unknown>;
  now: () => number;
  getLimit: RateLimitSetting;
  postLimit: RateLimitSetting;
  context: (req: FastifyRequest) => RequestContext;
  sendPage: (reply: FastifyReply, status: number, html: string) => FastifyReply;
  fallbackLanguage: (req: FastifyRequest) => PageLanguage;
}

const OVER: readonly string[] = ['closed', 'cancelled'];
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

  /** The case of a live link on a case still open, in the family's language; or the page that says why not. */
  async function open(req: TokenRequest, reply: FastifyReply) {
    const verdict = links.verifyFiles(req.params.token, now());
    if (!verdict.ok && verdict.reason !== 'expired') {
      sendPage(reply, 400, invalidLinkPage({ lang: fallbackLanguage(req) }));
      return undefined;
    }
    const caseId = verdict.ok ? verdict.caseId : verdict.claims.caseId;
    const c = context(req);
    c.caseId = caseId;
    const contact = await opts.familyContact(caseId);
    const lang = contact ? pageLanguage(contact.language) : fallbackLanguage(req);
    c.lang = lang;
    const view = await documents.familyView(caseId);
    if (!verdict.ok) {
      sendPage(reply, 410, recordsMessagePage(lang, 'expired'));
      return undefined;
    }
    if (!view || OVER.includes(view.stage)) {
      sendPage(reply, 410, recordsMessagePage(lang, 'closed'));
      return undefined;
    }
    return { caseId, lang, view };
  }

  /** The hospitals waiting for the family's approval, named; none when the case does not answer in time (the page works without). */
  const toApprove = async (caseId: string) => {
    const status = await withTimeout(opts.getCaseStatus(caseId), STATUS_WAIT_MS, () => new Error('no answer')).catch(() => undefined);
    const codes = status ? unapprovedHospitals(status) : [];
    return codes.length ? documents.hospitalNames(codes) : [];
  };

  const pageInput = async (caseId: string, lang: PageLanguage, view: RecordsPageInput['view']): Promise<RecordsPageInput> => ({
    lang,
    view,
    documentTypes: [...new Set([...view.missing, ...DOCUMENT_TYPES])],
    maxFileBytes: opts.maxFileBytes,
    toApprove: await toApprove(caseId),
  });

  app.get<{ Params: { token: string } }>('/upload/:token', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    return sendPage(reply, 200, link.view.consentedAt ? recordsPage(await pageInput(link.caseId, link.lang, link.view)) : consentPage(link.lang));
  });

  app.post<{ Params: { token: string } }>('/upload/:token', { config: { rateLimit: limit(opts.postLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const { caseId, lang, view } = link;

    if (!req.isMultipart()) {
      const consent = (req.body as { consent?: unknown } | undefined)?.consent;
      if (consent === 'agree') {
        await documents.agree(caseId, req.params.token);
        return reply.redirect(req.url, 303);
      }
      const hospital = (req.body as { hospital?: unknown } | undefined)?.hospital;
      if (consent === 'share' && view.consentedAt && typeof hospital === 'string') {
        const waiting = await toApprove(caseId);
        const chosen = waiting.find((h) => h.code === hospital);
        if (chosen) {
          await documents.recordSharing(caseId, chosen.code, req.params.token);
          await opts.approveSharing(caseId, chosen.code);
        }
        return sendPage(reply, chosen ? 200 : 409, recordsPage({ ...(await pageInput(caseId, lang, view)), ...(chosen ? { approved: chosen.name } : {}) }));
      }
      if (consent === 'withdraw') {
        if (await documents.withdraw(caseId)) await opts.notifyWithdrawn(caseId);
        return sendPage(reply, 200, withdrawnPage(lang));
      }
      return sendPage(reply, 400, view.consentedAt ? recordsPage({ ...(await pageInput(caseId, lang, view)), missingField: 'noFile' }) : consentPage(lang));
    }
    if (!view.consentedAt) return sendPage(reply, 409, consentPage(lang));

    let documentType: string | undefined;
    const typeOf = () => (documentType && /^[a-z][a-z0-9_]{1,40}$/.test(documentType) ? documentType : undefined);
    const stored: FileRow[] = [];
    const problems: FileProblem[] = [];
    try {
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'documentType' && typeof part.value === 'string') documentType = part.value;
          continue;
        }
        if (!part.filename) {
          // A file input left empty still sends a part: there is nothing in it.
          await part.toBuffer();
          continue;
        }
        const type = typeOf();
        if (!type) {
          await part.toBuffer().catch(() => {});
          continue;
        }
        try {
          stored.push(await documents.store({ caseId, documentType: type, fileName: part.filename, body: part.file, sender: 'family', actor: 'family' }));
        } catch (err) {
          if (!(err instanceof UploadRefused)) throw err;
          problems.push({ name: part.filename, reason: err.reason });
        }
      }
    } catch (err) {
      if (err instanceof StoreUnavailable) {
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return sendPage(reply, 503, recordsMessagePage(lang, 'unavailable'));
      }
      throw err;
    }
    if (stored.length > 0 && problems.length === 0) return sendPage(reply, 200, sentPage(lang, stored.length));
    const now = (await documents.familyView(caseId)) ?? view;
    const chosen = typeOf();
    const missingField = stored.length + problems.length === 0 ? (chosen ? 'noFile' : 'documentType') : undefined;
    const status = problems.some((p) => p.reason === 'too_large' || p.reason === 'case_full') ? 413 : problems.length ? 415 : 400;
    return sendPage(reply, status, recordsPage({ ...(await pageInput(caseId, lang, now)), problems, ...(missingField ? { missingField } : {}), ...(chosen ? { documentType: chosen } : {}) }));
  });
}
