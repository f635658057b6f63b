/*
 * A figure the benchmark measured, beside the target the issue set for it. Stages return them;
 * bench.ts prints them in one table at the end.
 */

export type Figure = { name: string; measured: string; target: string; met: boolean | null; note?: string };

export type StageContext = {
  latencyMs: number;
  concurrency: number;
  relaxed: boolean;
  /** Where the app stage writes a CPU profile of its app process; null for none. */
  profileApp: string | null;
  /** How far the app stage raises its app process's scheduling priority (lowers its nice value); null to leave it. */
  appPriority: number | null;
  /** A progress line on stderr: what is running and how far it got. */
  progress: (line: string) => void;
};

/** One stage of the benchmark; bench.ts runs those selected, in order. */
export type BenchStage = { name: string; run: (ctx: StageContext) => Promise<Figure[]> };

export const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
export const ms = (value: number) => `${Math.round(value)} ms`;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function printFigures(figures: readonly Figure[], out: (line: string) => void): void {
  const rows = [["figure", "measured", "target", ""], ...figures.map((f) => [f.name, f.measured, f.target, f.met === null ? "" : f.met ? "met" : "NOT met"])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
  for (const f of figures.filter((x) => x.note)) out(`  ${f.name}: ${f.note}`);
}
