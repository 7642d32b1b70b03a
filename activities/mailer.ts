// How mail leaves the service: nodemailer's pooled SMTP transport when SMTP_URL is set; otherwise
// (the embedded default) each message is captured as an .eml file so nothing is lost or sent.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers?: Record<string, string>;
}

/** A short note to staff in plain words (no template): its HTML is the same text, escaped, in paragraphs. */
export function staffNote(to: string, subject: string, text: string, kind: string): OutgoingMail {
  const html = `<p>${text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('\n\n', '</p><p>').replaceAll('\n', '<br>')}</p>`;
  return { to, subject, text, html, messageId: `<${kind}-${randomBytes(12).toString('hex')}@case-coordination>` };
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A delivery the receiving server refused for good (5xx): retrying cannot help. */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function createMailer(opts: { smtpUrl?: string; requireTls?: boolean; from: string; captureDir: string }): Mailer {
  const base = {
    from: opts.from,
    // Never let message content pull in local files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport({ url: opts.smtpUrl, pool: true, maxConnections: 5, requireTLS: opts.requireTls ?? false } as never);
    return {
      async send(mail) {
        await transport.sendMail({ ...base, ...mail });
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail({ ...base, ...mail });
      // Families' mail: readable by the service's own user only, whatever the umask.
      await mkdir(opts.captureDir, { recursive: true, mode: 0o700 });
      const file = mail.messageId.replace(/[^A-Za-z0-9._-]/g, '_');
      await writeFile(join(opts.captureDir, `${file}.eml`), info.message as Buffer, { mode: 0o600 });
    },
    close: () => transport.close(),
  };
}
