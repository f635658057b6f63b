import { runAuditBench } from "./bench-audit.js";
import { percentile, type BenchStage, type Figure } from "./bench-figures.js";
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
      return rows.map((r) => ({
        name: `organisation-wide run, ${r.repos.toLocaleString("en-GB")} repositories: the app process's peak RSS`,
        measured: `${r.peakRssMb} MB`,
        target: r.repos >= 10_000 ? "≤ 300 MB at 10,000" : "—",
        met: r.repos >= 10_000 ? r.peakRssMb <= 300 : null,
      }));
    },
  };
}
