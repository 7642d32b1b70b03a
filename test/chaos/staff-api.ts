// The coordinators' side of the JSON API, as a robust client uses it (README, "JSON API"): every
// action carries an Idempotency-Key and is sent again with the same key after a 503, a 502 from
// the balancer, a timeout or a dropped connection, so that it is applied once however often it is
// sent. Reads may come back `recorded` (from Postgres, while no worker answers): a driver that
// decides on a read asks again for the workflow's own answer (liveStatus). Answers the README
// does not allow (answers.ts) are sent again too, and kept.
import type { CaseStatus } from '../../domain/case.ts';
import { routeOf, type AnswerLog } from './answers.ts';

/** What the run's staff requests met, for the report. */
export interface ApiStats {
  requests: number;
  /** Requests sent again, by why: `503`, `502`, `timeout`, `connection`, `401`. */
  retries: Record<string, number>;
  /** Reads answered from Postgres (`recorded`) instead of by the case's workflow. */
  recordedReads: number;
}

export function newApiStats(): ApiStats {
  return { requests: 0, retries: {}, recordedReads: 0 };
}

/** The case refused the action (409): the reason is the case's. */
export class RefusedError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'RefusedError';
    this.status = status;
  }
}

/** The account the run's coordinators sign in as; `code` makes a one-time code (PostgreSQL may be restarting: it retries). */
export interface StaffCredentials {
  email: string;
  password: string;
  code: () => Promise<string>;
}

interface Answer {
  status: number;
  body: unknown;
}

/** How long one request is given before it is sent again: longer than the API's own 20 s wait for a workflow. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A request that has not got through by then is given up (the case's driver reports it). */
const GIVE_UP_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StaffApi {
  private session: { cookie: string; csrf: string } | undefined;
  private signingIn: Promise<void> | undefined;
  private readonly baseUrl: string;
  private readonly credentials: StaffCredentials;
  private readonly unexpected: AnswerLog;
  /** Cases this client opened: a 404 for one of them is not "no such case". */
  private readonly opened = new Set<string>();
  readonly stats: ApiStats;

  constructor(baseUrl: string, credentials: StaffCredentials, unexpected: AnswerLog, stats: ApiStats = newApiStats()) {
    this.baseUrl = baseUrl;
    this.credentials = credentials;
    this.unexpected = unexpected;
    this.stats = stats;
  }

  /** Signs in once for every driver; a second caller waits for the first. */
  signIn(): Promise<void> {
    this.signingIn ??= (async () => {
      const { email, password, code } = this.credentials;
      let r: Answer | undefined;
      // A fresh one-time code each time: one sent before a lost answer may have been used up.
      for (let attempt = 1; r?.status !== 200; attempt++) {
        if (r && (r.status !== 401 || attempt > 5)) throw new Error(`sign-in answered ${r.status}: ${JSON.stringify(r.body)}`);
        r = await this.send('POST', '/session', { email, password, code: await code() }, {}, false);
      }
      const { csrfToken, cookie } = r.body as { csrfToken: string; cookie: string };
      this.session = { cookie, csrf: csrfToken };
    })().finally(() => {
      this.signingIn = undefined;
    });
    return this.signingIn;
  }

  /** Opens a case; opening the same patient again finds the same case, so a retry needs no key. */
  async openCase(file: Record<string, unknown>): Promise<string> {
    const r = await this.call('POST', '/cases', file);
    if (r.status !== 201 && r.status !== 200) throw new Error(`opening a case answered ${r.status}: ${JSON.stringify(r.body)}`);
    const { caseId } = r.body as { caseId: string };
    this.opened.add(caseId);
    return caseId;
  }

  /** Where the case stands: the workflow's answer, or Postgres's (`recorded`) when no worker answered in time. */
  async status(caseId: string): Promise<CaseStatus> {
    const r = await this.call('GET', `/cases/${caseId}`);
    if (r.status !== 200) throw new Error(`reading case ${caseId} answered ${r.status}: ${JSON.stringify(r.body)}`);
    const status = r.body as CaseStatus;
    if (status.recorded) this.stats.recordedReads++;
    return status;
  }

  /** The workflow's own answer: a `recorded` one may be behind, so it is asked again. */
  async liveStatus(caseId: string): Promise<CaseStatus> {
    for (;;) {
      const s = await this.status(caseId);
      if (!s.recorded) return s;
      await sleep(1_000);
    }
  }

  /** An action with its Idempotency-Key; answers the case's status after it, or throws RefusedError (409, 400). */
  async act(caseId: string, action: string, args: Record<string, unknown>, key: string): Promise<CaseStatus> {
    const r = await this.call('POST', `/cases/${caseId}/actions/${action}`, args, key);
    if (r.status === 200) return r.body as CaseStatus;
    if (r.status === 409 || r.status === 400) throw new RefusedError(r.status, `${action} refused (${r.status}): ${JSON.stringify(r.body)}`);
    throw new Error(`${action} on ${caseId} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }

  async acknowledge(caseId: string, alertId: string, key: string): Promise<void> {
    const r = await this.call('POST', `/cases/${caseId}/alerts/${alertId}/ack`, undefined, key);
    if (r.status === 200) return;
    if (r.status === 409) throw new RefusedError(r.status, `acknowledging ${alertId} refused: ${JSON.stringify(r.body)}`);
    throw new Error(`acknowledging ${alertId} on ${caseId} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }

  async addHospital(h: Record<string, unknown>): Promise<void> {
    const r = await this.call('POST', '/hospitals', h);
    // 400 naming the code: it is there already (a retry of a request that got through).
    if (r.status !== 201 && !(r.status === 400 && JSON.stringify(r.body).includes('already exists'))) throw new Error(`adding hospital answered ${r.status}: ${JSON.stringify(r.body)}`);
  }

  /** Why an answer is one the README does not allow here, or undefined. */
  private undocumented(path: string, status: number, text: string): string | undefined {
    if (status >= 500 && status !== 502 && status !== 503) return 'an internal error';
    const caseId = /^\/cases\/([A-Za-z0-9_-]+)/.exec(path)?.[1];
    if (status === 404 && caseId && this.opened.has(caseId)) return 'no such case, for a case that exists';
    // Temporal's own rejection of an Update no worker processed: the action was never applied.
    if (status === 409 && text.includes("wasn't processed by worker")) return 'refused, for an action the case never processed';
    return undefined;
  }

  /** Sends until an answer that is not a fault comes back, with the same key every time. */
  private async call(method: string, path: string, body?: unknown, key?: string): Promise<Answer> {
    if (!this.session) await this.signIn();
    const headers: Record<string, string> = key ? { 'idempotency-key': key } : {};
    return this.send(method, path, body, headers, true);
  }

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>, signedIn: boolean): Promise<Answer> {
    const giveUpAt = Date.now() + GIVE_UP_MS;
    for (let attempt = 1; ; attempt++) {
      const retry = async (why: string, waitMs: number) => {
        this.stats.retries[why] = (this.stats.retries[why] ?? 0) + 1;
        if (Date.now() > giveUpAt) throw new Error(`${method} ${path}: no answer but ${why} for ${GIVE_UP_MS / 60_000} minutes`);
        await sleep(Math.min(waitMs, 5_000) * (0.75 + Math.random() / 2));
      };
      const backoff = Math.min(500 * 2 ** (attempt - 1), 5_000);
      this.stats.requests++;
      let res: Response;
      try {
        const auth = signedIn && this.session ? { cookie: this.session.cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': this.session.csrf }) } : {};
        res = await fetch(`${this.baseUrl}/api${path}`, {
          method,
          headers: { ...headers, ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        await retry((err as Error).name === 'TimeoutError' ? 'timeout' : 'connection', backoff);
        continue;
      }
      const text = await res.text().catch(() => undefined);
      if (text === undefined) {
        await retry('connection', backoff);
        continue;
      }
      if (res.status === 502 || res.status === 503) {
        const after = Number(res.headers.get('retry-after'));
        await retry(String(res.status), Number.isFinite(after) && after > 0 ? after * 1000 : backoff);
        continue;
      }
      const why = this.undocumented(path, res.status, text);
      if (why) {
        const caseId = /\/cases\/([A-Za-z0-9_-]+)/.exec(path)?.[1];
        this.unexpected.add({ door: 'api', route: `${method} ${routeOf(path)}`, status: res.status, what: why, body: text.slice(0, 300), ...(caseId ? { caseId } : {}) });
        await retry(`${res.status} (undocumented)`, backoff);
        continue;
      }
      if (res.status === 401 && signedIn) {
        // Sessions live in Postgres and survive any server's restart; signing in again covers the rest.
        await retry('401', backoff);
        await this.signIn();
        continue;
      }
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: kept as text for the error that names it.
      }
      if (path === '/session' && method === 'POST' && res.status === 200) {
        const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0]!;
        return { status: 200, body: { ...(parsed as object), cookie } };
      }
      return { status: res.status, body: parsed };
    }
  }
}
