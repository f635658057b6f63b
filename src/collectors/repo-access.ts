import { z } from "zod";
import { observed, unreadable, type Finding, type FindingId, type FindingValue, type Where } from "../core/findings.js";
import { explainReadFailure, fieldError } from "../github/client.js";
import type { CollectContext, Collector, RepoRef } from "./types.js";

/*
 * Who and what holds credentials for one repository: people granted access directly, teams,
 * deploy keys, deployment environments and their protection, and secret scanning. Everything but
 * the open secret-scanning alerts comes from the batched repository query and GET /repos.
 *
 * GraphQL has no Repository.teams; the teams with access are found from the organisation's teams,
 * each asked for its repositories whose name contains this one's (`repositories(query:)`), and
 * matched exactly. That keeps team grants inside the one batched request.
 */

const ALERTS_ROUTE = "GET /repos/{owner}/{repo}/secret-scanning/alerts";
const ALERTS_PAGE = 100;
const ALERTS_PERMISSION = "the 'Secret scanning alerts: read' repository permission";
const ADMIN_PERMISSION = "the 'Administration: read' repository permission";

/*
 * Environments a page of 10: each carries its protection rules, a nested connection GitHub charges
 * once per environment of the page, so a page of 100 cost a point on its own for the few
 * repositories that have more than a handful. Rules are few by nature (reviewers, wait timer,
 * branch policy, custom rules), so 10 of them is every one.
 */
const ENVIRONMENTS_PAGE = 10;
/** Pages of environments read at most (100 environments); past that the list is read in part. */
export const MAX_ENVIRONMENT_PAGES = 10;

const ENVIRONMENT_FIELDS = `
fragment claimcheckEnvironments on EnvironmentConnection {
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    name
    protectionRules(first: 10) { nodes { type } }
  }
}`;

export const repoAccessFragment = {
  name: "claimcheckAccess",
  text: `
fragment claimcheckAccess on Repository {
  acc_direct: collaborators(affiliation: DIRECT, first: 100) {
    totalCount
    edges {
      permission
      permissionSources {
        permission
        roleName
        source { __typename }
      }
      node { login }
    }
  }
  acc_owner: owner {
    __typename
    ... on Organization {
      acc_teams: teams(first: 100) {
        totalCount
        nodes {
          slug
          acc_repos: repositories(query: $name, first: 100) {
            totalCount
            edges { permission node { nameWithOwner } }
          }
        }
      }
    }
  }
  acc_deployKeys: deployKeys(first: 100) {
    totalCount
    nodes { title readOnly }
  }
  acc_environments: environments(first: ${ENVIRONMENTS_PAGE}) { ...claimcheckEnvironments }
}
${ENVIRONMENT_FIELDS}`,
};

/**
 * Within a run the organisation's teams are read once for all repositories (team-repositories.ts);
 * the repository's creation time says whether that map, read earlier, can know it, and its id
 * whether the name the map knows is still this repository's.
 */
export const repoAccessRunFragment = {
  name: "claimcheckAccess",
  text: repoAccessFragment.text.replace(/ {2}acc_owner: owner \{[\s\S]*?\n {2}\}\n/, "  acc_owner: owner { __typename }\n  acc_createdAt: createdAt\n  acc_databaseId: databaseId\n"),
};

/** Further environments, when a repository has more than one page of them. */
export const ENVIRONMENTS_PAGE_QUERY = `
query claimcheckEnvironmentsPage($owner: String!, $name: String!, $cursor: String!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    acc_environments: environments(first: ${ENVIRONMENTS_PAGE}, after: $cursor) { ...claimcheckEnvironments }
  }
}
${ENVIRONMENT_FIELDS}`;

const PERMISSIONS = ["admin", "maintain", "write", "triage", "read"] as const;
type Permission = (typeof PERMISSIONS)[number];
const repoPermission = z.enum(["ADMIN", "MAINTAIN", "WRITE", "TRIAGE", "READ"]).transform((p) => p.toLowerCase() as Permission);
const WRITE = new Set<string>(["write", "maintain", "admin"]);

const sourceSchema = z.looseObject({ permission: z.string(), roleName: z.string().nullish(), source: z.looseObject({ __typename: z.string() }) });
const directSchema = z.looseObject({
  totalCount: z.number().int(),
  edges: z.array(z.looseObject({ permission: repoPermission, permissionSources: z.array(sourceSchema).nullish(), node: z.looseObject({ login: z.string() }) })),
});
const teamsSchema = z.looseObject({
  totalCount: z.number().int(),
  nodes: z.array(
    z.looseObject({
      slug: z.string(),
      acc_repos: z.looseObject({ totalCount: z.number().int(), edges: z.array(z.looseObject({ permission: repoPermission, node: z.looseObject({ nameWithOwner: z.string() }) })) }),
    }),
  ),
});
const deployKeysSchema = z.looseObject({ totalCount: z.number().int(), nodes: z.array(z.looseObject({ title: z.string(), readOnly: z.boolean() })) });
const environmentsSchema = z.looseObject({
  totalCount: z.number().int(),
  nodes: z.array(z.looseObject({ name: z.string(), protectionRules: z.looseObject({ nodes: z.array(z.looseObject({ type: z.string() }).nullable()) }) }).nullable()),
});

type Read<K extends FindingId> = { value: FindingValue<K> } | { value: null; error: string };
const shapeError = (what: string, error: z.ZodError) => `GitHub's answer for ${what} did not have the expected shape: ${error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;

/** The direct grant's level: GitHub names maintain and triage only in `roleName`. */
function directLevel(source: z.infer<typeof sourceSchema>): Permission | null {
  const role = source.roleName?.toLowerCase();
  if (role && (PERMISSIONS as readonly string[]).includes(role)) return role as Permission;
  const base = source.permission.toLowerCase();
  return (PERMISSIONS as readonly string[]).includes(base) ? (base as Permission) : null;
}

/**
 * Pure: write/admin granted to people one by one. The edge's own permission is the highest from any
 * source, so the repository's own grant is taken from `permissionSources`; where GitHub gives no
 * sources, the edge's permission is counted as individual, which can only overstate individual grants.
 */
export function individualGrants(raw: unknown): Read<"access.individual-grants"> {
  const parsed = directSchema.safeParse(raw);
  if (!parsed.success) return { value: null, error: shapeError("direct collaborators", parsed.error) };
  const { totalCount, edges } = parsed.data;
  if (totalCount > edges.length) return { value: null, error: `${totalCount} direct collaborators, of which only ${edges.length} were read` };
  const grants = edges.flatMap((edge) => {
    const own = edge.permissionSources ? edge.permissionSources.filter((s) => s.source.__typename === "Repository").map(directLevel) : [edge.permission];
    const level = PERMISSIONS.find((p) => own.includes(p));
    return level && WRITE.has(level) ? [{ login: edge.node.login, permission: level }] : [];
  });
  return { value: grants };
}

/** Pure: the teams granted access to this repository, from each team's name-filtered repositories. */
export function teamGrants(raw: unknown, fullName: string): Read<"access.team-grants"> {
  const parsed = teamsSchema.safeParse(raw);
  if (!parsed.success) return { value: null, error: shapeError("the organisation's teams", parsed.error) };
  const { totalCount, nodes } = parsed.data;
  if (totalCount > nodes.length) return { value: null, error: `the organisation has ${totalCount} teams, of which only ${nodes.length} were read` };
  const target = fullName.toLowerCase();
  const grants: FindingValue<"access.team-grants"> = [];
  const unsure: string[] = [];
  for (const team of nodes) {
    const hit = team.acc_repos.edges.find((e) => e.node.nameWithOwner.toLowerCase() === target);
    if (hit) grants.push({ team: team.slug, permission: hit.permission });
    else if (team.acc_repos.totalCount > team.acc_repos.edges.length) unsure.push(team.slug);
  }
  if (unsure.length > 0) return { value: null, error: `too many repositories with a similar name to tell whether team${unsure.length === 1 ? "" : "s"} ${unsure.join(", ")} can access this one` };
  return { value: grants };
}

/** The owner answers `{}` (or only its type) when it is a user: a user's repository has no teams. */
function teamGrantsOfOwner(owner: unknown, fullName: string): Read<"access.team-grants"> {
  if (typeof owner !== "object" || owner === null) return { value: null, error: "GitHub's answer had no repository owner" };
  if (!("acc_teams" in owner)) return "__typename" in owner && owner.__typename === "Organization" ? { value: null, error: "GitHub's answer had no teams for the organisation" } : { value: [] };
  return teamGrants(owner.acc_teams, fullName);
}

/**
 * Within a run: this repository's entry in the organisation's team map, read once for the run (or,
 * in the app, for the installation's hour), with the time that map was read.
 */
async function teamGrantsOfRun(ctx: CollectContext, owner: unknown, createdAt: unknown, databaseId: unknown): Promise<Read<"access.team-grants"> & { readAt?: string }> {
  if (typeof owner !== "object" || owner === null || !("__typename" in owner)) return { value: null, error: "GitHub's answer had no repository owner" };
  if (owner.__typename !== "Organization") return { value: [] };
  const map = await ctx.run!.teamRepositories(ctx.repo.owner, ctx.now);
  if ("error" in map) return { value: null, error: map.error };
  const name = ctx.repo.fullName.toLowerCase();
  const grants = map.grants.get(name);
  if (grants) {
    // Renames can swap names within the map's hour (api → api-old, api-next → api) before their
    // webhooks forget it: the grants are this repository's only if the name was its own then.
    const then = map.ids.get(name);
    if (typeof databaseId !== "number" || then !== databaseId) return { value: null, error: `the organisation's teams were read at ${map.readAt}, when this name may have belonged to another repository (renamed or transferred since); they are read again within the hour` };
    return { value: [...grants], readAt: map.readAt };
  }
  return absentFromMap(createdAt, map.readAt);
}

/**
 * Pure: a repository the team map does not name. No team reached it when the map was read, if it
 * existed then; one created since (or whose creation time GitHub did not give) the map cannot speak
 * for. Renames and transfers forget the map (app/refresh.ts), so it is read again under the new name.
 */
export function absentFromMap(createdAt: unknown, readAt: string): Read<"access.team-grants"> & { readAt?: string } {
  const created = typeof createdAt === "string" ? Date.parse(createdAt) : Number.NaN;
  if (Number.isNaN(created)) return { value: null, error: `the organisation's teams were read at ${readAt} and name no team for this repository, but GitHub did not say when the repository was created, so it may not have existed then` };
  if (created >= Date.parse(readAt)) return { value: null, error: `the organisation's teams were read at ${readAt}, before this repository was created (${new Date(created).toISOString()}); they are read again within the hour` };
  return { value: [], readAt };
}

/** Pure: titles of deploy keys that can push. A longer list than read could hide one only when none was found. */
export function writeDeployKeys(raw: unknown): Read<"deploy-keys.write"> {
  const parsed = deployKeysSchema.safeParse(raw);
  if (!parsed.success) return { value: null, error: shapeError("deploy keys", parsed.error) };
  const write = parsed.data.nodes.filter((k) => !k.readOnly).map((k) => k.title);
  if (write.length === 0 && parsed.data.totalCount > parsed.data.nodes.length) return { value: null, error: `${parsed.data.totalCount} deploy keys, of which only ${parsed.data.nodes.length} were read` };
  return { value: write };
}

/** Rules that stop a workflow from reaching an environment's secrets on its own say-so; a wait timer does not. */
const GUARDS = new Set(["REQUIRED_REVIEWERS", "BRANCH_POLICY"]);

/** Pure: every environment's name, and those without required reviewers or a deployment branch policy. */
export function environments(raw: unknown): { names: Read<"environments.names">; unguarded: Read<"environments.unguarded"> } {
  const parsed = environmentsSchema.safeParse(raw);
  if (!parsed.success) {
    const error = shapeError("environments", parsed.error);
    return { names: { value: null, error }, unguarded: { value: null, error } };
  }
  const nodes = parsed.data.nodes.filter((n) => n !== null);
  const names = nodes.map((n) => n.name);
  const unguarded = nodes.filter((n) => !n.protectionRules.nodes.some((r) => r !== null && GUARDS.has(r.type))).map((n) => n.name);
  if (parsed.data.totalCount > nodes.length) {
    const error = `${parsed.data.totalCount} environments, of which only ${nodes.length} were read`;
    return { names: { value: null, error }, unguarded: unguarded.length > 0 ? { value: unguarded } : { value: null, error } };
  }
  return { names: { value: names }, unguarded: { value: unguarded } };
}

/** Pure: a feature's state from `security_and_analysis`; missing means not disclosed, never off. */
export function securityFeature(repo: RepoRef, key: string): { value: boolean } | { value: null; error: string } {
  const features = repo.securityAndAnalysis;
  if (features === null) {
    return { value: null, error: `GitHub did not disclose security_and_analysis for this repository (GET /repos/{owner}/{repo}); the app may lack ${ADMIN_PERMISSION}` };
  }
  const status = features[key]?.status;
  if (status === "enabled") return { value: true };
  if (status === "disabled") return { value: false };
  return { value: null, error: `GitHub reported no ${key} status for this repository (the plan may not offer it)` };
}

const alertsSchema = z.array(z.looseObject({ number: z.number().int(), state: z.string(), created_at: z.string() }));

/** Pure: open alerts, and those open longer than allowed. The page is oldest first, so an overdue alert is never beyond it. */
export function alertCounts(alerts: z.infer<typeof alertsSchema>, now: Date, maxDays: number): FindingValue<"secrets.alerts"> {
  const open = alerts.filter((a) => a.state === "open");
  const cutoff = now.getTime() - maxDays * 86_400_000;
  return { open: open.length, overdue: open.filter((a) => Date.parse(a.created_at) < cutoff).length };
}

async function readAlerts({ client, repo, now, config }: CollectContext): Promise<Finding> {
  const where: Where = { repo: repo.fullName, source: ALERTS_ROUTE, url: `${repo.htmlUrl}/security/secret-scanning`, observedAt: now.toISOString() };
  // GitHub already said secret scanning is off, and documents its alerts route answering 404 for
  // such a repository: asking would only spend a request on that 404.
  if (repo.securityAndAnalysis?.secret_scanning?.status === "disabled") {
    const source = `${repo.source ?? "GET /repos/{owner}/{repo}"} security_and_analysis`;
    return unreadable("secrets.alerts", `secret scanning is disabled for this repository (${source}), so GitHub lists no alerts for it (${ALERTS_ROUTE} answers 404)`, { ...where, source });
  }
  try {
    const { data } = await client.rest(ALERTS_ROUTE, { owner: repo.owner, repo: repo.name, state: "open", sort: "created", direction: "asc", per_page: ALERTS_PAGE }, alertsSchema);
    if (data === null) throw new Error("GitHub sent no body");
    return observed("secrets.alerts", alertCounts(data, now, config.thresholds.secretAlertMaxDays), where);
  } catch (error) {
    return unreadable("secrets.alerts", explainReadFailure(error, `${ALERTS_PERMISSION} (GitHub answers 404 when secret scanning is off)`), where);
  }
}

function toFinding<K extends FindingId>(id: K, read: Read<K>, where: Where): Finding {
  return read.value === null ? unreadable(id, "error" in read ? read.error : `${id} has no value`, where) : observed(id, read.value, where);
}

/** A field GitHub refused (a missing permission, a plan without it) is unreadable with its error. */
function field<K extends FindingId>(ctx: CollectContext, alias: string[], hint: string, read: () => Read<K>): Read<K> {
  const refused = fieldError(ctx.repositoryErrors, "repository", ...alias);
  return refused ? { value: null, error: `${refused}; the app may lack ${hint}` } : read();
}

const pageInfoSchema = z.looseObject({ acc_environments: z.looseObject({ pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }), nodes: z.array(z.unknown()) }) });
const environmentsPageSchema = z.looseObject({ repository: z.looseObject({ acc_environments: z.unknown() }).nullable() });

/**
 * The batched query's first page of environments with the pages after it, as one connection. A
 * page that cannot be read leaves the list as read so far: `environments` then says it is partial.
 */
async function allEnvironments(ctx: CollectContext, first: unknown): Promise<unknown> {
  const start = pageInfoSchema.safeParse({ acc_environments: first });
  if (!start.success) return first;
  const nodes = [...start.data.acc_environments.nodes];
  let info = start.data.acc_environments.pageInfo;
  for (let pages = 1; info.hasNextPage && info.endCursor && pages < MAX_ENVIRONMENT_PAGES; pages += 1) {
    try {
      const next = await ctx.client.graphql("claimcheckEnvironmentsPage", ENVIRONMENTS_PAGE_QUERY, { owner: ctx.repo.owner, name: ctx.repo.name, cursor: info.endCursor }, environmentsPageSchema);
      const page = pageInfoSchema.safeParse({ acc_environments: next.repository?.acc_environments });
      if (!page.success) break;
      nodes.push(...page.data.acc_environments.nodes);
      info = page.data.acc_environments.pageInfo;
    } catch {
      break;
    }
  }
  return { ...(first as Record<string, unknown>), nodes };
}

async function fromFragment(ctx: CollectContext): Promise<Finding[]> {
  const { repo, now } = ctx;
  const data = (ctx.repositoryData ?? {}) as Record<string, unknown>;
  const at = (source: string, page: string): Where => ({ repo: repo.fullName, source: `GraphQL repository.${source}`, url: `${repo.htmlUrl}/settings/${page}`, observedAt: now.toISOString() });
  const envWhere = at("environments", "environments");
  const envRefused = fieldError(ctx.repositoryErrors, "repository", "acc_environments");
  const env = envRefused ? null : environments(await allEnvironments(ctx, data.acc_environments));
  const teamsHint = "the organisation 'Members: read' permission";
  const teams: Read<"access.team-grants"> & { readAt?: string } = ctx.run
    ? await (async (): Promise<Read<"access.team-grants"> & { readAt?: string }> => {
        const refused = fieldError(ctx.repositoryErrors, "repository", "acc_owner");
        if (refused) return { value: null, error: `${refused}; the app may lack ${teamsHint}` };
        const read = await teamGrantsOfRun(ctx, data.acc_owner, data.acc_createdAt, data.acc_databaseId);
        return read.value === null ? { value: null, error: `${"error" in read ? read.error : "not read"}; the app may lack ${teamsHint}` } : read;
      })()
    : field(ctx, ["acc_owner"], teamsHint, () => teamGrantsOfOwner(data.acc_owner, repo.fullName));
  const envError = `${envRefused}; the app may lack the 'Actions: read' or 'Deployments: read' repository permission`;
  return [
    toFinding("access.individual-grants", field(ctx, ["acc_direct"], "the 'Metadata: read' repository permission or push access", () => individualGrants(data.acc_direct)), at("collaborators(affiliation: DIRECT)", "access")),
    // A team map read earlier (once for the run or the installation's hour) was observed then, not now.
    toFinding("access.team-grants", teams, { ...at("owner.teams.repositories", "access"), ...(teams.readAt ? { observedAt: teams.readAt } : {}) }),
    toFinding("deploy-keys.write", field(ctx, ["acc_deployKeys"], ADMIN_PERMISSION, () => writeDeployKeys(data.acc_deployKeys)), at("deployKeys", "keys")),
    toFinding("environments.names", env ? env.names : { value: null, error: envError }, envWhere),
    toFinding("environments.unguarded", env ? env.unguarded : { value: null, error: envError }, envWhere),
  ];
}

function fromRepository({ repo, now }: CollectContext): Finding[] {
  const where: Where = { repo: repo.fullName, source: `${repo.source ?? "GET /repos/{owner}/{repo}"} security_and_analysis`, url: `${repo.htmlUrl}/settings/security_analysis`, observedAt: now.toISOString() };
  return [toFinding("secrets.scanning", securityFeature(repo, "secret_scanning"), where), toFinding("secrets.push-protection", securityFeature(repo, "secret_scanning_push_protection"), where)];
}

export const REPO_ACCESS_FINDINGS = [
  "access.individual-grants",
  "access.team-grants",
  "deploy-keys.write",
  "environments.names",
  "environments.unguarded",
  "secrets.scanning",
  "secrets.push-protection",
  "secrets.alerts",
] as const satisfies readonly FindingId[];

export const repoAccessCollector: Collector = {
  id: "repo-access",
  produces: REPO_ACCESS_FINDINGS,
  repositoryFragment: repoAccessFragment,
  runFragment: repoAccessRunFragment,
  async collect(ctx: CollectContext): Promise<Finding[]> {
    return [...(await fromFragment(ctx)), ...fromRepository(ctx), await readAlerts(ctx)];
  },
};
