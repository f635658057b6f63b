import { describe, expect, it } from "vitest";
import { stretchesOf, type CpuProfile } from "./profile-stretches.js";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });

/** root → (idle) | (garbage collector) | run (a dependency) → save (claimcheck) → stringify (native). */
const nodes: CpuProfile["nodes"] = [
  { id: 1, callFrame: frame("(root)"), children: [2, 3, 4] },
  { id: 2, callFrame: frame("(idle)") },
  { id: 3, callFrame: frame("(garbage collector)") },
  { id: 4, callFrame: frame("run", "file:///app/node_modules/dep/index.js"), children: [5] },
  { id: 5, callFrame: frame("save", "file:///app/src/store/store.ts"), children: [6] },
  { id: 6, callFrame: frame("stringify") },
];

function profile(samples: number[], deltas?: number[]): CpuProfile {
  return { nodes, startTime: 0, endTime: 0, samples, timeDeltas: deltas ?? samples.map(() => 2000) };
}

describe("stretchesOf", () => {
  it("splits the main thread's samples at every idle one and keeps those sampled long enough", () => {
    const s = stretchesOf(profile([2, 5, 5, 6, 3, 5, 2, 5, 2, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 2]), 10);
    expect(s.map((x) => [x.samples, x.sampledMs])).toEqual([
      [10, 20],
      [5, 10],
    ]);
    expect(s[1]!.places).toEqual([
      ["src/store/store.ts save", 3],
      ["src/store/store.ts save › stringify", 1],
      ["(garbage collector)", 1],
    ]);
  });

  it("counts the samples at the sampling interval and the wall time from the gaps, so waiting for a core shows apart", () => {
    // Four samples 2 ms apart but one 300 ms gap: the thread ran about 8 ms across 306 ms.
    const [s] = stretchesOf(profile([2, 5, 5, 5, 5, 2], [2000, 2000, 2000, 300_000, 2000, 2000]), 0);
    expect(s!.sampledMs).toBe(8);
    expect(s!.wallMs).toBe(306);
    expect(s!.atMs).toBe(4);
  });

  it("finds nothing in an idle profile", () => {
    expect(stretchesOf(profile([2, 2, 2]), 0)).toEqual([]);
  });
});
