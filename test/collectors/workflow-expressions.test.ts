import { describe, expect, it } from "vitest";
import { conditionTruth, type ExpressionContext } from "../../src/collectors/workflow-expressions.js";

/*
 * Static evaluation of `if:` conditions, following GitHub's documentation of expressions: what is
 * known before a run decides, anything else is unknown, and an unknown never reads as true.
 */

const PR: ExpressionContext = { values: { "github.event_name": "pull_request", "github.repository": "octo-org/api", "github.repository_owner": "octo-org", "github.base_ref": "main" }, hasNeeds: false };
const truth = (condition: string | boolean | number | null, ctx = PR) => conditionTruth(condition, ctx).truth;

describe("conditionTruth", () => {
  it.each([
    [false, "false"],
    [true, "true"],
    [0, "false"],
    [null, "true"],
    ["false", "false"],
    ["${{ false }}", "false"],
    ["${{ 0 }}", "false"],
    ["''", "false"],
    ["null", "false"],
    ["!true", "false"],
    ["${{ !false }}", "true"],
    ["1 == 1", "true"],
    ["'1' == 1", "true"],
    ["'ABC' == 'abc'", "true"],
    ["github.event_name == 'push'", "false"],
    ["github.event_name == 'PULL_REQUEST'", "true"],
    ["github.event_name != 'pull_request'", "false"],
    ["contains(fromJSON('[\"push\", \"schedule\"]'), github.event_name)", "false"],
    ["contains('push schedule', github.event_name)", "false"],
    ["startsWith(github.event_name, 'pull')", "true"],
    ["github.repository == 'octo-org/api'", "true"],
    ["github.repository_owner == 'someone-else'", "false"],
    ["github.base_ref == 'main'", "true"],
    ["always()", "true"],
    ["success()", "true"],
    ["failure()", "false"],
    ["!cancelled()", "true"],
  ])("%j → %s", (condition, expected) => {
    expect(truth(condition)).toBe(expected);
  });

  it("is unknown for what depends on the run", () => {
    for (const condition of [
      "github.actor != 'dependabot[bot]'",
      "contains(github.event.pull_request.labels.*.name, 'run-tests')",
      "github.event.pull_request.head.repo.full_name == github.repository",
      "hashFiles('**/package-lock.json') != ''",
      "steps.changes.outputs.src == 'true'",
    ]) {
      expect(truth(condition), condition).toBe("unknown");
    }
  });

  it("decides an unknown joined with a known value where the known value decides", () => {
    expect(truth("github.actor == 'x' && false")).toBe("false");
    expect(truth("github.event_name == 'push' && github.actor == 'x'")).toBe("false");
    expect(truth("github.actor == 'x' || true")).toBe("true");
    expect(truth("github.actor == 'x' || github.event_name == 'push'")).toBe("unknown");
    expect(truth("(github.event_name == 'push' || github.event_name == 'schedule') && github.actor == 'x'")).toBe("false");
  });

  it("reads a value that mixes ${{ }} with other text as the non-empty string it becomes: always true", () => {
    expect(truth("${{ github.event.issue.pull_request }} && github.repository_owner == 'someone-else'")).toBe("true");
    expect(truth("${{ false }} || false")).toBe("true");
  });

  it("leaves status functions to the jobs a job needs", () => {
    const withNeeds = { ...PR, hasNeeds: true };
    expect(truth("success()", withNeeds)).toBe("unknown");
    expect(truth("always()", withNeeds)).toBe("true");
  });

  it("is unknown, with the reason, for an expression it cannot read", () => {
    const result = conditionTruth("github.event_name == 'push' &&& x", PR);
    expect(result.truth).toBe("unknown");
    expect(result.error).toContain("could not be read");
  });
});
