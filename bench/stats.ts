// Small measuring tools for the benchmarks: percentiles, a least-squares slope, a bounded pool of
// concurrent tasks, and the CPU time of another process read from /proc (Linux).
import { readFileSync, readdirSync } from 'node:fs';

/** Nearest-rank percentile (p in 0..100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Least-squares fit y = intercept + slope·x. */
export function linearFit(points: readonly { x: number; y: number }[]): { slope: number; intercept: number; r2: number } {
  const n = points.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, r2: Number.NaN };
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
    syy += (p.y - my) ** 2;
  }
  const slope = sxx === 0 ? Number.NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: sxx === 0 || syy === 0 ? Number.NaN : (sxy * sxy) / (sxx * syy) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Runs `task(i)` for i in 0..count-1 with at most `concurrency` in flight; resolves with the
 * results in order. The first failure rejects (the tasks in flight run on).
 */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      results[i] = await task(i);
    }
  });
  await Promise.all(lanes);
  return results;
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (USER_HZ 100);
 * undefined when unreadable. With `tree`, also its children: the live ones, and through its
 * cutime/cstime those that have exited (a Postgres server's backends).
 */
export function processCpuSeconds(pid: number | undefined, opts: { tree?: boolean } = {}): number | undefined {
  if (!pid) return undefined;
  try {
    const f = statFields(pid);
    let ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    if (opts.tree) {
      ticks += Number(f[13]) + Number(f[14]); // cutime, cstime
      for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
          const c = statFields(Number(d));
          if (Number(c[1]) === pid) ticks += Number(c[11]) + Number(c[12]);
        } catch {
          // gone meanwhile
        }
      }
    }
    return ticks / 100;
  } catch {
    return undefined;
  }
}

/** The parent of a process, from /proc; undefined when unreadable. */
export function parentPid(pid: number): number | undefined {
  try {
    return Number(statFields(pid)[1]);
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in bytes, from /proc/<pid>/status; undefined when unreadable. */
export function processRssBytes(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of a process whose command line contains `needle` (e.g. a temp path only it uses). */
export function findProcess(needle: string): number | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (Number(d) !== process.pid && cmd.includes(needle)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU seconds used by a set of processes (each with its children) between start() and the returned stop(). */
export function cpuMeter(pids: Record<string, number | undefined>): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid, { tree: k === 'postgres' })]));
  return () => {
    const out: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) {
      const a = start[k];
      const b = processCpuSeconds(pid, { tree: k === 'postgres' });
      if (a !== undefined && b !== undefined) out[k] = b - a;
    }
    return out;
  };
}
