// Reading the server's HTML the way the suite needs it: the forms a page offers (so that the console
// is fuzzed through the forms it really shows, whatever they become), and what an error page says.
// The pages are the project's own server-rendered markup, so regular expressions are enough.

export interface FormField {
  name: string;
  /** input type, or select / textarea */
  type: string;
  /** A select's options or a checkbox's value; a hidden input's value. */
  options: string[];
}

export interface PageForm {
  method: string;
  action: string;
  fields: FormField[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
export const decodeEntities = (s: string): string => s.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e);

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_][\w-]*)(?:="([^"]*)")?/g)) out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? '');
  return out;
}

/** Every form on the page with its fields (checkboxes of one name merged into one field). */
export function formsOf(html: string): PageForm[] {
  const forms: PageForm[] = [];
  for (const f of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = attributes(f[1]!);
    const inner = f[2]!;
    const fields = new Map<string, FormField>();
    const add = (name: string | undefined, type: string, options: string[]) => {
      if (!name) return;
      const known = fields.get(name);
      if (known) known.options = [...new Set([...known.options, ...options])];
      else fields.set(name, { name, type, options });
    };
    for (const i of inner.matchAll(/<input\b([^>]*)>/g)) {
      const a = attributes(i[1]!);
      add(a.name, a.type ?? 'text', a.value !== undefined && (a.type === 'checkbox' || a.type === 'hidden' || a.type === 'radio') ? [a.value] : []);
    }
    for (const s of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
      add(attributes(s[1]!).name, 'select', [...s[2]!.matchAll(/<option\b[^>]*value="([^"]*)"/g)].map((o) => decodeEntities(o[1]!)));
    }
    for (const t of inner.matchAll(/<textarea\b([^>]*)>/g)) add(attributes(t[1]!).name, 'textarea', []);
    forms.push({ method: (attrs.method ?? 'get').toUpperCase(), action: attrs.action ?? '', fields: [...fields.values()] });
  }
  return forms;
}

const text = (html: string): string =>
  decodeEntities(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();

/** The texts of the elements whose opening tag carries `attr` (e.g. role="alert", class="... error ..."). */
function textsWhere(html: string, attr: RegExp): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<(p|div|span|li|h2)\b([^>]*)>/g)) {
    if (!attr.test(m[2]!)) continue;
    const rest = html.slice(m.index + m[0].length);
    const end = rest.indexOf(`</${m[1]}>`);
    out.push(text(end < 0 ? rest : rest.slice(0, end)));
  }
  return out.filter(Boolean);
}

/**
 * What an HTML error page says went wrong, or undefined when it says nothing: a title (h1) and a
 * message (an alert, a field error, or the paragraph after the title).
 */
export function pageMessage(html: string): { title: string; message: string } | undefined {
  const title = text(/<h1\b[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');
  const alerts = [...textsWhere(html, /role="alert"/), ...textsWhere(html, /class="[^"]*\berr(or)?\b/)];
  const afterTitle = text(/<\/h1>\s*<p\b[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '');
  const message = alerts[0] ?? afterTitle;
  return title && message ? { title, message } : undefined;
}

/** Field-level error messages on a re-rendered form (what a 400 form page must show). */
export function fieldErrors(html: string): string[] {
  return textsWhere(html, /class="[^"]*\berror\b/);
}

/** Whether the page marks at least one field invalid (aria-invalid). */
export const marksAField = (html: string): boolean => /aria-invalid="true"/.test(html);
