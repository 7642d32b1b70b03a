// The generated fuzz suite in `npm test`: a seeded run of 2,000 requests over every door of the
// service (the JSON API from its OpenAPI document, the console's forms, the check-in pages, the
// codec endpoint, casectl's commands), as every kind of caller, against the real worker, Temporal
// and PostgreSQL (test/fuzz/run.ts says how). FUZZ_REQUESTS and FUZZ_SEED change the run;
// `npm run fuzz` runs any size, also against `npm start`.
//
// Each property is its own test, so a failure says which one broke, with the minimal request that
// shows it (fast-check shrinks each kind of problem) or the case and request behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runFuzz, totals, type FuzzReport } from './run.ts';
import { startLocalTarget, type Target } from './target.ts';

const REQUESTS = Number(process.env.FUZZ_REQUESTS) || 2000;
const SEED = Number(process.env.FUZZ_SEED) || 20261207;

let target: Target;
let report: FuzzReport;

beforeAll(async () => {
  target = await startLocalTarget();
  report = await runFuzz(target, { requests: REQUESTS, seed: SEED, shrinkMs: 30_000, shrinkEachMs: 8_000, settleMs: 20_000, log: (line) => console.log(`[fuzz] ${line}`) });
  console.log(formatReport(report));
}, 600_000);

afterAll(async () => {
  await target?.close((report?.after.workflowIds ?? []).map((id) => id.replace(/^case-/, '')));
});

/** The findings of one kind, one paragraph each, for a failure message. */
const listed = (kinds: string[]) =>
  report.findings
    .filter((f) => kinds.includes(f.kind))
    .map((f) => `${f.kind} on ${f.route} (${f.count}×)\n  first:   ${f.example}\n  minimal: ${f.minimal ?? '(did not fail again when replayed)'}`)
    .join('\n\n');

describe(`fuzz: ${REQUESTS} requests, seed ${SEED}`, () => {
  it('sent every request and reached every door', () => {
    expect(report.requests).toBe(REQUESTS);
    expect([...report.table.keys()].sort()).toEqual(['api', 'casectl', 'checkin', 'codec', 'console', 'probe']);
  });

  it('answers no 5xx but the documented 503, and casectl fails only when a service does not answer', () => {
    const t = totals(report);
    expect(t['unexpected 5xx'] + t['casectl failures'] + t['no answer'], listed(['unexpected 5xx', 'casectl failure', 'no answer'])).toBe(0);
  });

  it('names what was wrong in every 4xx', () => {
    expect(totals(report)['unnamed 4xx'], listed(['unnamed 4xx'])).toBe(0);
  });

  it('leaves no workflow with a failed workflow task or an activity past its third attempt', () => {
    const text = report.after.stuck.map((s) => `${s.workflowId}: ${s.what}: ${s.failure}\n  last request on the case: ${s.culprit ?? '(none)'}`).join('\n\n');
    expect(report.after.stuck.length, text).toBe(0);
  });

  it('leaves no row for a refused request, and a row for every accepted one', () => {
    const text = [...report.after.orphans, ...report.after.missing].map((o) => `${o.table} ${o.key}: ${o.what}\n  ${o.request}`).join('\n\n');
    expect(report.after.orphans.length + report.after.missing.length, text).toBe(0);
  });

  it('writes no patient data in any log line (HTTP server, worker, PostgreSQL)', () => {
    const text = report.after.leaks.map((l) => `${l.source}: ${l.line}\n  from ${l.request}`).join('\n\n');
    expect(report.after.leaks.length, text).toBe(0);
    expect(report.after.polluted).toEqual([]);
  });
});
