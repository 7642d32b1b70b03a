// The language of the family's check-in pages, and their words: the `checkinPages` section of each
// message catalogue in i18n/ (plain, warm, non-medical wording: the service never gives treatment
// advice, it tells families whom to call). A placeholder `{phone}` marks where the treating team's
// 24/7 number goes; the page makes it a tel: link.
import { CATALOGUES, LANGUAGES, messages, resolveLanguage, type Catalogue, type Language, type MessageKey, type MessagePath, type Values } from '../../i18n/index.ts';

/** The languages the pages speak: those we have a catalogue for. */
export const PAGE_LANGUAGES: readonly Language[] = LANGUAGES;
export type PageLanguage = Language;

/** 'zh-CN' → 'zh', 'es_MX' → 'es'; a language without a catalogue → 'en'. */
export const pageLanguage = (language: string | null | undefined): PageLanguage => resolveLanguage(language);

/** The best supported language of an Accept-Language header (for pages that know no family). */
export function languageFromHeader(header: string | undefined): PageLanguage {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.q > 0 && Number.isFinite(r.q))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) {
    const primary = r.tag.toLowerCase().split('-')[0];
    if ((PAGE_LANGUAGES as readonly string[]).includes(primary ?? '')) return primary as PageLanguage;
  }
  return 'en';
}

/** The pages' messages in each language, as its catalogue holds them (ICU MessageFormat). */
export const TEXTS = Object.fromEntries(LANGUAGES.map((l) => [l, CATALOGUES[l].checkinPages])) as Record<PageLanguage, Catalogue['checkinPages']>;

/** A page message's key: 'formTitle', 'advice.withPhone', 'problems.unit'… */
export type PageKey = MessagePath<Catalogue['checkinPages']>;

/** The pages' words in one language. */
export interface PageWords {
  /** BCP 47 tag for the page's `lang`. */
  locale: string;
  dir: 'ltr' | 'rtl';
  text(key: PageKey, values?: Values): string;
  /** A sentence with the team's phone number in it, in pieces: text, and `phone` where the number goes. */
  withPhone<T extends object>(key: PageKey, phone: T): (string | T)[];
}

export function pageWords(lang: PageLanguage): PageWords {
  const words = messages(lang);
  const path = (key: PageKey) => `checkinPages.${key}` as MessageKey;
  return {
    locale: words.locale,
    dir: words.dir,
    text: (key, values) => words.format(path(key), values),
    withPhone: (key, phone) => words.parts(path(key), { phone }),
  };
}
