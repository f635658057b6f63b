import { runAuditBench } from "./bench-audit.js";
import { MIN_PAIRS, UNCHANGED_MARGIN } from "./bench-compare.js";
import { ms, type BenchStage, type Figure } from "./bench-figures.js";
import { growthPer1000, runMemoryBench } from "./bench-memory.js";

/*
 * The benchmark's stages for what grows with an installation's age and size: a long audit trail
 * (the webhook path must not slow down with it) and an organisation-wide run's memory (the app's
 * process on its own, findings streamed to the store).
 */

export function auditStage(events: number): BenchStage {
  return {
    name: "audit",
    run: async (ctx) => {
      const { empty, trail, comparison: c } = await runAuditBench({ events, latencyMs: ctx.latencyMs });
      const trailName = `${events.toLocaleString("en-GB")} events`;
      const figures: Figure[] = [
        { name: "webhook → check run p95, empty audit trail", measured: ms(c.empty.p95), target: "—", met: null },
        {
          name: `webhook → check run p95, ${trailName} (the same pull requests, at the same moments)`,
          measured: `${ms(c.trail.p95)}, ×${c.p95Ratio.toFixed(2)} (95 % interval ${c.p95Interval[0].toFixed(2)}–${c.p95Interval[1].toFixed(2)})`,
          target: `unchanged within noise: ≥ ${MIN_PAIRS} pairs, the interval contains 1 and ends ≤ ${UNCHANGED_MARGIN}`,
          met: c.unchanged,
        },
        { name: "app CPU per check run, empty → long trail", measured: `${c.empty.cpuMean.toFixed(1)} → ${c.trail.cpuMean.toFixed(1)} ms, ×${c.cpuRatio.toFixed(2)} (${c.cpuInterval[0].toFixed(2)}–${c.cpuInterval[1].toFixed(2)})`, target: "—", met: null },
        { name: "audit trail's CPU time per assessment", measured: `${empty.auditCpuMs.toFixed(2)} → ${trail.auditCpuMs.toFixed(2)} ms`, target: "independent of the trail's length", met: null },
      ];
      return figures;
    },
  };
}

export function memoryStage(sizes: number[]): BenchStage {
  return {
    name: "memory",
    run: async (ctx) => {
      const rows = await runMemoryBench({ sizes, latencyMs: ctx.latencyMs });
      const figures: Figure[] = rows.map((r) => ({
        name: `organisation-wide run, ${r.repos.toLocaleString("en-GB")} repositories: the app process's peak RSS`,
        measured: `${r.peakRssMb} MB (assessing ${r.runPeakRssMb} MB, report ${r.reportPeakRssMb} MB; ${r.baselineRssMb} MB before)`,
        target: r.repos >= 10_000 ? "≤ 300 MB at 10,000" : "—",
        met: r.repos >= 10_000 ? r.peakRssMb <= 300 : null,
      }));
      const growth = growthPer1000(rows);
      if (growth !== null) {
        const [first, last] = [rows[0]!, rows.at(-1)!];
        // Only a projection when 10,000 itself was not measured: said so beside the figure.
        const at10k = last.repos >= 10_000 ? null : Math.round(last.peakRssMb + (growth * (10_000 - last.repos)) / 1000);
        figures.push({
          name: `peak RSS growth, ${first.repos.toLocaleString("en-GB")} → ${last.repos.toLocaleString("en-GB")} repositories`,
          measured: `${growth.toFixed(0)} MB per 1,000 repositories${at10k === null ? "" : ` (projected ${at10k} MB at 10,000, not measured)`}`,
          target: "≤ 300 MB at 10,000",
          // A projection is not a measurement: never shown as met.
          met: at10k !== null && at10k > 300 ? false : null,
        });
      }
      return figures;
    },
  };
}
