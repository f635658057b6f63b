import { schema as published } from "@octokit/graphql-schema";
import {
  buildClientSchema,
  execute,
  Kind,
  parse,
  validate,
  type DocumentNode,
  getNullableType,
  isListType,
  isObjectType,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type IntrospectionQuery,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { headOf, isBot, type Commit, type Model, type PullRequest, type Repo } from "./model.js";
import { latestOpinionatedReviews, reviewNodes } from "./reviews.js";

/*
 * GraphQL executed against GitHub's published schema: every query the collectors send is
 * validated as GitHub would validate it, then resolved from the model. Fields the model does not
 * know resolve to null (or, for a non-null field, a field error beside the rest of the data), so a
 * collector asking for something new degrades instead of crashing the simulator.
 */

let schema: GraphQLSchema | undefined;
export function githubSchema(): GraphQLSchema {
  if (!schema) {
    const json = published.json as unknown as { data?: IntrospectionQuery } & IntrospectionQuery;
    schema = buildClientSchema(json.data ?? json);
  }
  return schema;
}

type Args = Record<string, unknown>;
type Node = Record<string, unknown>;

const cursorOf = (i: number) => Buffer.from(`cursor:${i}`).toString("base64");
const indexOf = (cursor: unknown) => (typeof cursor === "string" ? Number(Buffer.from(cursor, "base64").toString().replace("cursor:", "")) : NaN);

/** A Relay connection over `items` honouring first/last/after/before, as GitHub pages. */
export function connection<T>(items: readonly T[], args: Args, toNode: (item: T, index: number) => unknown = (i) => i, edgeFields: (item: T) => Node = () => ({})): Node {
  let start = 0;
  let end = items.length;
  const after = indexOf(args.after);
  const before = indexOf(args.before);
  if (Number.isFinite(after)) start = after + 1;
  if (Number.isFinite(before)) end = Math.min(end, before);
  if (typeof args.first === "number") end = Math.min(end, start + args.first);
  if (typeof args.last === "number") start = Math.max(start, end - args.last);
  const slice = items.slice(start, end);
  const nodes = slice.map((item, i) => toNode(item, start + i));
  return {
    totalCount: items.length,
    nodes,
    edges: nodes.map((node, i) => ({ ...edgeFields(slice[i]!), node, cursor: cursorOf(start + i) })),
    pageInfo: { hasNextPage: end < items.length, hasPreviousPage: start > 0, startCursor: slice.length ? cursorOf(start) : null, endCursor: slice.length ? cursorOf(end - 1) : null },
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function actor(login: string): Node {
  const bot = isBot(login);
  const name = bot ? login.slice(0, -"[bot]".length) : login;
  return { __typename: bot ? "Bot" : "User", login: name, id: `${bot ? "BOT" : "U"}_${name}`, url: `https://github.com/${bot ? `apps/${name}` : name}` };
}


const PASSING = new Set(["SUCCESS", "NEUTRAL", "SKIPPED"]);

/**
 * The commit's rollup as GitHub builds it: the scenario's CI result plus every check run an app
 * created on the commit — claimcheck's own included, with GitHub's rule that neutral passes.
 */
function rollup(repo: Repo, commit: Pick<Commit, "oid" | "checks">): Node | null {
  const runs: Node[] = [];
  if (commit.checks !== "none") {
    runs.push({ __typename: "CheckRun", name: "ci", status: commit.checks === "pending" ? "IN_PROGRESS" : "COMPLETED", conclusion: commit.checks === "pending" ? null : commit.checks.toUpperCase() });
  }
  for (const r of repo.checkRuns.filter((c) => c.head_sha === commit.oid)) {
    runs.push({ __typename: "CheckRun", name: r.name, status: r.status.toUpperCase(), conclusion: r.conclusion ? r.conclusion.toUpperCase() : null });
  }
  if (runs.length === 0) return null;
  const results = runs.map((r) => (r.status !== "COMPLETED" ? "PENDING" : PASSING.has(String(r.conclusion)) ? "SUCCESS" : "FAILURE"));
  const state = results.includes("FAILURE") ? "FAILURE" : results.includes("PENDING") ? "PENDING" : "SUCCESS";
  return { state, contexts: (args: Args) => connection(runs, args) };
}

function commitNode(repo: Repo, commit: Commit, historyFrom: readonly Commit[] = [commit]): Node {
  const pr = commit.prNumber === null ? undefined : repo.pullRequests.find((p) => p.number === commit.prNumber);
  return {
    __typename: "Commit",
    id: `C_${commit.oid}`,
    oid: commit.oid,
    abbreviatedOid: commit.oid.slice(0, 7),
    committedDate: iso(commit.committedDate),
    authoredDate: iso(commit.committedDate),
    message: commit.message,
    messageHeadline: commit.message,
    url: `https://github.com/${repo.fullName}/commit/${commit.oid}`,
    signature: commit.signed ? { __typename: "GpgSignature", isValid: true, state: "VALID", wasSignedByGitHub: true } : null,
    associatedPullRequests: (args: Args) => connection(pr ? [pr] : [], args, (p) => prNode(repo, p)),
    statusCheckRollup: () => rollup(repo, commit),
    history: (args: Args) => {
      const since = typeof args.since === "string" ? Date.parse(args.since) : -Infinity;
      const until = typeof args.until === "string" ? Date.parse(args.until) : Infinity;
      const inRange = historyFrom.filter((c) => c.committedDate.getTime() >= since && c.committedDate.getTime() <= until);
      return connection(inRange, args, (c) => commitNode(repo, c, historyFrom.slice(historyFrom.indexOf(c))));
    },
    tree: treeNode(repo, ""),
  };
}

function prCommit(repo: Repo, pr: PullRequest): Node {
  return commitNode(repo, { oid: pr.headOid, committedDate: pr.createdAt, message: pr.title, signed: false, prNumber: pr.number, checks: pr.checks });
}

function prNode(repo: Repo, pr: PullRequest): Node {
  const url = `https://github.com/${repo.fullName}/pull/${pr.number}`;
  return {
    __typename: "PullRequest",
    id: `PR_${repo.id}_${pr.number}`,
    number: pr.number,
    title: pr.title,
    url,
    permalink: url,
    state: pr.state.toUpperCase(),
    merged: pr.state === "merged",
    isDraft: false,
    createdAt: iso(pr.createdAt),
    updatedAt: iso(pr.updatedAt),
    mergedAt: iso(pr.mergedAt),
    closedAt: iso(pr.closedAt),
    author: actor(pr.author),
    mergedBy: pr.mergedAt ? actor(pr.approvals[0] ?? pr.author) : null,
    baseRefName: pr.baseRef,
    headRefName: `change-${pr.number}`,
    headRefOid: pr.headOid,
    statusCheckRollup: () => {
      const checks = rollup(repo, { oid: pr.headOid, checks: pr.checks });
      return checks && { ...checks, commit: { __typename: "Commit", oid: pr.headOid } };
    },
    latestOpinionatedReviews: (args: Args) => connection(latestOpinionatedReviews(pr), args),
    commits: (args: Args) => connection([pr], args, (p) => ({ __typename: "PullRequestCommit", commit: prCommit(repo, p) })),
    reviews: (args: Args) => {
      const states = Array.isArray(args.states) ? (args.states as string[]) : null;
      return connection(reviewNodes(pr).filter((r) => !states || states.includes(r.state as string)), args);
    },
    files: (args: Args) => connection(pr.files, args, (path) => ({ path, additions: 1, deletions: 0, changeType: "MODIFIED" })),
    labels: (args: Args) => connection([], args),
    mergeCommit: pr.mergeCommitOid ? { __typename: "Commit", oid: pr.mergeCommitOid } : null,
  };
}

function blobNode(repo: Repo, path: string, text: string): Node {
  const byteSize = Buffer.byteLength(text);
  return { __typename: "Blob", id: `B_${repo.id}_${path}`, oid: "0".repeat(40), text, byteSize, isBinary: false, isTruncated: false };
}

/** The tree at `dir` ("" for the root), made from the file paths the scenario lists. */
function treeNode(repo: Repo, dir: string): Node | null {
  const prefix = dir ? `${dir}/` : "";
  const names = new Map<string, "blob" | "tree">();
  for (const path of Object.keys(repo.spec.files)) {
    if (!path.startsWith(prefix)) continue;
    const [name, ...rest] = path.slice(prefix.length).split("/");
    if (name) names.set(name, rest.length > 0 ? "tree" : "blob");
  }
  if (dir && names.size === 0) return null;
  return {
    __typename: "Tree",
    id: `T_${repo.id}_${dir}`,
    entries: [...names].map(([name, type]) => {
      const path = `${prefix}${name}`;
      return { name, path, type, mode: type === "tree" ? 0o40000 : 0o100644, object: () => (type === "tree" ? treeNode(repo, path) : blobNode(repo, path, repo.spec.files[path]!)) };
    }),
  };
}

/** `object(expression: "REV:path")`; the model knows only the default branch's content. */
function objectAt(repo: Repo, expression: string): Node | null {
  const [rev, path = ""] = expression.includes(":") ? [expression.slice(0, expression.indexOf(":")), expression.slice(expression.indexOf(":") + 1)] : [expression, null];
  const head = headOf(repo);
  if (rev !== "HEAD" && rev !== repo.spec.defaultBranch && rev !== `refs/heads/${repo.spec.defaultBranch}` && rev !== head.oid) return null;
  if (path === null) return commitNode(repo, head, repo.history);
  const clean = path.replace(/\/$/, "");
  const file = repo.spec.files[clean];
  if (file !== undefined) return blobNode(repo, clean, file);
  return treeNode(repo, clean);
}

/** `object(oid:)`: a default-branch commit (with its history from there), or a pull request's head commit. */
function objectByOid(repo: Repo, oid: string): Node | null {
  const at = repo.history.findIndex((c) => c.oid === oid);
  if (at >= 0) return commitNode(repo, repo.history[at]!, repo.history.slice(at));
  const pr = repo.pullRequests.find((p) => p.headOid === oid);
  return pr ? prCommit(repo, pr) : null;
}

const ORDER: Record<string, (p: PullRequest) => number> = {
  CREATED_AT: (p) => p.createdAt.getTime(),
  UPDATED_AT: (p) => p.updatedAt.getTime(),
};

function pullRequests(repo: Repo, args: Args): Node {
  const states = Array.isArray(args.states) ? (args.states as string[]) : null;
  let list = repo.pullRequests.filter((p) => (!states || states.includes(p.state.toUpperCase())) && (typeof args.baseRefName !== "string" || p.baseRef === args.baseRefName));
  const order = args.orderBy as { field?: string; direction?: string } | undefined;
  const key = ORDER[order?.field ?? "CREATED_AT"] ?? ORDER.CREATED_AT!;
  list = [...list].sort((a, b) => (key(a) - key(b)) * (order?.direction === "DESC" ? -1 : 1));
  return connection(list, args, (p) => prNode(repo, p));
}

function refNode(repo: Repo): Node {
  const branch = repo.spec.defaultBranch;
  return { __typename: "Ref", id: `REF_${repo.id}`, name: branch, prefix: "refs/heads/", target: commitNode(repo, headOf(repo), repo.history) };
}

function repositoryNode(model: Model, repo: Repo): Node {
  const branch = repo.spec.defaultBranch;
  return {
    __typename: "Repository",
    id: `R_${repo.id}`,
    databaseId: repo.id,
    name: repo.spec.name,
    nameWithOwner: repo.fullName,
    url: `https://github.com/${repo.fullName}`,
    // The simulated organisation's repositories all predate the simulated day.
    createdAt: "2020-01-01T00:00:00Z",
    isArchived: repo.spec.archived,
    isFork: repo.spec.fork,
    isPrivate: repo.spec.visibility !== "public",
    visibility: repo.spec.visibility.toUpperCase(),
    defaultBranchRef: refNode(repo),
    isEmpty: repo.history.length === 0,
    ref: (args: Args) => (args.qualifiedName === `refs/heads/${branch}` || args.qualifiedName === branch ? refNode(repo) : null),
    object: (args: Args) => (typeof args.expression === "string" ? objectAt(repo, args.expression) : typeof args.oid === "string" ? objectByOid(repo, args.oid) : null),
    pullRequests: (args: Args) => pullRequests(repo, args),
    pullRequest: (args: Args) => {
      const pr = repo.pullRequests.find((p) => p.number === args.number);
      return pr ? prNode(repo, pr) : null;
    },
    owner: () => organizationNode(model),
    collaborators: (args: Args) => {
      const outside = new Set(model.org.outsideCollaborators);
      const list = repo.spec.collaborators.filter((c) => args.affiliation !== "OUTSIDE" || outside.has(c.login));
      return connection(list, args, (c) => ({ __typename: "User", login: c.login, id: `U_${c.login}` }), (c) => ({
        permission: c.permission.toUpperCase(),
        permissionSources: [{ permission: c.permission.toUpperCase(), roleName: c.permission, source: { __typename: "Repository", nameWithOwner: repo.fullName } }],
      }));
    },
    deployKeys: (args: Args) => connection(repo.spec.deployKeys, args, (k, i) => ({ __typename: "DeployKey", id: `DK_${repo.id}_${i}`, title: k.title, readOnly: k.readOnly, verified: true, key: "ssh-ed25519 AAAA" })),
    dependencyGraphManifests: (args: Args) =>
      connection(
        Object.keys(repo.spec.files).filter((path) => MANIFESTS.has(path.split("/").pop() ?? "")),
        args,
        (path) => ({ __typename: "DependencyGraphManifest", id: `DGM_${repo.id}_${path}`, filename: path, blobPath: `/${repo.fullName}/blob/${branch}/${path}`, dependenciesCount: 1, parseable: true, exceedsMaxSize: false }),
      ),
    hasVulnerabilityAlertsEnabled: repo.spec.vulnerabilityAlerts,
    vulnerabilityAlerts: (args: Args) =>
      repo.spec.vulnerabilityAlerts
        ? connection(repo.spec.dependabotAlerts, args, (a, i) => ({ __typename: "RepositoryVulnerabilityAlert", id: `RVA_${repo.id}_${i}`, state: "OPEN", createdAt: iso(new Date(model.now.getTime() - a.daysAgo * 86_400_000)), securityVulnerability: { severity: a.severity } }))
        : null,
    codeowners: () => (["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"].some((p) => p in repo.spec.files) ? { errors: [] } : null),
  };
}

const MANIFESTS = new Set(["package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "requirements.txt", "poetry.lock", "Pipfile.lock", "go.mod", "go.sum", "Cargo.toml", "Cargo.lock", "pom.xml", "build.gradle", "Gemfile", "Gemfile.lock", "composer.json", "composer.lock"]);

function organizationNode(model: Model): Node {
  return {
    __typename: "Organization",
    id: `O_${model.org.id}`,
    databaseId: model.org.id,
    login: model.org.login,
    name: model.org.login,
    url: `https://github.com/${model.org.login}`,
    requiresTwoFactorAuthentication: model.org.settings.two_factor_requirement_enabled ?? null,
    membersWithRole: (args: Args) => connection(model.org.members, args, (m) => ({ __typename: "User", login: m.login })),
    repositories: (args: Args) => connection(model.repoList, args, (r) => repositoryNode(model, r)),
    samlIdentityProvider: null,
    teams: (args: Args) =>
      connection(model.org.teams, args, (t) => ({
        __typename: "Team",
        id: `T_${t.slug}`,
        slug: t.slug,
        name: t.name ?? t.slug,
        members: (a: Args) => connection(t.members, a, (login) => ({ __typename: "User", login })),
        repositories: (a: Args) => {
          const query = typeof a.query === "string" ? a.query.toLowerCase() : "";
          const repos = Object.entries(t.repos).filter(([name]) => name.toLowerCase().includes(query));
          return connection(repos, a, ([name]) => ({ __typename: "Repository", name, nameWithOwner: `${model.org.login}/${name}`, databaseId: model.repos.get(name)?.id ?? null }), ([, permission]) => ({ permission: permission.toUpperCase() }));
        },
      })),
  };
}

function userNode(model: Model, login: string): Node | null {
  const known = model.org.members.some((m) => m.login === login) || model.org.outsideCollaborators.includes(login) || model.repoList.some((r) => r.spec.collaborators.some((c) => c.login === login));
  if (!known) return null;
  const authored = (pick: (p: PullRequest) => boolean) => model.repoList.reduce((n, r) => n + r.pullRequests.filter(pick).length, 0);
  return {
    __typename: "User",
    id: `U_${login}`,
    login,
    contributionsCollection: {
      totalCommitContributions: authored((p) => p.author === login && p.state === "merged"),
      totalIssueContributions: 0,
      totalPullRequestContributions: authored((p) => p.author === login),
      totalPullRequestReviewContributions: authored((p) => p.approvals.includes(login)),
      totalRepositoryContributions: 0,
      restrictedContributionsCount: 0,
    },
  };
}

/**
 * GitHub's cost: the number of requests the connections imply (each connection's page size
 * multiplied by the page sizes above it), divided by 100, at least 1.
 */
export function queryCost(document: DocumentNode, variables: Args): number {
  return Math.max(1, Math.round(connectionRequests(document, variables) / 100));
}

/** The requests GitHub's cost formula counts for a document, before dividing by 100. */
export function connectionRequests(document: DocumentNode, variables: Args): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const value = (node: ValueNode): unknown => (node.kind === Kind.INT ? Number(node.value) : node.kind === Kind.VARIABLE ? variables[node.name.value] : null);
  let requests = 0;
  const walk = (set: SelectionSetNode | undefined, multiplier: number, seen: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) walk(fragment.selectionSet, multiplier, new Set([...seen, fragment.name.value]));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, multiplier, seen);
      } else {
        const size = selection.arguments?.map((a) => (a.name.value === "first" || a.name.value === "last" ? value(a.value) : null)).find((v) => typeof v === "number");
        if (typeof size === "number") {
          requests += multiplier;
          walk(selection.selectionSet, multiplier * size, seen);
        } else walk(selection.selectionSet, multiplier, seen);
      }
    }
  };
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION) walk(d.selectionSet, 1, new Set());
  return requests;
}

export type GraphqlBudget = { cost: number; limit: number; remaining: number; used: number; resetAt: Date };

export type GraphqlOutcome = { status: number; body: unknown; cost: number };

/**
 * Reads a field from the model object (calling it with the arguments when it is a function).
 * A field the model does not hold is counted in `unmodelled`; a connection or list of it is
 * empty, anything else null — a field error when GitHub declares it non-null.
 */
function fallbackResolver(unmodelled: Record<string, number>): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, _context, info) => {
    const value = (source as Node | null)?.[info.fieldName];
    if (typeof value === "function") return (value as (a: Args) => unknown)(args);
    if (value !== undefined) return value;
    if (info.fieldName === "__typename") return undefined;
    const key = `${info.parentType.name}.${info.fieldName}`;
    unmodelled[key] = (unmodelled[key] ?? 0) + 1;
    const type = getNullableType(info.returnType);
    if (isListType(type)) return [];
    if (isObjectType(type) && type.name.endsWith("Connection")) return connection([], args);
    return null;
  };
}

/** One POST /graphql: validate, cost, execute. `charge` takes the points (or says the budget is spent). */
export function runGraphql(model: Model, body: unknown, charge: (cost: number) => GraphqlBudget | null, unmodelled: Record<string, number> = {}): GraphqlOutcome {
  const { query, variables = {}, operationName } = (body ?? {}) as { query?: unknown; variables?: Args; operationName?: string };
  if (typeof query !== "string") return { status: 400, body: { message: "A query attribute must be specified and must be a string." }, cost: 0 };
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return { status: 200, body: { errors: [{ message: (error as Error).message }] }, cost: 0 };
  }
  const problems = validate(githubSchema(), document);
  if (problems.length > 0) return { status: 200, body: { errors: problems.map((p) => ({ message: p.message, locations: p.locations })) }, cost: 0 };
  const cost = queryCost(document, variables);
  const budget = charge(cost);
  if (!budget) return { status: 200, body: { data: null, errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation." }] }, cost };
  const rootValue = {
    rateLimit: () => ({ cost, limit: budget.limit, remaining: budget.remaining, used: budget.used, resetAt: budget.resetAt.toISOString(), nodeCount: 0 }),
    repository: (args: Args) => {
      const repo = args.owner === model.org.login || String(args.owner).toLowerCase() === model.org.login.toLowerCase() ? model.repos.get(String(args.name).toLowerCase()) : undefined;
      return repo ? repositoryNode(model, repo) : null;
    },
    organization: (args: Args) => (String(args.login).toLowerCase() === model.org.login.toLowerCase() ? organizationNode(model) : null),
    user: (args: Args) => userNode(model, String(args.login)),
  };
  const result = execute({ schema: githubSchema(), document, rootValue, variableValues: variables, fieldResolver: fallbackResolver(unmodelled), ...(operationName ? { operationName } : {}) });
  if (result instanceof Promise) throw new Error("resolvers are synchronous");
  const errors = result.errors?.map((e) => ({ message: e.message, path: e.path, locations: e.locations, type: "SIMULATOR" }));
  // GitHub reports a missing repository as a NOT_FOUND error beside `repository: null`.
  const data = result.data as Args | null | undefined;
  const notFound = data && "repository" in data && data.repository === null ? [{ type: "NOT_FOUND", path: ["repository"], message: `Could not resolve to a Repository with the name '${String(variables.owner)}/${String(variables.name)}'.` }] : [];
  const allErrors = [...(errors ?? []), ...notFound];
  return { status: 200, body: allErrors.length ? { data, errors: allErrors } : { data }, cost };
}
