import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, parseRepoConfig, type ConfigOutcome, type ConfigProblem } from "../../src/config/repo-config.js";

function problemsOf(outcome: ConfigOutcome): ConfigProblem[] {
  if (outcome.ok) throw new Error(`expected problems, got a valid config: ${JSON.stringify(outcome.config)}`);
  return outcome.problems;
}

function pathsOf(outcome: ConfigOutcome): string[] {
  return problemsOf(outcome)
    .map((p) => p.path)
    .sort();
}

/** A failed parse: the assessment runs on the defaults, untouched by anything in the file. */
function expectRejected(outcome: ConfigOutcome): void {
  expect(outcome.ok).toBe(false);
  expect(outcome.config).toEqual(DEFAULT_CONFIG);
}

describe("DEFAULT_CONFIG", () => {
  it("holds the documented defaults", () => {
    expect(DEFAULT_CONFIG).toEqual({
      mode: "report",
      windowDays: 90,
      exclude: [],
      thresholds: {
        requiredApprovals: 1,
        reviewedMergeRate: 0.95,
        ciOnPrsRate: 0.9,
        redMergeMaxRate: 0.05,
        hoursToGreen: 24,
        defaultBranchGreenRate: 0.9,
        updatePrsGreenRate: 1,
        updatePrMedianDaysToMerge: 14,
        updatePrMaxOpenDays: 30,
        vulnerabilityAlertMaxDays: 30,
        secretAlertMaxDays: 7,
        maxOwners: 5,
        teamBasedAccessRate: 0.8,
        verifiedCommitRate: 0.95,
      },
      updateBots: ["renovate", "dependabot"],
      audit: { retentionDays: 400 },
      reassessment: { everyHours: 24 },
      exceptions: { outsideCollaborators: [], deployKeys: [], expireAfterDays: 180 },
      issues: { enabled: true, central: false, maxOpenPerRun: 10 },
      dryRun: false,
      accessReview: { everyDays: 90, graceDays: 14 },
      evidence: {},
    });
  });
});

describe("parseRepoConfig: defaults", () => {
  it.each([
    ["null (an empty YAML file)", null],
    ["undefined (no file)", undefined],
    ["{}", {}],
  ])("uses the defaults for %s", (_label, raw) => {
    const outcome = parseRepoConfig(raw);
    expect(outcome).toEqual({ ok: true, config: DEFAULT_CONFIG, files: [] });
  });

  it("passes the files it was read from through, on success and on failure", () => {
    const files = [".github/claimcheck.yml", "octo-org/.github:.github/claimcheck.yml"];
    expect(parseRepoConfig({}, files).files).toEqual(files);
    expect(parseRepoConfig({ bar: 1 }, files).files).toEqual(files);
  });

  it("keeps the defaults for everything a partial file leaves out", () => {
    const outcome = parseRepoConfig({ windowDays: 30, thresholds: { requiredApprovals: 2 }, audit: {} });
    expect(outcome.ok).toBe(true);
    expect(outcome.config).toEqual({
      ...DEFAULT_CONFIG,
      windowDays: 30,
      thresholds: { ...DEFAULT_CONFIG.thresholds, requiredApprovals: 2 },
    });
  });

  it("does not let one parse change the defaults another sees", () => {
    const first = parseRepoConfig({ exclude: ["a"] });
    expect(first.config.exclude).toEqual(["a"]);
    expect(parseRepoConfig({}).config.exclude).toEqual([]);
    expect(DEFAULT_CONFIG.exclude).toEqual([]);
  });
});

describe("parseRepoConfig: unknown keys", () => {
  it("reports an unknown top-level key and an unknown threshold by path", () => {
    const outcome = parseRepoConfig({ bar: 1, thresholds: { foo: 2 } });
    expectRejected(outcome);
    expect(problemsOf(outcome)).toEqual(
      expect.arrayContaining([
        { path: "bar", message: "unknown key" },
        { path: "thresholds.foo", message: "unknown key" },
      ]),
    );
    expect(problemsOf(outcome)).toHaveLength(2);
  });

  it("reports a misspelt threshold rather than quietly keeping its default", () => {
    const outcome = parseRepoConfig({ thresholds: { requiredApproval: 3 } });
    expectRejected(outcome);
    expect(problemsOf(outcome)).toEqual([{ path: "thresholds.requiredApproval", message: "unknown key" }]);
  });

  it("reports each unknown key separately", () => {
    const outcome = parseRepoConfig({ alpha: 1, beta: 2 });
    expectRejected(outcome);
    expect(pathsOf(outcome)).toEqual(["alpha", "beta"]);
  });

  it.each([
    [{ audit: { retentionDays: 30, keep: true } }, "audit.keep"],
    [{ exceptions: { deployKeys: [], outsideCollaborator: ["x"] } }, "exceptions.outsideCollaborator"],
    [{ evidence: { "1.3.1": { url: "https://intranet.example/plan", notes: "typo" } } }, 'evidence["1.3.1"].notes'],
  ])("reports an unknown nested key %j at %s", (raw, path) => {
    const outcome = parseRepoConfig(raw);
    expectRejected(outcome);
    expect(problemsOf(outcome)).toEqual([{ path, message: "unknown key" }]);
  });
});

describe("parseRepoConfig: wrong types and values", () => {
  it("reports every wrongly typed value by its path", () => {
    const outcome = parseRepoConfig({
      mode: 5,
      windowDays: "ninety",
      exclude: ["ok", 7],
      thresholds: { reviewedMergeRate: "high", requiredApprovals: 1.5 },
      updateBots: "renovate",
    });
    expectRejected(outcome);
    expect(pathsOf(outcome)).toEqual(["exclude[1]", "mode", "thresholds.requiredApprovals", "thresholds.reviewedMergeRate", "updateBots", "windowDays"]);
    for (const problem of problemsOf(outcome)) {
      expect(problem.message).not.toBe("");
      expect(problem.message).not.toBe("unknown key");
    }
  });

  it.each([
    [{ thresholds: null }, "thresholds"],
    [{ thresholds: { reviewedMergeRate: 1.5 } }, "thresholds.reviewedMergeRate"],
    [{ thresholds: { redMergeMaxRate: -0.1 } }, "thresholds.redMergeMaxRate"],
    [{ thresholds: { requiredApprovals: 0 } }, "thresholds.requiredApprovals"],
    [{ thresholds: { hoursToGreen: 0 } }, "thresholds.hoursToGreen"],
    [{ audit: { retentionDays: 3651 } }, "audit.retentionDays"],
    [{ exceptions: { deployKeys: [""] } }, "exceptions.deployKeys[0]"],
    [{ updateBots: [""] }, "updateBots[0]"],
    [{ mode: "strict" }, "mode"],
  ])("rejects %j at %s", (raw, path) => {
    const outcome = parseRepoConfig(raw);
    expectRejected(outcome);
    expect(pathsOf(outcome)).toEqual([path]);
  });

  it.each([
    ["a string", "mode: enforce"],
    ["a list", [{ mode: "enforce" }]],
    ["a number", 3],
  ])("reports a file that is %s at the top level", (_label, raw) => {
    const outcome = parseRepoConfig(raw);
    expectRejected(outcome);
    expect(pathsOf(outcome)).toEqual(["(top level)"]);
  });

  it("discards every valid setting of a file that has a problem", () => {
    const outcome = parseRepoConfig({ mode: "enforce", windowDays: 30, thresholds: { requiredApprovals: 2, foo: 1 } });
    expectRejected(outcome);
    expect(outcome.config.mode).toBe("report");
    expect(outcome.config.windowDays).toBe(90);
    expect(outcome.config.thresholds.requiredApprovals).toBe(1);
  });
});

describe("parseRepoConfig: mode and window", () => {
  it("accepts mode enforce", () => {
    const outcome = parseRepoConfig({ mode: "enforce" });
    expect(outcome.ok).toBe(true);
    expect(outcome.config).toEqual({ ...DEFAULT_CONFIG, mode: "enforce" });
  });

  it("accepts mode report", () => {
    expect(parseRepoConfig({ mode: "report" })).toEqual({ ok: true, config: DEFAULT_CONFIG, files: [] });
  });

  it.each([1, 30, 365])("accepts windowDays %i", (windowDays) => {
    const outcome = parseRepoConfig({ windowDays });
    expect(outcome.ok).toBe(true);
    expect(outcome.config.windowDays).toBe(windowDays);
  });

  it.each([0, -1, 366, 1000, 30.5])("rejects windowDays %d", (windowDays) => {
    const outcome = parseRepoConfig({ windowDays });
    expectRejected(outcome);
    expect(pathsOf(outcome)).toEqual(["windowDays"]);
  });
});

describe("parseRepoConfig: evidence for claims GitHub cannot show", () => {
  it("accepts evidence for the outside claims 1.3.1 and 2.1.2", () => {
    const evidence = {
      "1.3.1": { url: "https://intranet.example/test-plan", note: "v3, approved" },
      "2.1.2": { url: "http://wiki.example/build-roles" },
    };
    const outcome = parseRepoConfig({ evidence });
    expect(outcome.ok).toBe(true);
    expect(outcome.config.evidence).toEqual(evidence);
  });

  it.each(["2.2.2", "1.2.1", "9.9.9", "anything"])("rejects evidence for claim %s, which GitHub can show (or which does not exist)", (claimId) => {
    const outcome = parseRepoConfig({ evidence: { [claimId]: { url: "https://intranet.example/x" } } });
    expectRejected(outcome);
    const problems = problemsOf(outcome);
    const expectedPath = /^[A-Za-z_]/.test(claimId) ? `evidence.${claimId}` : `evidence["${claimId}"]`;
    expect(problems.map((p) => p.path)).toEqual([expectedPath]);
    expect(problems[0]!.message).toContain("1.3.1");
    expect(problems[0]!.message).toContain("2.1.2");
  });

  it('names the claim in a path like evidence["2.2.2"], beside an accepted outside claim', () => {
    const outcome = parseRepoConfig({
      evidence: { "1.3.1": { url: "https://intranet.example/test-plan" }, "2.2.2": { url: "https://intranet.example/reviews" } },
    });
    expectRejected(outcome);
    expect(pathsOf(outcome)).toEqual(['evidence["2.2.2"]']);
  });

  it.each(["ftp://files.example/plan.pdf", "javascript:alert(1)", "mailto:security@example.com", "file:///etc/passwd", "not a url", "intranet.example/plan"])(
    "rejects the non-http URL %s",
    (url) => {
      const outcome = parseRepoConfig({ evidence: { "1.3.1": { url } } });
      expectRejected(outcome);
      expect(problemsOf(outcome)).toEqual([{ path: 'evidence["1.3.1"].url', message: "must be an http(s) URL" }]);
    },
  );

  it("rejects evidence given as a bare string, a missing URL and an over-long note", () => {
    expect(pathsOf(parseRepoConfig({ evidence: { "1.3.1": "https://intranet.example/plan" } }))).toEqual(['evidence["1.3.1"]']);
    expect(pathsOf(parseRepoConfig({ evidence: { "2.1.2": { note: "see wiki" } } }))).toEqual(['evidence["2.1.2"].url']);
    expect(pathsOf(parseRepoConfig({ evidence: { "1.3.1": { url: "https://intranet.example/plan", note: "x".repeat(2001) } } }))).toEqual([
      'evidence["1.3.1"].note',
    ]);
    expect(parseRepoConfig({ evidence: { "1.3.1": { url: "https://intranet.example/plan", note: "x".repeat(2000) } } }).ok).toBe(true);
  });
});
