// The second factor of a staff sign-in: time-based one-time codes (RFC 6238, as every authenticator
// app reads them from a QR code) and one-time recovery codes for a lost phone. Pure: the accounts
// store (client/accounts.ts) keeps the secrets and which codes were used.
import { randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { renderSVG } from 'uqr';

const PERIOD = 30;

export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

const totpOf = (secret: string, label = '') => new TOTP({ issuer: 'CAR-T case coordination', label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });

/** The otpauth:// address an authenticator app adds the account from, and the same as a QR code (SVG). */
export function enrolmentOf(secret: string, email: string): { uri: string; qrSvg: string } {
  const uri = totpOf(secret, email).toString();
  return { uri, qrSvg: renderSVG(uri, { border: 2 }) };
}

/** A code as typed: digits only for a TOTP code (spaces dropped), else a recovery code. */
export const isTotpCode = (code: string): boolean => /^\d{6}$/.test(code.replace(/\s/g, ''));

/**
 * The time step `code` is valid for (the step before, now, or the one after: a phone's clock may be
 * a little off), or undefined. The caller refuses a step at or before the last one accepted.
 */
export function totpStep(secret: string, code: string, now: number): number | undefined {
  const token = code.replace(/\s/g, '');
  const totp = totpOf(secret);
  const delta = totp.validate({ token, timestamp: now, window: 1 });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

/** The current code, for tests and for nothing else. */
export const totpNow = (secret: string, now: number = Date.now()): string => totpOf(secret).generate({ timestamp: now });

// Lower-case letters and digits a person cannot mistake for one another (no 0/o, 1/l/i).
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const RECOVERY_CODE_COUNT = 10;

/** Ten fresh codes, shown once as `xxxxx-xxxxx`. */
export const newRecoveryCodes = (): string[] =>
  Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const c = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${c.slice(0, 5)}-${c.slice(5)}`;
  });

/** A recovery code as stored: what was typed, without dashes or spaces, lower case. */
export const normaliseRecoveryCode = (code: string): string => code.replace(/[\s-]/g, '').toLowerCase();
