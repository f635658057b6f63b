import { describe, expect, it } from "vitest";
import { dependenciesCollector, DEPENDENCY_FINDINGS } from "../../src/collectors/dependencies.js";
import { dependenciesFragment, fileAlias, graphPath, PROBED_FILES } from "../../src/collectors/dependency-files.js";
import { isPinnedRequirements, lockfileIntegrity } from "../../src/collectors/lockfile-integrity.js";
import { dirMatches, IGNORE_MODULES_AND_TESTS, parseDependabot, parseRenovateFile, renovateInPackageJson } from "../../src/collectors/update-config.js";
import { findingSchema, type Finding } from "../../src/core/findings.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { collectContext, NOW } from "../helpers/collect.js";
import { schemaErrors } from "../helpers/graphql.js";
import { quietRepositoryData } from "../helpers/repository-graphql.js";

const SHA512 = "sha512-dGVzdA==";
const HEX = "a".repeat(64);

const PACKAGE_LOCK = JSON.stringify({
  name: "api",
  lockfileVersion: 3,
  packages: {
    "": { name: "api", workspaces: ["packages/*"] },
    "packages/web": { name: "web", version: "1.0.0" },
    "node_modules/web": { resolved: "packages/web", link: true },
    "node_modules/lodash": { version: "4.17.21", resolved: "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", integrity: SHA512 },
    "node_modules/private-fork": { version: "1.0.0", resolved: "git+ssh://git@github.com/octo-org/fork.git#0123456789abcdef0123456789abcdef01234567" },
  },
});

const blob = (text: string, overrides: Record<string, unknown> = {}) => ({ text, byteSize: text.length, isBinary: false, isTruncated: false, ...overrides });
const tree = (...names: string[]) => ({ entries: names.map((name) => ({ name, type: "blob" })) });
const graphNode = (path: string, dependenciesCount = 3, overrides: Record<string, unknown> = {}) => ({
  filename: path.slice(path.lastIndexOf("/") + 1),
  blobPath: `/octo-org/api/blob/main/${path}`,
  dependenciesCount,
  parseable: true,
  exceedsMaxSize: false,
  ...overrides,
});

async function collect(data: Record<string, unknown>, errors: { path: (string | number)[]; message: string; type?: string }[] = []) {
  const findings = await dependenciesCollector.collect(collectContext({ repositoryData: quietRepositoryData(data), repositoryErrors: errors }));
  for (const f of findings) expect(findingSchema.safeParse(f).success, JSON.stringify(f)).toBe(true);
  return findings;
}
const get = (findings: Finding[], id: string) => findings.find((f) => f.id === id)!;

describe("dependenciesFragment", () => {
  it("is valid against GitHub's schema, alone", () => {
    expect(schemaErrors(buildRepositoryQuery([dependenciesFragment]))).toEqual([]);
  });

  it("probes every Renovate and Dependabot file claims.md names, under the deps_ prefix", () => {
    for (const path of ["renovate.json", "renovate.json5", ".github/renovate.json", ".github/renovate.json5", ".gitlab/renovate.json", ".gitlab/renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5", "package.json", ".github/dependabot.yml", ".github/dependabot.yaml"]) {
      expect(dependenciesFragment.text).toContain(`${fileAlias(path)}: object(expression: "HEAD:${path}")`);
    }
    expect(new Set(PROBED_FILES.map(fileAlias)).size).toBe(PROBED_FILES.length);
  });
});

describe("lockfileIntegrity", () => {
  it("reads package-lock.json per installed package, leaving out links and git checkouts", () => {
    expect(lockfileIntegrity("package-lock.json", PACKAGE_LOCK)).toEqual({ integrity: true });
    const stripped = PACKAGE_LOCK.replace(`"integrity":"${SHA512}"`, '"dev":true');
    expect(lockfileIntegrity("package-lock.json", stripped)).toMatchObject({ integrity: false, note: expect.stringContaining("lodash") });
    const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: { a: { version: "1.0.0", resolved: "https://r/a.tgz", integrity: SHA512, dependencies: { b: { version: "2.0.0", resolved: "https://r/b.tgz" } } } } });
    expect(lockfileIntegrity("npm-shrinkwrap.json", v1)).toMatchObject({ integrity: false, note: expect.stringContaining("1 of 2") });
  });

  it("gives no answer for a lockfile that does not parse", () => {
    expect(lockfileIntegrity("package-lock.json", "{ not json")).toMatchObject({ integrity: null, note: expect.stringContaining("could not be parsed") });
    expect(lockfileIntegrity("pnpm-lock.yaml", "packages: [unclosed")).toMatchObject({ integrity: null });
  });

  it("reads yarn.lock in both the classic and the Berry format", () => {
    const classic = `# yarn lockfile v1\n\nlodash@^4.17.0:\n  version "4.17.21"\n  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#679591c564c3bffaae8454cf0b3df370c3d6911c"\n  integrity ${SHA512}\n\nleft-pad@^1.0.0:\n  version "1.3.0"\n  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz"\n`;
    expect(lockfileIntegrity("yarn.lock", classic)).toMatchObject({ integrity: false, note: expect.stringContaining("left-pad@^1.0.0") });
    const berry = `__metadata:\n  version: 8\n  cacheKey: 10c0\n\n"api@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "api@workspace:."\n  languageName: unknown\n  linkType: soft\n\n"lodash@npm:^4.17.0":\n  version: 4.17.21\n  resolution: "lodash@npm:4.17.21"\n  checksum: 10c0/${HEX}\n  languageName: node\n  linkType: hard\n`;
    expect(lockfileIntegrity("yarn.lock", berry)).toEqual({ integrity: true });
  });

  it("reads pnpm, bun, go.sum, Cargo, Python, Ruby, PHP and NuGet lockfiles", () => {
    expect(lockfileIntegrity("pnpm-lock.yaml", `lockfileVersion: '9.0'\npackages:\n  lodash@4.17.21:\n    resolution: {integrity: ${SHA512}}\n  local@file:x:\n    resolution: {directory: x, type: directory}\n`)).toEqual({ integrity: true });
    expect(lockfileIntegrity("pnpm-lock.yaml", `lockfileVersion: '9.0'\npackages:\n  x@1.0.0:\n    resolution: {tarball: https://example.com/x.tgz}\n`).integrity).toBe(false);
    expect(lockfileIntegrity("bun.lock", `{\n  "lockfileVersion": 1,\n  "packages": {\n    "web": ["web@workspace:packages/web"],\n    "lodash": ["lodash@4.17.21", "", {}, "${SHA512}"],\n  }\n}\n`)).toEqual({ integrity: true });
    expect(lockfileIntegrity("go.sum", `golang.org/x/text v0.14.0 h1:abc=\ngolang.org/x/text v0.14.0/go.mod h1:def=\n`)).toEqual({ integrity: true });
    const cargo = `version = 3\n\n[[package]]\nname = "api"\nversion = "0.1.0"\n\n[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "${HEX}"\n`;
    expect(lockfileIntegrity("Cargo.lock", cargo)).toEqual({ integrity: true });
    expect(lockfileIntegrity("Cargo.lock", cargo.replace(/checksum.*\n/, "")).integrity).toBe(false);
    const poetry = `[[package]]\nname = "requests"\nversion = "2.31.0"\nfiles = [\n    {file = "requests-2.31.0.tar.gz", hash = "sha256:${HEX}"},\n]\n\n[package.dependencies]\nidna = ">=2.5"\n\n[metadata]\nlock-version = "2.0"\n`;
    expect(lockfileIntegrity("poetry.lock", poetry)).toEqual({ integrity: true });
    expect(lockfileIntegrity("uv.lock", `[[package]]\nname = "api"\nsource = { editable = "." }\n\n[[package]]\nname = "idna"\nsource = { registry = "https://pypi.org/simple" }\nsdist = { url = "https://x/idna.tar.gz", hash = "sha256:${HEX}" }\n`)).toEqual({ integrity: true });
    expect(lockfileIntegrity("Pipfile.lock", JSON.stringify({ default: { requests: { hashes: [`sha256:${HEX}`], version: "==2.31.0" }, local: { path: "." } }, develop: {} }))).toEqual({ integrity: true });
    expect(lockfileIntegrity("requirements.txt", `requests==2.31.0 \\\n    --hash=sha256:${HEX}\nidna==3.6\n`)).toMatchObject({ integrity: false, note: expect.stringContaining("idna") });
    const gemfile = `GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rake\n`;
    expect(lockfileIntegrity("Gemfile.lock", gemfile)).toMatchObject({ integrity: false, note: expect.stringContaining("CHECKSUMS") });
    expect(lockfileIntegrity("Gemfile.lock", `${gemfile}\nCHECKSUMS\n  rake (13.1.0) sha256=${HEX}\n\nBUNDLED WITH\n   2.6.2\n`)).toEqual({ integrity: true });
    // Composer records an empty shasum for GitHub zipballs: those packages are not verified.
    expect(lockfileIntegrity("composer.lock", JSON.stringify({ packages: [{ name: "a/b", dist: { type: "zip", url: "https://x", shasum: "" } }], "packages-dev": [] })).integrity).toBe(false);
    expect(lockfileIntegrity("packages.lock.json", JSON.stringify({ version: 1, dependencies: { "net8.0": { "Newtonsoft.Json": { type: "Direct", contentHash: "abc==" }, lib: { type: "Project" } } } }))).toEqual({ integrity: true });
  });

  it("tells a pinned requirements file from a list of ranges", () => {
    expect(isPinnedRequirements("requests==2.31.0\nidna==3.6 ; python_version >= '3.8'\n")).toBe(true);
    expect(isPinnedRequirements("requests>=2\n")).toBe(false);
    expect(isPinnedRequirements("-r base.txt\nrequests==2.31.0\n")).toBe(false);
    expect(isPinnedRequirements("# nothing\n")).toBe(false);
  });
});

describe("update configuration files", () => {
  it("tells Dependabot version updates from security-only entries", () => {
    const config = parseDependabot(`version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n  - package-ecosystem: github-actions\n    directory: "/"\n    schedule: { interval: weekly }\n    open-pull-requests-limit: 0\n`);
    expect(config).toEqual({ ok: true, updates: [{ ecosystem: "npm", directories: ["/"], versionUpdates: true }, { ecosystem: "github-actions", directories: ["/"], versionUpdates: false }] });
  });

  it("does not count an entry that ignores every dependency as version updates", () => {
    const everything = parseDependabot(`version: 2
updates:
  - package-ecosystem: npm
    directory: /
    schedule: { interval: weekly }
    ignore:
      - dependency-name: "*"
`);
    expect(everything).toMatchObject({ ok: true, updates: [{ versionUpdates: false }] });
    const majorsOnly = parseDependabot(`version: 2
updates:
  - package-ecosystem: npm
    directory: /
    schedule: { interval: weekly }
    ignore:
      - dependency-name: "*"
        update-types: ["version-update:semver-major"]
`);
    expect(majorsOnly).toMatchObject({ ok: true, updates: [{ versionUpdates: true }] });
  });

  it("reports malformed or invalid Dependabot files instead of throwing", () => {
    expect(parseDependabot("version: 2\nupdates:\n  - package-ecosystem: npm\n   directory: /\n")).toMatchObject({ ok: false, error: expect.stringContaining("not valid YAML") });
    expect(parseDependabot("version: 1\nupdates: []\n")).toMatchObject({ ok: false, error: expect.stringContaining("version") });
  });

  it("reads Renovate JSON and JSON5, enabledManagers, enabled:false and automerge", () => {
    expect(parseRenovateFile("renovate.json", '{ "extends": ["config:recommended"] }')).toMatchObject({ ok: true, enabled: true, managers: null, automerge: false, rules: { ignorePaths: IGNORE_MODULES_AND_TESTS } });
    const json5 = `{\n  // shared preset\n  extends: ['config:recommended', ':automergeMinor'],\n  enabledManagers: ['npm', 'github-actions'], /* only these */\n}\n`;
    expect(parseRenovateFile("renovate.json5", json5)).toMatchObject({ ok: true, enabled: true, managers: ["npm", "github-actions"], automerge: true });
    expect(parseRenovateFile("renovate.json", '{ "enabled": false }')).toMatchObject({ ok: true, enabled: false });
    // What is updated is decided elsewhere: not "every manager, everywhere".
    for (const text of ['{ "extends": ["local>acme/renovate-config"] }', '{ "extends": ["acme/renovate-config"] }']) {
      expect(parseRenovateFile("renovate.json", text), text).toMatchObject({ ok: true, managers: undefined });
    }
    // Narrowed in the file itself: read precisely, not taken as "every manager, everywhere".
    expect(parseRenovateFile("renovate.json", '{ "ignorePaths": ["services/**"] }')).toMatchObject({ ok: true, rules: { ignorePaths: ["services/**"] } });
    expect(parseRenovateFile("renovate.json", '{ "packageRules": [{ "matchManagers": ["gomod"], "enabled": false }] }')).toMatchObject({ ok: true, rules: { disabledManagers: ["gomod"] } });
    expect(parseRenovateFile("renovate.json", "{ extends: [] }")).toMatchObject({ ok: false, error: expect.stringContaining("not valid JSON") });
    expect(renovateInPackageJson('{ "name": "x", "renovate": { "packageRules": [{ "automerge": true }] } }')).toMatchObject({ ok: true, enabled: true, managers: null, automerge: true });
    expect(renovateInPackageJson('{ "name": "x" }')).toBeNull();
  });

  it("matches Dependabot directories, globs included", () => {
    expect(dirMatches("/", "/")).toBe(true);
    expect(dirMatches("/packages/*", "/packages/web")).toBe(true);
    expect(dirMatches("/packages/*", "/packages/web/sub")).toBe(false);
    expect(dirMatches("/**", "/a/b")).toBe(true);
    expect(dirMatches("apps/api/", "/apps/api")).toBe(true);
  });

  it("derives repository paths from dependency graph blob paths", () => {
    expect(graphPath("/octo-org/api/blob/main/web/package.json", "package.json", "main")).toBe("web/package.json");
    expect(graphPath("/octo-org/api/blob/release/v2/go.mod", "go.mod", "release/v2")).toBe("go.mod");
    expect(graphPath("/octo-org/api/blob/other/x/go.mod", "x/go.mod", "main")).toBe("x/go.mod");
  });
});

describe("dependenciesCollector", () => {
  it("produces every finding it promises", async () => {
    const findings = await collect({});
    expect(findings.map((f) => f.id).sort()).toEqual([...DEPENDENCY_FINDINGS].sort());
  });

  it("reads an empty repository (no HEAD) as having nothing, not as unreadable", async () => {
    const findings = await collect({ deps_root: null });
    expect(get(findings, "deps.manifests").value).toEqual([]);
    expect(get(findings, "deps.update-tool").value).toBe("none");
    expect(get(findings, "deps.sbom-components").value).toBe(0);
  });

  it("pairs root manifests with lockfiles and reads their hashes", async () => {
    const findings = await collect({
      deps_root: tree("package.json", "package-lock.json", "go.mod", "pom.xml", "README.md"),
      [fileAlias("package.json")]: blob('{ "name": "api", "workspaces": ["packages/*"] }'),
      [fileAlias("package-lock.json")]: blob(PACKAGE_LOCK),
    });
    expect(get(findings, "deps.manifests").value).toEqual([
      { ecosystem: "go", manifest: "go.mod", lockfile: null, integrity: false, seenIn: "root" },
      { ecosystem: "npm", manifest: "package.json", lockfile: "package-lock.json", integrity: true, seenIn: "root" },
      { ecosystem: "maven", manifest: "pom.xml", lockfile: null, integrity: false, seenIn: "root", note: "maven has no lockfile format" },
    ]);
  });

  it("does not count a truncated lockfile's hashes", async () => {
    const findings = await collect({
      deps_root: tree("Cargo.toml", "Cargo.lock"),
      [fileAlias("Cargo.lock")]: blob("[[package]]\n", { isTruncated: true, byteSize: 12_000_000 }),
    });
    expect(get(findings, "deps.manifests").value).toEqual([
      { ecosystem: "cargo", manifest: "Cargo.toml", lockfile: "Cargo.lock", integrity: null, seenIn: "root", note: expect.stringContaining("truncated") },
    ]);
  });

  it("takes a pinned requirements.txt as its own lockfile, and a range list as none", async () => {
    const pinned = await collect({ deps_root: tree("requirements.txt"), [fileAlias("requirements.txt")]: blob(`flask==3.0.0 --hash=sha256:${HEX}\n`) });
    expect(get(pinned, "deps.manifests").value).toMatchObject([{ manifest: "requirements.txt", lockfile: "requirements.txt", integrity: true }]);
    const ranges = await collect({ deps_root: tree("requirements.txt"), [fileAlias("requirements.txt")]: blob("flask>=3\n") });
    expect(get(ranges, "deps.manifests").value).toMatchObject([{ manifest: "requirements.txt", lockfile: null, integrity: false }]);
  });

  it("sees manifests elsewhere through the dependency graph, with workspace members pinned by the root lockfile", async () => {
    const findings = await collect({
      deps_root: tree("package.json", "package-lock.json"),
      [fileAlias("package.json")]: blob('{ "workspaces": ["packages/*"] }'),
      [fileAlias("package-lock.json")]: blob(PACKAGE_LOCK),
      deps_graph: {
        totalCount: 6,
        nodes: [graphNode("package.json"), graphNode("package-lock.json", 40), graphNode("packages/web/package.json"), graphNode("tools/Gemfile"), graphNode("tools/Gemfile.lock", 5), graphNode("docs/package.json", 2, { parseable: false })],
      },
    });
    const manifests = get(findings, "deps.manifests").value as { manifest: string; lockfile: string | null; integrity: boolean | null; note?: string }[];
    expect(manifests.find((m) => m.manifest === "packages/web/package.json")).toMatchObject({ lockfile: "package-lock.json", integrity: true, seenIn: "dependency-graph" });
    expect(manifests.find((m) => m.manifest === "tools/Gemfile")).toMatchObject({ lockfile: "tools/Gemfile.lock", integrity: null });
    expect(manifests.find((m) => m.manifest === "docs/package.json")).toMatchObject({ lockfile: null, integrity: null });
    expect(get(findings, "deps.dependency-graph").value).toEqual({ manifests: 6, read: 6, components: 56, unparseable: ["docs/package.json"] });
    expect(get(findings, "deps.sbom-components").value).toBe(56);
  });

  it("reports an unreadable dependency graph with the reason, keeping the root manifests", async () => {
    const findings = await collect({ deps_root: tree("go.mod", "go.sum"), [fileAlias("go.sum")]: blob("x v1 h1:a=\n"), deps_graph: null }, [{ path: ["repository", "deps_graph"], message: "timedout" }]);
    expect(get(findings, "deps.sbom-components")).toMatchObject({ value: null, error: expect.stringContaining("timedout") });
    expect(get(findings, "deps.manifests").value).toMatchObject([{ manifest: "go.mod", lockfile: "go.sum", integrity: true }]);
  });

  it("names the permission when Dependabot alerts are refused", async () => {
    const findings = await collect({ deps_alerts: null }, [{ path: ["repository", "deps_alerts"], message: "Resource not accessible by integration", type: "FORBIDDEN" }]);
    const alerts = get(findings, "deps.vulnerability-alerts");
    expect(alerts.value).toBeNull();
    expect(alerts.error).toContain("'Dependabot alerts: read'");
  });

  it("counts open alerts by severity and the overdue critical/high ones", async () => {
    const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
    const node = (severity: string, days: number) => ({ createdAt: daysAgo(days), securityVulnerability: { severity } });
    const findings = await collect({ deps_alerts: { totalCount: 5, nodes: [node("CRITICAL", 40), node("HIGH", 10), node("MODERATE", 200), node("LOW", 1), node("HIGH", 31)] } });
    expect(get(findings, "deps.vulnerability-alerts").value).toEqual({ enabled: true, open: { critical: 1, high: 2, medium: 1, low: 1 }, overdue: 2 });
    const more = await collect({ deps_alerts: { totalCount: 150, nodes: [node("LOW", 1)] } });
    expect(get(more, "deps.vulnerability-alerts").value).toMatchObject({ unclassified: 149 });
  });

  it("reads update tools: Dependabot security-only, Renovate, and a malformed file", async () => {
    const securityOnly = await collect({ [fileAlias(".github/dependabot.yml")]: blob("version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n    open-pull-requests-limit: 0\n") });
    expect(get(securityOnly, "deps.update-tool").value).toBe("none");
    expect(get(securityOnly, "deps.update-config").value).toMatchObject({ dependabot: { file: ".github/dependabot.yml", ecosystems: [] } });

    const both = await collect({
      [fileAlias(".github/renovate.json5")]: blob("{ extends: ['config:recommended'], automerge: true }"),
      [fileAlias(".github/dependabot.yaml")]: blob("version: 2\nupdates:\n  - package-ecosystem: github-actions\n    directory: /\n    schedule: { interval: daily }\n"),
    });
    expect(get(both, "deps.update-tool").value).toBe("both");
    expect(get(both, "deps.update-config").value).toEqual({
      renovate: [".github/renovate.json5"],
      dependabot: { file: ".github/dependabot.yaml", ecosystems: ["github-actions"], updates: [{ ecosystem: "github-actions", directories: ["/"], versionUpdates: true }] },
      automerge: true,
      renovateManagers: null,
      renovateRules: { ignorePaths: IGNORE_MODULES_AND_TESTS, includePaths: null, disabledManagers: [], disabledFiles: [] },
      problems: [],
    });

    const malformed = await collect({ [fileAlias(".github/dependabot.yml")]: blob("version: 2\nupdates: [\n") });
    expect(get(malformed, "deps.update-tool").value).toBe("dependabot");
    expect(get(malformed, "deps.update-config").value).toMatchObject({ dependabot: { file: ".github/dependabot.yml", ecosystems: [] }, problems: [expect.stringContaining("not valid YAML")] });
  });

  it("leaves the update tool unknown when a configuration file could not be probed", async () => {
    const findings = await collect({}, [{ path: ["repository", fileAlias("renovate.json")], message: "Something went wrong" }]);
    expect(get(findings, "deps.update-tool")).toMatchObject({ value: null, error: expect.stringContaining("renovate_json") });
  });

  it("turns a malformed answer into unreadable findings, not a crash", async () => {
    const findings = await collect({ deps_root: { entries: "nope" }, deps_graph: { totalCount: "x" }, deps_alertsEnabled: null });
    expect(get(findings, "deps.manifests").error).toContain("did not have the expected shape");
    expect(get(findings, "deps.sbom-components").error).toContain("did not have the expected shape");
    expect(get(findings, "deps.vulnerability-alerts").error).toContain("did not say");
  });
});
