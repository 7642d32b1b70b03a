// The console's account pages: signing in with a second factor and setting it up, one's own
// account, a password link, and (for admins) everyone's accounts. Plain forms, no scripts.
import type { User } from '../../accounts.ts';
import { html, page, trusted, type Html, type Viewer } from './html.ts';

const csrf = (v: Viewer) => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;
const banners = (o: { status?: string | undefined; error?: string | undefined }) =>
  html`${o.status ? html`<p class="banner ok" role="status">${o.status}</p>` : ''}${o.error ? html`<p class="banner err" role="alert">${o.error}</p>` : ''}`;
const passwordField = (id: string, label: string, autocomplete: string) =>
  html`<div class="field"><label for="${id}">${label}</label><input type="password" id="${id}" name="${id}" autocomplete="${autocomplete}" minlength="12" required></div>`;

export function signInPage(opts: { email?: string; error?: string; status?: string; askCode?: boolean }): string {
  return page(
    'Sign in',
    html`<div class="signin card"><h1>Sign in</h1>
${banners(opts)}
<form method="post" action="/console/sign-in">
<div class="field"><label for="email">Email</label><input type="email" id="email" name="email" autocomplete="username" value="${opts.email ?? ''}" required></div>
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required></div>
<div class="field"><label for="code">Code from your authenticator app</label><input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" aria-describedby="code-help"${opts.askCode ? ' autofocus' : ''}>
<p class="muted" id="code-help">Or one of your recovery codes. Leave empty the first time you sign in: you will set the app up next.</p></div>
<button type="submit">Sign in</button>
</form>
<p><a href="/console/forgot">Forgot your password?</a></p></div>`,
  );
}

/** Setting up the second factor: the QR code, the same key as text, and a code to confirm. */
export function secondFactorSetUpPage(viewer: Viewer, opts: { qrSvg: string; secret: string; error?: string }): string {
  const grouped = opts.secret.replace(/(.{4})/g, '$1 ').trim();
  return page(
    'Set up your second factor',
    html`<div class="card"><h1>Set up your second factor</h1>
<p>This account can read patients' records, so it signs in with a code from an authenticator app as well as the password.</p>
${banners(opts)}
<ol>
<li>Open an authenticator app on your phone (any that reads QR codes for "TOTP": Google Authenticator, Microsoft Authenticator, 1Password, FreeOTP, …) and add an account.</li>
<li>Scan this code:<div class="qr" role="img" aria-label="QR code for your authenticator app">${trusted(opts.qrSvg)}</div>
or type this key: <code id="totp-key">${grouped}</code></li>
<li>Type the 6-digit code the app shows:</li>
</ol>
<form method="post" action="/console/account/second-factor">${csrf(viewer)}
<div class="field"><label for="code">Code</label><input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required></div>
<button type="submit">Confirm</button>
</form></div>`,
    viewer,
  );
}

/** Recovery codes, shown once. */
export function recoveryCodesPage(viewer: Viewer, codes: string[], intro: string): string {
  return page(
    'Your recovery codes',
    html`<div class="card"><h1>Your recovery codes</h1>
<p class="banner ok" role="status">${intro}</p>
<p>If you lose your phone, each of these codes signs you in once, in place of the app's code. Keep them somewhere safe, away from your phone: they are shown only now.</p>
<ul class="codes" id="recovery-codes">${codes.map((c) => html`<li>${c}</li>`)}</ul>
<p><a class="button" href="/console/">Continue to the cases</a></p></div>`,
    viewer,
  );
}

export function accountPage(viewer: Viewer, user: User, opts: { unusedCodes: number; status?: string; error?: string }): string {
  return page(
    'Your account',
    html`<h1>Your account</h1>
${banners(opts)}
<div class="card"><p>${user.name} · ${user.email} · ${user.role}${user.admin ? ' · manages accounts' : ''}</p>
<p>Second factor: ${user.secondFactor ? html`on, with ${opts.unusedCodes} unused recovery code${opts.unusedCodes === 1 ? '' : 's'}` : 'not set up'}.</p>
<form method="post" action="/console/account/recovery-codes">${csrf(viewer)}<button type="submit" class="secondary">Make new recovery codes</button></form></div>
<div class="card"><h2>Change your password</h2>
<form method="post" action="/console/account/password">${csrf(viewer)}
${passwordField('current', 'Current password', 'current-password')}
${passwordField('password', 'New password (12 characters or more)', 'new-password')}
<button type="submit">Change password</button>
</form><p class="muted">Your other sessions end; this one goes on.</p></div>`,
    viewer,
  );
}

export function forgotPage(opts: { status?: string; error?: string }): string {
  return page(
    'Forgot your password',
    html`<div class="signin card"><h1>Forgot your password</h1>
${banners(opts)}
<form method="post" action="/console/forgot">
<div class="field"><label for="email">Your account's email</label><input type="email" id="email" name="email" autocomplete="username" required></div>
<button type="submit">Email me a link</button>
</form><p><a href="/console/sign-in">Back to sign-in</a></p></div>`,
  );
}

export function setPasswordPage(token: string, email: string, opts: { error?: string } = {}): string {
  return page(
    'Set your password',
    html`<div class="signin card"><h1>Set your password</h1>
${banners(opts)}
<p>For ${email}. The link works once.</p>
<form method="post" action="/console/password/${token}">
<input type="hidden" name="email" value="${email}" autocomplete="username">
${passwordField('password', 'New password (12 characters or more)', 'new-password')}
<button type="submit">Set password</button>
</form></div>`,
  );
}

export interface AccountRow extends User {
  disabled: boolean;
  tokens: { name: string; expiresAt: string; lastUsedAt?: string }[];
}

/** Everyone's accounts, for an admin: each with what can be done to it. */
export function accountsPage(viewer: Viewer, users: AccountRow[], opts: { status?: string; error?: string; values?: Record<string, string> } = {}): string {
  const act = (u: AccountRow, what: string, label: string, cls = 'secondary', extra: Html = html``) =>
    html`<form method="post" action="/console/accounts/change" class="inline">${csrf(viewer)}<input type="hidden" name="email" value="${u.email}"><input type="hidden" name="change" value="${what}">${extra}<button type="submit" class="${cls}">${label}</button></form>`;
  const rows = users.map(
    (u) => html`<tr>
<td>${u.name}<br><span class="muted">${u.email}</span></td>
<td>${u.role}${u.admin ? html`<br><span class="muted">admin</span>` : ''}</td>
<td>${u.disabled ? 'disabled' : 'active'}<br><span class="muted">second factor ${u.secondFactor ? 'on' : 'not set up'}</span></td>
<td>${u.tokens.map((t) => html`<div>${t.name} <span class="muted">until ${t.expiresAt.slice(0, 10)}</span> ${act(u, 'revoke-token', 'Revoke', 'danger', html`<input type="hidden" name="token" value="${t.name}">`)}</div>`)}</td>
<td>${
      // An admin does not lock themselves out: another admin disables them or takes the right away.
      u.email === viewer.email ? '' : u.disabled ? act(u, 'enable', 'Enable') : act(u, 'disable', 'Disable', 'danger')
    }${act(u, 'send-link', 'Email a password link')}${act(u, 'unlock', 'Unlock sign-in')}${u.secondFactor ? act(u, 'reset-second-factor', 'Reset second factor', 'danger') : ''}${u.email === viewer.email ? '' : u.admin ? act(u, 'admin-off', 'Remove admin') : act(u, 'admin-on', 'Make admin')}</td>
</tr>`,
  );
  const v = opts.values ?? {};
  const role = (r: string) => html`<option value="${r}"${v.role === r ? ' selected' : ''}>${r}</option>`;
  return page(
    'Accounts',
    html`<h1>Accounts</h1>
${banners(opts)}
<div class="card"><table><thead><tr><th>Who</th><th>Role</th><th>State</th><th>API tokens</th><th>Change</th></tr></thead><tbody>${rows}</tbody></table></div>
<div class="card"><h2>Add an account</h2>
<form method="post" action="/console/accounts">${csrf(viewer)}
<div class="field"><label for="name">Name</label><input type="text" id="name" name="name" value="${v.name ?? ''}" required></div>
<div class="field"><label for="email">Email</label><input type="email" id="email" name="email" value="${v.email ?? ''}" required></div>
<div class="field"><label for="role">Role</label><select id="role" name="role">${role('coordinator')}${role('clinician')}${role('ops')}</select></div>
<div class="field"><label><input type="checkbox" name="admin" value="yes"${v.admin === 'yes' ? ' checked' : ''}> May manage accounts</label></div>
<button type="submit">Add, and email a link to set the password</button>
</form></div>`,
    viewer,
  );
}
