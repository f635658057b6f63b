import { describe, expect, it } from "vitest";
import { codeownersCollector, PROBE_PATHS } from "../../src/collectors/codeowners.js";
import { assessRepository } from "../../src/assessment/assess-repository.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { findingSchema, type Finding } from "../../src/core/findings.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { collectContext, NOW, testClient } from "../helpers/collect.js";
import { mockRepository } from "../helpers/github-api.js";
import { schemaErrors } from "../helpers/graphql.js";
import { example } from "../helpers/openapi-examples.js";
import { mockRepositoryQuery, quietRepositoryData } from "../helpers/repository-graphql.js";

/** A Blob as the fragment asks for it. */
const blob = (text: string, overrides: Record<string, unknown> = {}) => ({ text, byteSize: text.length, isBinary: false, isTruncated: false, ...overrides });
const tree = (...names: string[]) => ({ entries: names.map((name) => ({ name, type: "blob" })) });

/** GitHub's published example of CODEOWNERS errors: the REST route and the GraphQL field carry the same fields. */
const exampleErrors = () => example<{ errors: unknown[] }>("codeowners-errors").errors;

async function collect(fields: Record<string, unknown>, repositoryErrors: { path: string[]; message: string }[] = []) {
  const findings = await codeownersCollector.collect(collectContext({ repositoryData: quietRepositoryData(fields), repositoryErrors }));
  for (const f of findings) expect(findingSchema.safeParse(f).success, f.id).toBe(true);
  return findings;
}
const byId = (findings: Finding[], id: string) => findings.find((f) => f.id === id)!;
const values = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.id, f.value]));

describe("codeownersFragment", () => {
  it("is valid against GitHub's schema, alone", () => {
    expect(schemaErrors(buildRepositoryQuery([codeownersCollector.repositoryFragment!]))).toEqual([]);
  });

  it("asks for the three locations in GitHub's order", () => {
    const text = codeownersCollector.repositoryFragment!.text;
    const order = ['"HEAD:.github/CODEOWNERS"', '"HEAD:CODEOWNERS"', '"HEAD:docs/CODEOWNERS"'].map((e) => text.indexOf(e));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe("codeownersCollector", () => {
  it("reports no file, no errors and no coverage when there is no CODEOWNERS", async () => {
    expect(values(await collect({}))).toEqual({
      "codeowners.present": false,
      "codeowners.path": null,
      "codeowners.errors": [],
      "codeowners.covers-workflows": false,
    });
  });

  it("uses the first file in GitHub's order: .github/ before the root before docs/", async () => {
    const findings = await collect({ co_root: blob("/src/ @a\n"), co_docs: blob("* @b\n"), co_workflows: tree("ci.yml") });
    expect(values(findings)["codeowners.path"]).toBe("CODEOWNERS");
    // The root file owns only /src/, and docs/CODEOWNERS is not used although it owns everything.
    expect(values(findings)["codeowners.covers-workflows"]).toBe(false);
    expect(byId(findings, "codeowners.path").url).toBe("https://github.com/octo-org/api/blob/main/CODEOWNERS");
    const first = await collect({ co_github: blob("* @a\n"), co_root: blob("/src/ @a\n") });
    expect(values(first)["codeowners.path"]).toBe(".github/CODEOWNERS");
    expect(values(first)["codeowners.covers-workflows"]).toBe(true);
  });

  it("does not take a directory named CODEOWNERS for the file", async () => {
    const findings = await collect({ co_github: {}, co_docs: blob("* @b\n") });
    expect(values(findings)["codeowners.path"]).toBe("docs/CODEOWNERS");
  });

  it("covers the workflows only when new and existing workflow files all have owners", async () => {
    const files = tree("ci.yml", "deploy.yaml", "README.md");
    expect(values(await collect({ co_github: blob("* @all\n/.github/workflows/ @octo-org/platform\n"), co_workflows: files }))["codeowners.covers-workflows"]).toBe(true);
    // Owning today's files by name leaves the next workflow without an owner.
    expect(values(await collect({ co_github: blob("/.github/workflows/ci.yml @a\n/.github/workflows/deploy.yaml @a\n"), co_workflows: files }))["codeowners.covers-workflows"]).toBe(false);
    // A later line without owners carves one existing workflow out.
    expect(values(await collect({ co_github: blob("/.github/ @a\n/.github/workflows/deploy.yaml\n"), co_workflows: files }))["codeowners.covers-workflows"]).toBe(false);
    // `*.yml` owns .yml files, but GitHub runs .yaml files too.
    expect(values(await collect({ co_github: blob("*.yml @a\n"), co_workflows: tree("ci.yml") }))["codeowners.covers-workflows"]).toBe(false);
    expect(PROBE_PATHS.some((p) => p.endsWith(".yaml"))).toBe(true);
  });

  it("reports GitHub's own errors, from the published example", async () => {
    const findings = await collect({ co_github: blob("* @a\n"), co_errors: { errors: exampleErrors() } });
    expect(values(findings)["codeowners.errors"]).toEqual([
      ".github/CODEOWNERS line 3: Invalid pattern: ***/*.rb @monalisa (Did you mean `**/*.rb`?)",
      ".github/CODEOWNERS line 7: Invalid owner: *.txt docs@",
    ]);
    expect(values(findings)["codeowners.covers-workflows"]).toBe(true);
  });

  it("does not guess coverage when it depends on a line GitHub reported", async () => {
    const errors = [{ ...(exampleErrors()[0] as object), line: 2, kind: "Unknown owner", source: "/.github/ @gone" }];
    const findings = await collect({ co_github: blob("* @a\n/.github/ @gone\n"), co_errors: { errors } });
    const covers = byId(findings, "codeowners.covers-workflows");
    expect(covers.value).toBeNull();
    expect(covers.error).toContain("line 2");
  });

  it("is unreadable, not absent, when a location was refused", async () => {
    const findings = await collect({ co_root: null }, [{ path: ["repository", "co_root"], message: "Resource not accessible by integration" }]);
    for (const f of findings) {
      expect(f.value).toBeNull();
      expect(f.error).toContain("Contents: read");
    }
  });

  it("keeps the file when only its errors were refused, and does not judge coverage without them", async () => {
    const findings = await collect({ co_github: blob("* @a\n"), co_errors: null }, [{ path: ["repository", "co_errors"], message: "Something went wrong" }]);
    expect(values(findings)["codeowners.present"]).toBe(true);
    expect(byId(findings, "codeowners.errors").error).toContain("Something went wrong");
    expect(byId(findings, "codeowners.covers-workflows").value).toBeNull();
  });

  it("does not judge coverage from a truncated file", async () => {
    const findings = await collect({ co_github: blob("* @a", { isTruncated: true, byteSize: 1_000_000 }) });
    expect(values(findings)["codeowners.present"]).toBe(true);
    expect(byId(findings, "codeowners.covers-workflows").error).toContain("truncated");
  });

  it("reports a malformed answer as unreadable", async () => {
    const findings = await collect({ co_errors: { errors: [{ line: "three" }] } });
    expect(findings).toHaveLength(4);
    for (const f of findings) expect(f.error).toMatch(/did not have the expected shape/);
  });
});

describe("codeowners in the batched repository query", () => {
  it("costs no request of its own and passes the default branch to codeowners(refName:)", async () => {
    mockRepository("octo-org", "api");
    const seen = mockRepositoryQuery(quietRepositoryData({ co_github: blob("* @octo-org/leads\n"), co_workflows: tree("ci.yml") }));
    const client = testClient();
    const assessment = await assessRepository({ client, owner: "octo-org", name: "api", config: DEFAULT_CONFIG, now: NOW, collectors: [codeownersCollector] });
    expect(seen[0]!.variables).toMatchObject({ qualifiedBranch: "refs/heads/main" });
    expect(client.counts).toMatchObject({ rest: 1, graphql: 1 });
    const found = Object.fromEntries(assessment.findings.filter((f) => f.id.startsWith("codeowners.")).map((f) => [f.id, f.value]));
    expect(found).toEqual({ "codeowners.present": true, "codeowners.path": ".github/CODEOWNERS", "codeowners.errors": [], "codeowners.covers-workflows": true });
  });
});

describe("CODEOWNERS lines and files GitHub ignores or rejects", () => {
  it("treats a file over 3 MB as owning nothing: GitHub does not load it", async () => {
    const findings = await collect({ co_github: blob("* @octo-org/core\n", { byteSize: 3 * 1024 * 1024 + 1, isTruncated: true }), co_errors: { errors: [] }, co_workflows: tree("ci.yml") });
    expect(values(findings)["codeowners.covers-workflows"]).toBe(false);
    expect(values(findings)["codeowners.errors"]).toEqual([expect.stringContaining("over the 3 MB GitHub loads")]);
  });

  it.each([
    ["a negated pattern, which GitHub does not support", "* @octo-org/core\n!.github/workflows/ @octo-org/core\n"],
    ["a character range, which GitHub does not support", "* @octo-org/core\n.github/workflows/[a-z]*.yml @octo-org/core\n"],
    ["an escaped #, which GitHub does not treat as a pattern", "* @octo-org/core\n\\#.github/ @octo-org/core\n"],
  ])("does not count on %s to own the workflows", async (_label, text) => {
    const findings = await collect({ co_github: blob("/src/ @a\n" + text.replace("* @octo-org/core\n", "")), co_errors: { errors: [] }, co_workflows: tree("ci.yml") });
    expect(values(findings)["codeowners.covers-workflows"]).not.toBe(true);
  });

  it("lets a later line with no owners un-own the workflows", async () => {
    const findings = await collect({ co_github: blob("* @octo-org/core\n/.github/workflows/\n"), co_errors: { errors: [] }, co_workflows: tree("ci.yml") });
    expect(values(findings)["codeowners.covers-workflows"]).toBe(false);
  });

  it("does not count a line GitHub reported as an error, which it skips", async () => {
    const errors = [{ line: 2, column: 20, kind: "Unknown owner", source: "/.github/workflows/ @ghost-team", suggestion: null, message: "Unknown owner", path: ".github/CODEOWNERS" }];
    const findings = await collect({ co_github: blob("/src/ @a\n/.github/workflows/ @ghost-team\n"), co_errors: { errors }, co_workflows: tree("ci.yml") });
    expect(values(findings)["codeowners.covers-workflows"]).not.toBe(true);
  });
});
