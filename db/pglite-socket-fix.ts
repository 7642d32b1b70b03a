// A fix for the embedded Postgres's socket server (@electric-sql/pglite-socket 0.2.17, the latest
// release), applied by db/embedded.ts before it starts the server.
//
// The server funnels every connection onto one PGlite session through a queue of protocol
// messages. It keeps a connection's messages together only while a transaction is open, not across
// an extended-protocol exchange (Parse, Bind, Describe, Execute … Sync), which is how the `pg`
// driver sends every parameterised query. Under concurrency another connection's messages land in
// between: a Bind meets someone else's unnamed statement ("bind message supplies 2 parameters, but
// prepared statement "" requires 1"), or worse executes it with the wrong parameters, and
// responses go to the wrong client. A failed message also leaves the queue marked busy for good,
// after which every connection hangs. db/embedded.test.ts shows both.
//
// The fix: after a message that opens or continues an extended-protocol exchange, serve only that
// connection until its Sync (as the server already does for an open transaction), and keep the
// queue running after a failed message.
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  /** Added by the fix: the last connection served is inside an extended-protocol exchange. */
  midExchange?: boolean;
  db: { isInTransaction(): boolean; runExclusive<T>(fn: () => Promise<T>): Promise<T>; execProtocolRawStream(m: Uint8Array, o: { onRawData(d: Uint8Array): void }): Promise<unknown> };
  processQueue(): Promise<void>;
  clearQueueForHandler(id: number): void;
}

// Parse, Bind, Describe, Execute, Close, Flush: an exchange goes on until Sync ('S').
const CONTINUES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

let applied = false;

export function fixPgliteSocketQueue(): void {
  if (applied) return;
  applied = true;
  // The queue's class is not exported: reach its prototype through a server that is never started.
  const probe = new PGLiteSocketServer({ db: {} as never, port: 0 }) as unknown as { queryQueue: QueryQueue };
  const proto = Object.getPrototypeOf(probe.queryQueue) as QueryQueue;
  const originalClear = proto.clearQueueForHandler;

  proto.processQueue = async function processQueue(this: QueryQueue): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = this.lastHandlerId !== null && (this.midExchange || this.db.isInTransaction()) ? this.lastHandlerId : null;
        const index = owner === null ? 0 : this.queue.findIndex((q) => q.handlerId === owner);
        if (index === -1) break; // the owner's next message has not arrived yet
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (d) => {
                bytes += d.length;
                item.onData(d);
              },
            }),
          );
        } catch (err) {
          item.reject(err);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        this.midExchange = CONTINUES.has(item.message[0]!);
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };

  proto.clearQueueForHandler = function clearQueueForHandler(this: QueryQueue, id: number): void {
    originalClear.call(this, id);
    if (this.lastHandlerId === id && this.midExchange) {
      // The connection went away inside an exchange: nobody else may wait for it.
      this.midExchange = false;
      void this.processQueue();
    }
  };
}
