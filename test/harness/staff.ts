// Signing staff in from tests: every role that reads patient data has a second factor, so a test
// account gets one (a TOTP secret set in the database, as a confirmed set-up leaves it). Requests
// sign in with a fresh recovery code each: a TOTP code works once per 30-second step, which tests
// signing in several times a step would trip over. A browser signs in once per account with the
// app's code. The set-up itself is tested through its pages (test/console/accounts-browser.test.ts).
import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/connect.ts';
import { sha256 } from '../../client/accounts.ts';
import { newTotpSecret, normaliseRecoveryCode } from '../../client/second-factor.ts';

/** The TOTP secret of the account with `email`, set up now if it had none. */
export async function totpSecretFor(db: Db, email: string): Promise<{ userId: number; secret: string }> {
  const user = await db.selectFrom('users').select(['id', 'totp_secret']).where('email', '=', email.trim().toLowerCase()).executeTakeFirstOrThrow();
  if (user.totp_secret) return { userId: user.id, secret: user.totp_secret };
  const secret = newTotpSecret();
  await db.updateTable('users').set({ totp_secret: secret }).where('id', '=', user.id).execute();
  return { userId: user.id, secret };
}

/** A one-time code the account with `email` can sign in with now (giving it a second factor if it has none). */
export async function signInCode(db: Db, email: string): Promise<string> {
  const { userId } = await totpSecretFor(db, email);
  const code = randomBytes(8).toString('hex');
  await db.insertInto('recovery_codes').values({ code_hash: sha256(normaliseRecoveryCode(code)), user_id: userId }).execute();
  return code;
}
