// What the benchmarks' smoke runs share: a context built from the test project's Temporal server
// (the suite's shared dev server, or the production project's temporal-server on PostgreSQL), a
// test database, the bench's SMTP sink and the bundles; and the check every report gets. Not a
// measurement: the sizes are far too small for the numbers to mean anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { buildBundles, createContext, type BenchContext } from '../../bench/context.ts';
import type { ScenarioReport } from '../../bench/report.ts';
import { startBenchSmtp } from '../../bench/smtp-sink.ts';
import { createTestDatabase } from '../harness/postgres.ts';

// Each scenario starts worker processes, which take far longer on a loaded machine than the default time limit allows.
export const SCENARIO_TIMEOUT = 240_000;

/** Registers the file's beforeAll and afterAll; `ctx` is there once beforeAll has run. */
export function useSmokeContext(): { readonly ctx: BenchContext } {
  let started: Awaited<ReturnType<typeof startSmokeContext>> | undefined;
  beforeAll(async () => {
    started = await startSmokeContext();
  });
  afterAll(async () => {
    await started?.stop();
  });
  return {
    get ctx() {
      if (!started) throw new Error('the smoke context is not started yet (beforeAll)');
      return started.ctx;
    },
  };
}

async function startSmokeContext(): Promise<{ ctx: BenchContext; stop(): Promise<void> }> {
  const tmpDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const [database, smtp, bundles] = await Promise.all([createTestDatabase(), startBenchSmtp(), buildBundles(join(tmpDir, 'bundles'))]);
  const ctx = await createContext({
    temporalAddress: inject('temporalAddress'),
    databaseUrl: database.url,
    db: database.db,
    smtp,
    tmpDir,
    bundles,
    ...(process.env.BENCH_SMOKE_LOG ? { log: (l: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${l}`) } : {}),
  });
  return {
    ctx,
    async stop() {
      await ctx.connection.close();
      await smtp.stop();
      await database.close();
      rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** Every expected row is there, once, with a figure, a baseline and a ratio that are finite and positive. */
export function expectRows(report: ScenarioReport, metrics: (string | RegExp)[], opts: { mayBeZeroOrLess?: RegExp } = {}) {
  expect(report.rows.map((r) => r.metric)).toHaveLength(metrics.length);
  metrics.forEach((m, i) => {
    const r = report.rows[i]!;
    if (typeof m === 'string') expect(r.metric).toBe(m);
    else expect(r.metric).toMatch(m);
    const loose = opts.mayBeZeroOrLess?.test(r.metric) ?? false;
    for (const v of loose ? [r.value, r.baseline] : [r.value, r.baseline, r.ratio]) {
      expect(Number.isFinite(v), `${r.metric}: ${v}`).toBe(true);
      if (!loose) expect(v, r.metric).toBeGreaterThan(0);
    }
  });
  expect(report.notes.filter((n) => /only \d+ of \d+|after the due time|accepted \d+ of/.test(n))).toEqual([]);
}

/** The burst scenario with check-in reports and alerts, in miniature: 3 cases due at once, the first and third report alarming. */
export const tinyAlertBurst = { cases: 3, reports: true, rate: 5, duration: 1, alertEvery: 2, concurrency: 3, due: 'immediate', timeoutSeconds: 30 } as const;

/** The reports of that burst: its rows, every email and every alert email in on both sides, every report answered. */
export function expectAlertBurst(reports: ScenarioReport[]) {
  const [burst, checkin, alert] = reports;
  expect(reports.map((r) => r.scenario)).toEqual(['burst', 'checkin', 'alert']);
  expectRows(burst!, ['due → email accepted p50', 'due → email accepted p99', 'due → email accepted max']);
  expect(burst!.rows[2]!.target).toBe('last ≤ 60 s and ≤ 1.5× bare');
  expect(burst!.context['emails accepted, service / bare']).toBe('3/3 / 3/3');
  expectRows(checkin!, ['POST /checkin end to end p50', 'POST /checkin end to end p99']);
  expect(checkin!.context['responses: service']).toMatch(/^200×\d+$/);
  expect(checkin!.context['responses: bare']).toMatch(/^200×\d+$/);
  expectRows(alert!, ['report → alert email accepted p50', 'report → alert email accepted p99', 'report → alert email accepted max']);
  expect(alert!.rows[1]!.target).toBe('p99 ≤ 5 s and ≤ 2× bare');
  expect(alert!.context['alerting reports sent, team emails accepted: service / bare']).toBe('2, 2 / 2, 2');
}

/** The coordinator scenario in miniature: 8 actions on 2 cases, 2 coordinators at once. */
export const tinyCoordinator = { actions: 8, coordinators: 2, setupConcurrency: 2 } as const;

export function expectCoordinator(report: ScenarioReport) {
  expectRows(report, ['action → answer p50', 'action → answer p99', 'action → answer max']);
  expect(report.rows[1]!.target).toBe('p99 ≤ 2× bare Update');
  expect(report.context['actions answered, per second: service / bare']).toMatch(/^8, [\d.]+ \/ 8, [\d.]+$/);
}
