// Every word the service says to people outside the coordination team, in one message catalogue
// per language beside this file: the emails (to families, hospitals, translators, treating teams
// and coordinators) and the families' check-in pages. en.json is the source the others are
// translated from; README.md tells a translator how to work in a catalogue and add a language.
//
// Messages are ICU MessageFormat, formatted by FormatJS's intl-messageformat: plurals follow the
// language's own CLDR rules and `#` and `{n, number}` are formatted by Intl.NumberFormat in the
// language (dates are formatted by the renderers with Intl.DateTimeFormat, in the reader's zone).
// A catalogue holds text only: tags are read as text, never as markup, and the renderers escape
// whatever they put into HTML.
//
// Not for workflows: the email activity and the HTTP server import this; workflows and domain/
// never do (eslint.config.js, test/foundation/bundle.test.ts).
import { TYPE, type LiteralElement } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import en from './en.json' with { type: 'json' };
import es from './es.json' with { type: 'json' };
import zh from './zh.json' with { type: 'json' };

/** A catalogue: the English one's shape, which every other must have message for message. */
export type Catalogue = typeof en;

/**
 * The catalogues by primary language subtag: the one list of languages. A new catalogue is added
 * here. `satisfies` makes the type checker refuse one that lacks a message English has, and
 * i18n/catalogues.test.ts one with a message or a placeholder the others lack, or one lying in
 * this folder but missing from this list.
 */
export const CATALOGUES = { en, zh, es } satisfies Record<string, Catalogue>;

export type Language = keyof typeof CATALOGUES;
export const LANGUAGES = Object.keys(CATALOGUES) as Language[];
/** The language the others are translated from, and the one for readers whose language we have no words in. */
export const SOURCE_LANGUAGE: Language = 'en';

/** 'zh-CN' → 'zh', 'es_MX' → 'es', ' EN ' → 'en'; a language without a catalogue → English. */
export function resolveLanguage(tag: string | null | undefined): Language {
  const primary = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return Object.hasOwn(CATALOGUES, primary) ? (primary as Language) : SOURCE_LANGUAGE;
}

/** The dotted path of every message under T: 'emails.case_opened.subject', 'checkinPages.advice.withPhone'. */
export type MessagePath<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : MessagePath<T[K], `${Prefix}${K}.`>;
}[keyof T & string];
export type MessageKey = MessagePath<Catalogue>;

/** What placeholders take: text and numbers (plural and number arguments need numbers). */
export type Values = Record<string, string | number>;

/** 'rtl' for a language written right to left (Arabic, Hebrew, Persian, Urdu…), as CLDR says through Intl. */
export function textDirection(locale: string): 'ltr' | 'rtl' {
  // Intl.Locale#getTextInfo (the accessor `textInfo` in older engines) is not in TypeScript's lib yet.
  const l = new Intl.Locale(locale) as Intl.Locale & { getTextInfo?(): { direction?: string }; textInfo?: { direction?: string } };
  return (l.getTextInfo?.() ?? l.textInfo)?.direction === 'rtl' ? 'rtl' : 'ltr';
}

/** The words of one language. */
export interface Messages {
  readonly language: string;
  /** BCP 47 tag for `lang` attributes and Intl formatting, e.g. zh-Hans. */
  readonly locale: string;
  readonly dir: 'ltr' | 'rtl';
  format(key: MessageKey, values?: Values): string;
  /**
   * The message in pieces: text, and each value that is an object, where it falls in the sentence
   * in this language. For what the caller lays out itself (a phone number that becomes a link).
   */
  parts<T extends object>(key: MessageKey, values: Record<string, string | number | T>): (string | T)[];
  /** A message whose key comes from data (a document type, a tier), or undefined when there is none. */
  optional(key: string, values?: Values): string | undefined;
}

/** The message at a dotted path, if the catalogue has one there (own properties only: never `constructor`). */
function lookup(catalogue: object, key: string): string | undefined {
  let node: unknown = catalogue;
  for (const step of key.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return typeof node === 'string' ? node : undefined;
}

/** A parsed message, or its text when it has no placeholder (most do not): nothing to format then. */
type Compiled = IntlMessageFormat | string;

/**
 * Words over one catalogue. Each message is parsed once, the first time it is used, and kept: the
 * email activity renders on every send.
 */
export function createMessages(language: string, catalogue: Catalogue): Messages {
  const locale = catalogue.locale;
  const compiled = new Map<string, Compiled>();
  const compile = (key: string): Compiled | undefined => {
    let message = compiled.get(key);
    if (message !== undefined) return message;
    const source = lookup(catalogue, key);
    if (source === undefined) return undefined; // not kept: keys made from data cannot grow the map
    // ignoreTag: `<` in a message is text; a catalogue can never put markup into a page.
    const parsed = new IntlMessageFormat(source, locale, undefined, { ignoreTag: true });
    const ast = parsed.getAst();
    message = ast.every((element) => element.type === TYPE.literal) ? ast.map((element) => (element as LiteralElement).value).join('') : parsed;
    compiled.set(key, message);
    return message;
  };
  const required = (key: string): Compiled => {
    const message = compile(key);
    if (message === undefined) throw new Error(`no message ${key} in the ${language} catalogue`);
    return message;
  };
  const format = (message: Compiled, values: Values | undefined): string => (typeof message === 'string' ? message : String(message.format(values)));
  return {
    language,
    locale,
    dir: textDirection(locale),
    format: (key, values) => format(required(key), values),
    parts: <T extends object>(key: MessageKey, values: Record<string, string | number | T>) => {
      const message = required(key);
      return typeof message === 'string' ? [message] : message.formatToParts<T>(values).map((part) => part.value);
    },
    optional: (key, values) => {
      const message = compile(key);
      return message === undefined ? undefined : format(message, values);
    },
  };
}

const byLanguage = new Map<Language, Messages>();

/** The words of a language we have a catalogue for (resolveLanguage finds it from any tag). */
export function messages(language: Language): Messages {
  let words = byLanguage.get(language);
  if (!words) byLanguage.set(language, (words = createMessages(language, CATALOGUES[language])));
  return words;
}

/** A document type's name in the language of `words` ('genetic_panel', which has none, → 'Genetic panel'). */
export function documentName(words: Messages, documentType: string): string {
  const named = words.optional(`emailCommon.documents.${documentType}`);
  if (named) return named;
  const spaced = documentType.replace(/[_-]+/g, ' ').trim().replace(/\s+/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
