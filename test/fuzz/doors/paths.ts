// URLs from generated text, and the shape every door hands its routes in.
import type fc from 'fast-check';
import type { Door, FuzzRequest } from '../request.ts';

/** A route of a door and the requests it is sent. */
export interface DoorRoute {
  door: Door;
  route: string;
  arb: fc.Arbitrary<FuzzRequest>;
}

/**
 * Percent-encodes every byte of the text's UTF-8 but the unreserved characters. Unlike
 * encodeURIComponent it never throws: a lone surrogate becomes U+FFFD, as a browser would send it.
 */
export function encodeSegment(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `?a=1&b=2` from pairs (a key may repeat), or '' without any. */
export const encodeQuery = (pairs: [string, string][]): string => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')}` : '');

/** An urlencoded form body from pairs. */
export const encodeForm = (pairs: [string, string][]): string => pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&');
