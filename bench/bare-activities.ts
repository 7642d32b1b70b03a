// The baselines' side of email: a check-in email as the service renders it, sent through a pooled
// nodemailer transport like the service's mailer (activities/mailer.ts), minus everything else.
import nodemailer from 'nodemailer';
import { renderEmail, type RenderedEmail } from '../activities/email-templates.ts';
import type { BareActivities } from './workflows.ts';

export const BENCH_FROM = 'Care Coordination <care@bench.test>';

/** A check-in request as the family gets it, rendered once: what the raw baselines send. */
export function sampleCheckinEmail(): RenderedEmail {
  return renderEmail(
    'checkin_request',
    'en',
    {
      caseId: 'c0123456789ab',
      patientRef: 'P-BENCH-0001',
      familyName: 'Ana Bench',
      diagnosis: 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
      therapy: 'CD19 CAR-T',
      recipientName: 'Ana Bench',
      timeZone: 'UTC',
      appBaseUrl: 'http://127.0.0.1:8080',
      hospitalNames: { BENCH: 'Bench Haematology' },
    },
    {
      checkinId: 1,
      day: 0,
      link: `http://127.0.0.1:8080/checkin/${'x'.repeat(120)}`,
      expiresAt: new Date(Date.UTC(2026, 10, 24, 21)).toISOString(),
      teamPhone: '+34 91 555 01 23',
    },
  );
}

/** A pooled transport with the service mailer's settings (pool, 5 connections). */
export function rawTransport(smtpUrl: string) {
  return nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 5 } as never);
}

export function bareActivities(smtpUrl: string): BareActivities & { close(): void } {
  const transport = rawTransport(smtpUrl);
  const mail = sampleCheckinEmail();
  return {
    async noop() {},
    async sendEmail({ id }) {
      await transport.sendMail({
        from: BENCH_FROM,
        to: 'family@bench.test',
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { 'X-Bench-Id': id, 'X-Email-Kind': 'bare' },
      });
    },
    close: () => transport.close(),
  };
}
