import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpSink } from '../test/harness/smtp.ts';
import { createMailer } from './mailer.ts';

const root = mkdtempSync(join(tmpdir(), 'mailer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mail captured without SMTP (npm start)', () => {
  it('is kept as .eml files only the service user can read, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const dir = join(root, 'mail');
      const mailer = createMailer({ from: 'Care <care@localhost>', captureDir: dir });
      await mailer.send({ to: 'family@example.org', subject: 'Check-in', text: 'How are you today?', html: '<p>How are you today?</p>', messageId: '<m1@care.test>' });
      mailer.close();
      const [file] = readdirSync(dir);
      expect(file).toBe('_m1_care.test_.eml');
      expect(readFileSync(join(dir, file!), 'utf8')).toContain('How are you today?');
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });
});

describe('mail over SMTP with TLS required', () => {
  it('is not sent to a server that offers no STARTTLS: it fails rather than go out in plaintext', async () => {
    const sink = await startSmtpSink();
    try {
      const mailer = createMailer({ smtpUrl: sink.url, requireTls: true, from: 'Care <care@localhost>', captureDir: join(root, 'unused') });
      await expect(mailer.send({ to: 'family@example.org', subject: 'Check-in', text: 't', html: '<p>t</p>', messageId: '<m2@care.test>' })).rejects.toThrow(/STARTTLS/i);
      mailer.close();
      const plain = createMailer({ smtpUrl: sink.url, requireTls: false, from: 'Care <care@localhost>', captureDir: join(root, 'unused') });
      await plain.send({ to: 'family@example.org', subject: 'Check-in', text: 't', html: '<p>t</p>', messageId: '<m3@care.test>' });
      plain.close();
      expect(sink.messages).toHaveLength(1);
    } finally {
      await sink.stop();
    }
  });
});
