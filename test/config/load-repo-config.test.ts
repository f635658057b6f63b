import nock from "nock";
import { describe, expect, it } from "vitest";
import { loadRepoConfig, mergeConfigs, parseExtends, readConfigText } from "../../src/config/load-repo-config.js";
import { DEFAULT_CONFIG, type ConfigOutcome } from "../../src/config/repo-config.js";
import { GitHubClient } from "../../src/github/client.js";
import { API } from "../helpers/github-api.js";
import { TestOctokit } from "../helpers/probot.js";

const OWNER = "octo-org";
const RAW = { "content-type": "application/vnd.github.raw; charset=utf-8" };
const client = () => new GitHubClient(new TestOctokit({ auth: "ghs_test" }) as never);
const contents = (repo: string, path = ".github/claimcheck.yml") => nock(API).get(`/repos/${OWNER}/${repo}/contents/${encodeURIComponent(path)}`);

function problems(outcome: ConfigOutcome) {
  if (outcome.ok) throw new Error(`expected problems, got ${JSON.stringify(outcome.config)}`);
  expect(outcome.config).toEqual(DEFAULT_CONFIG);
  return outcome.problems;
}

describe("loadRepoConfig: where the settings come from", () => {
  it("uses the defaults when neither the repository nor the organisation has a file", async () => {
    contents("api").reply(404, { message: "Not Found" });
    contents(".github").reply(404, { message: "Not Found" });
    const c = client();
    expect(await loadRepoConfig(c, OWNER, "api")).toEqual({ ok: true, config: DEFAULT_CONFIG, files: [] });
    expect(c.counts.rest).toBe(2);
  });

  it("merges a chain: the repository's file over the file it extends, key by key", async () => {
    contents("api").reply(200, "_extends: .github\nthresholds:\n  requiredApprovals: 2\n", RAW);
    contents(".github").reply(200, "mode: enforce\nthresholds:\n  maxOwners: 3\n  requiredApprovals: 1\n", RAW);
    const outcome = await loadRepoConfig(client(), OWNER, "api");
    expect(outcome.ok).toBe(true);
    expect(outcome.config.mode).toBe("enforce");
    expect(outcome.config.thresholds).toMatchObject({ requiredApprovals: 2, maxOwners: 3 });
    expect(outcome.files).toEqual([`${OWNER}/api:.github/claimcheck.yml`, `${OWNER}/.github:.github/claimcheck.yml`]);
  });

  it("follows `repo:path` to another file of the organisation", async () => {
    contents("api").reply(200, "_extends: policies:claimcheck/strict.yml\n", RAW);
    contents("policies", "claimcheck/strict.yml").reply(200, "windowDays: 30\n", RAW);
    const outcome = await loadRepoConfig(client(), OWNER, "api");
    expect(outcome).toMatchObject({ ok: true, files: [`${OWNER}/api:.github/claimcheck.yml`, `${OWNER}/policies:claimcheck/strict.yml`] });
    expect(outcome.config.windowDays).toBe(30);
  });

  it("accepts the organisation's own name in `owner/repo`", async () => {
    contents("api").reply(200, `_extends: ${OWNER.toUpperCase()}/.github\n`, RAW);
    contents(".github").reply(200, "windowDays: 60\n", RAW);
    expect((await loadRepoConfig(client(), OWNER, "api")).config.windowDays).toBe(60);
  });
});

describe("loadRepoConfig: an `_extends` that cannot be followed is a problem, never dropped", () => {
  it("names a repository whose file does not exist", async () => {
    contents("api").reply(200, "_extends: policies\nmode: enforce\n", RAW);
    contents("policies").reply(404, { message: "Not Found" });
    const found = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(found).toEqual([{ path: "_extends", message: expect.stringContaining(`extends ${OWNER}/policies:.github/claimcheck.yml, which does not exist`) }]);
  });

  it("names a file GitHub refuses to give", async () => {
    contents("api").reply(200, "_extends: private-policies\n", RAW);
    contents("private-policies").reply(403, { message: "Resource not accessible by integration" });
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem!.message).toContain(`${OWNER}/private-policies:.github/claimcheck.yml could not be read: HTTP 403`);
  });

  it("names an `_extends` in the organisation's file too", async () => {
    contents("api").reply(404, { message: "Not Found" });
    contents(".github").reply(200, "_extends: gone\n", RAW);
    contents("gone").reply(404, { message: "Not Found" });
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem!.path).toBe("_extends");
  });

  it("stops a loop", async () => {
    contents("api").reply(200, "_extends: a\n", RAW);
    contents("a").reply(200, "_extends: api\n", RAW);
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem!.message).toContain("loop");
  });

  it.each([
    ["..", '".." is not a repository name'],
    ["../other-org", '".." is not a GitHub account name'],
    ["other-org/.github", "names a repository of other-org"],
    ["a/b/c", "is not a repository"],
    ["policies:../../etc/passwd.yml", '".." steps'],
    ["policies:/claimcheck.yml", 'without a leading "/"'],
    ["policies:claimcheck.json", "must be a YAML file"],
    ["policies:", "is empty"],
    ["-bad-/x", "is not a GitHub account name"],
    ["has space", "is not a repository name"],
  ])("rejects `_extends: %s` before any request is made", async (value, message: string) => {
    contents("api").reply(200, `_extends: ${JSON.stringify(value)}\n`, RAW);
    const c = client();
    const outcome = await loadRepoConfig(c, OWNER, "api");
    const [problem] = problems(outcome);
    expect(problem).toEqual({ path: "_extends", message: expect.stringContaining(message) });
    expect(c.counts.rest).toBe(1);
  });

  it.each([["_extends: 42"], ["_extends: [a, b]"], ["_extends: {repo: a}"], ["_extends: null"]])("rejects `%s`, which is not a name", async (line) => {
    contents("api").reply(200, `${line}\n`, RAW);
    const c = client();
    const [problem] = problems(await loadRepoConfig(c, OWNER, "api"));
    expect(problem!.message).toContain("must be a string");
    expect(c.counts.rest).toBe(1);
  });
});

describe("loadRepoConfig: the file's shape", () => {
  it.each([
    ["[]", "not a list"],
    ["- mode: enforce", "not a list"],
    ["42", "not a number"],
    ["enforce", "not a string"],
    ["true", "not a boolean"],
  ])("rejects a top level of `%s`", async (text, message) => {
    contents("api").reply(200, `${text}\n`, RAW);
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem).toEqual({ path: "(top level)", message: expect.stringContaining(message) });
  });

  it("rejects a top level that is not a mapping in an extended file", async () => {
    contents("api").reply(200, "_extends: .github\n", RAW);
    contents(".github").reply(200, "[]\n", RAW);
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem!.message).toContain(`${OWNER}/.github:.github/claimcheck.yml: the top level must be a mapping`);
  });

  it("treats an empty file as no settings", async () => {
    contents("api").reply(200, "# nothing yet\n", RAW);
    expect(await loadRepoConfig(client(), OWNER, "api")).toEqual({ ok: true, config: DEFAULT_CONFIG, files: [`${OWNER}/api:.github/claimcheck.yml`] });
  });

  it("refuses a file too large to be a configuration before parsing it", async () => {
    contents("api").reply(200, `# ${"x".repeat(300 * 1024)}\n`, RAW);
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem).toEqual({ path: "(file)", message: expect.stringContaining("a configuration file may be at most 262144") });
  });

  it("names invalid YAML", async () => {
    contents("api").reply(200, "mode: [enforce\n", RAW);
    const [problem] = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(problem!.message).toContain("invalid YAML");
  });
});

describe("prototype keys", () => {
  it.each([
    ["__proto__:\n  mode: enforce\n", "__proto__"],
    ["constructor:\n  prototype:\n    mode: enforce\n", "constructor"],
    ["thresholds:\n  __proto__:\n    requiredApprovals: 0\n", "thresholds.__proto__"],
    ["exceptions:\n  outsideCollaborators:\n    - prototype: x\n", "exceptions.outsideCollaborators[0].prototype"],
  ])("rejects %j wherever it is", async (text, path) => {
    contents("api").reply(200, text, RAW);
    const found = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(found.map((p) => p.path)).toContain(path);
    expect(({} as Record<string, unknown>).mode).toBeUndefined();
  });

  it("rejects them in an extended file before anything is merged", async () => {
    contents("api").reply(200, "_extends: .github\nmode: report\n", RAW);
    contents(".github").reply(200, '"__proto__": {mode: enforce}\n', RAW);
    const found = problems(await loadRepoConfig(client(), OWNER, "api"));
    expect(found[0]!.path).toBe("__proto__");
  });

  it("readConfigText keeps every other key as an own property", () => {
    expect(readConfigText("a: {b: [1, {c: 2}]}\n", "f")).toEqual({ ok: true, value: { a: { b: [1, { c: 2 }] } } });
  });

  it("mergeConfigs never lets a prototype key through, even from a caller that did not check", () => {
    const hostile = JSON.parse('{"__proto__": {"mode": "enforce"}, "thresholds": {"constructor": {"x": 1}, "maxOwners": 2}}') as Record<string, unknown>;
    const merged = mergeConfigs([{ mode: "report" }, hostile]);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(merged).toEqual({ mode: "report", thresholds: { maxOwners: 2 } });
    expect(Object.keys(merged.thresholds as object)).toEqual(["maxOwners"]);
  });
});

describe("parseExtends", () => {
  it("follows a repository whose name is digits, as GitHub allows", async () => {
    contents("api").reply(200, '_extends: "42"\n', RAW);
    contents("42").reply(200, "windowDays: 42\n", RAW);
    expect((await loadRepoConfig(client(), OWNER, "api")).config.windowDays).toBe(42);
  });

  it.each([
    [".github", { owner: OWNER, repo: ".github", path: ".github/claimcheck.yml" }],
    ["policies:shared/claimcheck.yaml", { owner: OWNER, repo: "policies", path: "shared/claimcheck.yaml" }],
    [`${OWNER}/policies`, { owner: OWNER, repo: "policies", path: ".github/claimcheck.yml" }],
  ])("reads %s", (value, location) => {
    expect(parseExtends(value, OWNER)).toEqual({ ok: true, location });
  });
});
