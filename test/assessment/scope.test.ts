import { describe, expect, it } from "vitest";
import { scopeOf } from "../../src/assessment/assess-repository.js";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";
import { testRepo } from "../helpers/collect.js";

const repo = testRepo;

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
