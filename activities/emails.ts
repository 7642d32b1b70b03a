// Sending a case email exactly once: the emails table holds an idempotency key per message, so
// a retried activity, a crashed worker or a replay never sends the same email twice. A permanent
// refusal by the receiving server is recorded and returned, never thrown: the workflow turns it
// into a coordinator alert instead of failing the case.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from '../db/connect.ts';
import type { AppConfig } from '../config.ts';
import { isPermanentFailure, type Mailer } from './mailer.ts';
import { checkinUrl, packetUrl, translationUrl, uploadUrl, type CheckinLinks } from '../common/checkin-link.ts';
import { renderEmail, type EmailContext, type RenderedEmail } from './email-templates.ts';
import { EMAIL_RECIPIENT, PACKET_LINK_KINDS, RECORDS_LINK_KINDS, TRANSLATION_LINK_KINDS, type EmailData, type EmailKind } from '../domain/emails.ts';
import { RECORDS_LINK_MS } from '../domain/files.ts';
import { EMAIL_UNRENDERABLE } from '../domain/failures.ts';
import { permanentIfRefused, refusedForGood } from './refusals.ts';
import { withTimeout } from '../common/timeout.ts';

/** What every email about a case may say of it: the workflow's own copy of what the case was opened with. */
export interface CaseFacts {
  patientRef: string;
  diagnosis: string;
  therapy: string;
  family: { name: string; email: string; language: string; timeZone: string };
}

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
  /** With urgent emails: what the case itself holds, so that they do not need the case's row. Otherwise read from the row. */
  facts?: CaseFacts;
  /**
   * A clinical escalation: sent even when the database cannot say within URGENT_DB_WAIT_MS whether
   * it went out already (a possible duplicate, with the same Message-ID, over a late alert).
   */
  urgent?: boolean;
}

export interface SendEmailResult {
  status: 'sent' | 'failed';
  error?: string;
}

/** How long an alert email waits for the database before it goes out without it. */
export const URGENT_DB_WAIT_MS = 2_000;

function smtpCode(err: unknown): string {
  const e = err as { responseCode?: number; code?: string };
  return e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? 'no response');
}

export function caseEmails(deps: { db: Db; mailer: Mailer; config: AppConfig; links: CheckinLinks }) {
  const { db, mailer, config, links } = deps;

  /** Everything one email needs from the database, in one round trip: whether it went out, the hospitals, the case's row. */
  function lookup(input: SendEmailInput) {
    return db
      .selectNoFrom((eb) => [
        jsonObjectFrom(eb.selectFrom('emails').select(['status', 'error']).where('idempotency_key', '=', input.key)).as('sent'),
        jsonArrayFrom(eb.selectFrom('hospitals as h').select(['h.code', 'h.name', 'h.email', 'h.language', 'h.time_zone'])).as('hospitals'),
        jsonObjectFrom(
          eb
            .selectFrom('cases as c')
            .innerJoin('contacts as f', (j) => j.onRef('f.case_id', '=', 'c.case_id').on('f.role', '=', 'family'))
            .select(['c.patient_ref', 'c.diagnosis', 'c.therapy', 'f.name', 'f.email', 'f.language', 'f.time_zone'])
            .where('c.case_id', '=', input.caseId),
        ).as('row'),
      ])
      .executeTakeFirstOrThrow();
  }
  type Found = Awaited<ReturnType<typeof lookup>>;

  function factsOf(input: SendEmailInput, found: Found | undefined): CaseFacts {
    if (input.facts) return input.facts;
    const r = found?.row;
    // A case's emails come after its row is written; no row means the database refused it for good.
    if (!r) throw ApplicationFailure.nonRetryable(`case ${input.caseId} is not recorded`, 'CaseNotRecorded');
    return { patientRef: r.patient_ref, diagnosis: r.diagnosis, therapy: r.therapy, family: { name: r.name, email: r.email, language: r.language, timeZone: r.time_zone } };
  }

  /** Without the hospitals table (the database is away), a team alert goes to the protocol's team, in English and UTC. */
  function recipient(input: SendEmailInput, facts: CaseFacts, hospitals: Found['hospitals'] | undefined) {
    const family = facts.family;
    const role = EMAIL_RECIPIENT[input.kind];
    const hospitalNames = Object.fromEntries((hospitals ?? []).map((h) => [h.code, h.name]));
    const base = { caseId: input.caseId, patientRef: facts.patientRef, familyName: family.name, diagnosis: facts.diagnosis, therapy: facts.therapy, appBaseUrl: config.appBaseUrl, hospitalNames };
    switch (role) {
      case 'family':
        return { address: family.email, language: family.language, ctx: { ...base, recipientName: family.name, timeZone: family.timeZone } };
      case 'hospital':
      case 'team': {
        if (!hospitals && role === 'team' && input.team) return { address: input.team.email, language: 'en', ctx: { ...base, recipientName: input.team.name, timeZone: 'UTC' } };
        const h = hospitals?.find((x) => x.code === input.hospitalCode);
        if (!h) throw ApplicationFailure.nonRetryable(`hospital ${input.hospitalCode} is not in the hospitals table`);
        const who = role === 'team' && input.team ? input.team : { name: h.name, email: h.email };
        return { address: who.email, language: h.language, ctx: { ...base, recipientName: who.name, timeZone: h.time_zone } };
      }
      case 'coordinator':
        return { address: config.coordinatorEmail, language: 'en', ctx: { ...base, recipientName: 'Coordinator', timeZone: family.timeZone } };
      case 'translator':
        return { address: config.translatorEmail, language: 'en', ctx: { ...base, recipientName: 'Translator', timeZone: family.timeZone } };
      default:
        throw ApplicationFailure.nonRetryable(`no recipient for email kind ${input.kind}`);
    }
  }

  /**
   * The recipient's own link, signed here so that it never enters history: a family's check-in or
   * records page, a hospital's packet for its round, the translator's request. None for an email
   * asked for before links had what they need in its data.
   */
  function linkFor(input: SendEmailInput): string | undefined {
    const { caseId, kind } = input;
    if (input.checkinLink) return checkinUrl(config.appBaseUrl, links.sign({ caseId, ...input.checkinLink }));
    if (RECORDS_LINK_KINDS.includes(kind)) return uploadUrl(config.appBaseUrl, links.signFiles({ caseId, expiresAt: Context.current().info.scheduledTimestampMs + RECORDS_LINK_MS }));
    const d = input.data as { round?: number; linkUntil?: string; documentType?: string; toLanguages?: string[] };
    if (!d.linkUntil) return undefined;
    const expiresAt = Date.parse(d.linkUntil);
    if (PACKET_LINK_KINDS.includes(kind) && input.hospitalCode && d.round) return packetUrl(config.appBaseUrl, links.signPacket({ caseId, hospitalCode: input.hospitalCode, round: d.round, expiresAt }));
    if (TRANSLATION_LINK_KINDS.includes(kind) && d.documentType && d.toLanguages?.length) {
      return translationUrl(config.appBaseUrl, links.signTranslation({ caseId, documentType: d.documentType, languages: d.toLanguages, expiresAt }));
    }
    return undefined;
  }

  /** Reads what the email needs; an alert that cannot get an answer in time goes on without (undefined). */
  async function find(input: SendEmailInput): Promise<Found | undefined> {
    if (!input.urgent || !input.facts) return lookup(input);
    try {
      return await withTimeout(lookup(input), URGENT_DB_WAIT_MS, () => new Error('database did not answer'));
    } catch (err) {
      Context.current().log.warn('alert email without the database', { caseId: input.caseId, kind: input.kind, error: (err as Error).name });
      return undefined;
    }
  }

  return {
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const found = await find(input);
      const sent = found?.sent;
      if (sent && sent.status !== 'pending') return { status: sent.status as 'sent' | 'failed', ...(sent.error ? { error: sent.error } : {}) };

      const to = recipient(input, factsOf(input, found), found?.hospitals);
      const link = linkFor(input);
      const data = link ? { ...(input.data as object), link } : input.data;
      let email: RenderedEmail;
      try {
        email = renderEmail(input.kind, to.language, to.ctx as EmailContext, data as never);
      } catch (err) {
        // The same data renders the same way on every attempt. The message names the template's problem, never the data.
        throw ApplicationFailure.create({ type: EMAIL_UNRENDERABLE, message: `the ${input.kind} email could not be rendered (${(err as Error).name})`, nonRetryable: true });
      }
      const messageId = `<${createHash('sha256').update(input.key).digest('hex').slice(0, 32)}@case-coordination>`;
      if (found) {
        await permanentIfRefused(() =>
          db
            .insertInto('emails')
            .values({ idempotency_key: input.key, case_id: input.caseId, kind: input.kind, to_address: to.address, subject: email.subject, language: email.language, status: 'pending', error: null, message_id: messageId, sent_at: null })
            .onConflict((oc) => oc.column('idempotency_key').doNothing())
            .execute(),
        );
      }

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
      try {
        const recorded = recordOutcome(input, email, to.address, messageId, result);
        await (found ? recorded : withTimeout(recorded, URGENT_DB_WAIT_MS, () => new Error('database did not answer')));
      } catch (err) {
        // Retrying would send it again. An alert sent without the database stays sent; a status the
        // database refuses for good is logged. Anything else (the database away) is retried.
        if (found && !refusedForGood(err)) throw err;
        Context.current().log.warn('email sent but not recorded', { caseId: input.caseId, kind: input.kind, error: refusedForGood(err) ?? (err as Error).name });
      }
      Context.current().log.info('email', { caseId: input.caseId, kind: input.kind, status: result.status });
      return result;
    },
  };

  /** The email's status and its timeline entry, in one statement so they land together (the row too, if it was sent without the database). */
  async function recordOutcome(input: SendEmailInput, email: RenderedEmail, address: string, messageId: string, result: SendEmailResult): Promise<void> {
    const outcome = { status: result.status, error: result.error ?? null, sent_at: result.status === 'sent' ? new Date() : null };
    await db
      .with('sent', (qb) =>
        qb
          .insertInto('emails')
          .values({ idempotency_key: input.key, case_id: input.caseId, kind: input.kind, to_address: address, subject: email.subject, language: email.language, message_id: messageId, ...outcome })
          .onConflict((oc) => oc.column('idempotency_key').doUpdateSet(outcome))
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
  }
}
