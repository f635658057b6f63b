import { runAuditBench } from "./bench-audit.js";
import { percentile, type BenchStage, type Figure } from "./bench-figures.js";
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
      const [empty, trail] = await runAuditBench({ events, latencyMs: ctx.latencyMs });
      if (!empty || !trail) return [];
      const p95 = (latencies: number[]) => percentile([...latencies].sort((a, b) => a - b), 95);
      const idle = p95(empty.latencies);
      const full = p95(trail.latencies);
      const figures: Figure[] = [
        { name: "webhook → check run p95, empty audit trail", measured: `${Math.round(idle)} ms`, target: "—", met: null },
        { name: `webhook → check run p95, ${events.toLocaleString("en-GB")} events`, measured: `${Math.round(full)} ms`, target: "unchanged from an empty trail (≤ 1.5 ×)", met: full <= idle * 1.5 },
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
