// Measuring one phase of a scenario: wall time, CPU seconds of each process involved (worker,
// Postgres, Temporal server, the benchmark itself), the worker's database queries, and the change
// in the worker's Temporal SDK metrics. Scenarios turn these into "per case" context lines.
import type { BenchContext } from './context.ts';
import { cpuMeter } from './stats.ts';
import { histogramMean, metricsDelta, type WorkerHandle } from './workers.ts';

export interface PhaseMeasure {
  seconds: number;
  /** CPU seconds by process: worker, postgres, temporal, bench (the load generator, sink, HTTP server). */
  cpu: Record<string, number>;
  dbQueries: number;
  dbQueryMs: number;
  /** Mean latencies (ms) and counts from the SDK's metrics over the phase. */
  sdk: {
    workflowTasks: number;
    workflowTaskScheduleToStartMs: number;
    workflowTaskExecutionMs: number;
    activities: number;
    activityScheduleToStartMs: number;
    activityExecutionMs: number;
  };
}

/** The SDK's histogram names vary by exporter settings (suffix _milliseconds or none): find it. */
function histogram(delta: Map<string, number>, stem: string): { mean: number; count: number } {
  const name = [...delta.keys()].find((k) => k.includes(stem) && k.endsWith('_count'))?.replace(/_count$/, '');
  if (!name) return { mean: Number.NaN, count: 0 };
  return { mean: histogramMean(delta, name), count: delta.get(`${name}_count`) ?? 0 };
}

export async function measurePhase<T>(ctx: BenchContext, worker: WorkerHandle, run: () => Promise<T>): Promise<{ result: T; m: PhaseMeasure }> {
  const [stats0, metrics0] = await Promise.all([worker.stats(), worker.metrics().catch(() => new Map<string, number>())]);
  const stopCpu = cpuMeter({ worker: worker.pid, postgres: ctx.pids.postgres, temporal: ctx.pids.temporal, bench: process.pid });
  const t0 = performance.now();
  const result = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = stopCpu();
  const [stats1, metrics1] = await Promise.all([worker.stats(), worker.metrics().catch(() => new Map<string, number>())]);
  const delta = metricsDelta(metrics0, metrics1);
  const wftStart = histogram(delta, 'workflow_task_schedule_to_start_latency');
  const wftExec = histogram(delta, 'workflow_task_execution_latency');
  const actStart = histogram(delta, 'activity_schedule_to_start_latency');
  const actExec = histogram(delta, 'activity_execution_latency');
  return {
    result,
    m: {
      seconds,
      cpu,
      dbQueries: stats1.dbQueries - stats0.dbQueries,
      dbQueryMs: stats1.dbQueryMs - stats0.dbQueryMs,
      sdk: {
        workflowTasks: wftExec.count,
        workflowTaskScheduleToStartMs: wftStart.mean,
        workflowTaskExecutionMs: wftExec.mean,
        activities: actExec.count,
        activityScheduleToStartMs: actStart.mean,
        activityExecutionMs: actExec.mean,
      },
    },
  };
}

/** Context lines for a phase, per unit of work (a case, a workflow, an email). */
export function perUnit(label: string, m: PhaseMeasure, units: number, unitName: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const per = (x: number) => (units > 0 ? x / units : Number.NaN);
  const cpu = Object.entries(m.cpu)
    .map(([k, v]) => `${k} ${(per(v) * 1000).toFixed(1)}`)
    .join(', ');
  out[`${label}: CPU ms per ${unitName}`] = cpu || 'n/a';
  out[`${label}: CPU busy over the phase (cores)`] = Object.entries(m.cpu)
    .map(([k, v]) => `${k} ${(v / m.seconds).toFixed(2)}`)
    .join(', ');
  if (m.dbQueries > 0) out[`${label}: worker database queries per ${unitName} (ms each, mean)`] = `${per(m.dbQueries).toFixed(1)} (${(m.dbQueryMs / m.dbQueries).toFixed(2)} ms)`;
  const s = m.sdk;
  out[`${label}: workflow tasks, activities per ${unitName}`] = `${per(s.workflowTasks).toFixed(1)}, ${per(s.activities).toFixed(1)}`;
  out[`${label}: SDK mean ms: WFT schedule-to-start, WFT execution, activity schedule-to-start, activity execution`] = [
    s.workflowTaskScheduleToStartMs,
    s.workflowTaskExecutionMs,
    s.activityScheduleToStartMs,
    s.activityExecutionMs,
  ]
    .map((x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a'))
    .join(', ');
  return out;
}
