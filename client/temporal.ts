// The one place a client (the HTTP server, casectl) opens its connection to Temporal.
//
// Why not Connection.lazy with its defaults: the SDK retries an unavailable call on a timer of its
// own (up to ~6 s apart), and a retry that fires after the connection closed throws "Channel has
// been shut down" from that timer, an uncaught exception that ends the process. Our requests give up
// long before the SDK does (a page answers 503 after its own timeout), so calls given up on are
// still retrying when the server shuts down. Closing therefore stops new retries first and lets the
// last scheduled one start before the channel goes.
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { temporalConnectionOptions, type AppConfig } from '../config.ts';

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export function openTemporalClient(config: Pick<AppConfig, 'temporalAddress' | 'temporalTls' | 'temporalNamespace'>, dataConverter: DataConverter): TemporalClient {
  const defaults = defaultGrpcRetryOptions();
  let closing = false;
  let lastRetryAt = 0;
  const retry = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, status) => !closing && defaults.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const ms = defaults.delayFunction(attempt, status);
      lastRetryAt = Math.max(lastRetryAt, Date.now() + ms);
      return ms;
    },
  });
  const connection = Connection.lazy({ ...temporalConnectionOptions(config), connectTimeout: '5 seconds', interceptors: [retry] });
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter });
  return {
    client,
    connection,
    async close() {
      closing = true;
      const wait = lastRetryAt - Date.now();
      // The retry creates its call synchronously when its timer fires; a few ms after is enough.
      if (wait > -10) await new Promise((resolve) => setTimeout(resolve, wait + 10));
      await connection.close();
    },
  };
}
