import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  branchProtectionCollector,
  branchRuleSchema,
  classicProtectionSchema,
  mergeProtection,
  rulesetSchema,
  type BranchRule,
  type ClassicState,
  type ProtectionValues,
  type RulesetState,
} from "../../src/collectors/branch-protection.js";
import type { CollectContext, RepoRef } from "../../src/collectors/types.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { findingSchema, type Finding } from "../../src/core/findings.js";
import { GitHubClient, GitHubReadError, type OctokitLike } from "../../src/github/client.js";
import { example } from "../helpers/openapi-examples.js";

const CLASSIC_DEPENDENT = [
  "branch-protection.pr-required",
  "branch-protection.required-approvals",
  "branch-protection.dismiss-stale-reviews",
  "branch-protection.code-owner-review",
  "branch-protection.last-push-approval",
  "branch-protection.required-checks",
  "branch-protection.force-push-blocked",
  "branch-protection.deletion-blocked",
  "branch-protection.admins-enforced",
  "branch-protection.signed-commits",
  "branch-protection.sources",
] as const;

/*
 * Every GitHub answer here starts from a real response example of GitHub's REST description
 * (@octokit/openapi) and is adapted only in the fields a case is about.
 */

const API = "https://api.github.com";
const OWNER = "octo-org";
const NAME = "api";
const NOW = new Date("2026-11-24T12:00:00Z");
const SINCE = new Date(NOW.getTime() - 90 * 86_400_000);

const CLASSIC_ROUTE = "GET /repos/{owner}/{repo}/branches/{branch}/protection";
const RULES_ROUTE = "GET /repos/{owner}/{repo}/rules/branches/{branch}";
const RULESET_ROUTE = "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}";

// Throttling and retries off (function form: the object form leaves throttling on).
const TestOctokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));

type Json = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// Example answers

/** GET .../protection: the OpenAPI `branch-protection` example, with `required_signatures` (which real answers carry). */
function classicAnswer(adapt: (p: Json) => void = () => {}): Json {
  const p = example<Json>("branch-protection");
  p.url = `${API}/repos/${OWNER}/${NAME}/branches/main/protection`;
  p.required_signatures = { url: `${p.url}/required_signatures`, enabled: false };
  adapt(p);
  return p;
}

/** One item of GET .../rules/branches/{branch}: the first `repository-rule-items` example, retyped. */
function ruleAnswer(type: string, rulesetId: number, parameters?: Json): Json {
  const [item] = example<Json[]>("repository-rule-items");
  const rule: Json = { ...item!, type, ruleset_id: rulesetId, ruleset_source: `${OWNER}/${NAME}`, ruleset_source_type: "Repository" };
  if (parameters === undefined) delete rule.parameters;
  else rule.parameters = parameters;
  return rule;
}

const prParameters = (overrides: Json = {}): Json => ({
  required_approving_review_count: 1,
  dismiss_stale_reviews_on_push: true,
  require_code_owner_review: false,
  require_last_push_approval: false,
  required_review_thread_resolution: false,
  allowed_merge_methods: ["merge", "squash", "rebase"],
  ...overrides,
});

/** GET .../rulesets/{id}: the OpenAPI `repository-ruleset` example (Team 234 may bypass), renumbered. */
function rulesetAnswer(id: number, adapt: (r: Json) => void = () => {}): Json {
  const r = example<Json>("repository-ruleset");
  r.id = id;
  r.name = `ruleset ${id}`;
  r.source = `${OWNER}/${NAME}`;
  r._links.self.href = `${API}/repos/${OWNER}/${NAME}/rulesets/${id}`;
  adapt(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Pure: mergeProtection

const NONE: ClassicState = { kind: "none" };
const present = (adapt?: (p: Json) => void): ClassicState => ({ kind: "present", protection: classicProtectionSchema.parse(classicAnswer(adapt)) });
const unreadableClassic: ClassicState = { kind: "unreadable", error: "HTTP 403: Resource not accessible by integration; the app may lack the 'Administration: read' repository permission" };
const rule = (type: string, rulesetId: number, parameters?: Json): BranchRule => branchRuleSchema.parse(ruleAnswer(type, rulesetId, parameters));
const ruleset = (id: number, adapt?: (r: Json) => void): RulesetState => ({ id, ruleset: rulesetSchema.parse(rulesetAnswer(id, adapt)) });
const noBypass = (r: Json) => {
  r.bypass_actors = [];
};

function value<K extends keyof ProtectionValues>(values: ProtectionValues, id: K): unknown {
  const entry = values[id];
  if (entry.value === null) throw new Error(`${id} is unknown: ${"error" in entry ? entry.error : ""}`);
  return entry.value;
}

function errorOf(values: ProtectionValues, id: keyof ProtectionValues): string {
  const entry = values[id];
  expect(entry.value, `${id} should be unknown`).toBeNull();
  expect("error" in entry && typeof entry.error === "string" && entry.error.length > 0, `${id} says why it is unknown`).toBe(true);
  return (entry as { error: string }).error;
}

describe("mergeProtection", () => {
  it("reads nothing as unprotected when there is neither classic protection nor a rule", () => {
    const v = mergeProtection(NONE, [], []);
    expect(v).toEqual({
      "branch-protection.pr-required": { value: false },
      "branch-protection.required-approvals": { value: 0 },
      "branch-protection.dismiss-stale-reviews": { value: false },
      "branch-protection.code-owner-review": { value: false },
      "branch-protection.last-push-approval": { value: false },
      "branch-protection.required-checks": { value: [] },
      "branch-protection.force-push-blocked": { value: false },
      "branch-protection.deletion-blocked": { value: false },
      "branch-protection.admins-enforced": { value: false },
      "branch-protection.signed-commits": { value: false },
      "branch-protection.bypass-actors": { value: [] },
      "branch-protection.sources": { value: { classic: false, rulesets: [] } },
    });
  });

  it("reads GitHub's classic protection example as it stands", () => {
    // The example: enforce_admins on, 2 approvals, stale dismissal, code owners, last-push
    // approval, travis required, force pushes and deletion allowed.
    const v = mergeProtection(present(), [], []);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(value(v, "branch-protection.required-approvals")).toBe(2);
    expect(value(v, "branch-protection.dismiss-stale-reviews")).toBe(true);
    expect(value(v, "branch-protection.code-owner-review")).toBe(true);
    expect(value(v, "branch-protection.last-push-approval")).toBe(true);
    expect(value(v, "branch-protection.required-checks")).toEqual(["continuous-integration/travis-ci"]);
    expect(value(v, "branch-protection.force-push-blocked")).toBe(false);
    expect(value(v, "branch-protection.deletion-blocked")).toBe(false);
    expect(value(v, "branch-protection.admins-enforced")).toBe(true);
    expect(value(v, "branch-protection.signed-commits")).toBe(false);
    expect(value(v, "branch-protection.bypass-actors")).toEqual([]);
    expect(value(v, "branch-protection.sources")).toEqual({ classic: true, rulesets: [] });
  });

  it("reads a missing classic field as unknown, never as off", () => {
    const v = mergeProtection(
      present((p) => {
        delete p.required_signatures;
        delete p.allow_force_pushes;
        delete p.allow_deletions;
        delete p.enforce_admins;
      }),
      [],
      [],
    );
    expect(errorOf(v, "branch-protection.signed-commits")).toContain("required_signatures");
    expect(errorOf(v, "branch-protection.force-push-blocked")).toContain("allow_force_pushes");
    expect(errorOf(v, "branch-protection.deletion-blocked")).toContain("allow_deletions");
    expect(errorOf(v, "branch-protection.admins-enforced")).toContain("enforce_admins");
    expect(value(v, "branch-protection.pr-required")).toBe(true);
  });

  it("classic protection without required_pull_request_reviews requires no pull request and no approval", () => {
    const v = mergeProtection(
      present((p) => {
        delete p.required_pull_request_reviews;
      }),
      [],
      [],
    );
    expect(value(v, "branch-protection.pr-required")).toBe(false);
    expect(value(v, "branch-protection.required-approvals")).toBe(0);
    expect(value(v, "branch-protection.dismiss-stale-reviews")).toBe(false);
    expect(value(v, "branch-protection.code-owner-review")).toBe(false);
    expect(value(v, "branch-protection.last-push-approval")).toBe(false);
    expect(value(v, "branch-protection.admins-enforced")).toBe(true);
  });

  it("classic protection with enforce_admins false leaves administrators exempt", () => {
    const v = mergeProtection(
      present((p) => {
        p.enforce_admins.enabled = false;
      }),
      [],
      [],
    );
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
  });

  it("an active ruleset without bypass actors does not make up for classic protection that exempts administrators", () => {
    const v = mergeProtection(
      present((p) => {
        p.enforce_admins.enabled = false;
      }),
      [rule("deletion", 42)],
      [ruleset(42, noBypass)],
    );
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
  });

  it("ruleset-only protection without bypass actors requires a pull request of everyone", () => {
    const v = mergeProtection(NONE, [rule("pull_request", 42, prParameters()), rule("non_fast_forward", 42), rule("deletion", 42)], [ruleset(42, noBypass)]);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(value(v, "branch-protection.admins-enforced")).toBe(true);
    expect(value(v, "branch-protection.required-approvals")).toBe(1);
    expect(value(v, "branch-protection.dismiss-stale-reviews")).toBe(true);
    expect(value(v, "branch-protection.code-owner-review")).toBe(false);
    expect(value(v, "branch-protection.last-push-approval")).toBe(false);
    expect(value(v, "branch-protection.force-push-blocked")).toBe(true);
    expect(value(v, "branch-protection.deletion-blocked")).toBe(true);
    expect(value(v, "branch-protection.signed-commits")).toBe(false);
    expect(value(v, "branch-protection.bypass-actors")).toEqual([]);
    expect(value(v, "branch-protection.sources")).toEqual({ classic: false, rulesets: [{ id: 42, name: "ruleset 42", source: `${OWNER}/${NAME}`, enforcement: "active" }] });
  });

  it("lists a ruleset's bypass actors and then does not call the rules enforced on administrators", () => {
    const v = mergeProtection(NONE, [rule("pull_request", 42, prParameters())], [
      ruleset(42, (r) => {
        r.bypass_actors.push({ actor_id: null, actor_type: "OrganizationAdmin" });
      }),
    ]);
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
    expect(value(v, "branch-protection.bypass-actors")).toEqual([
      { ruleset: "ruleset 42", actorType: "Team", actorId: 234, bypassMode: "always" },
      { ruleset: "ruleset 42", actorType: "OrganizationAdmin", actorId: null, bypassMode: "always" },
    ]);
  });

  it("bypass actors of one ruleset make admins-enforced false even when classic protection enforces it", () => {
    const v = mergeProtection(present(), [rule("required_signatures", 7)], [ruleset(7)]);
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
    expect(value(v, "branch-protection.signed-commits")).toBe(true);
  });

  it.each(["evaluate", "disabled"])("does not count the rules of a ruleset in %s mode, nor its bypass actors", (enforcement) => {
    const rules = [rule("pull_request", 42, prParameters({ required_approving_review_count: 3 })), rule("non_fast_forward", 42), rule("deletion", 42), rule("required_status_checks", 42, { required_status_checks: [{ context: "test" }], strict_required_status_checks_policy: true })];
    const v = mergeProtection(NONE, rules, [
      ruleset(42, (r) => {
        r.enforcement = enforcement;
        r.bypass_actors = [];
      }),
    ]);
    expect(value(v, "branch-protection.pr-required")).toBe(false);
    expect(value(v, "branch-protection.required-approvals")).toBe(0);
    expect(value(v, "branch-protection.force-push-blocked")).toBe(false);
    expect(value(v, "branch-protection.deletion-blocked")).toBe(false);
    expect(value(v, "branch-protection.required-checks")).toEqual([]);
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
    expect(value(v, "branch-protection.sources")).toEqual({ classic: false, rulesets: [] });

    // Beside classic protection that enforces admins, its bypass actors do not count either.
    const withClassic = mergeProtection(present(), rules, [ruleset(42, (r) => (r.enforcement = enforcement))]);
    expect(value(withClassic, "branch-protection.admins-enforced")).toBe(true);
    expect(value(withClassic, "branch-protection.bypass-actors")).toEqual([]);
    expect(value(withClassic, "branch-protection.required-approvals")).toBe(2);
  });

  it("counts an active ruleset beside one in evaluate mode", () => {
    const v = mergeProtection(NONE, [rule("pull_request", 1, prParameters()), rule("deletion", 2)], [ruleset(1, (r) => (r.enforcement = "evaluate")), ruleset(2, noBypass)]);
    expect(value(v, "branch-protection.pr-required")).toBe(false);
    expect(value(v, "branch-protection.deletion-blocked")).toBe(true);
    expect(value(v, "branch-protection.admins-enforced")).toBe(true);
    expect(value(v, "branch-protection.sources")).toEqual({ classic: false, rulesets: [{ id: 2, name: "ruleset 2", source: `${OWNER}/${NAME}`, enforcement: "active" }] });
  });

  it("a ruleset whose bypass actors GitHub did not disclose leaves admins-enforced unknown, never true", () => {
    const v = mergeProtection(NONE, [rule("pull_request", 42, prParameters()), rule("non_fast_forward", 42)], [
      ruleset(42, (r) => {
        delete r.bypass_actors;
      }),
    ]);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(errorOf(v, "branch-protection.admins-enforced")).toMatch(/ruleset 42.*bypass actors/);
    expect(errorOf(v, "branch-protection.bypass-actors")).toMatch(/bypass actors/);
  });

  it("an undisclosed ruleset does not hide classic protection that exempts administrators", () => {
    const v = mergeProtection(present((p) => (p.enforce_admins.enabled = false)), [rule("deletion", 42)], [ruleset(42, (r) => delete r.bypass_actors)]);
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
  });

  it("a ruleset that could not be read leaves admins-enforced and bypass-actors unknown, but its rules still count", () => {
    const v = mergeProtection(NONE, [rule("pull_request", 42, prParameters()), rule("deletion", 42)], [{ id: 42, ruleset: null, error: "HTTP 404: Not Found" }]);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(value(v, "branch-protection.deletion-blocked")).toBe(true);
    expect(errorOf(v, "branch-protection.admins-enforced")).toContain("HTTP 404: Not Found");
    expect(errorOf(v, "branch-protection.bypass-actors")).toContain("ruleset 42");
  });

  it("a rule from a ruleset whose details were never asked for is not taken as enforced on administrators", () => {
    const v = mergeProtection(NONE, [rule("deletion", 99)], []);
    expect(value(v, "branch-protection.deletion-blocked")).toBe(true);
    expect(errorOf(v, "branch-protection.admins-enforced")).toContain("ruleset 99");
  });

  it("unreadable classic protection leaves every finding it could settle unknown, not false", () => {
    const v = mergeProtection(unreadableClassic, [], []);
    for (const id of CLASSIC_DEPENDENT) {
      expect(errorOf(v, id)).toContain("Administration");
    }
  });

  it("with classic protection unreadable, what a ruleset enforces is still known and nothing is called off", () => {
    const v = mergeProtection(unreadableClassic, [rule("pull_request", 42, prParameters({ required_approving_review_count: 2 })), rule("non_fast_forward", 42)], [ruleset(42, noBypass)]);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(value(v, "branch-protection.required-approvals")).toBe(2);
    expect(value(v, "branch-protection.force-push-blocked")).toBe(true);
    expect(value(v, "branch-protection.dismiss-stale-reviews")).toBe(true);
    // Classic protection might exempt administrators: unknown, not true.
    expect(errorOf(v, "branch-protection.admins-enforced")).toContain("Administration");
    expect(errorOf(v, "branch-protection.deletion-blocked")).toContain("Administration");
    expect(errorOf(v, "branch-protection.code-owner-review")).toContain("Administration");
  });

  it("merges required checks from classic contexts, classic checks and ruleset rules, deduplicated and sorted", () => {
    const classic = present((p) => {
      p.required_status_checks.contexts = ["lint", "continuous-integration/travis-ci"];
      p.required_status_checks.checks = [
        { context: "lint", app_id: 15368 },
        { context: "build", app_id: null },
      ];
    });
    const rules = [
      rule("required_status_checks", 42, { required_status_checks: [{ context: "test", integration_id: 15368 }, { context: "build" }], strict_required_status_checks_policy: false }),
      rule("required_status_checks", 73, { required_status_checks: [{ context: "Analyze (javascript)" }, { context: "lint" }], strict_required_status_checks_policy: true }),
    ];
    const v = mergeProtection(classic, rules, [ruleset(42, noBypass), ruleset(73, noBypass)]);
    expect(value(v, "branch-protection.required-checks")).toEqual(["Analyze (javascript)", "build", "continuous-integration/travis-ci", "lint", "test"]);
  });

  it("takes the stricter of classic and ruleset review settings", () => {
    const classic = present((p) => {
      p.required_pull_request_reviews.required_approving_review_count = 1;
      p.required_pull_request_reviews.dismiss_stale_reviews = false;
      p.required_pull_request_reviews.require_code_owner_reviews = false;
      p.required_pull_request_reviews.require_last_push_approval = false;
    });
    const v = mergeProtection(classic, [rule("pull_request", 42, prParameters({ required_approving_review_count: 3, require_last_push_approval: true, dismiss_stale_reviews_on_push: false }))], [ruleset(42, noBypass)]);
    expect(value(v, "branch-protection.required-approvals")).toBe(3);
    expect(value(v, "branch-protection.last-push-approval")).toBe(true);
    expect(value(v, "branch-protection.dismiss-stale-reviews")).toBe(false);
    expect(value(v, "branch-protection.code-owner-review")).toBe(false);

    const v2 = mergeProtection(present(), [rule("pull_request", 42, prParameters({ required_approving_review_count: 1 }))], [ruleset(42, noBypass)]);
    expect(value(v2, "branch-protection.required-approvals")).toBe(2);
  });

  it("classic protection's pull request bypass allowances are bypass actors, so admins-enforced is not true", () => {
    const classic = present((p) => {
      const user = example<Json>("branch-protection").required_pull_request_reviews.dismissal_restrictions.users[0];
      p.required_pull_request_reviews.bypass_pull_request_allowances = { users: [user], teams: [], apps: [] };
    });
    const v = mergeProtection(classic, [], []);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(value(v, "branch-protection.admins-enforced")).toBe(false);
    expect(value(v, "branch-protection.bypass-actors")).toEqual([{ ruleset: "classic branch protection", actorType: "User", actorId: 1, bypassMode: "always" }]);

    // Empty allowances let nobody through.
    const empty = mergeProtection(
      present((p) => {
        p.required_pull_request_reviews.bypass_pull_request_allowances = { users: [], teams: [], apps: [] };
      }),
      [],
      [],
    );
    expect(value(empty, "branch-protection.admins-enforced")).toBe(true);
    expect(value(empty, "branch-protection.bypass-actors")).toEqual([]);
  });

  it("a ruleset rule with parameters of an unexpected shape turns weak answers into unknowns, not gaps", () => {
    const v = mergeProtection(NONE, [rule("pull_request", 42, { required_approving_review_count: "two" })], [ruleset(42, noBypass)]);
    expect(value(v, "branch-protection.pr-required")).toBe(true);
    expect(errorOf(v, "branch-protection.required-approvals")).toContain("unexpected shape");
    expect(errorOf(v, "branch-protection.dismiss-stale-reviews")).toContain("unexpected shape");
    expect(errorOf(v, "branch-protection.force-push-blocked")).toContain("unexpected shape");

    // A required-status-checks rule we cannot read may well require a check: not "none required".
    const checks = mergeProtection(NONE, [rule("required_status_checks", 42, { checks: ["test"] })], [ruleset(42, noBypass)]);
    expect(errorOf(checks, "branch-protection.required-checks")).toContain("unexpected shape");
  });
});

// ---------------------------------------------------------------------------------------------
// Through GitHub (nock): branchProtectionCollector.collect

type Mocked = { requests: string[]; unmatched: string[] };
let mocked: Mocked;
const onNoMatch = (req: { method?: string; path?: string; options?: { method?: string; path?: string } }) => {
  mocked.unmatched.push(`${req.method ?? req.options?.method} ${req.path ?? req.options?.path}`);
};

beforeEach(() => {
  mocked = { requests: [], unmatched: [] };
  nock.emitter.on("no match", onNoMatch);
});

afterEach(() => {
  nock.emitter.removeListener("no match", onNoMatch);
});

function github(): nock.Scope {
  const scope = nock(API).matchHeader("authorization", /test-token/);
  scope.on("request", (req: { method: string; path: string }) => mocked.requests.push(`${req.method} ${req.path}`));
  return scope;
}

function repoRef(overrides: Partial<RepoRef> = {}): RepoRef {
  return {
    id: 1296269,
    owner: OWNER,
    name: NAME,
    fullName: `${OWNER}/${NAME}`,
    defaultBranch: "main",
    htmlUrl: `https://github.com/${OWNER}/${NAME}`,
    archived: false,
    fork: false,
    visibility: "private",
    securityAndAnalysis: null,
    ...overrides,
  };
}

function newClient(): GitHubClient {
  const octokit = new TestOctokit({ auth: { token: "test-token" } } as never);
  return new GitHubClient(octokit as unknown as OctokitLike);
}

function context(client: GitHubClient, repo: RepoRef = repoRef()): CollectContext {
  return { client, repo, config: DEFAULT_CONFIG, now: NOW, since: SINCE, repositoryData: null, repositoryErrors: [] };
}

function mockClassic(status: number, body: unknown, branch = "main"): void {
  github().get(`/repos/${OWNER}/${NAME}/branches/${branch}/protection`).reply(status, body as nock.Body);
}

function mockRules(status: number, body: unknown, { branch = "main", page = 1 } = {}): void {
  github().get(`/repos/${OWNER}/${NAME}/rules/branches/${branch}`).query({ per_page: "100", page: String(page) }).reply(status, body as nock.Body);
}

function mockRuleset(id: number, status: number, body: unknown): void {
  github().get(`/repos/${OWNER}/${NAME}/rulesets/${id}`).reply(status, body as nock.Body);
}

const notProtected = { message: "Branch not protected", documentation_url: "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", status: "404" };

/** Runs the collector, checks the bookkeeping every case shares, and returns the findings by id. */
async function collect(expectedRequests: number, repo?: RepoRef): Promise<Map<string, Finding>> {
  const client = newClient();
  const findings = await branchProtectionCollector.collect(context(client, repo));
  expect(mocked.unmatched).toEqual([]);
  expect(nock.pendingMocks()).toEqual([]);
  expect(nock.isDone()).toBe(true);
  expect(mocked.requests).toHaveLength(expectedRequests);
  expect(client.counts).toEqual({ rest: expectedRequests, graphql: 0, graphqlCost: 0 });
  // The collector's promise: each id it produces comes back exactly once, valid against the catalogue.
  expect(findings.map((f) => f.id)).toEqual([...branchProtectionCollector.produces]);
  for (const finding of findings) {
    const parsed = findingSchema.safeParse(finding);
    expect(parsed.success, `${finding.id}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    expect(finding.repo).toBe(`${OWNER}/${NAME}`);
    expect(finding.observedAt).toBe(NOW.toISOString());
  }
  return new Map(findings.map((f) => [f.id, f]));
}

function known(findings: Map<string, Finding>, id: string): unknown {
  const f = findings.get(id);
  expect(f, id).toBeDefined();
  expect(f!.error, `${id} should be known`).toBeUndefined();
  expect(f!.value, `${id} should have a value`).not.toBeNull();
  return f!.value;
}

function unknownWith(findings: Map<string, Finding>, id: string): string {
  const f = findings.get(id);
  expect(f, id).toBeDefined();
  expect(f!.value, `${id} should be unknown`).toBeNull();
  expect(typeof f!.error, `${id} says why`).toBe("string");
  return f!.error!;
}


describe("branchProtectionCollector", () => {
  it("reads 404 on classic protection and no rules as an unprotected branch", async () => {
    mockClassic(404, notProtected);
    mockRules(200, []);
    const f = await collect(2);
    expect(known(f, "branch-protection.pr-required")).toBe(false);
    expect(known(f, "branch-protection.admins-enforced")).toBe(false);
    expect(known(f, "branch-protection.force-push-blocked")).toBe(false);
    expect(known(f, "branch-protection.deletion-blocked")).toBe(false);
    expect(known(f, "branch-protection.required-approvals")).toBe(0);
    expect(known(f, "branch-protection.required-checks")).toEqual([]);
    expect(known(f, "branch-protection.sources")).toEqual({ classic: false, rulesets: [] });
    const any = f.get("branch-protection.pr-required")!;
    expect(any.url).toBe(`https://github.com/${OWNER}/${NAME}/settings/branches`);
    expect(any.source).toBe(`${CLASSIC_ROUTE} + ${RULES_ROUTE}`);
  });

  it("reads classic protection with enforce_admins on and required reviews", async () => {
    mockClassic(
      200,
      classicAnswer((p) => {
        p.allow_force_pushes.enabled = false;
        p.allow_deletions.enabled = false;
        p.required_signatures.enabled = true;
      }),
    );
    mockRules(200, []);
    const f = await collect(2);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
    expect(known(f, "branch-protection.admins-enforced")).toBe(true);
    expect(known(f, "branch-protection.required-approvals")).toBe(2);
    expect(known(f, "branch-protection.dismiss-stale-reviews")).toBe(true);
    expect(known(f, "branch-protection.code-owner-review")).toBe(true);
    expect(known(f, "branch-protection.last-push-approval")).toBe(true);
    expect(known(f, "branch-protection.required-checks")).toEqual(["continuous-integration/travis-ci"]);
    expect(known(f, "branch-protection.force-push-blocked")).toBe(true);
    expect(known(f, "branch-protection.deletion-blocked")).toBe(true);
    expect(known(f, "branch-protection.signed-commits")).toBe(true);
    expect(known(f, "branch-protection.bypass-actors")).toEqual([]);
    expect(known(f, "branch-protection.sources")).toEqual({ classic: true, rulesets: [] });
  });

  it("reads the repository's own default branch, not a fixed name", async () => {
    mockClassic(200, classicAnswer(), "trunk");
    mockRules(200, [], { branch: "trunk" });
    const f = await collect(2, repoRef({ defaultBranch: "trunk" }));
    expect(known(f, "branch-protection.pr-required")).toBe(true);
  });

  it("reads protection without required_pull_request_reviews as no pull request and no approval required", async () => {
    mockClassic(
      200,
      classicAnswer((p) => {
        delete p.required_pull_request_reviews;
      }),
    );
    mockRules(200, []);
    const f = await collect(2);
    expect(known(f, "branch-protection.pr-required")).toBe(false);
    expect(known(f, "branch-protection.required-approvals")).toBe(0);
    expect(known(f, "branch-protection.dismiss-stale-reviews")).toBe(false);
    expect(known(f, "branch-protection.admins-enforced")).toBe(true);
    expect(known(f, "branch-protection.required-checks")).toEqual(["continuous-integration/travis-ci"]);
  });

  it("reads ruleset-only protection: pull request, no force push, no deletion, nobody to bypass", async () => {
    mockClassic(404, notProtected);
    mockRules(200, [ruleAnswer("pull_request", 42, prParameters()), ruleAnswer("non_fast_forward", 42), ruleAnswer("deletion", 42)]);
    mockRuleset(42, 200, rulesetAnswer(42, noBypass));
    const f = await collect(3);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
    expect(known(f, "branch-protection.admins-enforced")).toBe(true);
    expect(known(f, "branch-protection.required-approvals")).toBe(1);
    expect(known(f, "branch-protection.force-push-blocked")).toBe(true);
    expect(known(f, "branch-protection.deletion-blocked")).toBe(true);
    expect(known(f, "branch-protection.bypass-actors")).toEqual([]);
    expect(known(f, "branch-protection.sources")).toEqual({ classic: false, rulesets: [{ id: 42, name: "ruleset 42", source: `${OWNER}/${NAME}`, enforcement: "active" }] });
    const any = f.get("branch-protection.pr-required")!;
    expect(any.url).toBe(`https://github.com/${OWNER}/${NAME}/rules`);
    expect(any.source).toBe(`${CLASSIC_ROUTE} + ${RULES_ROUTE} + ${RULESET_ROUTE}`);
  });

  it("lists a ruleset's bypass actors and does not call the rules enforced on administrators", async () => {
    mockClassic(404, notProtected);
    mockRules(200, [ruleAnswer("pull_request", 42, prParameters()), ruleAnswer("non_fast_forward", 42)]);
    mockRuleset(
      42,
      200,
      rulesetAnswer(42, (r) => {
        r.bypass_actors.push({ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "pull_request" });
      }),
    );
    const f = await collect(3);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
    expect(known(f, "branch-protection.admins-enforced")).toBe(false);
    expect(known(f, "branch-protection.bypass-actors")).toEqual([
      { ruleset: "ruleset 42", actorType: "Team", actorId: 234, bypassMode: "always" },
      { ruleset: "ruleset 42", actorType: "RepositoryRole", actorId: 5, bypassMode: "pull_request" },
    ]);
  });

  it("does not count the rules of a ruleset in evaluate mode, even when the rules endpoint returned them", async () => {
    mockClassic(404, notProtected);
    mockRules(200, [ruleAnswer("pull_request", 42, prParameters({ required_approving_review_count: 2 })), ruleAnswer("non_fast_forward", 42), ruleAnswer("deletion", 42)]);
    mockRuleset(
      42,
      200,
      rulesetAnswer(42, (r) => {
        r.enforcement = "evaluate";
        r.bypass_actors = [];
      }),
    );
    const f = await collect(3);
    expect(known(f, "branch-protection.pr-required")).toBe(false);
    expect(known(f, "branch-protection.required-approvals")).toBe(0);
    expect(known(f, "branch-protection.force-push-blocked")).toBe(false);
    expect(known(f, "branch-protection.deletion-blocked")).toBe(false);
    expect(known(f, "branch-protection.admins-enforced")).toBe(false);
    expect(known(f, "branch-protection.sources")).toEqual({ classic: false, rulesets: [] });
  });

  it("leaves admins-enforced unknown, never true, when GitHub withholds a ruleset's bypass actors", async () => {
    mockClassic(404, notProtected);
    mockRules(200, [ruleAnswer("pull_request", 42, prParameters()), ruleAnswer("non_fast_forward", 42), ruleAnswer("deletion", 42)]);
    mockRuleset(
      42,
      200,
      rulesetAnswer(42, (r) => {
        delete r.bypass_actors;
      }),
    );
    const f = await collect(3);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
    expect(unknownWith(f, "branch-protection.admins-enforced")).toContain("bypass actors");
    expect(unknownWith(f, "branch-protection.bypass-actors")).toContain("bypass actors");
  });

  it("leaves admins-enforced unknown when a ruleset's details cannot be read", async () => {
    mockClassic(404, notProtected);
    mockRules(200, [ruleAnswer("pull_request", 42, prParameters())]);
    mockRuleset(42, 403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/repos/rules#get-a-repository-ruleset", status: "403" });
    const f = await collect(3);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
    const error = unknownWith(f, "branch-protection.admins-enforced");
    expect(error).toContain("ruleset 42");
    expect(error).toContain("Administration");
    unknownWith(f, "branch-protection.bypass-actors");
  });

  it("lists the users, teams and apps classic protection lets push without a pull request", async () => {
    mockClassic(
      200,
      classicAnswer((p) => {
        // The example's dismissal restrictions (user octocat #1, team #1, app #1) as bypass allowances.
        const { users, teams, apps } = p.required_pull_request_reviews.dismissal_restrictions;
        p.required_pull_request_reviews.bypass_pull_request_allowances = { users, teams: teams.map((t: Json) => ({ ...t, id: 26 })), apps: apps.map((a: Json) => ({ ...a, id: 29110 })) };
      }),
    );
    mockRules(200, []);
    const f = await collect(2);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
    expect(known(f, "branch-protection.admins-enforced")).toBe(false);
    expect(known(f, "branch-protection.bypass-actors")).toEqual([
      { ruleset: "classic branch protection", actorType: "User", actorId: 1, bypassMode: "always" },
      { ruleset: "classic branch protection", actorType: "Team", actorId: 26, bypassMode: "always" },
      { ruleset: "classic branch protection", actorType: "Integration", actorId: 29110, bypassMode: "always" },
    ]);
  });

  it("reads classic protection with enforce_admins false as administrators exempt", async () => {
    mockClassic(
      200,
      classicAnswer((p) => {
        p.enforce_admins.enabled = false;
      }),
    );
    mockRules(200, []);
    const f = await collect(2);
    expect(known(f, "branch-protection.admins-enforced")).toBe(false);
    expect(known(f, "branch-protection.pr-required")).toBe(true);
  });

  it("reports classic findings unknown with the Administration permission when the app may not read protection", async () => {
    mockClassic(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", status: "403" });
    mockRules(200, []);
    const f = await collect(2);
    for (const id of CLASSIC_DEPENDENT) {
      const error = unknownWith(f, id);
      expect(error).toContain("Administration");
      expect(error).toContain("403");
    }
  });

  it("reads 403 'Upgrade to GitHub Pro' as no classic protection", async () => {
    mockClassic(403, { message: "Upgrade to GitHub Pro or make this repository public to enable this feature.", documentation_url: "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", status: "403" });
    mockRules(200, []);
    const f = await collect(2);
    for (const id of CLASSIC_DEPENDENT) known(f, id);
    expect(known(f, "branch-protection.pr-required")).toBe(false);
    expect(known(f, "branch-protection.admins-enforced")).toBe(false);
    expect(known(f, "branch-protection.force-push-blocked")).toBe(false);
    expect(known(f, "branch-protection.sources")).toEqual({ classic: false, rulesets: [] });
  });

  it("reports classic findings unknown when GitHub fails on classic protection", async () => {
    mockClassic(502, { message: "Server Error" });
    mockRules(200, []);
    const f = await collect(2);
    for (const id of CLASSIC_DEPENDENT) expect(unknownWith(f, id)).toContain("502");
  });

  it("throws when the rules endpoint fails, so the pipeline reports every finding unreadable", async () => {
    mockClassic(200, classicAnswer());
    mockRules(500, { message: "Server Error" });
    const client = newClient();
    const failure = await branchProtectionCollector.collect(context(client)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GitHubReadError);
    expect((failure as GitHubReadError).status).toBe(500);
    expect((failure as GitHubReadError).route).toBe(RULES_ROUTE);
    expect(mocked.unmatched).toEqual([]);
    expect(nock.isDone()).toBe(true);
    expect(mocked.requests).toHaveLength(2);
    expect(client.counts.rest).toBe(2);
  });

  it("merges required checks from classic contexts and checks and a ruleset rule, deduplicated and sorted", async () => {
    mockClassic(
      200,
      classicAnswer((p) => {
        p.required_status_checks.contexts = ["lint", "continuous-integration/travis-ci"];
        p.required_status_checks.checks = [
          { context: "lint", app_id: 15368 },
          { context: "build", app_id: null },
        ];
      }),
    );
    mockRules(200, [ruleAnswer("required_status_checks", 42, { required_status_checks: [{ context: "test", integration_id: 15368 }, { context: "build" }, { context: "Analyze" }], strict_required_status_checks_policy: true })]);
    mockRuleset(42, 200, rulesetAnswer(42, noBypass));
    const f = await collect(3);
    expect(known(f, "branch-protection.required-checks")).toEqual(["Analyze", "build", "continuous-integration/travis-ci", "lint", "test"]);
  });

  it("pages through more than 100 rules and reads each applying ruleset once", async () => {
    mockClassic(404, notProtected);
    const page1 = Array.from({ length: 100 }, (_, i) => ruleAnswer("required_status_checks", i % 2 === 0 ? 1 : 2, { required_status_checks: [{ context: `check-${String(i).padStart(3, "0")}` }], strict_required_status_checks_policy: false }));
    mockRules(200, page1, { page: 1 });
    mockRules(200, [ruleAnswer("deletion", 3)], { page: 2 });
    mockRuleset(1, 200, rulesetAnswer(1, noBypass));
    mockRuleset(2, 200, rulesetAnswer(2, noBypass));
    mockRuleset(3, 200, rulesetAnswer(3, noBypass));
    const f = await collect(6);
    expect(known(f, "branch-protection.required-checks")).toHaveLength(100);
    expect(known(f, "branch-protection.deletion-blocked")).toBe(true);
    expect(known(f, "branch-protection.admins-enforced")).toBe(true);
    expect((known(f, "branch-protection.sources") as { rulesets: { id: number }[] }).rulesets.map((r) => r.id)).toEqual([1, 2, 3]);
  });
});
