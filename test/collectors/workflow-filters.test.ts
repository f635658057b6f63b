import { describe, expect, it } from "vitest";
import { matchesFilters, prTriggerVerdict, type TriggerFilters } from "../../src/collectors/workflow-filters.js";

/* GitHub's filter patterns and pull request trigger filters, for a pull request to the default branch. */

const filters = (overrides: Partial<TriggerFilters>): TriggerFilters => ({ branches: null, branchesIgnore: null, paths: null, pathsIgnore: null, types: null, ...overrides });

describe("matchesFilters", () => {
  it.each([
    ["main", ["main"], true],
    ["main", ["master"], false],
    ["main", ["*"], true],
    ["release/1.0", ["*"], false],
    ["release/1.0", ["**"], true],
    ["release/1.0", ["release/**"], true],
    ["main", ["ma?in"], true],
    ["main", ["mai+n"], true],
    ["main", ["[lm]ain"], true],
    ["main", ["**", "!main"], false],
    ["main", ["!main", "**"], true],
    ["main", ["!main"], false],
    ["feature/x", ["releases/**-alpha"], false],
  ])("%s against %j → %s", (name, patterns, expected) => {
    expect(matchesFilters(name, patterns)).toBe(expected);
  });
});

describe("prTriggerVerdict", () => {
  it("runs without filters", () => {
    expect(prTriggerVerdict("pull_request", filters({}), "main")).toEqual({ runs: "yes" });
  });

  it("does not run for pull requests to the default branch that `branches` leaves out or `branches-ignore` names", () => {
    expect(prTriggerVerdict("pull_request", filters({ branches: ["develop", "release/**"] }), "main")).toMatchObject({ runs: "no" });
    expect(prTriggerVerdict("pull_request", filters({ branchesIgnore: ["main"] }), "main")).toMatchObject({ runs: "no" });
    expect(prTriggerVerdict("pull_request", filters({ branchesIgnore: ["ma*"] }), "main")).toMatchObject({ runs: "no" });
    expect(prTriggerVerdict("pull_request", filters({ branches: ["main", "develop"] }), "main")).toEqual({ runs: "yes" });
    expect(prTriggerVerdict("pull_request", filters({ branchesIgnore: ["gh-pages"] }), "main")).toEqual({ runs: "yes" });
  });

  it("does not run on activity that carries no code, and runs only sometimes on part of it", () => {
    expect(prTriggerVerdict("pull_request", filters({ types: ["closed"] }), "main")).toMatchObject({ runs: "no" });
    expect(prTriggerVerdict("pull_request_target", filters({ types: ["labeled"] }), "main")).toMatchObject({ runs: "no" });
    expect(prTriggerVerdict("pull_request", filters({ types: ["opened"] }), "main")).toMatchObject({ runs: "sometimes" });
    expect(prTriggerVerdict("pull_request", filters({ types: ["opened", "synchronize", "reopened", "ready_for_review"] }), "main")).toEqual({ runs: "yes" });
  });

  it("does not guess at a pattern it cannot read", () => {
    expect(prTriggerVerdict("pull_request", filters({ branchesIgnore: ["[z-a]"] }), "main")).toMatchObject({ runs: "sometimes" });
    expect(prTriggerVerdict("pull_request", filters({ branches: ["**+"] }), "main")).toMatchObject({ runs: "sometimes" });
  });

  it("runs only sometimes with a `paths` filter, and not at all when every path is ignored", () => {
    expect(prTriggerVerdict("pull_request", filters({ paths: ["src/**"] }), "main")).toMatchObject({ runs: "sometimes", reason: expect.stringContaining("src/**") });
    expect(prTriggerVerdict("pull_request", filters({ paths: ["**"] }), "main")).toEqual({ runs: "yes" });
    expect(prTriggerVerdict("pull_request", filters({ pathsIgnore: ["docs/**", "**.md"] }), "main")).toEqual({ runs: "yes" });
    expect(prTriggerVerdict("pull_request", filters({ pathsIgnore: ["**"] }), "main")).toMatchObject({ runs: "no" });
  });
});
