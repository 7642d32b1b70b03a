// The baselines' side of email: a check-in email (or a CRS alert to the treating team) as the
// service renders it, sent through a pooled nodemailer transport like the service's mailer
// (activities/mailer.ts), minus everything else.
import nodemailer from 'nodemailer';
import { renderEmail, type EmailContext, type RenderedEmail } from '../activities/email-templates.ts';
import { parseCheckinReport, triageReport } from '../domain/checkin-report.ts';
import type { BareActivities, BareEmail } from './workflows.ts';

export const BENCH_FROM = 'Care Coordination <care@bench.test>';

const sampleCase = (recipientName: string): EmailContext => ({
  caseId: 'c0123456789ab',
  patientRef: 'P-BENCH-0001',
  familyName: 'Ana Bench',
  diagnosis: 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
  therapy: 'CD19 CAR-T',
  recipientName,
  timeZone: 'UTC',
  appBaseUrl: 'http://127.0.0.1:8080',
  hospitalNames: { BENCH: 'Bench Haematology' },
});

/** A check-in request as the family gets it, rendered once: what the raw baselines send. */
export function sampleCheckinEmail(): RenderedEmail {
  return renderEmail('checkin_request', 'en', sampleCase('Ana Bench'), {
    checkinId: 1,
    day: 0,
    link: `http://127.0.0.1:8080/checkin/${'x'.repeat(120)}`,
    expiresAt: new Date(Date.UTC(2026, 10, 24, 21)).toISOString(),
    teamPhone: '+34 91 555 01 23',
  });
}

/** The alert scenario's report: a fever with dizziness, which the triage grades urgent (possible low blood pressure). */
export const ALERT_REPORT = { temperatureC: 38.6, symptom: 'dizziness' } as const;

/** The treating team's alert for ALERT_REPORT, rendered once, with the reasons the triage gives. */
export function sampleAlertEmail(): RenderedEmail {
  const report = parseCheckinReport({ temperature: { value: ALERT_REPORT.temperatureC, unit: 'c' }, takenAt: new Date(0).toISOString(), admitted: false, symptoms: { [ALERT_REPORT.symptom]: true } });
  const { tier, reasons } = triageReport(report);
  if (tier !== 'urgent') throw new Error(`the alert scenario's report grades ${tier}, not urgent: choose another (domain/checkin-report.ts)`);
  return renderEmail('alert_team', 'en', sampleCase('Bench Haematology'), { alertId: 'a1', tier, source: 'family_report', reasons, repeat: 1 });
}

/** The X-Email-Kind header of each bare email, by which the scenarios tell them apart at the sink. */
export const BARE_EMAIL_KIND: Record<BareEmail, string> = { checkin: 'bare', alert: 'bare_alert' };

/** A pooled transport with the service mailer's settings (pool, 5 connections). */
export function rawTransport(smtpUrl: string) {
  return nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 5 } as never);
}

export function bareActivities(smtpUrl: string): BareActivities & { close(): void } {
  const transport = rawTransport(smtpUrl);
  const mails: Record<BareEmail, { mail: RenderedEmail; to: string }> = {
    checkin: { mail: sampleCheckinEmail(), to: 'family@bench.test' },
    alert: { mail: sampleAlertEmail(), to: 'team@bench.test' },
  };
  return {
    async noop() {},
    async sendEmail({ id, kind = 'checkin' }) {
      const { mail, to } = mails[kind];
      await transport.sendMail({
        from: BENCH_FROM,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { 'X-Bench-Id': id, 'X-Email-Kind': BARE_EMAIL_KIND[kind] },
      });
    },
    close: () => transport.close(),
  };
}
