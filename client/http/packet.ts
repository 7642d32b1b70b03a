// A hospital's packet page behind the signed link in its submission and reminder emails: a
// one-time code emailed to the hospital's registered address, then the case's summary, its
// documents to download and the decision form. The link opens one hospital's one round of one
// case, never once that round is superseded, the case is over or the family withdrew consent.
//
//   GET  /packet/:token                 the code page, the packet (with a session), or what was decided
//   POST /packet/:token                 action=send | code (code=…) | decide (decision, reason, documents…)
//   GET  /packet/:token/files/:fileId   one of the packet's documents, as a download (session required)
//
// The link alone is a bearer secret that sits in a mailbox and may be forwarded: what the page
// shows of the patient needs the code too, which reaches only the address the hospital registered.
// Sessions are rows (their token's hash) rather than signed cookies: a link locked after too many
// wrong codes ends its sessions at once, and there is no second secret to derive and rotate. The
// cookie is scoped to the link's own path, HttpOnly and SameSite=Strict, so another site cannot
// post a decision with it (no CSRF token needed), and one link's session opens no other link.
//
// Tokens, codes, names and what a hospital types are never logged (common/logging.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CheckinLinks } from '../../common/checkin-link.ts';
import type { CaseStatus, SubmissionState } from '../../domain/case.ts';
import { DOCUMENT_TYPES } from '../../domain/case.ts';
import { isFileId } from '../../domain/files.ts';
import { InputError } from '../../domain/validation.ts';
import { staffNote, type Mailer } from '../../activities/mailer.ts';
import { ActionRefusedError, CaseNotFoundError } from '../case-calls.ts';
import type { Documents } from '../documents.ts';
import { codeOf, linkHashOf, packetFiles, SESSION_LIFETIME_MS, type PacketLink, type Packets } from '../packets.ts';
import { sendDownload } from './download.ts';
import { RETRY_AFTER_SECONDS } from '../unavailable.ts';
import { readCookie } from './auth.ts';
import { perLinkLimit } from './checkin.ts';
import { invalidLinkPage, notFoundPage } from './pages.ts';
import { codeMail, codePage, decidedPage, DECISIONS, packetMessagePage, packetPage, type CodeProblem, type DecisionProblem, type HospitalDecision, type RevokedWhy } from './packet-pages.ts';
import { pageLanguage, type PageLanguage } from './texts.ts';
import { logEvent, tellCase, type OutsidePageOptions } from './server.ts';

/**
 * One line of the access log (client/access-log.ts, wired later): ids only, never names or typed
 * text. Its detail keeps to the keys and shapes the log checks (domain/access.ts): hospitalCode,
 * round, fileId, and `reason` (why a code was refused) and `status` (the decision) as lower-case words.
 */
export interface PacketAccess {
  caseId: string;
  party: 'hospital';
  actor: string;
  action: 'packet_viewed' | 'file_downloaded' | 'code_sent' | 'code_refused' | 'decision_recorded';
  detail?: Record<string, string | number>;
  clientAddress?: string;
}

/** The case's actions this door takes, as the hospital. */
export type PacketAction =
  | { name: 'packetOpened' | 'packetLocked'; args: { hospitalCode: string; round: number } }
  | { name: 'recordDecision'; args: { hospitalCode: string; decision: HospitalDecision; reason?: string; documents?: string[] } };

export interface PacketPluginOptions extends OutsidePageOptions {
  packets: Packets;
  documents: Pick<Documents, 'open' | 'list'>;
  links: Pick<CheckinLinks, 'verifyPacket'>;
  /** The codes go out through the HTTP server's own mail server. */
  mailer: Mailer;
  getCaseStatus: (caseId: string) => Promise<CaseStatus>;
  /** An action of the case, as `actor`, with the request's id (the Update id: the same id is applied once). */
  act: (caseId: string, action: PacketAction, actor: string, requestId: string) => Promise<CaseStatus>;
  /** APP_BASE_URL is https: the session cookie is Secure. */
  https: boolean;
  logAccess?: (entry: PacketAccess) => Promise<void>;
  fallbackLanguage: (req: FastifyRequest) => PageLanguage;
}

const COOKIE = 'packet_session';

/** What the case's check of the typed reason refused it for, as the form names it (the only text the form sends). */
function reasonProblem(err: InputError): DecisionProblem {
  const message = err.fields[0]?.message ?? '';
  return message.startsWith('must be at most') ? 'long' : message === 'is required' ? 'reason' : 'text';
}
const OVER: readonly string[] = ['closed', 'cancelled'];
const DECIDED: readonly string[] = DECISIONS;

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/** The registered address as the page shows it: enough to recognise, not enough to harvest ("in•••@hospital.org"). */
export function maskAddress(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  const local = email.slice(0, at);
  return `${local.slice(0, Math.min(2, local.length - 1))}•••${email.slice(at)}`;
}

interface OpenLink extends PacketLink {
  lang: PageLanguage;
  actor: string;
  hospital: { name: string; email: string; language: string };
  submission: SubmissionState;
  /** The page's own path (the session cookie's, and the redirects'). */
  path: string;
}

export async function packetPlugin(app: FastifyInstance, opts: PacketPluginOptions): Promise<void> {
  const { packets, documents, links, now, context, sendPage, fallbackLanguage } = opts;
  const limit = perLinkLimit;

  /** The link, checked against the case now; or the page that says why it opens nothing (sent). */
  async function open(req: TokenRequest, reply: FastifyReply): Promise<OpenLink | undefined> {
    const verdict = links.verifyPacket(req.params.token, now());
    if (!verdict.ok && verdict.reason !== 'expired') {
      sendPage(reply, 400, invalidLinkPage({ lang: fallbackLanguage(req) }));
      return undefined;
    }
    const claims = verdict.ok ? verdict : verdict.claims;
    const c = context(req);
    c.caseId = claims.caseId;
    const hospital = await packets.hospital(claims.hospitalCode);
    const lang = hospital ? pageLanguage(hospital.language) : fallbackLanguage(req);
    c.lang = lang;
    if (!verdict.ok) {
      sendPage(reply, 410, packetMessagePage(lang, 'expired'));
      return undefined;
    }
    const status = await opts.getCaseStatus(claims.caseId).catch((err: unknown) => {
      if (err instanceof CaseNotFoundError) return undefined;
      throw err;
    });
    const submission = status?.submissions.find((s) => s.hospitalCode === claims.hospitalCode);
    const revoked: RevokedWhy | undefined = !status || OVER.includes(status.stage) ? 'closed' : status.consentWithdrawn ? 'consent' : !submission || submission.round !== claims.round || !submission.submittedAt ? 'superseded' : undefined;
    if (revoked || !hospital || !submission) {
      sendPage(reply, 410, packetMessagePage(lang, { revoked: revoked ?? 'closed' }));
      return undefined;
    }
    const link: OpenLink = { linkHash: linkHashOf(req.params.token), caseId: claims.caseId, hospitalCode: claims.hospitalCode, round: claims.round, lang, actor: `hospital:${claims.hospitalCode}`, hospital, submission, path: `/packet/${req.params.token}` };
    const lock = await packets.lock(link.linkHash);
    if (lock) {
      // Told until the case has taken it: a failure to tell it last time is made good now.
      if (!lock.told) await tellLocked(req, link);
      sendPage(reply, 403, packetMessagePage(lang, 'locked'));
      return undefined;
    }
    return link;
  }

  /** The case raises its alert and emails the coordinator; the Update id makes that happen once per link. */
  async function tellLocked(req: FastifyRequest, link: OpenLink): Promise<void> {
    try {
      await opts.act(link.caseId, { name: 'packetLocked', args: { hospitalCode: link.hospitalCode, round: link.round } }, link.actor, `packet-locked.${link.linkHash.slice(0, 40)}`);
      await packets.lockTold(link.linkHash);
    } catch (err) {
      logEvent(req.log, 'warn', 'case_not_told', { caseId: link.caseId, error: err });
    }
  }

  const hasSession = (req: FastifyRequest, link: OpenLink) => packets.hasSession(link.linkHash, readCookie(req.headers.cookie, COOKIE), now());

  /**
   * An access, logged before what it is about for a read (no log, no read: the error page), and
   * after the fact for the rest, where failing the hospital would not undo what was done.
   */
  async function logAccess(req: FastifyRequest, link: OpenLink, action: PacketAccess['action'], detail: Record<string, string | number> = {}): Promise<void> {
    if (!opts.logAccess) return;
    const entry: PacketAccess = { caseId: link.caseId, party: 'hospital', actor: link.actor, action, detail: { hospitalCode: link.hospitalCode, round: link.round, ...detail }, clientAddress: req.ip };
    if (action === 'packet_viewed' || action === 'file_downloaded') return opts.logAccess(entry);
    await opts.logAccess(entry).catch((err: unknown) => logEvent(req.log, 'warn', 'access_not_logged', { caseId: link.caseId, error: err }));
  }

  const codeInput = (link: OpenLink) => ({ lang: link.lang, hospital: link.hospital.name, address: maskAddress(link.hospital.email) });

  const decisionOf = (s: SubmissionState): HospitalDecision | undefined => (DECIDED.includes(s.status) ? (s.status as HospitalDecision) : undefined);

  async function decided(reply: FastifyReply, link: OpenLink, status: number, decision: HospitalDecision, as: 'done' | 'refused' | undefined, session: boolean) {
    const s = link.submission;
    return sendPage(reply, status, decidedPage({ lang: link.lang, decision, ...(s.requestedDocuments?.length ? { documents: s.requestedDocuments } : {}), ...(session && s.reason ? { reason: s.reason } : {}), ...(as ? { as } : {}) }));
  }

  async function showPacket(req: FastifyRequest, reply: FastifyReply, link: OpenLink, status: number, form?: { problems: DecisionProblem[]; values: { decision?: string; reason?: string; documents?: string[] } }) {
    const [summary, files, requested] = await Promise.all([packets.summary(link.caseId), documents.list(link.caseId).then((all) => packetFiles(all, link.hospital.language)), packets.requested(link.caseId, link.hospitalCode, link.round)]);
    if (!summary) return sendPage(reply, 410, packetMessagePage(link.lang, { revoked: 'closed' }));
    await logAccess(req, link, 'packet_viewed');
    return sendPage(
      reply,
      status,
      packetPage({ lang: link.lang, summary, round: link.round, requested, files, filesPath: `${link.path}/files`, ...(form ? { problems: form.problems, values: form.values } : {}) }),
    );
  }

  app.get<{ Params: { token: string } }>('/packet/:token', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const session = await hasSession(req, link);
    const decision = decisionOf(link.submission);
    if (decision) return decided(reply, link, 200, decision, 'decided' in (req.query as object) && session ? 'done' : undefined, session);
    if (!session) return sendPage(reply, 200, codePage({ ...codeInput(link), sent: 'sent' in (req.query as object) }));
    return showPacket(req, reply, link, 200);
  });

  app.post<{ Params: { token: string } }>('/packet/:token', { config: { rateLimit: limit(opts.postLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const action = body.action;
    const session = await hasSession(req, link);
    const decision = decisionOf(link.submission);
    // A decision sent again goes to the case, which answers as it did the first time, or refuses a different one.
    if (decision && !(action === 'decide' && session)) return decided(reply, link, 409, decision, undefined, session);

    if (action === 'send') {
      const deliver = (code: string) => {
        const mail = codeMail(link.lang, code, link.hospital.name);
        return opts.mailer.send(staffNote(link.hospital.email, mail.subject, mail.text, 'packet-code'));
      };
      try {
        const sent = await packets.sendCode(link, now(), deliver);
        if (!sent.ok && sent.why === 'locked') return sendPage(reply, 403, packetMessagePage(link.lang, 'locked'));
        if (!sent.ok) return sendPage(reply.header('retry-after', String(sent.retryAfterSeconds)), 429, codePage({ ...codeInput(link), problem: 'tooSoon', seconds: sent.retryAfterSeconds }));
      } catch (err) {
        logEvent(req.log, 'warn', 'code_not_sent', { caseId: link.caseId, error: err });
        return sendPage(reply.header('retry-after', String(RETRY_AFTER_SECONDS)), 503, codePage({ ...codeInput(link), problem: 'mailFailed' }));
      }
      await logAccess(req, link, 'code_sent');
      return reply.redirect(`${link.path}?sent`, 303);
    }

    if (action === 'code') {
      const code = codeOf(body.code);
      const refuse = async (problem: Exclude<CodeProblem, 'tooSoon' | 'mailFailed'>, left?: number) => {
        await logAccess(req, link, 'code_refused', { reason: problem });
        return sendPage(reply, 400, codePage({ ...codeInput(link), sent: true, problem, ...(left !== undefined ? { left } : {}) }));
      };
      if (!code) return refuse('format');
      const verdict = await packets.checkCode(link, code, now());
      if (!verdict.ok) {
        if (verdict.why === 'locked') {
          await logAccess(req, link, 'code_refused', { reason: 'locked' });
          if (verdict.justLocked) await tellLocked(req, link);
          return sendPage(reply, 403, packetMessagePage(link.lang, 'locked'));
        }
        return refuse(verdict.why, verdict.why === 'wrong' ? verdict.left : undefined);
      }
      const token = await packets.openSession(link, now());
      reply.header('set-cookie', `${COOKIE}=${token}; Path=${link.path}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_LIFETIME_MS / 1000}${opts.https ? '; Secure' : ''}`);
      if (!link.submission.openedAt) {
        // The case shows the packet opened; the page opens whether or not it could be told.
        await tellCase(req.log, link.caseId, opts.act(link.caseId, { name: 'packetOpened', args: { hospitalCode: link.hospitalCode, round: link.round } }, link.actor, `packet-opened.${link.hospitalCode}.${link.round}`));
      }
      return reply.redirect(link.path, 303);
    }

    if (action === 'decide') {
      if (!session) return sendPage(reply, 401, codePage(codeInput(link)));
      const chosen = typeof body.decision === 'string' && DECIDED.includes(body.decision) ? (body.decision as HospitalDecision) : undefined;
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      const wanted = (Array.isArray(body.documents) ? body.documents : [body.documents]).filter((d): d is string => typeof d === 'string' && (DOCUMENT_TYPES as readonly string[]).includes(d));
      const values = { ...(chosen ? { decision: chosen } : {}), reason, documents: wanted };
      const problems: DecisionProblem[] = [];
      if (!chosen) problems.push('decision');
      if (chosen === 'declined' && !reason) problems.push('reason');
      if (chosen === 'more_info' && wanted.length === 0) problems.push('documents');
      if (!chosen || problems.length) return showPacket(req, reply, link, 400, { problems, values });
      const args = { hospitalCode: link.hospitalCode, decision: chosen, ...(reason ? { reason } : {}), ...(chosen === 'more_info' ? { documents: wanted } : {}) };
      try {
        // The Update id is the hospital's round and its decision: sent twice, the case answers as it did the first time.
        await opts.act(link.caseId, { name: 'recordDecision', args }, link.actor, `packet-decision.${link.hospitalCode}.${link.round}.${chosen}`);
      } catch (err) {
        if (err instanceof InputError) return showPacket(req, reply, link, 400, { problems: [reasonProblem(err)], values });
        if (!(err instanceof ActionRefusedError)) throw err;
        const now = (await opts.getCaseStatus(link.caseId)).submissions.find((s) => s.hospitalCode === link.hospitalCode);
        const recorded = now && now.round === link.round ? decisionOf(now) : undefined;
        if (!recorded) return sendPage(reply, 410, packetMessagePage(link.lang, { revoked: 'superseded' }));
        return decided(reply, { ...link, submission: now! }, 409, recorded, 'refused', true);
      }
      await logAccess(req, link, 'decision_recorded', { status: chosen });
      return reply.redirect(`${link.path}?decided`, 303);
    }
    return session ? showPacket(req, reply, link, 400) : sendPage(reply, 400, codePage(codeInput(link)));
  });

  app.get<{ Params: { token: string; fileId: string } }>('/packet/:token/files/:fileId', { config: { rateLimit: limit(opts.getLimit) } }, async (req, reply) => {
    const link = await open(req, reply);
    if (!link) return reply;
    const session = await hasSession(req, link);
    const decision = decisionOf(link.submission);
    // Decided: the round's packet is done with; what was recorded is all the link shows now.
    if (decision) return decided(reply, link, 410, decision, undefined, session);
    if (!session) return sendPage(reply, 401, codePage(codeInput(link)));
    const fileId = req.params.fileId;
    const file = isFileId(fileId) ? packetFiles(await documents.list(link.caseId), link.hospital.language).find((f) => f.id === fileId) : undefined;
    if (!file) return sendPage(reply, 404, notFoundPage({ lang: link.lang }));
    await logAccess(req, link, 'file_downloaded', { fileId: file.id });
    return sendDownload(reply, file, await documents.open(link.caseId, file.id));
  });
}
