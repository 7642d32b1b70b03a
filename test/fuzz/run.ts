// One fuzz run, shared by the test (test/fuzz/fuzz.test.ts) and the command (npm run fuzz):
//
// 1. seed the world (world.ts) and build one fast-check arbitrary of requests over every door;
// 2. send N requests generated from the seed, several in flight at once, judging each answer
//    (judge.ts) and recording every problem without stopping, so one run counts them all;
// 3. work the cases the run opened through every stage (an accepted case must be workable);
// 4. check what must hold afterwards (after.ts): stuck workflows, orphan and missing rows, canaries
//    in logs;
// 5. shrink: for each kind of problem on each route, replay its first request (fast-check's seed
//    and path) and let fast-check shrink it to a minimal request that still fails the same way;
// 6. report a table of statuses per door and route, the totals, and each finding.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkAfterRun, type AfterRun, type Sent } from './after.ts';
import { requestArbitrary } from './doors/index.ts';
import { judge, type Problem } from './judge.ts';
import { describeRequest, type FuzzRequest } from './request.ts';
import { send, signInRedirect, statusLabel, type Outcome } from './send.ts';
import type { Target } from './target.ts';
import { toJson } from './values.ts';
import { seedWorld } from './world.ts';

export interface RunOptions {
  requests: number;
  seed: number;
  /** How long shrinking may take in all (default 60 s), and for one problem (default 20 s). */
  shrinkMs?: number;
  shrinkEachMs?: number;
  /** How long to wait for the service to settle after the run (default 30 s). */
  settleMs?: number;
  /** How many of the cases the run opened are then worked through every stage, and for how long (default 8, 20 s). */
  workThrough?: number;
  workThroughMs?: number;
  /** Requests in flight at once (default 12); a request sent while Postgres is away runs alone. */
  concurrency?: number;
  log?: (line: string) => void;
}

/** A problem seen on one route, how often, and the smallest request that still shows it. */
export interface Finding {
  kind: Problem['kind'];
  door: string;
  route: string;
  count: number;
  first: number;
  /** The first request that showed it, and what came back. */
  example: string;
  /** The request after shrinking, and what came back; undefined when it did not fail again. */
  minimal?: string;
}

export interface FuzzReport {
  requests: number;
  seed: number;
  ms: number;
  /** door → route → how often each status came back, and the time the route's requests took */
  table: Map<string, Map<string, RouteStats>>;
  findings: Finding[];
  after: AfterRun;
  notes: string[];
}

export interface RouteStats {
  statuses: Map<string, number>;
  ms: number;
}

/**
 * Up to `size` requests at once. One sent while Postgres is away waits (a quarter of a second at most: a
 * request the case worker never answers holds its lane for 20 s) for the others to finish and runs alone;
 * a request still in flight when Postgres is cut is counted as sent while it was away.
 */
function lanes(size: number) {
  let active = 0;
  let alone = false;
  const waiting: (() => void)[] = [];
  const outages: { from: number; to?: number }[] = [];
  const wake = () => {
    for (const w of waiting.splice(0)) w();
  };
  return {
    async acquire(exclusive: boolean): Promise<void> {
      const giveUp = Date.now() + 250;
      const timer = exclusive ? setTimeout(wake, 250) : undefined;
      while (alone || active >= size || (exclusive && active > 0 && Date.now() < giveUp)) await new Promise<void>((r) => waiting.push(r));
      clearTimeout(timer);
      active++;
      if (exclusive) {
        alone = true;
        outages.push({ from: Date.now() });
      }
    },
    release(exclusive: boolean): void {
      active--;
      if (exclusive) {
        alone = false;
        outages.at(-1)!.to = Date.now();
      }
      wake();
    },
    /** Whether Postgres was away at some moment between `from` and `to`. */
    overlapsOutage: (from: number, to: number) => outages.some((o) => o.from <= to && (o.to ?? Infinity) >= from),
  };
}

const away = (req: FuzzRequest) => req.door !== 'casectl' && !!req.pgAway;
const routeOf = (req: FuzzRequest, duringOutage: boolean) => `${req.route}${duringOutage ? ' (Postgres away)' : ''}`;
/**
 * What makes two problems the same, for counting and shrinking: the kind and the route, but with
 * Postgres away the kind and the door (the same fault answers the same wrong status on every route).
 */
const signature = (req: FuzzRequest, p: Problem, duringOutage = away(req)) => (duringOutage ? `${p.kind}|${req.door} (Postgres away)` : `${p.kind}|${req.route}`);
const said = (o: Outcome, p: Problem | undefined) => `→ ${statusLabel(o)}${p ? `: ${p.detail}` : ''}`;

export async function runFuzz(target: Target, opts: RunOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const since = new Date(started - 1000);
  const world = await seedWorld(target, { log });
  const arb = requestArbitrary(world.ctx);
  const tmp = mkdtempSync(join(tmpdir(), 'fuzz-files-'));
  try {
    const execute = async (req: FuzzRequest) => {
      const sentAt = Date.now();
      const { outcome, caseId } = await send(target, world, req, tmp);
      return { outcome, caseId, sentAt, problem: judge(req, outcome) };
    };

    // ---- the run: every request is judged and recorded; the property itself never fails, so the
    // run goes on past every problem, and several requests are in flight at once ----
    const sent: Sent[] = [];
    const problems: { index: number; req: FuzzRequest; problem: Problem; outcome: Outcome; duringOutage: boolean }[] = [];
    const table = new Map<string, Map<string, RouteStats>>();
    const lane = lanes(opts.concurrency ?? 12);
    const record = (index: number, req: FuzzRequest, r: Awaited<ReturnType<typeof execute>>) => {
      // casectl reaches Postgres directly, never through the proxy that is cut.
      const duringOutage = away(req) || (req.door !== 'casectl' && lane.overlapsOutage(r.sentAt, Date.now()));
      const route = routeOf(req, duringOutage);
      const byRoute = table.get(req.door) ?? table.set(req.door, new Map()).get(req.door)!;
      const stats = byRoute.get(route) ?? byRoute.set(route, { statuses: new Map(), ms: 0 }).get(route)!;
      const label = statusLabel(r.outcome);
      stats.statuses.set(label, (stats.statuses.get(label) ?? 0) + 1);
      stats.ms += r.outcome.ms;
      sent.push({ index, request: req, accepted: accepted(r.outcome), refused: refused(r.outcome), status: label, sentAt: r.sentAt, ...(r.caseId !== undefined ? { caseId: r.caseId } : {}) });
      if (r.problem) problems.push({ index, req, problem: r.problem, outcome: r.outcome, duringOutage });
    };
    const inFlight: Promise<void>[] = [];
    // A request the suite itself could not send (a bug here, not in the service) ends the run after the others.
    const broken: unknown[] = [];
    let runs = 0;
    const t0 = Date.now();
    await fc.check(
      fc.asyncProperty(arb, async (req) => {
        const index = runs++;
        await lane.acquire(away(req));
        inFlight.push(
          execute(req)
            .then((r) => record(index, req, r))
            .catch((err: unknown) => void broken.push(err))
            .finally(() => lane.release(away(req))),
        );
        if ((index + 1) % 50 === 0) world.refresh();
        if ((index + 1) % 100 === 0) {
          log(`${index + 1} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${problems.length} problems`);
        }
        return true;
      }),
      { seed: opts.seed, numRuns: opts.requests },
    );
    await Promise.all(inFlight);
    if (broken.length) throw broken[0];
    await world.idle();
    sent.sort((a, b) => a.sentAt - b.sentAt || a.index - b.index);
    problems.sort((a, b) => a.index - b.index);
    log(`${sent.length} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // ---- the cases the run opened, worked through every stage: those with their own settings first ----
    const opened = [...new Set(sent.filter((x) => x.accepted && x.request.creates?.table === 'cases').sort((a, b) => Number(toJson(b.request).includes('"settings"')) - Number(toJson(a.request).includes('"settings"'))).map((x) => target.identifiers.caseId(x.request.creates!.key)))];
    const worked = opened.slice(0, opts.workThrough ?? 8);
    const stops = await world.workThrough(worked, opts.workThroughMs ?? 20_000);
    log(`worked ${worked.length} opened cases through their stages; ${stops.length} stopped`);

    // ---- afterwards: before shrinking, whose requests are not the run's ----
    const after = await checkAfterRun(target, { since, sent, seeded: world.cases(), known: world.known(), settleMs: opts.settleMs ?? 30_000, log });

    // ---- shrinking: one minimal request per kind of problem and route ----
    const findings = new Map<string, Finding>();
    for (const p of problems) {
      const key = signature(p.req, p.problem, p.duringOutage);
      const f = findings.get(key);
      if (f) f.count++;
      else findings.set(key, { kind: p.problem.kind, door: p.req.door, route: p.duringOutage ? `${p.req.door} (Postgres away)` : p.req.route, count: 1, first: p.index, example: `#${p.index} ${describeRequest(p.req)} ${said(p.outcome, p.problem)}` });
    }
    const shrinkUntil = Date.now() + (opts.shrinkMs ?? 60_000);
    for (const [key, f] of findings) {
      const budget = Math.min(opts.shrinkEachMs ?? 20_000, shrinkUntil - Date.now());
      if (budget <= 0) break;
      let last: { req: FuzzRequest; outcome: Outcome; problem: Problem } | undefined;
      const details = await fc.check(
        fc.asyncProperty(arb, async (req) => {
          const r = await execute(req);
          if (r.problem && signature(req, r.problem) === key) {
            last = { req, outcome: r.outcome, problem: r.problem };
            return false;
          }
          return true;
        }),
        { seed: opts.seed, path: String(f.first), numRuns: 1, plugins: [fc.interruptAfterTimeLimit(budget)] },
      );
      if (details.failed && last) f.minimal = `${describeRequest(last.req)} ${said(last.outcome, last.problem)}`;
      log(`shrunk ${key}: ${f.minimal ? `${details.numShrinks} steps` : 'did not fail again'}`);
    }

    const workNotes = stops.map((x) => `working an opened case through its stages stopped: ${x}`);
    return { requests: sent.length, seed: opts.seed, ms: Date.now() - started, table, findings: [...findings.values()], after, notes: [...target.logNotes, ...world.notes, ...workNotes] };
  } finally {
    world.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function accepted(o: Outcome): boolean {
  if (o.kind === 'cli') return o.code === 0 && !o.threw;
  return o.status >= 200 && o.status < 400 && !signInRedirect(o);
}

function refused(o: Outcome): boolean {
  if (o.kind === 'cli') return o.code >= 2 && o.code <= 4;
  return (o.status >= 400 && o.status < 500) || signInRedirect(o);
}

/** The totals the report ends with; any of them above zero fails the run. */
export function totals(r: FuzzReport) {
  const count = (kind: Problem['kind']) => r.findings.filter((f) => f.kind === kind).reduce((n, f) => n + f.count, 0);
  return {
    'unexpected 5xx': count('unexpected 5xx'),
    'unnamed 4xx': count('unnamed 4xx'),
    'casectl failures': count('casectl failure'),
    'no answer': count('no answer'),
    'stuck workflows': new Set(r.after.stuck.map((s) => s.workflowId)).size,
    'orphan rows': r.after.orphans.length,
    'missing rows': r.after.missing.length,
    'log leaks': r.after.leaks.length,
    'prototype pollution': r.after.polluted.length,
  };
}

/** The table of statuses per door and route, the totals, and every finding. */
export function formatReport(r: FuzzReport): string {
  const lines: string[] = [];
  lines.push(`fuzz: ${r.requests} requests, seed ${r.seed}, ${(r.ms / 1000).toFixed(1)} s, ${r.after.workflowIds.length} workflows checked`);
  lines.push('');
  const width = Math.max(20, ...[...r.table.values()].flatMap((m) => [...m.keys()].map((k) => k.length)));
  lines.push(`${'door'.padEnd(8)} ${'route'.padEnd(width)} ${'n'.padStart(5)} ${'ms'.padStart(6)}  statuses`);
  for (const [door, routes] of [...r.table].sort()) {
    for (const [route, stats] of [...routes].sort()) {
      const n = [...stats.statuses.values()].reduce((a, b) => a + b, 0);
      const s = [...stats.statuses].sort().map(([label, c]) => `${label}×${c}`).join(' ');
      lines.push(`${door.padEnd(8)} ${route.padEnd(width)} ${String(n).padStart(5)} ${String(Math.round(stats.ms / n)).padStart(6)}  ${s}`);
    }
  }
  lines.push('');
  lines.push(Object.entries(totals(r)).map(([k, v]) => `${k}: ${v}`).join('   '));
  for (const f of r.findings) {
    lines.push('', `[${f.kind}] ${f.route}: ${f.count} request${f.count > 1 ? 's' : ''}`, `  first:   ${f.example}`, `  minimal: ${f.minimal ?? '(did not fail again when replayed)'}`);
  }
  for (const s of r.after.stuck) lines.push('', `[stuck workflow] ${s.workflowId}: ${s.what}: ${s.failure}`, `  last request on the case before it: ${s.culprit ?? '(none: seeded or opened elsewhere)'}`);
  for (const o of r.after.orphans) lines.push('', `[orphan row] ${o.table} ${o.key}: ${o.what}`, `  ${o.request}`);
  for (const m of r.after.missing) lines.push('', `[missing row] ${m.table} ${m.key}: ${m.what}`, `  ${m.request}`);
  for (const l of r.after.leaks) lines.push('', `[log leak] ${l.source} line holds ${l.canary}: ${l.line}`, `  from ${l.request}`);
  if (r.after.polluted.length) lines.push('', `[prototype pollution] Object.prototype now has: ${r.after.polluted.join(', ')}`);
  for (const n of r.notes) lines.push('', `note: ${n}`);
  return lines.join('\n');
}
