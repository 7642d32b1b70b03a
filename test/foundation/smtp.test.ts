import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.ts';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => sink?.stop());

describe('SMTP sink', () => {
  it('receives a message from a pooled nodemailer transport with headers, text and HTML', async () => {
    const transport = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: 2 } as never);
    await transport.sendMail({
      from: 'Care Team <care@example.org>',
      to: 'family@example.org',
      subject: 'Case opened — 已收到',
      text: 'We have your inquiry.',
      html: '<p>We have your <b>inquiry</b>.</p>',
      headers: { 'X-Case-Id': 'c-123' },
    });
    transport.close();
    const [mail] = await sink.waitFor(1);
    expect(mail?.subject).toBe('Case opened — 已收到');
    expect(mail?.from?.value[0]).toMatchObject({ name: 'Care Team', address: 'care@example.org' });
    expect(mail?.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('family@example.org');
    expect(mail?.headers.get('x-case-id')).toBe('c-123');
    expect(mail?.text?.trim()).toBe('We have your inquiry.');
    expect(mail?.html).toContain('<b>inquiry</b>');
  });
});

describe('SMTP sink away for a while', () => {
  it('refuses connections while paused, keeps what it had, and takes mail again on the same port once resumed', async () => {
    const transport = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: 1 } as never);
    const send = (subject: string) => transport.sendMail({ from: 'care@example.org', to: 'family@example.org', subject, text: subject });
    await send('before');
    const before = sink.messages.length;
    await sink.pause();
    await expect(send('while away')).rejects.toThrow();
    expect(sink.messages.length).toBe(before);
    await sink.resume();
    await send('after');
    transport.close();
    expect(sink.messages.slice(before - 1).map((m) => m.subject)).toEqual(['before', 'after']);
  });
});
