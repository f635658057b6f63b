import { runAuditBench } from "./bench-audit.js";
import { MIN_PAIRS, UNCHANGED_MARGIN } from "./bench-compare.js";
import { ms, type BenchStage, type Figure } from "./bench-figures.js";
import { runMemoryBench } from "./bench-memory.js";

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
      return rows.map((r) => ({
        name: `organisation-wide run, ${r.repos.toLocaleString("en-GB")} repositories: the app process's peak RSS`,
        measured: `${r.peakRssMb} MB`,
        target: r.repos >= 10_000 ? "≤ 300 MB at 10,000" : "—",
        met: r.repos >= 10_000 ? r.peakRssMb <= 300 : null,
      }));
    },
  };
}
