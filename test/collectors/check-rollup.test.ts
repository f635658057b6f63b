import { describe, expect, it } from "vitest";
import { rollupSchema } from "../../src/collectors/check-rollup.js";
import { CHECK_RUN_NAME } from "../../src/core/check-run-name.js";

const run = (name: string, conclusion: string | null, status = "COMPLETED") => ({ __typename: "CheckRun", name, status, conclusion });
const status = (context: string, state: string) => ({ __typename: "StatusContext", context, state });
const rollup = (state: string, nodes: unknown[], totalCount = nodes.length) => rollupSchema.parse({ state, contexts: { totalCount, nodes } });

describe("a commit's CI result without claimcheck's own check run", () => {
  it("is no CI at all when claimcheck's check run is the only one (GitHub calls it green)", () => {
    expect(rollup("SUCCESS", [run(CHECK_RUN_NAME, "NEUTRAL")])).toBeNull();
  });

  it("is red when another check failed, whatever claimcheck concluded", () => {
    expect(rollup("FAILURE", [run("build", "FAILURE"), run(CHECK_RUN_NAME, "NEUTRAL")])).toEqual({ state: "FAILURE" });
    expect(rollup("FAILURE", [status("ci/jenkins", "ERROR")])).toEqual({ state: "FAILURE" });
  });

  it("is green only when every other check passed, and not green while one is running", () => {
    expect(rollup("SUCCESS", [run("build", "SUCCESS"), run("lint", "SKIPPED"), status("ci/travis", "SUCCESS"), run(CHECK_RUN_NAME, "NEUTRAL")])).toEqual({ state: "SUCCESS" });
    expect(rollup("PENDING", [run("build", null, "IN_PROGRESS"), run(CHECK_RUN_NAME, "NEUTRAL")])).toEqual({ state: "PENDING" });
    expect(rollup("PENDING", [status("ci/travis", "EXPECTED")])).toEqual({ state: "PENDING" });
  });

  it("does not count a stale check run as a pass", () => {
    expect(rollup("SUCCESS", [run("build", "STALE")])).toEqual({ state: "PENDING" });
  });

  it("keeps GitHub's state when there are more checks than were read", () => {
    expect(rollup("FAILURE", [run("build", "SUCCESS")], 40)).toEqual({ state: "FAILURE" });
  });

  it("passes through a commit with no checks, and rejects a malformed answer", () => {
    expect(rollupSchema.parse(null)).toBeNull();
    expect(rollupSchema.safeParse({ state: "SUCCESS" }).success).toBe(false);
  });
});
