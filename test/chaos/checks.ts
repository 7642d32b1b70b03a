// What must hold once the run is over, case by case, and the figures the report prints:
//
// - stage: every case at the end its path leads to (closed; closed after navigation; cancelled in
//   the planned stage), with the hospitals its path implies, and its driver never refused;
// - emails: every email the case owes (expected-emails.ts) arrived, and every email its workflow
//   recorded as sent arrived (its Message-ID, from the history); none failed, none was left
//   unfinished by a closed case, none arrived that no workflow asked for; duplicates counted;
// - alerts: every alert acknowledged, and its emails delivered (an escalation's first team and
//   coordinator emails, a missed check-in's coordinator email, the others' own email);
// - families: every answer the service took is recorded as given;
// - projection: PostgreSQL's rows equal each workflow's final state (projection.ts);
// - workflows: all completed (none failed, terminated, timed out or still running), no workflow
//   task failed but for benign causes, or for a nondeterminism on a workflow that then completed and
//   whose whole history replays on the worker's code (Temporal core's cold-start ordering; counted);
// - answers: the service answered nothing its README does not allow (answers.ts).
import type { Client } from '@temporalio/client';
import { createDataConverter, type Keyring } from '../../codec/keys.ts';
import { workerReplayer } from '../../client/repair.ts';
import type { Db } from '../../db/connect.ts';
import type { CaseStatus } from '../../domain/case.ts';
import { caseStatus } from '../../workflows/messages.ts';
import { ESCALATED_ALERT_KINDS } from './coordinator.ts';
import { expectedEmails } from './expected-emails.ts';
import { historyReader, type CaseHistory, type EmailActivity } from './history.ts';
import type { UnexpectedAnswer } from './answers.ts';
import type { CaseJournal } from './journal.ts';
import type { Mailbox } from './mailbox.ts';
import { projectionMismatches } from './projection.ts';
import { TASK_QUEUE } from './stack.ts';

export const CHECKS = ['stage', 'emails', 'alerts', 'families', 'projection', 'workflows', 'answers'] as const;
export type CheckName = (typeof CHECKS)[number];

export interface Violation {
  check: CheckName;
  caseId?: string;
  detail: string;
}

export interface KindFigures {
  expected: number;
  /** Distinct messages (Message-IDs) that arrived. */
  received: number;
  missing: number;
  /** Extra copies of a Message-ID. */
  duplicates: number;
}

export interface Figures {
  cases: { total: number; byPath: Record<string, { total: number; atExpectedEnd: number }> };
  emails: {
    byKind: Map<string, KindFigures>;
    expected: number;
    /** Distinct messages that arrived, and all copies. */
    received: number;
    copies: number;
    /** Owed by the cases' paths and not arrived. */
    missing: number;
    /** Recorded as sent in a workflow's history and not arrived. */
    sentNotDelivered: number;
    failed: number;
    unfinished: number;
    /** In flight when the case was cancelled (abandoned by design). */
    abandonedByCancel: number;
    unknown: number;
    duplicates: number;
    duplicated: { messageId: string; caseId: string; kind: string; copies: number }[];
  };
  alerts: { raised: number; byKind: Record<string, number>; delivered: number; acknowledged: number; repeatsSent: number };
  families: Record<string, number>;
  projection: { compared: number; mismatched: number; fields: number };
  workflows: { byStatus: Record<string, number>; workflowTaskFailures: Record<string, number>; recoveredNondeterminism: number; repairedBySweep: number; emailsOfReplacedRuns: number; workflowTaskTimeouts: number; activities: Map<string, { count: number; retried: number; maxAttempts: number }> };
}

/** Causes of a failed workflow task that are the server's bookkeeping, not a fault in the workflow. */
const BENIGN_WFT_CAUSES = new Set(['WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND', 'WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE']);
const TIER_OF_ANSWER: Record<string, string> = { well: 'none', fever: 'contact_team', urgent: 'urgent' };

async function mapLimit<T, R>(items: T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  }));
  return out;
}

export async function checkRun(opts: { client: Client; keyring: Keyring; db: Db; mailbox: Mailbox; journals: CaseJournal[]; unexpected: UnexpectedAnswer[]; log: (line: string) => void }): Promise<{ violations: Violation[]; figures: Figures }> {
  const { client, db, mailbox, journals } = opts;
  const violations: Violation[] = [];
  const fail = (check: CheckName, detail: string, caseId?: string) => violations.push({ check, detail, ...(caseId ? { caseId } : {}) });
  const figures: Figures = {
    cases: { total: journals.length, byPath: {} },
    emails: { byKind: new Map(), expected: 0, received: 0, copies: mailbox.received, missing: 0, sentNotDelivered: 0, failed: 0, unfinished: 0, abandonedByCancel: 0, unknown: 0, duplicates: 0, duplicated: [] },
    alerts: { raised: 0, byKind: {}, delivered: 0, acknowledged: 0, repeatsSent: 0 },
    families: {},
    projection: { compared: 0, mismatched: 0, fields: 0 },
    workflows: { byStatus: {}, workflowTaskFailures: {}, recoveredNondeterminism: 0, repairedBySweep: 0, emailsOfReplacedRuns: 0, workflowTaskTimeouts: 0, activities: new Map() },
  };

  // Every workflow on the run's task queue, and every case a driver opened.
  const ids = new Set<string>();
  for await (const w of client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` })) ids.add(w.workflowId);
  for (const j of journals) if (j.caseId) ids.add(`case-${j.caseId}`);
  const read = historyReader(client, opts.keyring);
  // A nondeterminism the code really has fails this replay too; one that only a cold start's
  // activations met (temporalio/sdk-python#1591, test/replay/upstream.test.ts) does not.
  const replay = workerReplayer(createDataConverter(opts.keyring));
  const replaysClean = async (workflowId: string): Promise<boolean> => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    async function* one() {
      yield history;
    }
    try {
      for await (const ok of replay(workflowId, one())) return ok;
    } catch (err) {
      opts.log(`${workflowId}: replay failed: ${(err as Error).message}`);
    }
    return false;
  };
  const histories = new Map<string, CaseHistory>();
  await mapLimit([...ids], 4, async (id) => {
    const h = await read(id).catch((err: unknown) => {
      fail('workflows', `${id}: its history could not be read: ${(err as Error).message}`);
      return undefined;
    });
    if (h) histories.set(h.caseId, h);
  });
  opts.log(`read ${histories.size} workflow histories`);

  const knownMessageIds = new Set<string>();
  for (const h of histories.values()) for (const e of h.emails) knownMessageIds.add(e.messageId);
  // A repaired case's steps after its reset point were taken by the run the reset replaced, then
  // again by the new run (README, "A case whose workflow task keeps failing"): the replaced run's
  // emails were asked for, and are counted apart. A reset terminates the run it replaces.
  for (const h of histories.values()) {
    if (!h.workflowTaskFailures.some((f) => f.cause === 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW')) continue;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${h.workflowId}' AND ExecutionStatus = 'Terminated'` })) {
      const replaced = await read(h.workflowId, run.runId);
      for (const e of replaced.emails) {
        if (knownMessageIds.has(e.messageId)) continue;
        knownMessageIds.add(e.messageId);
        figures.workflows.emailsOfReplacedRuns++;
      }
    }
  }

  for (const h of histories.values()) {
    figures.workflows.byStatus[h.status] = (figures.workflows.byStatus[h.status] ?? 0) + 1;
    figures.workflows.workflowTaskTimeouts += h.workflowTaskTimeouts;
    for (const f of h.workflowTaskFailures) {
      figures.workflows.workflowTaskFailures[f.cause] = (figures.workflows.workflowTaskFailures[f.cause] ?? 0) + 1;
      if (BENIGN_WFT_CAUSES.has(f.cause)) continue;
      // A stuck case a worker's repair sweep reset (worker/repair-sweep.ts): what it does after is
      // judged like any case's (its end, its emails, its projection).
      if (f.cause === 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW' && f.message.startsWith('the repair sweep of worker ')) {
        figures.workflows.repairedBySweep++;
        opts.log(`${h.caseId}: stuck, and reset by a worker's repair sweep (${f.message.slice(0, 160)})`);
        continue;
      }
      if (f.cause === 'WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR' && h.status === 'COMPLETED' && (await replaysClean(h.workflowId))) {
        figures.workflows.recoveredNondeterminism++;
        opts.log(`${h.caseId}: a workflow task failed once (${f.message.slice(0, 160)}), the case completed and its whole history replays on this code`);
      } else fail('workflows', `a workflow task failed (${f.cause}): ${f.message}`, h.caseId);
    }
    for (const [type, a] of h.activities) {
      const t = figures.workflows.activities.get(type) ?? { count: 0, retried: 0, maxAttempts: 0 };
      t.count += a.count;
      t.retried += a.retried;
      t.maxAttempts = Math.max(t.maxAttempts, a.maxAttempts);
      figures.workflows.activities.set(type, t);
    }
    if (h.status !== 'COMPLETED') {
      const d = await client.workflow.getHandle(h.workflowId).describe().catch(() => undefined);
      const pending = (d?.raw.pendingActivities ?? []).map((p) => `${p.activityType?.name} at attempt ${p.attempt}`).join(', ');
      fail('workflows', `workflow ${h.status.toLowerCase()}${pending ? `; pending: ${pending}` : ''}`, h.caseId);
    }
  }

  for (const j of journals) {
    const path = (figures.cases.byPath[j.plan.path] ??= { total: 0, atExpectedEnd: 0 });
    path.total++;
    if (j.error) fail('stage', `its coordinator gave up: ${j.error}`, j.caseId);
    for (const r of j.refusals) fail('stage', `refused: ${r}`, j.caseId);
    if (!j.caseId) continue;
    const h = histories.get(j.caseId);
    const s = h?.result ?? (await client.workflow.getHandle(`case-${j.caseId}`).query(caseStatus).catch(() => undefined));
    if (!h || !s) {
      fail('stage', 'no final state (no workflow result, and the query found no answer)', j.caseId);
      continue;
    }
    const end = endProblems(j, s);
    if (end.length === 0) path.atExpectedEnd++;
    for (const p of end) fail('stage', p, j.caseId);
    checkEmails(j, s, h);
    checkAlerts(j, s, h);
    checkFamily(j, s);
    const mismatches = await projectionMismatches(db, s);
    figures.projection.compared++;
    if (mismatches.length) {
      figures.projection.mismatched++;
      figures.projection.fields += mismatches.length;
      fail('projection', mismatches.join('; '), j.caseId);
    }
  }

  // Emails nobody asked for, and duplicates.
  for (const d of mailbox.all()) {
    if (!knownMessageIds.has(d.messageId)) {
      figures.emails.unknown++;
      fail('emails', `an email arrived that no workflow asked for: ${d.kind} ${d.messageId}`, d.caseId);
    }
    if (d.copies > 1) {
      figures.emails.duplicates += d.copies - 1;
      figures.emails.duplicated.push({ messageId: d.messageId, caseId: d.caseId, kind: d.kind, copies: d.copies });
      kindFigures(d.kind).duplicates += d.copies - 1;
    }
    kindFigures(d.kind).received++;
    figures.emails.received++;
  }
  // Answers the README does not allow: one line per kind, with how often, an example and what Temporal said.
  const groups = new Map<string, UnexpectedAnswer[]>();
  for (const a of opts.unexpected) {
    const key = `${a.door} ${a.route} ${a.status}: ${a.what}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  for (const [key, list] of groups) {
    const diagnoses = [...new Set(list.map((a) => a.diagnosis).filter((d): d is string => d !== undefined))];
    fail('answers', `${key} (${list.length}×; cases ${[...new Set(list.map((a) => a.caseId))].slice(0, 5).join(', ')}); answered ${list[0]!.body}${diagnoses.length ? `; ${diagnoses.join('; ')}` : ''}`);
  }
  return { violations, figures };

  function kindFigures(kind: string): KindFigures {
    let k = figures.emails.byKind.get(kind);
    if (!k) figures.emails.byKind.set(kind, (k = { expected: 0, received: 0, missing: 0, duplicates: 0 }));
    return k;
  }

  function checkEmails(j: CaseJournal, s: CaseStatus, h: CaseHistory): void {
    for (const [kind, n] of expectedEmails(s, j)) {
      const got = mailbox.of(j.caseId!, kind).length;
      const k = kindFigures(kind);
      k.expected += n;
      figures.emails.expected += n;
      if (got < n) {
        k.missing += n - got;
        figures.emails.missing += n - got;
        fail('emails', `${kind}: ${n} owed, ${got} arrived`, j.caseId);
      }
    }
    for (const e of h.emails) {
      if (e.outcome === 'sent' && !mailbox.has(e.messageId)) {
        figures.emails.sentNotDelivered++;
        fail('emails', `${e.kind} ${e.messageId}: sent by its workflow's account, never arrived`, j.caseId);
      } else if (e.outcome === 'failed' || e.outcome === 'error') {
        figures.emails.failed++;
        fail('emails', `${e.kind} ${e.messageId}: ${e.outcome === 'failed' ? 'refused by the mail server' : 'its activity failed for good'}`, j.caseId);
      } else if (e.outcome === 'open') {
        if (s.cancelled) figures.emails.abandonedByCancel++;
        else {
          figures.emails.unfinished++;
          fail('emails', `${e.kind} ${e.messageId}: still being sent when the workflow ended${mailbox.has(e.messageId) ? ' (it arrived)' : ' (it never arrived)'}`, j.caseId);
        }
      }
    }
  }

  function checkAlerts(j: CaseJournal, s: CaseStatus, h: CaseHistory): void {
    const delivered = (e: EmailActivity) => e.outcome === 'sent' && mailbox.has(e.messageId);
    figures.alerts.repeatsSent += h.emails.filter((e) => (e.kind === 'alert_team' || e.kind === 'alert_coordinator') && Number(e.data.repeat) > 1 && delivered(e)).length;
    for (const a of s.alerts) {
      figures.alerts.raised++;
      figures.alerts.byKind[a.kind] = (figures.alerts.byKind[a.kind] ?? 0) + 1;
      if (a.acknowledgedAt) figures.alerts.acknowledged++;
      else fail('alerts', `alert ${a.id} (${a.kind}) never acknowledged`, j.caseId);
      let ok: boolean;
      if (ESCALATED_ALERT_KINDS.includes(a.kind)) {
        const first = (kind: string) => h.emails.some((e) => e.kind === kind && e.data.alertId === a.id && e.data.repeat === 1 && delivered(e));
        ok = first('alert_team') && first('alert_coordinator');
      } else if (a.kind === 'checkin_missed') {
        const checkinId = Number(/#(\d+)/.exec(a.message)?.[1]);
        ok = h.emails.some((e) => e.kind === 'checkin_missed_coordinator' && e.data.checkinId === checkinId && delivered(e));
      } else if (['records_stalled', 'translation_overdue', 'hospital_silent'].includes(a.kind)) {
        ok = h.emails.filter((e) => e.kind === a.kind && delivered(e)).length >= s.alerts.filter((x) => x.kind === a.kind).length;
      } else {
        // delivery_failed, record_failed, no_team_phone: the service itself in trouble.
        ok = false;
      }
      if (ok) figures.alerts.delivered++;
      else fail('alerts', `alert ${a.id} (${a.kind}${a.tier ? `, ${a.tier}` : ''}): ${a.kind === 'delivery_failed' || a.kind === 'record_failed' ? a.message : 'its emails were not all delivered'}`, j.caseId);
    }
  }

  function checkFamily(j: CaseJournal, s: CaseStatus): void {
    for (const a of j.answers.values()) {
      const key = a.outcome === 'answered' ? `answered (${a.planned})` : a.outcome;
      figures.families[key] = (figures.families[key] ?? 0) + 1;
      if (a.outcome !== 'answered') continue;
      const c = s.monitoring?.checkins.find((x) => x.id === a.checkinId);
      if (c?.state !== 'answered' || c.tier !== TIER_OF_ANSWER[a.planned]) {
        fail('families', `check-in #${a.checkinId} answered ${a.planned} (the page said so), recorded ${c ? `${c.state}${c.tier ? `, ${c.tier}` : ''}` : 'nowhere'}`, j.caseId);
      }
    }
  }
}

/** How the case's end differs from the one its path leads to. */
function endProblems(j: CaseJournal, s: CaseStatus): string[] {
  const { plan } = j;
  const problems: string[] = [];
  const sub = (code: string) => s.submissions.find((x) => x.hospitalCode === code);
  if (plan.path === 'cancel') {
    if (s.stage !== 'cancelled') problems.push(`ended ${s.stage}, not cancelled`);
    else if (s.cancelled?.fromStage !== plan.cancelAt) problems.push(`cancelled in ${s.cancelled?.fromStage}, not in ${plan.cancelAt}`);
    return problems;
  }
  if (s.stage !== 'closed') return [`ended ${s.stage}, not closed`];
  const [first, second] = plan.hospitals;
  if (plan.path === 'navigation') {
    if (!s.submissions.every((x) => x.status === 'declined')) problems.push('closed after navigation with a submission not declined');
    if (s.chosenHospital) problems.push(`closed after navigation with ${s.chosenHospital} chosen`);
    return problems;
  }
  if (s.closeReason !== 'follow-up complete') problems.push(`closed for '${s.closeReason}', not after follow-up`);
  if (s.followUps.some((f) => !f.outcome)) problems.push('closed with a follow-up contact without its outcome');
  const chosen = plan.path === 'choice' ? plan.choose : first;
  if (s.chosenHospital !== chosen) problems.push(`${s.chosenHospital} chosen, not ${chosen}`);
  if (plan.path === 'decline' && sub(second!)?.status !== 'declined') problems.push(`${second} did not decline`);
  if (plan.path === 'choice' && sub(second!)?.status !== 'accepted') problems.push(`${second} did not accept`);
  if (plan.path === 'more_info' && (sub(first!)?.round !== 2 || sub(first!)?.status !== 'accepted')) problems.push(`${first} did not accept in a second round`);
  return problems;
}
