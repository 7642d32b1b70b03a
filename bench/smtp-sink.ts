// An SMTP server on loopback for the benchmarks (the test harness's approach, test/harness/smtp.ts,
// without parsing bodies): it accepts every message, reads only its headers, and tells listeners
// when each was accepted. "Accepted" is the moment the server answers 250 to the message's data.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface AcceptedMail {
  /** Date.now() when the sink accepted the message. */
  at: number;
  /** Header names in lower case: 'x-case-id', 'x-email-kind', 'x-bench-id', 'message-id', … */
  headers: Map<string, string>;
  bytes: number;
}

export interface BenchSmtp {
  url: string;
  /** Messages accepted so far. */
  readonly accepted: number;
  /** Calls `listener` for each message accepted from now on; returns the unsubscribe. */
  onMail(listener: (mail: AcceptedMail) => void): () => void;
  stop(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  // Unfold continuation lines, then split name: value.
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return headers;
}

export async function startBenchSmtp(): Promise<BenchSmtp> {
  const listeners = new Set<(mail: AcceptedMail) => void>();
  let accepted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      let head: Buffer | undefined;
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head) return;
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        const end = all.indexOf(HEADER_END);
        if (end >= 0 || all.length > 64 * 1024) head = all.subarray(0, end >= 0 ? end : all.length);
      });
      stream.on('end', () => {
        const mail: AcceptedMail = { at: Date.now(), headers: parseHeaders((head ?? Buffer.concat(chunks)).toString('latin1')), bytes };
        accepted++;
        callback();
        for (const l of listeners) l(mail);
      });
      stream.on('error', (err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    onMail(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
