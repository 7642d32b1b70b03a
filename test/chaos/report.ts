// The chaos run's report as text: what the run did (cases by path, faults, the clients' retries),
// the table of checks with their figures and verdicts, the emails by kind, the duplicates with
// their Message-IDs, and every violation.
import { CHECKS, type CheckName } from './checks.ts';
import type { ChaosReport } from './run.ts';

const secs = (ms: number) => (ms >= 120_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(0)} s`);
const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(2)}%` : '0%');
const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');

const FAULT_NAMES: Record<string, string> = {
  kill_worker: 'worker killed (SIGKILL), restarted',
  kill_both_workers: 'both workers killed, restarted',
  kill_http: 'HTTP server killed (SIGKILL), restarted',
  restart_postgres: 'PostgreSQL stopped (fast) and started',
  stop_mail: 'mail server away',
};

/** Whether the run passed: no violation and nothing left running. */
export function passed(r: ChaosReport): boolean {
  return r.violations.length === 0 && r.unsettled === 0;
}

export function formatReport(r: ChaosReport): string {
  const { figures: f, shape } = r;
  const lines: string[] = [];
  const count = (check: CheckName) => r.violations.filter((v) => v.check === check).length;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'FAIL');
  const d = r.durations;
  lines.push('');
  lines.push(`chaos run: ${shape.cases} cases, ${shape.minutes} min, seed ${shape.seed} (npm run chaos -- --cases ${shape.cases} --minutes ${shape.minutes} --seed ${shape.seed})`);
  lines.push(`took ${secs(d.total)}: setup ${secs(d.setup)}, cases ${secs(d.cases)}, settling ${secs(d.settle)}, checks ${secs(d.checks)}; logs in ${r.logDir}`);

  lines.push(`a case took ${secs(r.caseDurations.median)} (median), ${secs(r.caseDurations.max)} at most, from opening to its end`);
  lines.push('', row(['cases by path', 'cases', 'at expected end'], [28, 6, 16]));
  for (const [path, p] of Object.entries(f.cases.byPath).sort()) lines.push(row([`  ${path}`, p.total, p.atExpectedEnd], [28, 6, 16]));

  lines.push('', row(['faults', 'count', 'problems'], [42, 6, 9]));
  const kinds = [...new Set(r.faults.map((x) => x.kind))];
  for (const k of kinds) {
    const these = r.faults.filter((x) => x.kind === k);
    const name = k === 'stop_mail' ? `${FAULT_NAMES[k]} ${secs(these[0]!.downMs)}` : FAULT_NAMES[k]!;
    lines.push(row([`  ${name}`, these.length, these.reduce((n, x) => n + x.problems.length, 0)], [42, 6, 9]));
  }
  for (const x of r.faults.filter((y) => y.problems.length)) lines.push(`    at ${secs(x.atMs)}: ${x.problems.join('; ')}`);

  const e = f.emails;
  const table: [string, string, boolean][] = [
    ['cases at their expected end', `${Object.values(f.cases.byPath).reduce((n, p) => n + p.atExpectedEnd, 0)}/${f.cases.total}`, count('stage') === 0],
    ['emails missing (owed by the paths)', `${e.missing} of ${e.expected}`, e.missing === 0],
    ['emails sent (per history), not arrived', String(e.sentNotDelivered), e.sentNotDelivered === 0],
    ['emails failed or left unfinished', `${e.failed + e.unfinished}`, e.failed + e.unfinished === 0],
    ['emails nobody asked for', String(e.unknown), e.unknown === 0],
    ['duplicate emails (same Message-ID)', `${e.duplicates} of ${e.received} (${pct(e.duplicates, e.received)})`, true],
    ['alerts delivered', `${f.alerts.delivered}/${f.alerts.raised}`, f.alerts.delivered === f.alerts.raised],
    ['alerts acknowledged', `${f.alerts.acknowledged}/${f.alerts.raised}`, f.alerts.acknowledged === f.alerts.raised],
    ['families\' answers recorded as given', `${count('families')} wrong`, count('families') === 0],
    ['projection mismatches (cases)', `${f.projection.mismatched} of ${f.projection.compared} (${f.projection.fields} fields)`, f.projection.mismatched === 0],
    ['failed or stuck workflows', `${count('workflows') + r.unsettled}`, count('workflows') === 0 && r.unsettled === 0],
    ['answers the README does not allow', String(r.unexpected.length), r.unexpected.length === 0],
  ];
  lines.push('', row(['check', 'figure', 'result'], [40, 26, 6]));
  for (const [name, figure, ok] of table) lines.push(row([`  ${name}`, figure, verdict(ok)], [40, 26, 6]));

  lines.push('', row(['emails by kind', 'owed', 'arrived', 'missing', 'dupes'], [32, 7, 8, 8, 6]));
  for (const [kind, k] of [...e.byKind.entries()].sort()) lines.push(row([`  ${kind}`, k.expected || '-', k.received, k.missing, k.duplicates], [32, 7, 8, 8, 6]));
  lines.push(`  ${e.received} distinct messages, ${e.copies} received; ${e.abandonedByCancel} in flight when their case was cancelled`);
  if (e.duplicated.length) {
    lines.push('', 'duplicates (Message-ID, case, kind, copies):');
    for (const x of e.duplicated.slice(0, 40)) lines.push(`  ${x.messageId}  ${x.caseId}  ${x.kind}  ×${x.copies}`);
    if (e.duplicated.length > 40) lines.push(`  … and ${e.duplicated.length - 40} more`);
  }

  lines.push('', `alerts: ${f.alerts.raised} raised (${Object.entries(f.alerts.byKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}); ${f.alerts.repeatsSent} repeat emails of unacknowledged urgent alerts`);
  lines.push(`families: ${Object.entries(f.families).map(([k, n]) => `${k} ${n}`).join(', ') || 'no check-ins'}; ${r.families.requests} requests, retried: ${retries(r.families.retries)}`);
  lines.push(`coordinators: ${r.api.requests} API requests, retried: ${retries(r.api.retries)}; ${r.api.recordedReads} reads answered from PostgreSQL (recorded)`);
  const w = f.workflows;
  lines.push(`workflows: ${Object.entries(w.byStatus).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ')}; workflow tasks timed out ${w.workflowTaskTimeouts}, failed ${Object.entries(w.workflowTaskFailures).map(([k, n]) => `${k.replace('WORKFLOW_TASK_FAILED_CAUSE_', '').toLowerCase()} ${n}`).join(', ') || '0'}${w.recoveredNondeterminism ? ` (${w.recoveredNondeterminism} a cold start's nondeterminism on a case that completed and replays clean)` : ''}; ${w.repairedBySweep} stuck cases reset by the workers' repair sweep${w.emailsOfReplacedRuns ? ` (${w.emailsOfReplacedRuns} emails sent by the runs they replaced, whose steps the new runs took again)` : ''}`);
  lines.push(`activities: ${[...w.activities.entries()].map(([t, a]) => `${t} ${a.count} (${a.retried} retried, at most ${a.maxAttempts} attempts)`).join('; ')}`);

  if (r.violations.length) {
    lines.push('', `violations (${r.violations.length}):`);
    for (const check of CHECKS) {
      const these = r.violations.filter((v) => v.check === check);
      for (const v of these.slice(0, 25)) lines.push(`  [${check}] ${v.caseId ?? ''} ${v.detail}`);
      if (these.length > 25) lines.push(`  [${check}] … and ${these.length - 25} more`);
    }
  }
  lines.push('', passed(r) ? 'PASS' : 'FAIL');
  return lines.join('\n');
}

function retries(r: Record<string, number>): string {
  const entries = Object.entries(r);
  return entries.length ? entries.map(([k, n]) => `${k} ${n}`).join(', ') : 'none';
}
