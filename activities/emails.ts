// Sending a case email exactly once: the emails table holds an idempotency key per message, so
// a retried activity, a crashed worker or a replay never sends the same email twice. A permanent
// refusal by the receiving server is recorded and returned, never thrown: the workflow turns it
// into a coordinator alert instead of failing the case.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Db } from '../db/connect.ts';
import type { AppConfig } from '../config.ts';
import { isPermanentFailure, type Mailer } from './mailer.ts';
import { checkinUrl, type CheckinLinks } from './checkin-link.ts';
import { EMAIL_RECIPIENT, renderEmail, type EmailContext, type EmailData, type EmailKind } from './email-templates.ts';

export interface SendEmailInput<K extends EmailKind = EmailKind> {
  caseId: string;
  /** Unique per intended message, e.g. `case-c1/records_reminder/2`. */
  key: string;
  kind: K;
  /** For hospital and treating-team emails: which hospital. */
  hospitalCode?: string;
  /** For treating-team emails: the team's address (the protocol's; default the hospital's). */
  team?: { name: string; email: string };
  /** For check-in emails: the activity signs the family's link (the token never enters history). */
  checkinLink?: { checkinId: number; expiresAt: number };
  /** When the case decided to send it (workflow time): the timeline's time for this email. */
  at: string;
  data: EmailData[K];
}

export interface SendEmailResult {
  status: 'sent' | 'failed';
  error?: string;
}

function smtpCode(err: unknown): string {
  const e = err as { responseCode?: number; code?: string };
  return e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? 'no response');
}

export function caseEmails(deps: { db: Db; mailer: Mailer; config: AppConfig; links: CheckinLinks }) {
  const { db, mailer, config, links } = deps;

  /** Everything one email needs from the database, in one round trip. */
  function lookup(input: SendEmailInput) {
    return db
      .selectFrom('cases as c')
      .innerJoin('contacts as f', (j) => j.onRef('f.case_id', '=', 'c.case_id').on('f.role', '=', 'family'))
      .leftJoin('emails as e', (j) => j.on('e.idempotency_key', '=', input.key))
      .select(['c.patient_ref', 'c.diagnosis', 'c.therapy', 'f.name as familyName', 'f.email as familyEmail', 'f.language as familyLanguage', 'f.time_zone as familyTimeZone', 'e.status as sentStatus', 'e.error as sentError'])
      .select((eb) => jsonArrayFrom(eb.selectFrom('hospitals as h').select(['h.code', 'h.name', 'h.email', 'h.language', 'h.time_zone'])).as('hospitals'))
      .where('c.case_id', '=', input.caseId)
      .executeTakeFirstOrThrow();
  }

  function recipient(input: SendEmailInput, row: Awaited<ReturnType<typeof lookup>>) {
    const family = { name: row.familyName, email: row.familyEmail, language: row.familyLanguage, time_zone: row.familyTimeZone };
    const role = EMAIL_RECIPIENT[input.kind];
    const { hospitals } = row;
    const hospitalNames = Object.fromEntries(hospitals.map((h) => [h.code, h.name]));
    const base = { caseId: input.caseId, patientRef: row.patient_ref, familyName: family.name, diagnosis: row.diagnosis, therapy: row.therapy, appBaseUrl: config.appBaseUrl, hospitalNames };
    switch (role) {
      case 'family':
        return { address: family.email, language: family.language, ctx: { ...base, recipientName: family.name, timeZone: family.time_zone } };
      case 'hospital':
      case 'team': {
        const h = hospitals.find((x) => x.code === input.hospitalCode);
        if (!h) throw ApplicationFailure.nonRetryable(`hospital ${input.hospitalCode} is not in the hospitals table`);
        const who = role === 'team' && input.team ? input.team : { name: h.name, email: h.email };
        return { address: who.email, language: h.language, ctx: { ...base, recipientName: who.name, timeZone: h.time_zone } };
      }
      case 'coordinator':
        return { address: config.coordinatorEmail, language: 'en', ctx: { ...base, recipientName: 'Coordinator', timeZone: family.time_zone } };
      case 'translator':
        return { address: config.translatorEmail, language: 'en', ctx: { ...base, recipientName: 'Translator', timeZone: family.time_zone } };
      default:
        throw new Error(`no recipient for email kind ${input.kind}`);
    }
  }

  return {
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const row = await lookup(input);
      if (row.sentStatus && row.sentStatus !== 'pending') return { status: row.sentStatus as 'sent' | 'failed', ...(row.sentError ? { error: row.sentError } : {}) };

      const to = recipient(input, row);
      const data = input.checkinLink
        ? { ...(input.data as object), link: checkinUrl(config.appBaseUrl, links.sign({ caseId: input.caseId, ...input.checkinLink })) }
        : input.data;
      const email = renderEmail(input.kind, to.language, to.ctx as EmailContext, data as never);
      const messageId = `<${createHash('sha256').update(input.key).digest('hex').slice(0, 32)}@case-coordination>`;
      await db
        .insertInto('emails')
        .values({ idempotency_key: input.key, case_id: input.caseId, kind: input.kind, to_address: to.address, subject: email.subject, language: email.language, status: 'pending', error: null, message_id: messageId, sent_at: null })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .execute();

      let result: SendEmailResult;
      try {
        await mailer.send({ to: to.address, subject: email.subject, text: email.text, html: email.html, messageId, headers: { 'X-Case-Id': input.caseId, 'X-Email-Kind': input.kind } });
        result = { status: 'sent' };
      } catch (err) {
        // Transient: Temporal retries. The server's text can quote the address, and failure
        // messages are stored unencrypted, so only the code goes into the retry.
        if (!isPermanentFailure(err)) throw ApplicationFailure.retryable(`email delivery failed temporarily (${smtpCode(err)})`, 'EmailDeliveryRetry');
        result = { status: 'failed', error: (err as Error).message.slice(0, 500) };
      }
      // One statement, so the status and its timeline entry land together without a transaction's round trips.
      await db
        .with('sent', (qb) =>
          qb
            .updateTable('emails')
            .set({ status: result.status, error: result.error ?? null, sent_at: result.status === 'sent' ? new Date() : null })
            .where('idempotency_key', '=', input.key)
            .returning('idempotency_key'),
        )
        .insertInto('timeline')
        .values({
          case_id: input.caseId,
          event_key: `email:${input.key}`,
          at: input.at,
          kind: result.status === 'sent' ? 'email_sent' : 'email_failed',
          actor: 'system',
          summary: `${result.status === 'sent' ? 'Email sent' : 'Email could not be delivered'}: ${input.kind} to ${EMAIL_RECIPIENT[input.kind]}${input.hospitalCode ? ` ${input.hospitalCode}` : ''}`,
          detail: JSON.stringify({ kind: input.kind, language: email.language, ...(result.error ? { error: result.error } : {}) }),
        })
        .onConflict((oc) => oc.column('event_key').doNothing())
        .execute();
      Context.current().log.info('email', { caseId: input.caseId, kind: input.kind, status: result.status });
      return result;
    },
  };
}
