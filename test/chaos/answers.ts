// Answers the service gives that its README does not allow for what happened: a 500, a 404 for a
// case that exists, a 409 ("refused by the case's state") for an action the case never saw. The
// run's clients send such a request again, as a client of this service would have to, so that the
// run goes on; each one is kept here, with what Temporal said about the case at that moment when
// the run can ask it (`diagnose`), and fails the run's `answers` check.
export interface UnexpectedAnswer {
  door: 'api' | 'checkin';
  /** The route, case ids replaced by :caseId. */
  route: string;
  status: number;
  what: string;
  caseId?: string;
  body: string;
  /** What the run's own Temporal client met asking the same case's state, if it asked. */
  diagnosis?: string;
  at: number;
}

export class AnswerLog {
  readonly list: UnexpectedAnswer[] = [];
  private readonly diagnose: ((caseId: string) => Promise<string>) | undefined;

  constructor(diagnose?: (caseId: string) => Promise<string>) {
    this.diagnose = diagnose;
  }

  /** Keeps the answer; asks for a diagnosis of the first few of each kind (the run's own question to Temporal, a moment later). */
  add(answer: Omit<UnexpectedAnswer, 'at' | 'diagnosis'>): void {
    const entry: UnexpectedAnswer = { ...answer, at: Date.now() };
    this.list.push(entry);
    const same = this.list.filter((a) => a.route === answer.route && a.status === answer.status).length;
    if (this.diagnose && answer.caseId && same <= 5) {
      void this.diagnose(answer.caseId).then((d) => {
        entry.diagnosis = d;
      });
    }
  }
}

/** A path with its case id (and alert id) replaced, for counting by route. */
export const routeOf = (path: string): string => path.replace(/\/cases\/[A-Za-z0-9_-]+/, '/cases/:caseId').replace(/\/alerts\/[A-Za-z0-9_-]+/, '/alerts/:alertId').replace(/\/checkin\/[^/]+/, '/checkin/:token');

/** An error from Temporal as one line: its class, gRPC code and what the server said. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; code?: number; message?: string; details?: string; cause?: { name?: string; code?: number; details?: string; message?: string; type?: string } };
  const code = e.code ?? e.cause?.code;
  const said = e.details ?? e.cause?.details ?? e.cause?.message ?? '';
  return `${e.name ?? 'Error'}${code !== undefined ? ` (gRPC code ${code})` : ''}: ${e.message ?? ''}${said && !e.message?.includes(said) ? ` — ${said}` : ''}${e.cause?.type ? ` [${e.cause.type}]` : ''}`.slice(0, 300);
}
