// A small seeded chaos run in `npm test` (the production project): a handful of cases, one on each
// path, driven through the API and the check-in pages for three minutes while workers and an HTTP
// server are killed, PostgreSQL restarted and the mail server stopped, on a PostgreSQL, a
// temporal-server and service processes of the run's own (test/chaos/run.ts says how). Each check
// of the run is its own test, so a failure says which one broke, with the cases behind it.
// CHAOS_CASES, CHAOS_MINUTES and CHAOS_SEED change the run; `npm run chaos` runs any size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckName } from '../chaos/checks.ts';
import { PATHS } from '../chaos/plan.ts';
import { findPostgresBinaries } from '../chaos/postgres-cluster.ts';
import { formatReport } from '../chaos/report.ts';
import { runChaos, type ChaosReport } from '../chaos/run.ts';
import { stopRunningStacks } from '../chaos/stack.ts';

const CASES = Number(process.env.CHAOS_CASES) || 6;
const MINUTES = Number(process.env.CHAOS_MINUTES) || 3;
const SEED = Number(process.env.CHAOS_SEED) || 20261207;

let report: ChaosReport;

beforeAll(async () => {
  const binaries = findPostgresBinaries();
  if ('missing' in binaries) throw new Error(binaries.missing);
  report = await runChaos({ cases: CASES, minutes: MINUTES, seed: SEED, log: (line) => console.log(`[chaos] ${line}`) });
  console.log(formatReport(report));
}, 20 * 60_000);

// A run cut short (its hook timed out) still stops its PostgreSQL, Temporal and service processes.
afterAll(() => stopRunningStacks(), 120_000);

/** The violations of one check, one line each, for a failure message. */
const listed = (check: CheckName) =>
  report.violations
    .filter((v) => v.check === check)
    .map((v) => `${v.caseId ?? ''} ${v.detail}`)
    .join('\n');

describe(`chaos: ${CASES} cases, ${MINUTES} min, seed ${SEED}`, () => {
  it('drove every path and made every kind of fault, each process coming back', () => {
    // Paths are dealt out in turn: six cases or more cover them all.
    expect(Object.keys(report.figures.cases.byPath)).toHaveLength(Math.min(CASES, PATHS.length));
    expect([...new Set(report.faults.map((f) => f.kind))]).toEqual(expect.arrayContaining(['kill_worker', 'kill_http', 'restart_postgres', 'stop_mail']));
    expect(report.faults.filter((f) => f.backAfterMs === undefined)).toEqual([]);
  });

  it('leaves every case at the end its path leads to', () => {
    expect(listed('stage')).toBe('');
    expect(Object.values(report.figures.cases.byPath).every((p) => p.atExpectedEnd === p.total)).toBe(true);
  });

  it('delivers every email owed and every email a workflow sent; duplicates are counted by Message-ID', () => {
    const e = report.figures.emails;
    expect(e.expected).toBeGreaterThan(CASES * 3);
    expect({ missing: e.missing, sentNotDelivered: e.sentNotDelivered, failed: e.failed, unfinished: e.unfinished, unknown: e.unknown }, listed('emails')).toEqual({ missing: 0, sentNotDelivered: 0, failed: 0, unfinished: 0, unknown: 0 });
    expect(e.duplicates).toBe(e.duplicated.reduce((n, d) => n + d.copies - 1, 0));
  });

  it('delivers every alert and has each acknowledged', () => {
    const a = report.figures.alerts;
    expect(a.raised).toBeGreaterThan(0);
    // An urgent alert is acknowledged after it has gone out again (test/chaos/plan.ts).
    expect(a.repeatsSent).toBeGreaterThan(0);
    expect(listed('alerts')).toBe('');
    expect({ delivered: a.delivered, acknowledged: a.acknowledged }).toEqual({ delivered: a.raised, acknowledged: a.raised });
  });

  it('records every answer a family gave through the check-in pages as given', () => {
    // Four monitored cases or more take every answer in turn at their first check-in (test/chaos/plan.ts).
    for (const kind of ['answered (well)', 'answered (fever)', 'answered (urgent)', 'missed on purpose']) expect(report.figures.families[kind] ?? 0, kind).toBeGreaterThan(0);
    expect(listed('families')).toBe('');
  });

  it("keeps PostgreSQL's projection equal to each workflow's state", () => {
    expect(report.figures.projection.compared).toBe(CASES);
    expect(listed('projection')).toBe('');
  });

  it('leaves no failed or stuck workflow', () => {
    expect(listed('workflows')).toBe('');
    expect(report.unsettled).toBe(0);
    expect(report.figures.workflows.byStatus).toEqual({ COMPLETED: CASES });
  });
});
