import type { Model, Repo } from "./model.js";
import type { ProtectionSpec, RulesetSpec } from "./scenario.js";
import { DELIVERY_ROUTES } from "./deliveries.js";
import { workflowList } from "./actions-workflows.js";

/*
 * The REST routes claimcheck uses, answered from the model in GitHub's shapes. A route is one
 * line in ROUTES: the OpenAPI path template, and a handler from its parameters to an answer.
 * Unknown routes answer 404 and are counted, so a new request shows up in the simulator's stats.
 */

export type RestRequest = { method: string; params: Record<string, string>; query: URLSearchParams; body: unknown; headers: Record<string, string | string[] | undefined>; origin: string; path: string };
export type RestAnswer = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string; contentCreation?: boolean };
type Handler = (model: Model, req: RestRequest) => RestAnswer;
export type Route = { method: string; template: string; handler: Handler; regex: RegExp; names: string[] };

const notFound = (message = "Not Found"): RestAnswer => ({ status: 404, body: { message, documentation_url: "https://docs.github.com/rest", status: "404" } });

function repoOf(model: Model, params: Record<string, string>): Repo | undefined {
  if (params.owner?.toLowerCase() !== model.org.login.toLowerCase()) return undefined;
  return model.repos.get((params.repo ?? "").toLowerCase());
}

const withRepo = (handler: (model: Model, repo: Repo, req: RestRequest) => RestAnswer): Handler => (model, req) => {
  const repo = repoOf(model, req.params);
  return repo ? handler(model, repo, req) : notFound();
};

/** A page of `items` with GitHub's Link header (per_page at most 100). */
export function paginate(items: readonly unknown[], req: RestRequest, wrap: (page: unknown[]) => unknown = (p) => p): RestAnswer {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(req.query);
    q.set("page", String(p));
    q.set("per_page", String(perPage));
    return `<${req.origin}${req.path}?${q}>; rel="${rel}"`;
  };
  const rels = [...(page < last ? [link(page + 1, "next"), link(last, "last")] : []), ...(page > 1 ? [link(1, "first"), link(page - 1, "prev")] : [])];
  return { status: 200, body: wrap(items.slice((page - 1) * perPage, page * perPage)), headers: rels.length ? { link: rels.join(", ") } : {} };
}

function owner(model: Model) {
  return { login: model.org.login, id: model.org.id, type: "Organization", site_admin: false, html_url: `https://github.com/${model.org.login}` };
}

export function repositoryJson(model: Model, repo: Repo) {
  const s = repo.spec;
  const html = `https://github.com/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: s.name,
    full_name: repo.fullName,
    owner: owner(model),
    private: s.visibility !== "public",
    visibility: s.visibility,
    html_url: html,
    url: `https://api.github.com/repos/${repo.fullName}`,
    fork: s.fork,
    archived: s.archived,
    disabled: false,
    default_branch: s.defaultBranch,
    created_at: "2020-01-01T00:00:00Z",
    pushed_at: repo.history[0]!.committedDate.toISOString(),
    updated_at: repo.history[0]!.committedDate.toISOString(),
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    security_and_analysis: {
      secret_scanning: { status: s.secretScanning ? "enabled" : "disabled" },
      secret_scanning_push_protection: { status: s.secretScanning ? "enabled" : "disabled" },
      dependabot_security_updates: { status: s.vulnerabilityAlerts ? "enabled" : "disabled" },
    },
  };
}

function protectionJson(repo: Repo, p: ProtectionSpec) {
  const base = `https://api.github.com/repos/${repo.fullName}/branches/${repo.spec.defaultBranch}/protection`;
  const flag = (enabled: boolean, path: string) => ({ url: `${base}/${path}`, enabled });
  return {
    url: base,
    required_status_checks: p.requiredChecks.length ? { url: `${base}/required_status_checks`, strict: true, contexts: p.requiredChecks, checks: p.requiredChecks.map((context) => ({ context, app_id: null })) } : undefined,
    enforce_admins: flag(p.enforceAdmins, "enforce_admins"),
    required_pull_request_reviews: p.pullRequests
      ? {
          url: `${base}/required_pull_request_reviews`,
          dismiss_stale_reviews: p.dismissStaleReviews,
          require_code_owner_reviews: p.codeOwnerReviews,
          required_approving_review_count: p.requiredApprovals,
          require_last_push_approval: p.lastPushApproval,
        }
      : undefined,
    required_signatures: flag(p.requiredSignatures, "required_signatures"),
    allow_force_pushes: { enabled: p.allowForcePushes },
    allow_deletions: { enabled: p.allowDeletions },
    required_linear_history: { enabled: false },
    required_conversation_resolution: { enabled: false },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  };
}

/** Rulesets that apply to the repository's default branch, with their ids and source. */
function applyingRulesets(model: Model, repo: Repo): { id: number; spec: RulesetSpec; source: string; sourceType: string }[] {
  return [
    ...[...repo.rulesetIds].map(([id, spec]) => ({ id, spec, source: repo.fullName, sourceType: "Repository" })),
    ...[...model.orgRulesets].map(([id, spec]) => ({ id, spec, source: model.org.login, sourceType: "Organization" })),
  ];
}

function rulesetJson(r: { id: number; spec: RulesetSpec; source: string; sourceType: string }) {
  return {
    id: r.id,
    name: r.spec.name,
    target: "branch",
    source_type: r.sourceType,
    source: r.source,
    enforcement: r.spec.enforcement,
    conditions: { ref_name: { include: ["~DEFAULT_BRANCH"], exclude: [] } },
    rules: r.spec.rules.map((rule) => ({ type: rule.type, ...(rule.parameters ? { parameters: rule.parameters } : {}) })),
    bypass_actors: r.spec.bypassActors,
    node_id: `RRS_${r.id}`,
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
  };
}

function orgJson(model: Model) {
  const login = model.org.login;
  return {
    login,
    id: model.org.id,
    node_id: `O_${model.org.id}`,
    url: `https://api.github.com/orgs/${login}`,
    html_url: `https://github.com/${login}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${model.org.id}`,
    description: null,
    type: "Organization",
    created_at: "2020-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    public_repos: model.repoList.filter((r) => r.spec.visibility === "public").length,
    total_private_repos: model.repoList.filter((r) => r.spec.visibility !== "public").length,
    plan: { name: "team", space: 976562499, private_repos: 999999 },
    default_repository_permission: "read",
    two_factor_requirement_enabled: false,
    members_can_create_repositories: true,
    ...model.org.settings,
  };
}

const installationJson = (model: Model) => ({
  id: model.scenario.installation.id,
  account: owner(model),
  app_id: model.scenario.installation.appId,
  app_slug: model.scenario.installation.appSlug,
  target_type: "Organization",
  target_id: model.org.id,
  repository_selection: "all",
  permissions: { administration: "read", checks: "write", contents: "read", metadata: "read", pull_requests: "read", members: "read", issues: "write" },
  events: ["pull_request", "check_suite", "check_run", "installation", "branch_protection_rule", "repository_ruleset"],
  created_at: "2024-01-01T00:00:00Z",
  updated_at: "2024-01-01T00:00:00Z",
});

function contents(model: Model, repo: Repo, req: RestRequest): RestAnswer {
  const path = req.params.path ?? "";
  const text = repo.spec.files[path];
  if (text === undefined) return notFound();
  const accept = String(req.headers.accept ?? "");
  if (accept.includes("raw")) return { status: 200, raw: text, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
  return { status: 200, body: { type: "file", encoding: "base64", size: Buffer.byteLength(text), name: path.split("/").pop(), path, content: Buffer.from(text).toString("base64"), sha: "0".repeat(40) } };
}

function createCheckRun(model: Model, repo: Repo, req: RestRequest): RestAnswer {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.name !== "string" || typeof body.head_sha !== "string") return { status: 422, body: { message: "Invalid request: name and head_sha are required" } };
  const id = model.nextId();
  const record = { id, repo: repo.fullName, name: body.name, head_sha: body.head_sha, status: String(body.status ?? "queued"), conclusion: (body.conclusion as string | undefined) ?? null, output: body.output ?? null, createdAt: new Date(), raw: body };
  model.checkRuns.push(record);
  repo.checkRuns.push(record);
  return { status: 201, contentCreation: true, body: checkRunJson(repo, record) };
}

function checkRunJson(repo: Repo, run: Repo["checkRuns"][number]) {
  const externalId = (run.raw as { external_id?: unknown } | undefined)?.external_id;
  return { id: run.id, node_id: `CR_${run.id}`, head_sha: run.head_sha, external_id: typeof externalId === "string" ? externalId : null, name: run.name, status: run.status, conclusion: run.conclusion, html_url: `https://github.com/${repo.fullName}/runs/${run.id}`, output: run.output };
}

/** The check runs of a commit (GitHub answers the full SHA as a ref), newest first, by name when asked. */
function listCheckRuns(_model: Model, repo: Repo, req: RestRequest): RestAnswer {
  const name = req.query.get("check_name");
  const runs = repo.checkRuns.filter((r) => r.head_sha === req.params.ref && (name === null || r.name === name)).reverse();
  return paginate(runs.map((r) => checkRunJson(repo, r)), req, (page) => ({ total_count: runs.length, check_runs: page }));
}

function labelJson(repo: Repo, name: string) {
  return { id: name.length, name, color: "ededed", default: false, url: `https://api.github.com/repos/${repo.fullName}/labels/${encodeURIComponent(name)}` };
}

function issueJson(repo: Repo, i: Repo["issues"][number]) {
  return { id: i.number + repo.id * 1000, number: i.number, title: i.title, body: i.body, state: i.state, labels: i.labels.map((name) => ({ name })), html_url: `https://github.com/${repo.fullName}/issues/${i.number}`, created_at: i.createdAt.toISOString() };
}

function createIssue(model: Model, repo: Repo, req: RestRequest): RestAnswer {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.title !== "string") return { status: 422, body: { message: "Invalid request: title is required" } };
  const labels = Array.isArray(body.labels) ? body.labels.map((l) => (typeof l === "string" ? l : String((l as { name?: unknown }).name))) : [];
  const issue = { number: repo.issues.length + repo.pullRequests.length + 1, repo: repo.fullName, title: body.title, body: String(body.body ?? ""), labels, state: "open" as const, createdAt: new Date(), comments: [], raw: body };
  repo.issues.push(issue);
  model.issues.push(issue);
  return { status: 201, contentCreation: true, body: issueJson(repo, issue) };
}

function updateIssue(_model: Model, repo: Repo, req: RestRequest): RestAnswer {
  const issue = repo.issues.find((i) => i.number === Number(req.params.issue_number));
  if (!issue) return notFound();
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.title === "string") issue.title = body.title;
  if (typeof body.body === "string") issue.body = body.body;
  if (body.state === "open" || body.state === "closed") issue.state = body.state;
  if (Array.isArray(body.labels)) issue.labels = body.labels.map((l) => (typeof l === "string" ? l : String((l as { name?: unknown }).name)));
  return { status: 200, body: issueJson(repo, issue) };
}

const DEFINITIONS: [string, string, Handler][] = [
  ["POST", "/app/installations/{installation_id}/access_tokens", (model, req) =>
    Number(req.params.installation_id) === model.scenario.installation.id
      ? { status: 201, body: { token: `ghs_sim_${model.scenario.installation.id}_${Date.now()}`, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: installationJson(model).permissions, repository_selection: "all" } }
      : notFound()],
  ["GET", "/app", (model) => ({ status: 200, body: { id: model.scenario.installation.appId, slug: model.scenario.installation.appSlug, name: "claimcheck", owner: owner(model) } })],
  ["GET", "/app/installations", (model, req) => paginate([installationJson(model)], req)],
  ["GET", "/orgs/{org}/installation", (model, req) => (req.params.org?.toLowerCase() === model.org.login.toLowerCase() ? { status: 200, body: installationJson(model) } : notFound())],
  ["GET", "/repos/{owner}/{repo}/installation", withRepo((model) => ({ status: 200, body: installationJson(model) }))],
  ["GET", "/installation/repositories", (model, req) => paginate(model.repoList.map((r) => repositoryJson(model, r)), req, (page) => ({ total_count: model.repoList.length, repository_selection: "all", repositories: page }))],
  ["GET", "/rate_limit", () => ({ status: 200, body: { resources: {}, rate: {} } })],
  ["GET", "/orgs/{org}", (model, req) =>
    req.params.org?.toLowerCase() === model.org.login.toLowerCase()
      ? { status: 200, body: orgJson(model) }
      : notFound()],
  ["GET", "/orgs/{org}/repos", (model, req) => paginate(model.repoList.map((r) => repositoryJson(model, r)), req)],
  ["GET", "/orgs/{org}/members", (model, req) => {
    const role = req.query.get("role") ?? "all";
    const twoFactorOff = req.query.get("filter") === "2fa_disabled";
    return paginate(model.org.members.map((m, i) => ({ ...m, id: 2000 + i })).filter((m) => (role === "all" || m.role === role) && (!twoFactorOff || !m.twoFactor)).map((m) => ({ login: m.login, id: m.id, type: "User" })), req);
  }],
  ["GET", "/orgs/{org}/outside_collaborators", (model, req) => paginate(model.org.outsideCollaborators.map((login, i) => ({ login, id: 3000 + i, type: "User" })), req)],
  ["GET", "/orgs/{org}/teams", (model, req) => paginate(model.org.teams.map((t, i) => ({ id: 4000 + i, slug: t.slug, name: t.name ?? t.slug, privacy: "closed", permission: "pull" })), req)],
  ["GET", "/orgs/{org}/rulesets", (model, req) => paginate([...model.orgRulesets].map(([id, spec]) => rulesetJson({ id, spec, source: model.org.login, sourceType: "Organization" })), req)],
  ["GET", "/orgs/{org}/audit-log", (model, req) => (model.org.auditLog ? paginate([], req) : notFound())],
  ["GET", "/repos/{owner}/{repo}", withRepo((model, repo) => ({ status: 200, body: repositoryJson(model, repo) }))],
  ["GET", "/repos/{owner}/{repo}/branches/{branch}/protection", withRepo((_model, repo, req) => {
    if (req.params.branch !== repo.spec.defaultBranch || !repo.spec.protection) return notFound("Branch not protected");
    return { status: 200, body: JSON.parse(JSON.stringify(protectionJson(repo, repo.spec.protection))) };
  })],
  ["GET", "/repos/{owner}/{repo}/rules/branches/{branch}", withRepo((model, repo, req) => {
    if (req.params.branch !== repo.spec.defaultBranch) return paginate([], req);
    const rules = applyingRulesets(model, repo)
      .filter((r) => r.spec.enforcement !== "disabled")
      .flatMap((r) => r.spec.rules.map((rule) => ({ type: rule.type, ...(rule.parameters ? { parameters: rule.parameters } : {}), ruleset_source_type: r.sourceType, ruleset_source: r.source, ruleset_id: r.id })));
    return paginate(rules, req);
  })],
  ["GET", "/repos/{owner}/{repo}/rulesets", withRepo((model, repo, req) => paginate(applyingRulesets(model, repo).map(rulesetJson), req))],
  ["GET", "/repos/{owner}/{repo}/rulesets/{ruleset_id}", withRepo((model, repo, req) => {
    const found = applyingRulesets(model, repo).find((r) => r.id === Number(req.params.ruleset_id));
    return found ? { status: 200, body: rulesetJson(found) } : notFound();
  })],
  ["GET", "/repos/{owner}/{repo}/actions/permissions/workflow", withRepo((_model, repo) => ({ status: 200, body: repo.spec.workflowPermissions }))],
  ["GET", "/repos/{owner}/{repo}/contents/{path}", withRepo(contents)],
  ["GET", "/repos/{owner}/{repo}/actions/workflows", withRepo(workflowList)],
  ["GET", "/repos/{owner}/{repo}/collaborators", withRepo((_model, repo, req) =>
    paginate(repo.spec.collaborators.map((c, i) => ({ login: c.login, id: 5000 + i, type: "User", role_name: c.permission, permissions: { admin: c.permission === "admin", maintain: ["admin", "maintain"].includes(c.permission), push: ["admin", "maintain", "write"].includes(c.permission), triage: c.permission !== "read", pull: true } })), req))],
  ["GET", "/repos/{owner}/{repo}/dependabot/alerts", withRepo((model, repo, req) =>
    repo.spec.vulnerabilityAlerts
      ? paginate(repo.spec.dependabotAlerts.map((a, i) => ({ number: i + 1, state: "open", created_at: new Date(model.now.getTime() - a.daysAgo * 86_400_000).toISOString(), security_advisory: { severity: a.severity.toLowerCase() }, security_vulnerability: { severity: a.severity.toLowerCase() } })), req)
      : { status: 403, body: { message: "Dependabot alerts are disabled for this repository." } })],
  ["GET", "/repos/{owner}/{repo}/vulnerability-alerts", withRepo((_model, repo) => (repo.spec.vulnerabilityAlerts ? { status: 204 } : notFound("Vulnerability alerts are disabled.")))],
  ["GET", "/repos/{owner}/{repo}/secret-scanning/alerts", withRepo((_model, repo, req) => (repo.spec.secretScanning ? paginate([], req) : notFound("Secret scanning is disabled on this repository.")))],
  ["GET", "/repos/{owner}/{repo}/labels/{name}", withRepo((_model, repo, req) => (repo.labels.has(req.params.name ?? "") ? { status: 200, body: labelJson(repo, req.params.name!) } : notFound()))],
  ["POST", "/repos/{owner}/{repo}/labels", withRepo((_model, repo, req) => {
    const name = String((req.body as { name?: unknown } | undefined)?.name ?? "");
    if (!name || repo.labels.has(name)) return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "Label", code: "already_exists", field: "name" }] } };
    repo.labels.add(name);
    return { status: 201, body: labelJson(repo, name) };
  })],
  ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", withRepo((_model, repo, req) => {
    const issue = repo.issues.find((i) => i.number === Number(req.params.issue_number));
    if (!issue) return notFound();
    const body = req.body as { labels?: unknown } | unknown[] | undefined;
    const names = (Array.isArray(body) ? body : Array.isArray((body as { labels?: unknown })?.labels) ? ((body as { labels: unknown[] }).labels) : []).map(String);
    issue.labels = [...new Set([...issue.labels, ...names])];
    return { status: 200, body: issue.labels.map((n) => labelJson(repo, n)) };
  })],
  ["DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", withRepo((_model, repo, req) => {
    const issue = repo.issues.find((i) => i.number === Number(req.params.issue_number));
    if (!issue || !issue.labels.includes(req.params.name ?? "")) return notFound("Label does not exist");
    issue.labels = issue.labels.filter((l) => l !== req.params.name);
    return { status: 200, body: issue.labels.map((n) => labelJson(repo, n)) };
  })],
  ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", withRepo((model, repo, req) => {
    const issue = repo.issues.find((i) => i.number === Number(req.params.issue_number));
    if (!issue) return notFound();
    const id = model.nextId();
    const body = String((req.body as { body?: unknown } | undefined)?.body ?? "");
    issue.comments.push(body);
    return { status: 201, contentCreation: true, body: { id, body, html_url: `https://github.com/${repo.fullName}/issues/${issue.number}#issuecomment-${id}` } };
  })],
  ["POST", "/repos/{owner}/{repo}/check-runs", withRepo(createCheckRun)],
  ["GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", withRepo(listCheckRuns)],
  ["GET", "/repos/{owner}/{repo}/issues", withRepo((_model, repo, req) => {
    const state = req.query.get("state") ?? "open";
    const labels = req.query.get("labels")?.split(",").filter(Boolean) ?? [];
    return paginate(repo.issues.filter((i) => (state === "all" || i.state === state) && labels.every((l) => i.labels.includes(l))).map((i) => issueJson(repo, i)), req);
  })],
  ["POST", "/repos/{owner}/{repo}/issues", withRepo(createIssue)],
  ["PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", withRepo(updateIssue)],
  ...DELIVERY_ROUTES,
];

function compile(method: string, template: string, handler: Handler): Route {
  const names: string[] = [];
  // `{path}` spans slashes (contents paths); every other parameter is one segment.
  const pattern = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return name === "path" ? "(.+)" : "([^/]+)";
  });
  return { method, template, handler, regex: new RegExp(`^${pattern}$`), names };
}

export const ROUTES: Route[] = DEFINITIONS.map(([method, template, handler]) => compile(method, template, handler));

export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.regex.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    return { route, params };
  }
  return null;
}
