import { describe, expect, it } from "vitest";
import { summariseUpdateConfig } from "../../src/collectors/dependencies.js";
import type { FileRead } from "../../src/collectors/dependency-files.js";
import { DEPENDABOT_FILES, duplicateJsonKey, parseDependabot, parseRenovateFile, presetEffect, RENOVATE_FILES, renovateCovers } from "../../src/collectors/update-config.js";
import { observed, type Finding, type FindingId } from "../../src/core/findings.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { evaluateClaims } from "../../src/evaluation/evaluate.js";

/*
 * 1.2.5 update-tool from the configuration files' text to the verdict, over the shapes found in
 * real repositories: Renovate files in every place it reads, JSON5 with comments, presets that
 * switch Renovate off or narrow it, rules that disable managers or paths; Dependabot files with
 * globbed directories, ignore rules, security-only entries, merge keys and schema errors.
 */

const where = { repo: "octo-org/api", source: "test", url: "https://github.com/octo-org/api", observedAt: "2026-11-24T12:00:00.000Z" };
type Manifest = { ecosystem: string; manifest: string; lockfile: string | null; integrity: boolean | null; seenIn: "root" | "dependency-graph" };
const manifest = (path: string, ecosystem = "npm"): Manifest => ({ ecosystem, manifest: path, lockfile: `${path}.lock`, integrity: true, seenIn: path.includes("/") ? "dependency-graph" : "root" });
const ROOT_NPM = manifest("package.json");
const WORKFLOWS = [".github/workflows/ci.yml"];

/** The update-config findings from file texts, as the collector derives them; every other probed file is absent. */
function updateFindings(files: Record<string, string>): Finding[] {
  const reads = new Map<string, FileRead>();
  for (const path of [...RENOVATE_FILES, "package.json", ...DEPENDABOT_FILES]) reads.set(path, path in files ? { kind: "text", text: files[path]! } : { kind: "absent" });
  const summary = summariseUpdateConfig(reads);
  if ("error" in summary) throw new Error(summary.error);
  return [observed("deps.update-tool", summary.tool, where), observed("deps.update-config", summary.config, where)];
}

function verdict(files: Record<string, string>, manifests: Manifest[] = [ROOT_NPM], workflows = WORKFLOWS) {
  const graph = { manifests: manifests.length, read: manifests.length, components: 10, unparseable: [] };
  const findings = [
    ...updateFindings(files),
    ...Object.entries({ "deps.manifests": manifests, "ci.workflow-files": workflows, "deps.dependency-graph": graph, "deps.vulnerability-alerts": { enabled: true, open: { critical: 0, high: 0, medium: 0, low: 0 }, overdue: 0 } }).map(([id, v]) => observed(id as FindingId, v as never, where)),
  ];
  return evaluateClaims(findings, DEFAULT_CONFIG).find((r) => r.claimId === "1.2.5")!.checks.find((c) => c.checkId === "update-tool")!;
}

describe("Renovate files read as Renovate reads them", () => {
  it("parses .json5 files with a JSON5 parser: comments, unquoted keys, single quotes, trailing commas, hex and multi-line strings", () => {
    const text = `// Renovate, for the whole monorepo
{
  $schema: 'https://docs.renovatebot.com/renovate-schema.json',
  extends: ['config:recommended',],
  /* Only what we use. */
  enabledManagers: ["npm", 'github-actions'],
  prConcurrentLimit: 0x0A,
  description: 'first line \\
second line',
}`;
    expect(parseRenovateFile(".github/renovate.json5", text)).toMatchObject({ ok: true, enabled: true, managers: ["npm", "github-actions"] });
  });

  it("refuses JSON5 in a .json file, and a key given twice, as Renovate does", () => {
    expect(parseRenovateFile("renovate.json", "{ // comment\n}")).toMatchObject({ ok: false, error: expect.stringContaining("not valid JSON") });
    expect(parseRenovateFile(".renovaterc", '{ "enabled": false, "enabled": true }')).toMatchObject({ ok: false, error: expect.stringContaining('"enabled" appears twice') });
    expect(duplicateJsonKey('{ "a": { "x": 1 }, "b": { "x": 2 }, "c": ["x", "x"] }')).toBeNull();
    expect(duplicateJsonKey('{ "a": { "x": 1, "y": "\\"x\\"", "x": 2 } }')).toBe("x");
  });

  it("reads Renovate's file precedence: the first file found is the one used, package.json last", () => {
    const v = verdict({ "renovate.json": '{ "enabled": false }', ".github/renovate.json5": "{ }", "package.json": '{ "renovate": {} }' });
    expect(v.status).toBe("gap");
    expect(v.reason).toContain("renovate.json switches Renovate off");
  });

  it("reads the \"renovate\" key of package.json", () => {
    expect(verdict({ "package.json": '{ "name": "x", "renovate": { "extends": [":disableRenovate"] } }' }).status).toBe("gap");
    expect(verdict({ "package.json": '{ "name": "x", "renovate": { "extends": ["config:recommended"] } }' }).status).toBe("met");
  });

  it.each([
    [":disableRenovate", false],
    ["default:disableRenovate", false],
    [":enableRenovate", true],
  ])("reads the preset %s", (preset, enabled) => {
    expect(parseRenovateFile("renovate.json", JSON.stringify({ extends: ["config:recommended", preset] }))).toMatchObject({ ok: true, enabled });
  });

  it("lets the file's own enabled win over its presets, and the later preset over the earlier", () => {
    expect(parseRenovateFile("renovate.json", '{ "extends": [":disableRenovate"], "enabled": true }')).toMatchObject({ enabled: true });
    expect(parseRenovateFile("renovate.json", '{ "extends": [":disableRenovate", ":enableRenovate"] }')).toMatchObject({ enabled: true });
    expect(parseRenovateFile("renovate.json", '{ "extends": [":enableRenovate", ":disableRenovate"] }')).toMatchObject({ enabled: false });
  });

  it.each(["github>acme/renovate-config", "local>acme/.github:renovate", "gitlab>acme/presets", "acme/renovate-config", "@acme", "@acme/renovate-config", "acme", "acme:strict", "github>acme/renovate-config//presets/base.json5"])(
    "leaves coverage unknown when it extends %s, which is not read",
    (preset) => {
      const v = verdict({ "renovate.json": JSON.stringify({ extends: ["config:recommended", preset] }) });
      expect(v.status).toBe("unknown");
      expect(v.reason).toContain(`"${preset}"`);
    },
  );

  it("reads built-in presets that neither disable nor narrow as Renovate's defaults", () => {
    expect(presetEffect(":semanticCommits")).toEqual({});
    expect(presetEffect(":label(dependencies)")).toEqual({});
    expect(presetEffect("group:allNonMajor")).toEqual({});
    expect(presetEffect("schedule:weekly")).toEqual({});
    expect(verdict({ "renovate.json": '{ "extends": ["config:recommended", ":automergeMinor", "group:monorepos", ":timezone(Europe/London)"] }' }).status).toBe("met");
  });

  it("takes security:only-security-updates as no version updates at all", () => {
    expect(verdict({ "renovate.json": '{ "extends": ["config:recommended", "security:only-security-updates"] }' }).status).toBe("gap");
  });

  it("follows config:recommended's ignored paths: a manifest under test/ or examples/ is not updated", () => {
    const v = verdict({ "renovate.json": '{ "extends": ["config:recommended"] }' }, [ROOT_NPM, manifest("examples/demo/package.json"), manifest("packages/web/package.json")]);
    expect(v.status).toBe("partial");
    expect(v.reason).toContain("npm in /examples/demo");
    expect(v.reason).not.toContain("packages/web");
    // Without the preset, Renovate's own default ignores only node_modules and bower_components.
    expect(verdict({ "renovate.json": "{}" }, [ROOT_NPM, manifest("examples/demo/package.json")]).status).toBe("met");
  });

  it("reads ignorePaths and includePaths of the file as globs or path parts", () => {
    expect(verdict({ "renovate.json": '{ "ignorePaths": ["services/legacy"] }' }, [ROOT_NPM, manifest("services/legacy/package.json")]).status).toBe("partial");
    expect(verdict({ "renovate.json": '{ "includePaths": ["package.json", ".github/**"] }' }, [ROOT_NPM, manifest("apps/api/package.json")]).status).toBe("partial");
  });

  it("takes an empty enabledManagers as every manager, as Renovate does", () => {
    expect(verdict({ "renovate.json": '{ "enabledManagers": [] }' }).status).toBe("met");
    expect(verdict({ "renovate.json": '{ "enabledManagers": ["npm"] }' })).toMatchObject({ status: "partial", reason: expect.stringContaining("github-actions") });
  });

  it("reads packageRules that switch managers or files off", () => {
    const offForActions = '{ "packageRules": [{ "matchManagers": ["github-actions"], "enabled": false }] }';
    expect(verdict({ "renovate.json": offForActions })).toMatchObject({ status: "partial", reason: expect.stringContaining("github-actions") });
    const offForTestApp = '{ "packageRules": [{ "matchPaths": ["test-app/package.json"], "enabled": false }] }';
    expect(verdict({ "renovate.json": offForTestApp }, [ROOT_NPM, manifest("test-app/package.json")])).toMatchObject({ status: "partial", reason: expect.stringContaining("test-app") });
    const offForEverything = '{ "packageRules": [{ "matchPackageNames": ["*"], "enabled": false }] }';
    expect(verdict({ "renovate.json": offForEverything }).status).toBe("gap");
    const noMatchers = '{ "packageRules": [{ "enabled": false }] }';
    expect(verdict({ "renovate.json": noMatchers }).status).toBe("gap");
    const managerSetting = '{ "github-actions": { "enabled": false } }';
    expect(verdict({ "renovate.json": managerSetting }).status).toBe("partial");
  });

  it("does not take a rule for some packages, dependency types or update types as switching an ecosystem off", () => {
    const rules = JSON.stringify({
      packageRules: [
        { matchPackageNames: ["node"], enabled: false },
        { packageNames: ["typescript"], enabled: false },
        { matchDepTypes: ["devDependencies"], enabled: false },
        { matchUpdateTypes: ["major"], enabled: false },
        { matchManagers: ["npm"], matchPackagePatterns: ["^@types/"], enabled: false },
      ],
    });
    expect(verdict({ "renovate.json": rules }).status).toBe("met");
  });

  it("leaves coverage unknown for rules it cannot map", () => {
    for (const rule of [{ matchDatasources: ["npm"], enabled: false }, { matchPackageNames: ["*", "!react"], enabled: false }, { matchManagers: ["!npm"], enabled: false }, { matchFutureThing: ["x"], enabled: false }]) {
      expect(verdict({ "renovate.json": JSON.stringify({ packageRules: [rule] }) }).status, JSON.stringify(rule)).toBe("unknown");
    }
    const reEnabled = { packageRules: [{ matchManagers: ["npm"], enabled: false }, { matchPackageNames: ["react"], enabled: true }] };
    expect(verdict({ "renovate.json": JSON.stringify(reEnabled) }).status).toBe("unknown");
  });

  it("checks each file against the managers of its ecosystem", () => {
    const rules = { managers: null, rules: { ignorePaths: ["**/fixtures/**"], includePaths: null, disabledManagers: ["npm"], disabledFiles: [{ managers: ["bun"], files: ["apps/**"] }] } };
    expect(renovateCovers(rules, ["npm", "bun"], "package.json")).toBe(true);
    expect(renovateCovers(rules, ["npm", "bun"], "apps/web/package.json")).toBe(false);
    expect(renovateCovers(rules, ["gomod"], "a/fixtures/go.mod")).toBe(false);
    expect(renovateCovers({ managers: undefined }, ["gomod"], "go.mod")).toBeNull();
  });
});

const dependabot = (entries: string) => `version: 2\nupdates:\n${entries}`;

describe("Dependabot files read as Dependabot reads them", () => {
  it("covers every directory a glob in directories names", () => {
    const file = dependabot(`  - package-ecosystem: npm
    directories: ["/", "/packages/*"]
    schedule: { interval: weekly, day: monday, time: "09:00", timezone: Europe/London }
    groups:
      everything: { applies-to: version-updates, patterns: ["*"] }
  - package-ecosystem: github-actions
    directory: /
    schedule: { interval: weekly }
`);
    expect(verdict({ ".github/dependabot.yml": file }, [ROOT_NPM, manifest("packages/web/package.json")]).status).toBe("met");
    expect(verdict({ ".github/dependabot.yml": file }, [ROOT_NPM, manifest("packages/web/nested/package.json")])).toMatchObject({ status: "partial", reason: expect.stringContaining("/packages/web/nested") });
  });

  it("does not count entries that open no version update: a limit of 0, or ignoring every dependency", () => {
    const file = dependabot(`  - package-ecosystem: npm
    directory: /
    schedule: { interval: daily }
    open-pull-requests-limit: 0
  - package-ecosystem: github-actions
    directory: /
    schedule: { interval: daily }
    ignore:
      - dependency-name: "*"
`);
    expect(verdict({ ".github/dependabot.yml": file })).toMatchObject({ status: "gap", reason: expect.stringContaining("security-update entries") });
  });

  it("follows YAML anchors and merge keys, as GitHub does", () => {
    const file = `version: 2
x-defaults: &defaults
  schedule: { interval: weekly }
updates:
  - <<: *defaults
    package-ecosystem: npm
    directory: /
`;
    // An unknown top-level key (the anchor's holder) is one Dependabot refuses.
    expect(parseDependabot(file)).toMatchObject({ ok: false, error: expect.stringContaining("x-defaults: unknown key") });
    const inline = `version: 2
updates:
  - &npm
    package-ecosystem: npm
    directory: /
    schedule: { interval: weekly }
  - <<: *npm
    package-ecosystem: github-actions
`;
    expect(parseDependabot(inline)).toMatchObject({ ok: true, updates: [{ ecosystem: "npm" }, { ecosystem: "github-actions", directories: ["/"], versionUpdates: true }] });
  });

  it.each([
    ["no schedule", "  - package-ecosystem: npm\n    directory: /\n", "schedule"],
    ["an unknown key", "  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n    open-pull-request-limit: 5\n", "open-pull-request-limit: unknown key"],
    ["both directory and directories", "  - package-ecosystem: npm\n    directory: /\n    directories: [/]\n    schedule: { interval: weekly }\n", "exactly one of directory and directories"],
    ["no directory", "  - package-ecosystem: npm\n    schedule: { interval: weekly }\n", "exactly one of directory and directories"],
    ["an unknown interval", "  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: hourly }\n", "interval"],
    ["a misspelt ecosystem beside a valid entry", "  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n  - package-ecosystem: github_actions\n    directory: /\n    schedule: { interval: weekly }\n", '"github_actions" is not a package-ecosystem Dependabot knows'],
  ])("takes a file with %s as one Dependabot refuses: unknown, never covered", (_label, entries, error) => {
    const parsed = parseDependabot(dependabot(entries));
    expect(parsed).toMatchObject({ ok: false, error: expect.stringContaining(error) });
    expect(verdict({ ".github/dependabot.yml": dependabot(entries) })).toMatchObject({ status: "unknown", reason: expect.stringContaining("Dependabot would refuse it") });
  });

  it("leaves out a manifest that exclude-paths names", () => {
    const file = dependabot(`  - package-ecosystem: npm
    directory: /
    schedule: { interval: weekly }
    exclude-paths: ["fixtures/**"]
  - package-ecosystem: github-actions
    directory: /
    schedule: { interval: weekly }
`);
    expect(verdict({ ".github/dependabot.yml": file }, [ROOT_NPM, manifest("fixtures/app/package.json")])).toMatchObject({ status: "partial", reason: expect.stringContaining("fixtures/app") });
  });
});
