// One way to give up on a call that does not answer: the HTTP pages, the API, the console and casectl
// wait for the case workflow with a bound, alert emails for the database, and each says in its own
// words what a time-out means.

/** Settles as `promise` does, or rejects with `onTimeout()` after `ms`; the timer never outlives it. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  // The race handles a late failure of the abandoned call (its connection closing): no unhandled rejection.
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A call that did not answer in time, by what it was (`status`, `submit`, `postgres`): never more. */
export class TimeoutError extends Error {
  constructor(what: string) {
    super(`${what} timed out`);
    this.name = 'TimeoutError';
  }
}
