import { describe, expect, it } from "vitest";
import { conditionTruth } from "../../src/collectors/workflow-expressions.js";
import { parseWorkflow } from "../../src/collectors/workflow-parse.js";
import { summariseWorkflows, type WorkflowFile } from "../../src/collectors/workflows.js";
import { seeded } from "../helpers/random.js";

/*
 * Workflow files are input from anyone who can push: whatever shape they take, the summary is a
 * verdict or a reason, never an exception. Workflows are assembled at random from pieces seen in
 * real files (seeded, so a failure can be replayed).
 */

const PIECES = {
  on: ["pull_request", "[push, pull_request]", "{ pull_request: { branches: ['**', '!main'], types: [labeled] } }", "{ pull_request_target: null, workflow_run: { workflows: [CI] } }", "issue_comment", "{ schedule: [{ cron: '0 0 * * *' }] }", "workflow_call", "42", "{ pull_request: { branches: '[z-a]' } }"],
  if: ["false", "${{ false }}", "github.event_name == 'push'", "${{ github.x }} && y", "contains(fromJSON('[1'), 1)", "!", "((", "success() || failure()", "github.event.inputs['a-b'] == 1", "'unterminated"],
  run: ["npm ci", "yarn", "cargo build", "gh pr checkout 1 && make", "git fetch origin pull/${{ github.event.number }}/head", "uv run pytest", "echo '", "pip install -r", "| |"],
  uses: ["actions/checkout@v4", "./.github/actions/setup", "./.github/workflows/x.yml", "octo/repo/.github/workflows/y.yml@v1", "actions/download-artifact@v4", "docker://alpine"],
  needs: ["a", "[a, b]", "missing", "[]"],
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomWorkflow(random: () => number): string {
  const jobs = ["a", "b", "c"].map((id) => {
    const steps = Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.5 ? `      - run: ${JSON.stringify(pick(random, PIECES.run))}\n        if: ${JSON.stringify(pick(random, PIECES.if))}` : `      - uses: ${pick(random, PIECES.uses)}\n        with: { ref: "\${{ github.event.pull_request.head.sha }}", run-id: "\${{ github.event.workflow_run.id }}" }`));
    const callsOther = random() < 0.2 ? `    uses: ${pick(random, PIECES.uses)}\n` : "";
    return `  ${id}:\n    needs: ${pick(random, PIECES.needs)}\n    if: ${JSON.stringify(pick(random, PIECES.if))}\n${callsOther}    steps:\n${steps.join("\n")}`;
  });
  return `on: ${pick(random, PIECES.on)}\n${random() < 0.5 ? "permissions: { contents: write }\n" : ""}jobs:\n${jobs.join("\n")}\n`;
}

describe("summariseWorkflows on arbitrary workflows", () => {
  it("gives every finding a value or a reason, and never throws", () => {
    const random = seeded(16);
    for (let i = 0; i < 300; i += 1) {
      const files: WorkflowFile[] = ["x.yml", "y.yml"].map((name) => {
        const parsed = parseWorkflow(randomWorkflow(random));
        const path = `.github/workflows/${name}`;
        return parsed.ok ? { path, kind: "parsed", workflow: parsed.workflow } : { path, kind: "invalid", error: parsed.error };
      });
      const states = new Map(files.map((f) => [f.path, pick(random, ["active", "disabled_manually"])]));
      const summary = summariseWorkflows(files, { repoFullName: "o/r", defaultBranch: "main", states: { ok: true, byPath: states }, defaultTokenWrites: null });
      for (const [id, entry] of Object.entries(summary)) expect("error" in entry ? typeof entry.error : "value", id).toMatch(/^(string|value)$/);
    }
  });

  it("reads any condition as true, false or unknown", () => {
    for (const condition of [...PIECES.if, "${{", "}}", "a.b.c.d[", "fromJSON(toJSON(github))", "format('{0}', 1) == '1'", "1 < 'a'"]) {
      expect(["true", "false", "unknown"], condition).toContain(conditionTruth(condition, { values: {}, hasNeeds: true }).truth);
    }
  });
});
