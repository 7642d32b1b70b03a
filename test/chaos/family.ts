// The families: each check-in email that reaches the mail server is opened as a family's phone
// would open it, through the HTTP pages on the balancer (GET the form, POST it, as
// test/monitoring/checkin-link.test.ts does), a while after it arrived, with what the case's plan
// says: well, a fever, a fever with dizziness (urgent), or no answer at all. A request that meets
// a fault (a dropped connection, a 502 or 503, a timeout, a 429) is sent again with the same
// answers, which the service applies once (its Update id comes from the check-in and the report).
import { routeOf, type AnswerLog } from './answers.ts';
import type { CaseJournal, FamilyAnswer } from './journal.ts';
import type { Delivered, Mailbox } from './mailbox.ts';
import type { Answer } from './plan.ts';
import { APP_BASE_URL } from './stack.ts';

export interface FamilyStats {
  requests: number;
  retries: Record<string, number>;
}

const GIVE_UP_MS = 5 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The form as a family fills it in (client/http/checkin-form.ts reads these fields). */
function form(answer: Exclude<Answer, 'miss'>): URLSearchParams {
  const body = new URLSearchParams({
    temperature: answer === 'well' ? '36.8' : answer === 'fever' ? '38.4' : '38.9',
    unit: 'c',
    // The family's local time (UTC), as the page fills it in.
    takenAt: new Date().toISOString().slice(0, 16),
    admitted: 'no',
    notes: answer === 'well' ? 'Eating and sleeping well' : 'Feels hot and tired',
  });
  if (answer === 'urgent') body.append('symptoms', 'dizziness');
  return body;
}

/** The token of a check-in link in the email, and the check-in it names (its payload is signed, not secret). */
function linkIn(text: string): { path: string; checkinId: number } | undefined {
  const m = text.match(new RegExp(`${APP_BASE_URL.replace(/\./g, '\\.')}(/checkin/([A-Za-z0-9_-]+)\\.[A-Za-z0-9_-]+)`));
  if (!m) return undefined;
  const payload = Buffer.from(m[2]!, 'base64url').toString('utf8').split(':');
  return { path: m[1]!, checkinId: Number(payload[2]) };
}

export function startFamilies(opts: { mailbox: Mailbox; baseUrl: string; journalOf: (caseId: string) => CaseJournal | undefined; unexpected: AnswerLog }) {
  const stats: FamilyStats = { requests: 0, retries: {} };
  const inFlight = new Set<Promise<void>>();

  /** Sends until an answer that is not a fault; undefined after GIVE_UP_MS of faults. A 500 is kept and sent again. */
  async function send(path: string, caseId: string, init: RequestInit = {}): Promise<number | undefined> {
    const giveUpAt = Date.now() + GIVE_UP_MS;
    for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
      stats.requests++;
      let why: string;
      try {
        const res = await fetch(`${opts.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        if (res.status >= 500 && res.status !== 502 && res.status !== 503) {
          opts.unexpected.add({ door: 'checkin', route: `${init.method ?? 'GET'} ${routeOf(path)}`, status: res.status, what: 'an internal error', caseId, body: text.replace(/\s+/g, ' ').slice(0, 200) });
        } else if (![429, 502, 503].includes(res.status)) return res.status;
        why = String(res.status);
      } catch (err) {
        why = (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection';
      }
      stats.retries[why] = (stats.retries[why] ?? 0) + 1;
      await sleep(Math.min(500 * 2 ** attempt, why === '429' ? 10_000 : 5_000));
    }
    return undefined;
  }

  async function answer(journal: CaseJournal, path: string, record: FamilyAnswer, planned: Exclude<Answer, 'miss'>): Promise<void> {
    const caseId = journal.caseId!;
    const page = await send(path, caseId);
    if (page !== 200) {
      record.outcome = page === 409 ? 'refused' : page === 410 ? 'closed' : 'failed';
      record.detail = `the form answered ${page ?? 'nothing'}`;
      return;
    }
    const status = await send(path, caseId, { method: 'POST', body: form(planned), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    record.outcome = status === 200 ? 'answered' : status === 409 ? 'refused' : status === 410 ? 'closed' : 'failed';
    if (status !== 200) record.detail = `the report answered ${status ?? 'nothing'}`;
  }

  opts.mailbox.subscribe((d: Delivered) => {
    if (d.kind !== 'checkin_request') return;
    const journal = opts.journalOf(d.caseId);
    const link = linkIn(d.text);
    if (!journal || !link || journal.answers.has(link.checkinId)) return;
    const planned = journal.plan.answers[link.checkinId - 1] ?? 'well';
    const record: FamilyAnswer = { checkinId: link.checkinId, planned, outcome: planned === 'miss' ? 'missed on purpose' : 'failed' };
    journal.answers.set(link.checkinId, record);
    if (planned === 'miss') return;
    const delay = journal.plan.answerDelays[link.checkinId - 1] ?? 5_000;
    const task = sleep(delay)
      .then(() => answer(journal, link.path, record, planned))
      .catch((err: unknown) => {
        record.outcome = 'failed';
        record.detail = (err as Error).message;
      });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  });

  return {
    stats,
    /** Waits for the answers under way. */
    async settle(): Promise<void> {
      await Promise.all([...inFlight]);
    },
  };
}
