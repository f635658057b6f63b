import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/*
 * Where a CPU profile of the app (`npm run bench -- --profile-app DIR`) held its main thread: the
 * runs of consecutive samples that are not "(idle)", each with its sampled time (samples × the
 * sampling interval) against the wall time it spanned, and the functions its samples fall in. A
 * browser's profiler shows one stretch at a time; this lists every one above a threshold, so the
 * long ones of a backfill of thousands of repositories are found without scrolling through it.
 *
 *   npx tsx test/simulator/profile-stretches.ts FILE.cpuprofile [--min-ms 30] [--top 40]
 */

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

export type Stretch = {
  /** When the stretch started, in ms after the profile's start. */
  atMs: number;
  samples: number;
  /**
   * Samples × the interval. Not quite CPU: a sample is taken when the profiler's signal reaches the
   * thread, so it counts the thread running and also asleep where a signal wakes it (the collector
   * waiting for its helper threads), but not waiting for a core or for the disk, when none is taken.
   * The benchmark's per-stretch CPU (Linux's own count for the thread) is the exact figure.
   */
  sampledMs: number;
  /** From its first sample to its last: the CPU and any waiting for a core in between. */
  wallMs: number;
  /** The samples of the stretch by where they fall (see `placeOf`), most first. */
  places: [string, number][];
};

/** V8's names for samples outside JavaScript functions. */
const IDLE = "(idle)";

/** The profiler's interval: the median gap between samples (the gaps are longer only when the process waited). */
function intervalOf(profile: CpuProfile): number {
  const deltas = profile.timeDeltas.filter((d) => d > 0).sort((a, b) => a - b);
  return deltas.length === 0 ? 1000 : deltas[Math.floor(deltas.length / 2)]!;
}

/**
 * Where a sample is charged: the innermost frame of claimcheck's own code (its `src/`, not a
 * dependency), with the leaf it was in when that is elsewhere — so "store.ts saveAssessment ›
 * JSON.stringify" says both whose work it was and what took the time; a sample with no claimcheck
 * frame on its stack (the collector, the HTTP server, a dependency's timer) is charged to its leaf.
 */
function placeOf(stack: readonly ProfileNode[]): string {
  const leaf = stack.at(-1)!;
  const name = (n: ProfileNode) => `${n.callFrame.url.replace(/^.*\/(src|test)\//, "$1/")}${n.callFrame.url ? " " : ""}${n.callFrame.functionName || "(anonymous)"}`;
  const own = [...stack].reverse().find((n) => /\/src\//.test(n.callFrame.url) && !n.callFrame.url.includes("node_modules"));
  if (!own) return name(leaf);
  return own === leaf ? name(own) : `${name(own)} › ${name(leaf)}`;
}

/** Every stretch of at least `minMs` of the main thread's sampled time, the longest first. */
export function stretchesOf(profile: CpuProfile, minMs: number): Stretch[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const stacks = new Map<number, ProfileNode[]>();
  const stackOf = (id: number): ProfileNode[] => {
    const known = stacks.get(id);
    if (known) return known;
    const stack: ProfileNode[] = [];
    for (let n = byId.get(id); n; n = parent.get(n.id)) stack.unshift(n);
    stacks.set(id, stack);
    return stack;
  };
  const intervalUs = intervalOf(profile);
  const out: Stretch[] = [];
  let at = 0;
  let run: { startUs: number; endUs: number; places: Map<string, number>; samples: number } | null = null;
  const close = () => {
    if (run && (run.samples * intervalUs) / 1000 >= minMs) {
      out.push({ atMs: run.startUs / 1000, samples: run.samples, sampledMs: (run.samples * intervalUs) / 1000, wallMs: (run.endUs - run.startUs + intervalUs) / 1000, places: [...run.places].sort((a, b) => b[1] - a[1]) });
    }
    run = null;
  };
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    const stack = stackOf(profile.samples[i]!);
    const leaf = stack.at(-1);
    if (!leaf || leaf.callFrame.functionName === IDLE) {
      close();
      continue;
    }
    run ??= { startUs: at, endUs: at, places: new Map(), samples: 0 };
    run.endUs = at;
    run.samples += 1;
    const place = placeOf(stack);
    run.places.set(place, (run.places.get(place) ?? 0) + 1);
  }
  close();
  return out.sort((a, b) => b.sampledMs - a.sampledMs);
}

export function describeStretch(s: Stretch, placesShown = 6): string {
  const places = s.places.slice(0, placesShown).map(([p, n]) => `    ${String(n).padStart(4)}  ${p}`);
  return [`+${(s.atMs / 1000).toFixed(1)} s: ${s.sampledMs.toFixed(0)} ms sampled (${s.samples} samples) in ${s.wallMs.toFixed(0)} ms`, ...places].join("\n");
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "min-ms": { type: "string", default: "30" }, top: { type: "string", default: "40" } } });
  const minMs = Number(values["min-ms"]);
  const top = Number(values.top);
  if (positionals.length !== 1 || !Number.isFinite(minMs) || minMs < 0 || !Number.isInteger(top) || top < 1) {
    console.error("usage: npx tsx test/simulator/profile-stretches.ts FILE.cpuprofile [--min-ms 30] [--top 40]");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(positionals[0]!, "utf8")) as CpuProfile;
  const stretches = stretchesOf(profile, minMs);
  process.stdout.write(`${stretches.length} stretches of ${minMs} ms sampled or more (a sample every ${(intervalOf(profile) / 1000).toFixed(1)} ms); the ${Math.min(top, stretches.length)} longest:\n`);
  for (const s of stretches.slice(0, top)) process.stdout.write(`${describeStretch(s)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv.slice(2));
