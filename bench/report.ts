// What a scenario reports: rows that pair each figure with its baseline, measured in the same run
// on the same server, and the ratio between them; plus context (absolute numbers, where the time
// went) and notes. `formatReport` prints them as a table.

export interface Row {
  metric: string;
  unit: string;
  /** The service's figure. */
  value: number;
  /** The same figure for bare Temporal (or raw nodemailer), measured in the same run. */
  baseline: number;
  /** value / baseline. */
  ratio: number;
  /** The issue's target, in words, and whether this run met it. */
  target?: string;
  met?: boolean;
}

export interface ScenarioReport {
  scenario: string;
  title: string;
  /** What the baseline is. */
  baseline: string;
  params: Record<string, string | number | boolean>;
  rows: Row[];
  /** Absolute numbers and where the time went (CPU per process, SDK metrics, database). */
  context: Record<string, string | number>;
  notes: string[];
}

export function row(metric: string, unit: string, value: number, baseline: number, target?: { text: string; met: boolean }): Row {
  return { metric, unit, value, baseline, ratio: baseline === 0 ? Number.NaN : value / baseline, ...(target ? { target: target.text, met: target.met } : {}) };
}

/** Three significant digits, no exponent for the sizes we print. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  if (a === 0) return '0';
  return n.toPrecision(2);
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmtLine = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmtLine(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmtLine)].join('\n');
}

/** The figures as one Markdown table: scenario, metric, service, baseline, ratio, target. */
export function formatRows(reports: readonly ScenarioReport[]): string {
  const lines = reports.flatMap((r) =>
    r.rows.map((x) => [
      r.scenario,
      `${x.metric} (${x.unit})`,
      fmt(x.value),
      fmt(x.baseline),
      `${fmt(x.ratio)}×`,
      x.target ? `${x.target}: ${x.met ? 'met' : 'MISSED'}` : '',
    ]),
  );
  return table(['scenario', 'figure', 'service', 'baseline', 'ratio', 'target'], lines);
}

/** Everything: the table, then per scenario its parameters, baseline, context and notes. */
export function formatReport(reports: readonly ScenarioReport[]): string {
  const parts = [formatRows(reports)];
  for (const r of reports) {
    parts.push(
      [
        `\n## ${r.scenario}: ${r.title}`,
        `baseline: ${r.baseline}`,
        `params: ${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ')}`,
        ...Object.entries(r.context).map(([k, v]) => `  ${k}: ${typeof v === 'number' ? fmt(v) : v}`),
        ...r.notes.map((n) => `  note: ${n}`),
      ].join('\n'),
    );
  }
  return parts.join('\n');
}
