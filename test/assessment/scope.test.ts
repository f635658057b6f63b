import { describe, expect, it } from "vitest";
import { scopeOf } from "../../src/assessment/assess-repository.js";
import type { RepoRef } from "../../src/collectors/types.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";

const repo = (overrides: Partial<RepoRef> = {}): RepoRef => ({
  id: 1,
  owner: "octo-org",
  name: "api",
  fullName: "octo-org/api",
  defaultBranch: "main",
  htmlUrl: "https://github.com/octo-org/api",
  archived: false,
  fork: false,
  visibility: "private",
  securityAndAnalysis: null,
  ...overrides,
});

describe("which repositories are assessed", () => {
  it("leaves archived repositories, forks and configured exclusions out, saying why", () => {
    expect(scopeOf(repo(), DEFAULT_CONFIG)).toEqual({ inScope: true });
    expect(scopeOf(repo({ archived: true }), DEFAULT_CONFIG)).toEqual({ inScope: false, reason: "archived" });
    expect(scopeOf(repo({ fork: true }), DEFAULT_CONFIG)).toEqual({ inScope: false, reason: "a fork" });
    const config = parseRepoConfig({ exclude: ["api"] }).config;
    expect(scopeOf(repo(), config)).toEqual({ inScope: false, reason: "excluded in configuration" });
    expect(scopeOf(repo({ name: "web", fullName: "octo-org/web" }), config)).toEqual({ inScope: true });
  });
});
