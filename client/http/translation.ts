// The translator's page behind the signed link in the translation emails: one document of one
// case, into the languages the request named. The translator downloads the original and sends a
// translation per language back (multipart, no JavaScript needed), into the vault as a translation
// of that document; once every language has one, the case's translation is done, by the translator.
//
//   GET  /translation/:token                  the page
//   GET  /translation/:token/files/:fileId    an accepted original of the document, as a download
//   POST /translation/:token                  multipart (language, file): a translation
//
// The link opens nothing once the case is closed or cancelled, or while the family has withdrawn
// their consent. Tokens are bearer secrets in the URL path, and file names may say who the patient
// is: nothing here logs a URL, a token, a file name or a file.
import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CheckinLinks, TranslationLinkClaims } from '../../common/checkin-link.ts';
import type { CaseStatus } from '../../domain/case.ts';
import { RETRY_AFTER_SECONDS } from '../unavailable.ts';
import { ActionRefusedError } from '../case-calls.ts';
import type { Documents, FileRow } from '../documents.ts';
import { invalidLinkPage, notFoundPage } from './pages.ts';
import { perLinkLimit } from './checkin.ts';
import { storeParts } from './upload-parts.ts';
import { translationMessagePage, translationPage, type TranslationPageInput, type UploadOutcome } from './translation-pages.ts';
import type { PageLanguage } from './texts.ts';
import { logEvent, type OutsidePageOptions } from './server.ts';
import { sendDownload } from './download.ts';

/** One access through the translator's link, for the access log (ids only: never a name or a text). */
export interface TranslatorAccess {
  caseId: string;
  party: 'translator';
  actor: string;
  action: 'file_downloaded' | 'translation_uploaded';
  detail?: Record<string, string | number>;
  clientAddress?: string;
}

export interface TranslationPluginOptions extends Omit<OutsidePageOptions, 'fallbackLanguage'> {
  documents: Documents;
  links: Pick<CheckinLinks, 'verifyTranslation'>;
  maxFileBytes: number;
  /** Where the case stands (the workflow): open or not, the family's consent, the document's translation and its due date. */
  getCaseStatus: (caseId: string) => Promise<CaseStatus>;
  /** The translation finished, to the case (its completeTranslation action, as the translator); the same `requestId` applies once. */
  completeTranslation: (caseId: string, documentType: string, requestId: string) => Promise<unknown>;
  /** The access log, when there is one: each download of an original and each translation stored. */
  logAccess?: (entry: TranslatorAccess) => Promise<void>;
  sendPage: (reply: FastifyReply, status: number, html: string) => FastifyReply;
}

const OVER: readonly string[] = ['closed', 'cancelled'];
/** The translator's emails are in English, and so are their pages. */
const LANG: PageLanguage = 'en';
const ACTOR = 'translator';
const OUTCOMES: readonly UploadOutcome['kind'][] = ['partial', 'complete', 'notAwaited', 'notTold'];

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;
interface Link {
  claims: TranslationLinkClaims;
  status: CaseStatus;
}

/** The newest accepted translation into each language (the list comes oldest first). */
function acceptedByLanguage(files: FileRow[]): Map<string, FileRow> {
  const by = new Map<string, FileRow>();
  for (const f of files) if (f.status === 'accepted' && f.language) by.set(f.language, f);
  return by;
}

/** The same translations always give the same request, so a retried completion is taken once. */
const completionRequest = (documentType: string, files: FileRow[]) =>
  `translated:${createHash('sha256')
    .update(`${documentType}:${files.map((f) => f.id).sort().join(',')}`)
    .digest('hex')
    .slice(0, 40)}`;

export async function translationPlugin(app: FastifyInstance, opts: TranslationPluginOptions): Promise<void> {
  const { documents, links, now, context, sendPage } = opts;
  // One byte over the limit reaches the vault, which refuses the file (as on the records page).
  await app.register(multipart, { throwFileSizeLimit: false, limits: { fileSize: opts.maxFileBytes + 1, files: 1, fields: 5, fieldSize: 200, parts: 6, headerPairs: 50 } });
  const limit = perLinkLimit;

  /** The link's claims and the case, on a live link to a case still sharing; or why not (and the page that says so). */
  async function check(req: TokenRequest): Promise<({ ok: true } & Link) | { ok: false; status: 400 | 410; why: 'invalid' | 'expired' | 'closed' }> {
    const verdict = links.verifyTranslation(req.params.token, now());
    if (!verdict.ok && verdict.reason !== 'expired') return { ok: false, status: 400, why: 'invalid' };
    const claims = verdict.ok ? { caseId: verdict.caseId, documentType: verdict.documentType, languages: verdict.languages, expiresAt: verdict.expiresAt } : verdict.claims;
    const c = context(req);
    c.caseId = claims.caseId;
    c.lang = LANG;
    if (!verdict.ok) return { ok: false, status: 410, why: 'expired' };
    const status = await opts.getCaseStatus(claims.caseId);
    // A withdrawn consent stops all sharing, the translator's copy of the original too.
    if (OVER.includes(status.stage) || status.consentWithdrawn) return { ok: false, status: 410, why: 'closed' };
    return { ok: true, claims, status };
  }

  async function open(req: TokenRequest, reply: FastifyReply): Promise<Link | undefined> {
    const link = await check(req);
    if (link.ok) return link;
    sendPage(reply, link.status, link.why === 'invalid' ? invalidLinkPage({ lang: LANG }) : translationMessagePage(LANG, link.why));
    return undefined;
  }

  /** The document's files as the page shows them: the originals it may give, the translations sent. */
  async function filesOf({ claims }: Link) {
    const files = (await documents.list(claims.caseId)).filter((f) => f.documentType === claims.documentType);
    return {
      originals: files.filter((f) => f.kind === 'original' && f.status === 'accepted'),
      translations: files.filter((f) => f.kind === 'translation' && f.language !== null && claims.languages.includes(f.language)),
    };
  }

  const pageInput = async (req: TokenRequest, link: Link, extra: Partial<TranslationPageInput>): Promise<TranslationPageInput> => {
    const { claims, status } = link;
    const doc = status.documents[claims.documentType];
    const until = status.waitingFor.from === 'translator' ? status.waitingFor.until : undefined;
    return {
      lang: LANG,
      base: `/translation/${encodeURIComponent(req.params.token)}`,
      documentType: claims.documentType,
      ...(doc?.language ? { fromLanguage: doc.language } : {}),
      languages: claims.languages,
      ...(until ? { dueAt: until } : {}),
      done: doc?.translation === 'done',
      ...(await filesOf(link)),
      maxFileBytes: opts.maxFileBytes,
      ...extra,
    };
  };
  const page = async (req: TokenRequest, reply: FastifyReply, status: number, link: Link, extra: Partial<TranslationPageInput> = {}) =>
    sendPage(reply, status, translationPage(await pageInput(req, link, extra)));

  const access = (req: FastifyRequest, caseId: string, action: TranslatorAccess['action'], detail: Record<string, string>) =>
    opts.logAccess?.({ caseId, party: 'translator', actor: ACTOR, action, detail, clientAddress: req.ip });

  /**
   * Once every language of the link has an accepted translation, the case is told the translation
   * is done. Whatever it answers, the file stays: the page says what became of it.
   */
  async function settle(req: FastifyRequest, { claims }: Link, translations: FileRow[]): Promise<UploadOutcome> {
    const accepted = acceptedByLanguage(translations);
    const remaining = claims.languages.filter((l) => !accepted.has(l));
    if (remaining.length) return { kind: 'partial', remaining };
    try {
      await opts.completeTranslation(claims.caseId, claims.documentType, completionRequest(claims.documentType, [...accepted.values()]));
      return { kind: 'complete' };
    } catch (err) {
      if (err instanceof ActionRefusedError) return { kind: 'notAwaited' };
      logEvent(req.log, 'warn', 'case_not_told', { caseId: claims.caseId, error: err });
      return { kind: 'notTold' };
    }
  }

  app.get<{ Params: { token: string } }>('/translation/:token', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    // After an upload (redirected here, so that reloading the page does not send the file again).
    const sent = (req.query as { sent?: string }).sent as UploadOutcome['kind'] | undefined;
    if (!sent || !OUTCOMES.includes(sent)) return page(req, reply, 200, link);
    if (sent !== 'partial') return page(req, reply, 200, link, { outcome: { kind: sent } });
    const { translations } = await filesOf(link);
    const accepted = acceptedByLanguage(translations);
    return page(req, reply, 200, link, { outcome: { kind: 'partial', remaining: link.claims.languages.filter((l) => !accepted.has(l)) } });
  });

  app.get<{ Params: { token: string; fileId: string } }>('/translation/:token/files/:fileId', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const { caseId, documentType } = link.claims;
    // Only what the page offers: an accepted original of this document of this case.
    const file = await documents.find(caseId, req.params.fileId);
    if (!file || file.kind !== 'original' || file.status !== 'accepted' || file.documentType !== documentType) return sendPage(reply, 404, notFoundPage({ lang: LANG }));
    // Recorded before the file is opened: a download the log cannot record does not happen.
    await access(req, caseId, 'file_downloaded', { fileId: file.id, documentType });
    return sendDownload(reply, file, await documents.open(caseId, file.id));
  });

  app.post<{ Params: { token: string } }>('/translation/:token', { config: { rateLimit: limit(opts.postLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const { caseId, documentType, languages } = link.claims;
    if (!req.isMultipart()) return page(req, reply, 400, link, { missingField: 'noFile' });

    let language: string | undefined;
    let languageRefused = false;
    const read = await storeParts(req, {
      field: (name, value) => {
        if (name === 'language') language = value;
      },
      storeOf: (fileName) => {
        const into = language;
        // A file for a language the link does not name is not taken.
        if (!into || !languages.includes(into)) {
          languageRefused = true;
          return undefined;
        }
        return (body) => documents.store({ caseId, documentType, fileName, body, sender: 'translator', actor: ACTOR, translation: { language: into } });
      },
    });
    if (read === 'unavailable') {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendPage(reply, 503, translationMessagePage(LANG, 'unavailable'));
    }
    const { problems } = read;
    const [stored] = read.stored;
    const chosen = language && languages.includes(language) ? { language } : {};
    if (!stored) {
      const missingField = languageRefused || (language !== undefined && !languages.includes(language)) ? 'language' : problems.length ? undefined : 'noFile';
      const status = problems.some((p) => p.reason === 'too_large' || p.reason === 'case_full') ? 413 : problems.length ? 415 : 400;
      return page(req, reply, status, link, { problems, ...(missingField ? { missingField } : {}), ...chosen });
    }
    // The translation is kept whatever the log answers: it is the translator's work, and theirs to retry.
    await access(req, caseId, 'translation_uploaded', { fileId: stored.id, documentType, language: stored.language ?? '' })?.catch((err: unknown) => logEvent(req.log, 'warn', 'access_not_logged', { caseId, error: err }));
    const outcome = await settle(req, link, (await filesOf(link)).translations);
    return reply.redirect(`${req.url.split('?')[0]}?sent=${outcome.kind}`, 303);
  });
}
