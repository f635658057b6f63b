import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchStage, Figure } from "./bench-figures.js";
import { mb, ms } from "./bench-figures.js";

/*
 * Report build and render time, and the rendering process's peak RSS, per organisation size:
 * each assessment digested as it is read and dropped (as the CLI and the app do from the
 * store), then the Markdown and the JSON written a piece at a time.
 */

type Rendered = { size: number; buildMs: number; markdownMs: number; cpuMs: number; digestCpuMs: number; modelCpuMs: number; markdownCpuMs: number; jsonMs: number; markdownBytes: number; jsonBytes: number; jsonFailed: string | null; rssBefore: number; peakRss: number };

function renderIn(size: number): Promise<Rendered> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./bench-render-child.ts", import.meta.url)), [String(size)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", (m: Rendered) => resolve(m));
    child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`the render process exited with ${code}`))));
  });
}

export function renderStage(sizes: readonly number[]): BenchStage {
  return {
    name: "report rendering",
    async run(ctx) {
      const figures: Figure[] = [];
      const results: Rendered[] = [];
      for (const size of sizes) {
        ctx.progress(`render: building and rendering the report of ${size} repositories in its own process`);
        const r = await renderIn(size);
        results.push(r);
        const total = r.buildMs + r.markdownMs;
        // Judged on the CPU the work took: on a shared machine the wall clock also counts other processes' turns.
        figures.push({
          name: `report of ${size.toLocaleString("en-GB")} repositories: build + Markdown, CPU`,
          measured: `${ms(r.cpuMs)} (digest ${ms(r.digestCpuMs)} + roll-up and model ${ms(r.modelCpuMs)} + Markdown ${ms(r.markdownCpuMs)}); wall ${ms(total)}; JSON ${r.jsonFailed ? "failed" : `${ms(r.jsonMs)} wall`}`,
          target: size >= 10_000 ? "≤ 2 s, linear" : "linear",
          met: size >= 10_000 ? r.cpuMs <= 2_000 : null,
          note: `peak RSS ${mb(r.peakRss)} (${mb(r.rssBefore)} before); Markdown ${mb(r.markdownBytes)}, JSON ${r.jsonFailed ?? `${mb(r.jsonBytes)} streamed in ${ms(r.jsonMs)} (with remaking each repository's copy for its findings)`}`,
        });
      }
      if (results.length >= 2) {
        const [a, b] = [results[0]!, results.at(-1)!];
        const ratio = b.cpuMs / Math.max(1, a.cpuMs);
        figures.push({ name: `render CPU ${b.size.toLocaleString("en-GB")} vs ${a.size.toLocaleString("en-GB")} repositories`, measured: `× ${ratio.toFixed(1)} for × ${(b.size / a.size).toFixed(0)} repositories`, target: "linear", met: ratio <= (b.size / a.size) * 1.5 });
      }
      return figures;
    },
  };
}
