// The console's account pages:
//
//   GET/POST /console/sign-in                  password, then the second factor (one form)
//   GET/POST /console/account/second-factor    set it up (the one page a password-only session opens)
//   GET      /console/account                  one's own account; POST …/password, …/recovery-codes
//   GET/POST /console/forgot                   email me a link to set my password
//   GET/POST /console/password/:token          the emailed link: set the password, once
//   GET/POST /console/accounts, POST /console/accounts/change   everyone's accounts (admins)
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { staffNote, type Mailer } from '../../../activities/mailer.ts';
import { InputError } from '../../../domain/validation.ts';
import type { Accounts, User } from '../../accounts.ts';
import { enrolmentOf } from '../../second-factor.ts';
import { readCookie, SESSION_COOKIE, signIn, type LoginThrottle, type Site } from '../auth.ts';
import type { Viewer } from './html.ts';
import { accountPage, accountsPage, forgotPage, recoveryCodesPage, secondFactorSetUpPage, setPasswordPage, signInPage } from './account-views.ts';
import { messagePage } from './views.ts';

export class PageError extends Error {
  readonly statusCode: number;
  readonly title: string;
  constructor(statusCode: number, title: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.title = title;
  }
}

/** Pages anyone may open. */
export const PUBLIC_PAGES = new Set(['/console/sign-in', '/console/forgot', '/console/password/:token']);
/** Pages a session signed in with the password alone may open, to set up its second factor. */
export const SET_UP_PAGES = new Set(['/console/account/second-factor', '/console/sign-out']);

/** A reset link lives an hour; a new account's first link a week (it may wait for a Monday). */
const RESET_LINK_MS = 60 * 60_000;
const WELCOME_LINK_MS = 7 * 24 * 60 * 60_000;

export interface AccountRoutesOptions {
  accounts: Accounts;
  throttle: LoginThrottle;
  site: Site;
  send(reply: FastifyReply, status: number, body: string): FastifyReply;
  signedIn(req: FastifyRequest): { user: User; viewer: Viewer; sessionToken: string };
  note(req: FastifyRequest, fields: { userId?: number }): void;
  now(): number;
  mailer?: Mailer;
}

const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

export async function accountRoutes(app: FastifyInstance, o: AccountRoutesOptions): Promise<void> {
  const { accounts, send, signedIn } = o;
  const startSession = async (req: FastifyRequest, reply: FastifyReply, user: User, pendingEnrolment: boolean) => {
    o.note(req, { userId: user.id });
    const session = await accounts.createSession(user.id, { pendingEnrolment });
    reply.header('Set-Cookie', o.site.cookie(req, session.token, Math.round((session.expiresAt.getTime() - o.now()) / 1000)));
  };
  const sameSiteOnly = (req: FastifyRequest, message = 'Use the console itself.') => {
    // Login CSRF and its cousins: a form posted from another site is refused (browsers send Origin on POST).
    if (o.site.crossSite(req)) throw new PageError(403, 'Not done', message);
  };

  // ---- signing in ----

  app.get('/sign-in', async (req, reply) => {
    const expired = (req.query as Record<string, string> | undefined)?.expired === '1';
    return send(reply, 200, signInPage(expired ? { status: 'Your session ended: please sign in again.' } : {}));
  });

  app.post('/sign-in', async (req, reply) => {
    sameSiteOnly(req, 'Sign in from the console itself.');
    const email = field(req.body, 'email').trim();
    const result = await signIn(accounts, o.throttle, { email, password: field(req.body, 'password'), code: field(req.body, 'code') }, req.ip);
    switch (result.outcome) {
      case 'wait':
        return send(reply.header('Retry-After', String(result.wait)), 429, signInPage({ email, error: `Too many failed sign-ins: try again in ${Math.ceil(result.wait / 60)} minute${result.wait > 60 ? 's' : ''}.` }));
      case 'wrong password':
        return send(reply, 401, signInPage({ email, error: 'Wrong email or password.' }));
      case 'code needed':
        return send(reply, 401, signInPage({ email, askCode: true, error: 'Enter your password again, with the code your authenticator app shows (or a recovery code).' }));
      case 'wrong code':
        return send(reply, 401, signInPage({ email, askCode: true, error: 'That code is wrong, or was already used. Enter your password and a new code.' }));
      case 'set up':
        await startSession(req, reply, result.user, true);
        return reply.redirect('/console/account/second-factor', 303);
      case 'signed in':
        await startSession(req, reply, result.user, false);
        return reply.redirect(result.recoveryCodeUsed ? '/console/account?done=recovery' : '/console/', 303);
    }
  });

  app.post('/sign-out', async (req, reply) => {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token) await accounts.deleteSession(token);
    reply.header('Set-Cookie', o.site.cookie(req, '', 0));
    return send(reply, 200, signInPage({ status: 'Signed out.' }));
  });

  // ---- the second factor ----

  const setUpPage = async (req: FastifyRequest, reply: FastifyReply, status: number, error?: string) => {
    const { user, viewer } = signedIn(req);
    const secret = await accounts.startEnrolment(user.id);
    return send(reply, status, secondFactorSetUpPage(viewer, { ...enrolmentOf(secret, user.email), secret, ...(error ? { error } : {}) }));
  };
  app.get('/account/second-factor', async (req, reply) => {
    if (signedIn(req).user.secondFactor) return reply.redirect('/console/account', 303);
    return setUpPage(req, reply, 200);
  });
  app.post('/account/second-factor', async (req, reply) => {
    const { user, viewer, sessionToken } = signedIn(req);
    if (user.secondFactor) return reply.redirect('/console/account', 303);
    const codes = await accounts.confirmEnrolment(user.id, field(req.body, 'code'), sessionToken);
    if (!codes) return setUpPage(req, reply, 400, 'That code did not match: check the app shows this account, and type the code it shows now.');
    return send(reply, 200, recoveryCodesPage(viewer, codes, 'Your second factor is set up.'));
  });

  // ---- one's own account ----

  const ownPage = async (req: FastifyRequest, reply: FastifyReply, status: number, banner: { status?: string; error?: string } = {}) => {
    const { user, viewer } = signedIn(req);
    return send(reply, status, accountPage(viewer, user, { unusedCodes: await accounts.unusedRecoveryCodes(user.id), ...banner }));
  };
  app.get('/account', async (req, reply) => {
    const recovered = (req.query as Record<string, unknown> | undefined)?.done === 'recovery';
    return ownPage(req, reply, 200, recovered ? { status: 'You signed in with a recovery code, which is now used up. Make new codes if few are left.' } : {});
  });
  app.post('/account/recovery-codes', async (req, reply) => {
    const { user, viewer } = signedIn(req);
    if (!user.secondFactor) return reply.redirect('/console/account/second-factor', 303);
    return send(reply, 200, recoveryCodesPage(viewer, await accounts.renewRecoveryCodes(user.id), 'New recovery codes: the old ones no longer work.'));
  });
  app.post('/account/password', async (req, reply) => {
    const { user, sessionToken } = signedIn(req);
    // The current password is guessed against the same budget as a sign-in.
    const attempt = await o.throttle.reserve(user.email, req.ip);
    if ('wait' in attempt) return ownPage(req, reply.header('Retry-After', String(attempt.wait)), 429, { error: 'Too many wrong passwords: try again later.' });
    if (!(await accounts.verifyLogin(user.email, field(req.body, 'current')))) return ownPage(req, reply, 401, { error: 'Your current password was not right.' });
    await attempt.settle(true);
    try {
      await accounts.setPassword(user.email, field(req.body, 'password'), { keepSession: sessionToken });
    } catch (err) {
      if (err instanceof InputError) return ownPage(req, reply, 400, { error: `New password ${err.fields.map((f) => f.message).join('; ')}.` });
      throw err;
    }
    return ownPage(req, reply, 200, { status: 'Password changed. Your other sessions have ended.' });
  });

  // ---- password links ----

  const mailLink = async (user: User, token: string, welcome: boolean) => {
    if (!o.mailer) throw new PageError(503, 'Not available', 'This service sends no email (no mail server is set up): ask an admin to set the password with casectl.');
    const link = o.site.link(`/console/password/${token}`);
    const text = welcome
      ? `Hello ${user.name},\n\nAn account for the case coordination console was made for you (${user.email}, ${user.role}). Set your password here; the link works once, within 7 days:\n\n${link}\n\nAfter that you will set up a code app on your phone.\n`
      : `Hello ${user.name},\n\nSomeone (we hope you) asked to set a new password for ${user.email}. The link works once, within an hour:\n\n${link}\n\nIf it was not you, ignore this email: your password is unchanged.\n`;
    await o.mailer.send(staffNote(user.email, welcome ? 'Your case coordination account' : 'Set a new password', text, 'password'));
  };

  app.get('/forgot', async (_req, reply) => send(reply, 200, forgotPage({})));
  app.post('/forgot', async (req, reply) => {
    sameSiteOnly(req);
    const link = await accounts.createPasswordLink(field(req.body, 'email'), RESET_LINK_MS);
    if (link) await mailLink(link.user, link.token, false);
    // The same answer whether or not an account exists: the page tells no one who has one.
    return send(reply, 200, forgotPage({ status: 'If an account has that email, a link to set a new password is on its way. It works once, within an hour.' }));
  });

  type LinkRequest = FastifyRequest<{ Params: { token: string } }>;
  const gone = (reply: FastifyReply) => send(reply, 410, messagePage(undefined, 'This link no longer works', 'It was used already, or it expired. Ask for a new one from "Forgot your password?" on the sign-in page.'));
  app.get('/password/:token', async (req: LinkRequest, reply) => {
    const user = await accounts.passwordLinkUser(req.params.token);
    return user ? send(reply, 200, setPasswordPage(req.params.token, user.email)) : gone(reply);
  });
  app.post('/password/:token', async (req: LinkRequest, reply) => {
    sameSiteOnly(req);
    try {
      const user = await accounts.usePasswordLink(req.params.token, field(req.body, 'password'));
      if (!user) return gone(reply);
      return send(reply, 200, signInPage({ email: user.email, status: 'Your password is set: sign in with it.' }));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const user = await accounts.passwordLinkUser(req.params.token);
      return user ? send(reply, 400, setPasswordPage(req.params.token, user.email, { error: `Password ${err.fields.map((f) => f.message).join('; ')}.` })) : gone(reply);
    }
  });

  // ---- everyone's accounts (admins) ----

  const admin = (req: FastifyRequest) => {
    const s = signedIn(req);
    if (!s.user.admin) throw new PageError(403, 'Not allowed', 'Only an account that manages accounts may do this.');
    return s;
  };
  const listPage = async (req: FastifyRequest, reply: FastifyReply, status: number, banner: { status?: string; error?: string; values?: Record<string, string> } = {}) =>
    send(reply, status, accountsPage(admin(req).viewer, await accounts.listUsers(), banner));

  app.get('/accounts', async (req, reply) => listPage(req, reply, 200));
  app.post('/accounts', async (req, reply) => {
    admin(req);
    const values = { name: field(req.body, 'name'), email: field(req.body, 'email'), role: field(req.body, 'role'), admin: field(req.body, 'admin') };
    let user: User;
    try {
      // A password no one knows: the new colleague sets theirs through the emailed link.
      user = await accounts.createUser({ ...values, admin: values.admin === 'yes', password: randomBytes(24).toString('base64url') });
    } catch (err) {
      if (err instanceof InputError) return listPage(req, reply, 400, { values, error: err.fields.map((f) => `${f.field}: ${f.message}`).join('; ') });
      throw err;
    }
    const link = await accounts.createPasswordLink(user.email, WELCOME_LINK_MS);
    if (link) await mailLink(user, link.token, true);
    return listPage(req, reply, 200, { status: `Account ${user.email} added; a link to set the password was emailed to it.` });
  });

  const CHANGES: Record<string, (email: string, body: unknown) => Promise<string>> = {
    disable: async (email) => (await accounts.setDisabled(email, true), `${email} is disabled: it cannot sign in, and its sessions ended.`),
    enable: async (email) => (await accounts.setDisabled(email, false), `${email} may sign in again.`),
    unlock: async (email) => (await accounts.unlock(email), `${email} may sign in again now.`),
    'reset-second-factor': async (email) => (await accounts.resetSecondFactor(email), `${email}'s second factor is removed: it sets a new one up at its next sign-in.`),
    'admin-on': async (email) => (await accounts.setAdmin(email, true), `${email} manages accounts.`),
    'admin-off': async (email) => (await accounts.setAdmin(email, false), `${email} no longer manages accounts.`),
    'revoke-token': async (email, body) => (await accounts.revokeApiToken(email, field(body, 'token')), `${email}'s token "${field(body, 'token')}" is revoked.`),
    'send-link': async (email) => {
      const link = await accounts.createPasswordLink(email, RESET_LINK_MS);
      if (link) await mailLink(link.user, link.token, false);
      return link ? `A link to set a new password was emailed to ${email}.` : `No link sent: ${email} is disabled, unknown, or got one less than a minute ago.`;
    },
  };
  app.post('/accounts/change', async (req, reply) => {
    const { user } = admin(req);
    const change = field(req.body, 'change');
    const email = field(req.body, 'email');
    const apply = Object.hasOwn(CHANGES, change) ? CHANGES[change] : undefined;
    if (!apply) throw new PageError(400, 'Not done', 'There is no such change.');
    // An admin does not lock themselves out.
    if (email.trim().toLowerCase() === user.email && ['disable', 'admin-off'].includes(change)) return listPage(req, reply, 409, { error: 'You cannot disable yourself or remove your own admin right: ask another admin.' });
    try {
      return await listPage(req, reply, 200, { status: await apply(email, req.body) });
    } catch (err) {
      if (err instanceof InputError) return listPage(req, reply, 400, { error: err.message });
      throw err;
    }
  });
}
