import { describe, expect, it } from "vitest";
import { boundHeapGrowth } from "../../src/app/heap-policy.js";

describe("the app's heap growth bound", () => {
  it("is applied unless the operator gave one on the command line", () => {
    expect(boundHeapGrowth(["--heap-growing-percent=100"])).toBe(false);
    expect(boundHeapGrowth(["--max-old-space-size=512", "--heap_growing_percent=60"])).toBe(false);
    expect(boundHeapGrowth(["--max-old-space-size=512"])).toBe(true);
  });
});
