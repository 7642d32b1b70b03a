// What reached the mail server, indexed as the run needs it: per case and kind (the X-Case-Id and
// X-Email-Kind headers every case email carries), and per Message-ID, which the service derives
// from the email's idempotency key, so that a message delivered twice has the same one twice.
import type { ParsedMail } from 'mailparser';
import type { SmtpSink } from '../harness/smtp.ts';

export interface Delivered {
  messageId: string;
  caseId: string;
  kind: string;
  /** Times this Message-ID arrived (2 or more: a duplicate). */
  copies: number;
  text: string;
}

export class Mailbox {
  private seen = 0;
  private readonly byId = new Map<string, Delivered>();
  private readonly byCase = new Map<string, Delivered[]>();
  private readonly sink: SmtpSink;
  private readonly listeners: ((d: Delivered) => void)[] = [];
  /** Messages without a case (none expected): counted. */
  strays = 0;

  constructor(sink: SmtpSink) {
    this.sink = sink;
  }

  /** Calls `listener` once for every distinct message, as it is first seen. */
  subscribe(listener: (d: Delivered) => void): void {
    this.listeners.push(listener);
  }

  /** Takes in what arrived since the last call. */
  scan(): void {
    const fresh: Delivered[] = [];
    const all = this.sink.messages;
    for (; this.seen < all.length; this.seen++) {
      const m: ParsedMail = all[this.seen]!;
      const messageId = m.messageId ?? '';
      const caseId = String(m.headers.get('x-case-id') ?? '');
      const kind = String(m.headers.get('x-email-kind') ?? '');
      if (!caseId || !messageId) {
        this.strays++;
        continue;
      }
      const known = this.byId.get(messageId);
      if (known) {
        known.copies++;
        continue;
      }
      const d: Delivered = { messageId, caseId, kind, copies: 1, text: m.text ?? '' };
      this.byId.set(messageId, d);
      const list = this.byCase.get(caseId) ?? [];
      list.push(d);
      this.byCase.set(caseId, list);
      fresh.push(d);
    }
    for (const d of fresh) for (const listener of this.listeners) listener(d);
  }

  /** Distinct messages of a case (of one kind). */
  of(caseId: string, kind?: string): Delivered[] {
    this.scan();
    const list = this.byCase.get(caseId) ?? [];
    return kind ? list.filter((d) => d.kind === kind) : list;
  }

  has(messageId: string): boolean {
    this.scan();
    return this.byId.has(messageId);
  }

  get(messageId: string): Delivered | undefined {
    this.scan();
    return this.byId.get(messageId);
  }

  /** Every distinct message. */
  all(): Delivered[] {
    this.scan();
    return [...this.byId.values()];
  }

  /** Messages received, copies included. */
  get received(): number {
    return this.sink.messages.length;
  }
}
