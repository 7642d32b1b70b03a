// HTML for the staff console: a tagged template that escapes every interpolated value unless it is
// already Html, and the page layout with its one stylesheet (allowed by hash in the CSP, like the
// family pages: no scripts, no inline style attributes, no external resources).
import { createHash } from 'node:crypto';
import { escapeHtml } from '../pages.ts';

export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** html`<p>${text}</p>`: strings and numbers are escaped, Html and arrays of it are kept. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => {
    out += render(p) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Markup that is trusted as is: the page's own stylesheet, never data. */
export const trusted = (markup: string): Html => new Html(markup);

// Colours (contrast): ink #1f2933 on white 14.8:1, on #f3f4f6 13.4:1; links/buttons #0b57d0 6.4:1;
// errors #b3261e 6.5:1 on white, 5.7:1 on #fdecea; muted #4b5563 7.6:1; warning text #7a3b00 on
// #fff4e5 8.6:1; #1e6b34 on #e6f4ea 5.8:1; white on #1f2933 14.8:1.
const CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2933;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Noto Sans CJK SC",sans-serif;font-size:16px;line-height:1.45}
a{color:#0b57d0;text-underline-offset:2px}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:8px 12px;z-index:2}
.skip:focus{left:8px}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;background:#1f2933;color:#fff;padding:8px 16px}
.top a,.top .brand{color:#fff;font-weight:600}
.top .brand{margin-right:auto;text-decoration:none}
.top form{margin:0}
.top button{background:transparent;color:#fff;border:1px solid #fff;border-radius:6px;padding:6px 10px;font:inherit;min-height:36px;cursor:pointer}
main{max-width:72rem;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:4px 0 12px}
h2{font-size:1.2rem;margin:0 0 10px}
h3{font-size:1.05rem;margin:14px 0 6px}
p{margin:0 0 10px}
.card{background:#fff;border-radius:8px;padding:16px;margin:0 0 16px;border:1px solid #d1d5db}
.grid{display:grid;gap:16px;grid-template-columns:1fr}
@media (min-width:900px){.grid{grid-template-columns:1fr 1fr}}
.muted{color:#4b5563}
.banner{border-radius:8px;padding:12px 16px;margin:0 0 16px;font-weight:600}
.banner.ok{background:#e6f4ea;color:#1e6b34;border:1px solid #1e6b34}
.banner.err{background:#fdecea;color:#b3261e;border:1px solid #b3261e}
.waiting{font-size:1.1rem;border-left:6px solid #0b57d0;background:#e8f0fe;padding:10px 14px;border-radius:6px;margin:0 0 12px}
.waiting.overdue{border-color:#b3261e;background:#fdecea}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:8px 6px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{font-weight:600;color:#374151}
.scroll{overflow-x:auto}
.badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:.85rem;font-weight:600;white-space:nowrap;border:1px solid currentColor}
.b-clinical_alert,.b-critical,.b-urgent,.b-failed,.b-missed{color:#b3261e;background:#fdecea}
.b-alert,.b-overdue,.b-contact_team,.b-more_info{color:#7a3b00;background:#fff4e5}
.b-none,.b-pending,.b-to_send,.b-upcoming,.b-open{color:#374151;background:#f3f4f6}
.b-ok,.b-sent,.b-received,.b-accepted,.b-answered,.b-done,.b-waived{color:#1e6b34;background:#e6f4ea}
.b-closed,.b-declined,.b-not_needed,.b-expired{color:#4b5563;background:#fff}
form.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end}
label{display:block;font-weight:600;margin:0 0 4px}
.field{margin:0 0 12px}
.hint{color:#4b5563;font-size:.9rem;margin:0 0 4px}
.error{color:#b3261e;font-weight:700;margin:0 0 4px}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=search],input[type=datetime-local],select,textarea{display:block;width:100%;min-height:40px;padding:6px 10px;font:inherit;color:#1f2933;background:#fff;border:1px solid #5f6b7a;border-radius:6px}
textarea{min-height:4.5rem;resize:vertical}
[aria-invalid=true]{border:2px solid #b3261e}
fieldset{border:1px solid #d1d5db;border-radius:6px;margin:0 0 12px;padding:8px 12px}
legend{font-weight:600;padding:0 4px}
.choice{display:flex;gap:8px;align-items:center;font-weight:400;margin:4px 0;min-height:32px}
.choice input{width:20px;height:20px;margin:0}
button,.button{display:inline-block;min-height:40px;padding:8px 16px;font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:6px;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:#0b57d0;border:1px solid #0b57d0}
button.danger{background:#b3261e}
.actions{display:grid;gap:12px;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr))}
.actions form{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:12px}
.actions form.refused{border:2px solid #b3261e}
details{margin:0 0 12px}
summary{cursor:pointer;font-weight:600;min-height:32px}
.pager{display:flex;gap:12px;align-items:center;margin:12px 0 0}
.inline{display:inline}
.nowrap{white-space:nowrap}
.chart{margin:0}
.chart svg{display:block;width:100%;height:auto}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.signin{max-width:26rem;margin:48px auto}
.qr svg{display:block;width:220px;height:220px}
.codes{font-family:ui-monospace,monospace;font-size:1.1rem;columns:2;list-style:none;padding:0}
.inline{display:inline;margin:0 4px 4px 0}
`;

export const CONSOLE_STYLE_HASH = `'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'`;

export interface Viewer {
  name: string;
  email: string;
  role: string;
  csrfToken: string;
  /** May manage accounts. */
  admin?: boolean;
}

export function page(title: string, body: Html, viewer?: Viewer): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex, nofollow">
<title>${title} – Case coordination</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console/">Case coordination</a>
${
  viewer
    ? html`<a href="/console/">Cases</a>${viewer.role === 'coordinator' ? html`<a href="/console/cases/new">Open a case</a>` : ''}
${viewer.admin ? html`<a href="/console/accounts">Accounts</a>` : ''}
<a href="/console/account">${viewer.name} (${viewer.role})</a>
<form method="post" action="/console/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button type="submit">Sign out</button></form>`
    : ''
}
</header>
<main id="main">
${body}
</main>
</body>
</html>
`.value;
}
