// A real SMTP server on loopback that keeps every message it accepts, parsed as a mail client would.
// It can go away and come back on the same port (pause, resume), as a mail server that is down for
// a while: the messages it had stay.
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface SmtpSink {
  url: string;
  messages: ParsedMail[];
  /** Resolves once `count` messages (matching `filter`) have arrived. */
  waitFor(count: number, filter?: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail[]>;
  /**
   * Makes the server refuse every recipient (true), or those `reject` picks, with a permanent (5xx)
   * error, or a temporary one (4xx: a mailbox over quota, greylisting) with `temporary`.
   */
  rejectRecipients(reject: boolean | ((address: string) => boolean), opts?: { temporary?: boolean }): void;
  /** Goes away: stops listening and drops every open connection at once (a message mid-transfer is not kept). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  let reject: boolean | ((address: string) => boolean) = false;
  let rejectCode = 550;
  const create = () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (typeof reject === 'function' ? reject(address.address) : reject) {
          const err = Object.assign(new Error('mailbox unavailable'), { responseCode: rejectCode });
          return callback(err);
        }
        callback();
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            messages.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    // A client that dies mid-session (a killed worker) resets its connection: its loss, not the server's.
    s.on('error', () => {});
    return s;
  };
  const listen = (s: SMTPServer, port: number) => new Promise<void>((resolve, reject) => {
    s.server.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      s.server.off('error', reject);
      resolve();
    });
  });
  let server: SMTPServer | undefined = create();
  await listen(server, 0);
  const { port } = server.server.address() as AddressInfo;
  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    // smtp-server waits 30 s for open sessions; a server that goes away does not.
    for (const connection of (s as unknown as { connections: Set<{ close(): void }> }).connections) connection.close();
    await closed;
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejectRecipients(value, opts = {}) {
      reject = value;
      rejectCode = opts.temporary ? 451 : 550;
    },
    async waitFor(count, filter = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.filter(filter);
        if (found.length >= count) return found;
        if (Date.now() > deadline) throw new Error(`expected ${count} emails, got ${found.length} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    pause: close,
    async resume() {
      if (server) return;
      const s = create();
      await listen(s, port);
      server = s;
    },
    stop: close,
  };
}
