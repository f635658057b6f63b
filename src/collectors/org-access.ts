import { z } from "zod";
import { observed, unreadable, type Finding, type FindingId, type FindingValue, type Where } from "../core/findings.js";
import { GitHubReadError, explainReadFailure, fieldError, type GitHubClient, type GraphqlFieldError } from "../github/client.js";
import type { OrgCollectContext, OrgCollector } from "./types.js";

/*
 * Who may do what in the organisation: its settings (2FA, base permission), its owners, members
 * without 2FA, SAML SSO, and outside collaborators — with write access anywhere, and whether they
 * were active in the window. Read once per run.
 *
 * Outside collaborators' write access is read here, once, by walking the organisation's
 * repositories (those the installation can see) with `collaborators(affiliation: OUTSIDE)`: the
 * finding is organisation-wide and is needed before any repository is assessed, so it cannot be
 * assembled from the per-repository collectors.
 */

const ORG_ROUTE = "GET /orgs/{org}";
const MEMBERS_ROUTE = "GET /orgs/{org}/members";
const OUTSIDE_ROUTE = "GET /orgs/{org}/outside_collaborators";

const ORG_ADMIN = "the organisation 'Administration: read' permission (GitHub shows this setting only to organisation owners and apps granted it)";
const MEMBERS = "the organisation 'Members: read' permission";
const PAGE = 100;
const MAX_PAGES = 100;

export const ORG_SSO_QUERY = `
query claimcheckOrgSso($org: String!) {
  rateLimit { cost remaining }
  organization(login: $org) {
    samlIdentityProvider { issuer ssoUrl }
  }
}`;

export const ORG_OUTSIDE_ACCESS_QUERY = `
query claimcheckOrgOutsideAccess($org: String!, $after: String) {
  rateLimit { cost remaining }
  organization(login: $org) {
    repositories(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        name
        nameWithOwner
        isArchived
        isFork
        collaborators(affiliation: OUTSIDE, first: 100) {
          totalCount
          edges { permission node { login } }
        }
      }
    }
  }
}`;

const ACTIVITY_CHUNK = 20;

/** One aliased `user` per login, so the activity of many collaborators costs one request. */
export function outsideActivityQuery(count: number): string {
  const vars = Array.from({ length: count }, (_, i) => `$u${i}: String!`).join(", ");
  const users = Array.from(
    { length: count },
    (_, i) => `  u${i}: user(login: $u${i}) {
    login
    contributionsCollection(organizationID: $orgId, from: $from, to: $to) {
      totalCommitContributions
      totalIssueContributions
      totalPullRequestContributions
      totalPullRequestReviewContributions
      totalRepositoryContributions
      restrictedContributionsCount
    }
  }`,
  ).join("\n");
  return `query claimcheckOutsideActivity($orgId: ID!, $from: DateTime!, $to: DateTime!, ${vars}) {
  rateLimit { cost remaining }
${users}
}`;
}

const orgSchema = z.looseObject({
  node_id: z.string(),
  two_factor_requirement_enabled: z.boolean().nullish(),
  default_repository_permission: z.enum(["none", "read", "write", "admin"]).nullish(),
});
const usersSchema = z.array(z.looseObject({ login: z.string() }));

const ssoSchema = z.looseObject({
  organization: z.looseObject({ samlIdentityProvider: z.looseObject({ issuer: z.string().nullish(), ssoUrl: z.string().nullish() }).nullish() }).nullable(),
});

const permissionOf = z.enum(["ADMIN", "MAINTAIN", "WRITE", "TRIAGE", "READ"]).transform((p) => p.toLowerCase() as "admin" | "maintain" | "write" | "triage" | "read");
const repoNodeSchema = z.looseObject({
  name: z.string(),
  nameWithOwner: z.string(),
  isArchived: z.boolean(),
  isFork: z.boolean(),
  collaborators: z.looseObject({ totalCount: z.number().int(), edges: z.array(z.looseObject({ permission: permissionOf, node: z.looseObject({ login: z.string() }) })) }).nullable(),
});
const outsideAccessSchema = z.looseObject({
  organization: z
    .looseObject({
      repositories: z.looseObject({
        pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
        nodes: z.array(repoNodeSchema.nullable()),
      }),
    })
    .nullable(),
});
export type OutsideRepoNode = z.infer<typeof repoNodeSchema>;

const contributionsSchema = z.looseObject({
  totalCommitContributions: z.number().int(),
  totalIssueContributions: z.number().int(),
  totalPullRequestContributions: z.number().int(),
  totalPullRequestReviewContributions: z.number().int(),
  totalRepositoryContributions: z.number().int(),
  restrictedContributionsCount: z.number().int(),
});
const activitySchema = z.record(z.string(), z.unknown());
const activityUserSchema = z.looseObject({ login: z.string(), contributionsCollection: contributionsSchema }).nullable();
export type Contributions = z.infer<typeof contributionsSchema>;

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** Every page of a REST list of users. */
async function listUsers(client: GitHubClient, route: string, params: Record<string, unknown>): Promise<string[]> {
  const logins: string[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const { data } = await client.rest(route, { ...params, per_page: PAGE, page }, usersSchema);
    logins.push(...(data ?? []).map((u) => u.login));
    if (!data || data.length < PAGE) return logins;
  }
  throw new Error(`${route} has more than ${MAX_PAGES * PAGE} entries; claimcheck stopped reading`);
}

async function attempt<T>(read: () => Promise<T>, hint: string): Promise<Result<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: explainReadFailure(error, hint) };
  }
}

/** Pure: the organisation's own settings, where GitHub disclosed them. A key left out is hidden, not off. */
export function settingsFindings(org: z.infer<typeof orgSchema> | null, failure: string | null, where: (url: string) => Where): Finding[] {
  const security = where("settings/security");
  const privileges = where("settings/member_privileges");
  if (!org) {
    const reason = failure ?? "GitHub returned no organisation";
    return [unreadable("org.2fa-required", reason, security), unreadable("org.base-permission", reason, privileges)];
  }
  const hidden = (what: string) => `GitHub did not disclose ${what} (${ORG_ROUTE}); the app may lack ${ORG_ADMIN}`;
  return [
    typeof org.two_factor_requirement_enabled === "boolean"
      ? observed("org.2fa-required", org.two_factor_requirement_enabled, security)
      : unreadable("org.2fa-required", hidden("two_factor_requirement_enabled"), security),
    org.default_repository_permission
      ? observed("org.base-permission", org.default_repository_permission, privileges)
      : unreadable("org.base-permission", hidden("default_repository_permission"), privileges),
  ];
}

/** The 2FA filter is for owners only: GitHub refuses it (403/422) rather than returning a wrong list. */
async function membersWithout2fa(client: GitHubClient, org: string): Promise<Result<string[]>> {
  try {
    return { ok: true, value: await listUsers(client, MEMBERS_ROUTE, { org, filter: "2fa_disabled" }) };
  } catch (error) {
    if (error instanceof GitHubReadError && (error.status === 403 || error.status === 422)) {
      return { ok: false, error: `${error.message} (${MEMBERS_ROUTE}?filter=2fa_disabled): GitHub lets only organisation owners list members without two-factor authentication` };
    }
    return { ok: false, error: explainReadFailure(error, MEMBERS) };
  }
}

/**
 * Pure: what GitHub shows of SAML SSO. Neither case proves enforcement: an identity provider can be
 * configured without being required, and SSO set on an enterprise account is not shown here.
 */
export function ssoFinding(read: Result<z.infer<typeof ssoSchema>>, errors: readonly GraphqlFieldError[], where: Where): Finding {
  if (!read.ok) return unreadable("org.sso-enforced", read.error, where);
  const refused = fieldError(errors, "organization", "samlIdentityProvider") ?? fieldError(errors, "organization");
  if (refused) return unreadable("org.sso-enforced", `${refused}; the app may lack ${MEMBERS}`, where);
  const idp = read.value.organization?.samlIdentityProvider;
  if (idp) {
    return unreadable(
      "org.sso-enforced",
      `SAML SSO is configured on the organisation${idp.issuer ? ` (identity provider ${idp.issuer})` : ""}, but GitHub's API does not say whether it is required for every member (Settings → Authentication security → "Require SAML SSO authentication")`,
      where,
    );
  }
  return unreadable(
    "org.sso-enforced",
    "no SAML identity provider is configured on the organisation itself; SSO set on an enterprise account, and whether SSO is required, are not shown to apps",
    where,
  );
}

type OutsideSweep = { grants: FindingValue<"org.outside-collaborators-with-write">; seen: Set<string>; unread: string[] };

const WRITE = new Set(["write", "maintain", "admin"]);

/** Pure: outside collaborators with write access, from the repositories read. Archived repositories are read-only; forks and excluded ones are out of scope. */
export function outsideGrants(nodes: readonly OutsideRepoNode[], exclude: readonly string[]): OutsideSweep {
  const sweep: OutsideSweep = { grants: [], seen: new Set(), unread: [] };
  for (const repo of nodes) {
    if (repo.isArchived || repo.isFork || exclude.includes(repo.name) || exclude.includes(repo.nameWithOwner)) continue;
    const collaborators = repo.collaborators;
    if (!collaborators || collaborators.totalCount > collaborators.edges.length) {
      sweep.unread.push(repo.nameWithOwner);
      if (!collaborators) continue;
    }
    for (const edge of collaborators.edges) {
      sweep.seen.add(edge.node.login.toLowerCase());
      if (WRITE.has(edge.permission)) sweep.grants.push({ login: edge.node.login, repo: repo.nameWithOwner, permission: edge.permission });
    }
  }
  return sweep;
}

async function sweepOutsideAccess(client: GitHubClient, org: string, exclude: readonly string[]): Promise<Result<OutsideSweep>> {
  const nodes: OutsideRepoNode[] = [];
  const refusedRepos: string[] = [];
  let after: string | null = null;
  try {
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const answer: { data: z.infer<typeof outsideAccessSchema>; errors: GraphqlFieldError[] } = await client.graphqlPartial("claimcheckOrgOutsideAccess", ORG_OUTSIDE_ACCESS_QUERY, { org, after }, outsideAccessSchema);
      const { data, errors } = answer;
      if (!data.organization) return { ok: false, error: `GraphQL could not see organisation ${org}${errors[0] ? `: ${errors[0].message}` : ""}` };
      const { repositories } = data.organization;
      repositories.nodes.forEach((node, i) => {
        if (!node) {
          refusedRepos.push(`a repository GitHub did not return (page ${page + 1}, item ${i + 1})`);
          return;
        }
        if (fieldError(errors, "organization", "repositories", "nodes", i, "collaborators")) refusedRepos.push(node.nameWithOwner);
        nodes.push(node);
      });
      if (!repositories.pageInfo.hasNextPage) {
        const sweep = outsideGrants(nodes, exclude);
        return { ok: true, value: { ...sweep, unread: [...new Set([...sweep.unread, ...refusedRepos])] } };
      }
      after = repositories.pageInfo.endCursor;
    }
    return { ok: false, error: `the organisation has more than ${MAX_PAGES * 50} repositories; claimcheck stopped reading` };
  } catch (error) {
    return { ok: false, error: explainReadFailure(error, MEMBERS) };
  }
}

/** Pure: the write grants stand when they already show a breach; otherwise repositories not read could hide one. */
export function outsideWriteFinding(sweep: Result<OutsideSweep>, excepted: readonly string[], where: Where, listed: readonly string[] | null = null): Finding {
  if (!sweep.ok) return unreadable("org.outside-collaborators-with-write", sweep.error, where);
  const { grants, unread, seen } = sweep.value;
  const allowed = new Set(excepted.map((l) => l.toLowerCase()));
  const breach = grants.some((g) => !allowed.has(g.login.toLowerCase()));
  if (unread.length > 0 && !breach) {
    return unreadable("org.outside-collaborators-with-write", `the outside collaborators of ${unread.join(", ")} could not be read in full; the app may lack ${MEMBERS} or access to those repositories`, where);
  }
  // The organisation lists outside collaborators the sweep never met: their access is to
  // repositories the app cannot see (not selected for it), and may be write access.
  const unmet = (listed ?? []).filter((login) => !seen.has(login.toLowerCase()));
  if (unmet.length > 0 && !breach) {
    return unreadable("org.outside-collaborators-with-write", `${unmet.join(", ")} ${unmet.length === 1 ? "is an outside collaborator" : "are outside collaborators"} only on repositories the app cannot see (install it on all repositories to read their access)`, where);
  }
  return observed("org.outside-collaborators-with-write", grants, where);
}

export type Activity = "active" | "inactive" | { undetermined: string };

/**
 * Pure: one outside collaborator's activity in the window, from GitHub's contribution counts in
 * the organisation. A contribution proves activity; zero proves nothing when some contributions
 * are hidden from the app (restricted) or the person has access the app cannot see.
 */
export function activityOf(contributions: Contributions | null, accessHidden: boolean): Activity {
  if (!contributions) return { undetermined: "GitHub returned no such user" };
  const visible =
    contributions.totalCommitContributions +
    contributions.totalIssueContributions +
    contributions.totalPullRequestContributions +
    contributions.totalPullRequestReviewContributions +
    contributions.totalRepositoryContributions;
  if (visible > 0) return "active";
  if (contributions.restrictedContributionsCount > 0) return { undetermined: "has contributions hidden from the app" };
  if (accessHidden) return { undetermined: "has access only to repositories the app cannot see" };
  return "inactive";
}

async function readContributions(client: GitHubClient, logins: readonly string[], orgId: string, since: Date, now: Date): Promise<Map<string, Contributions | null>> {
  const found = new Map<string, Contributions | null>();
  for (let start = 0; start < logins.length; start += ACTIVITY_CHUNK) {
    const chunk = logins.slice(start, start + ACTIVITY_CHUNK);
    const variables: Record<string, unknown> = { orgId, from: since.toISOString(), to: now.toISOString() };
    chunk.forEach((login, i) => (variables[`u${i}`] = login));
    // A login GitHub no longer knows is a field error beside the others' answers, not a failure.
    const { data } = await client.graphqlPartial("claimcheckOutsideActivity", outsideActivityQuery(chunk.length), variables, activitySchema);
    chunk.forEach((login, i) => {
      const user = activityUserSchema.safeParse(data[`u${i}`] ?? null);
      if (!user.success) throw new Error(`GitHub's answer for ${login}'s contributions did not have the expected shape`);
      found.set(login, user.data?.contributionsCollection ?? null);
    });
  }
  return found;
}

/** Pure: the inactive list stands when it names someone; otherwise an undetermined collaborator could be inactive. */
export function inactiveFinding(activity: ReadonlyMap<string, Activity>, where: Where): Finding {
  const inactive = [...activity].filter(([, a]) => a === "inactive").map(([login]) => login);
  const undetermined = [...activity].flatMap(([login, a]) => (typeof a === "object" ? [`${login} (${a.undetermined})`] : []));
  if (inactive.length === 0 && undetermined.length > 0) {
    return unreadable("org.outside-collaborators-inactive", `the activity of ${undetermined.join(", ")} could not be established from what GitHub shows the app`, where);
  }
  return observed("org.outside-collaborators-inactive", inactive, where);
}

async function inactiveOutside(ctx: OrgCollectContext, orgId: string | null, sweep: Result<OutsideSweep>, listed: Result<string[]>, where: Where): Promise<Finding> {
  const { client, since, now } = ctx;
  if (!listed.ok) return unreadable("org.outside-collaborators-inactive", listed.error, where);
  if (listed.value.length === 0) return observed("org.outside-collaborators-inactive", [], where);
  if (!orgId) return unreadable("org.outside-collaborators-inactive", `the organisation could not be read (${ORG_ROUTE}), so contributions could not be filtered to it`, where);
  const contributions = await attempt(() => readContributions(client, listed.value, orgId, since, now), "access to the users' contribution counts");
  if (!contributions.ok) return unreadable("org.outside-collaborators-inactive", contributions.error, where);
  const seen = sweep.ok ? sweep.value.seen : null;
  const activity = new Map<string, Activity>(listed.value.map((login) => [login, activityOf(contributions.value.get(login) ?? null, seen === null || !seen.has(login.toLowerCase()))]));
  return inactiveFinding(activity, where);
}

export const ORG_ACCESS_FINDINGS = [
  "org.2fa-required",
  "org.base-permission",
  "org.owners",
  "org.members-without-2fa",
  "org.sso-enforced",
  "org.outside-collaborators-with-write",
  "org.outside-collaborators-inactive",
] as const satisfies readonly FindingId[];

export const orgAccessCollector: OrgCollector = {
  id: "org-access",
  produces: ORG_ACCESS_FINDINGS,
  async collect(ctx: OrgCollectContext): Promise<Finding[]> {
    const { client, org, config, now } = ctx;
    const where = (source: string, path: string): Where => ({ source, url: `https://github.com/${path}`, observedAt: now.toISOString() });

    const settings = await attempt(async () => (await client.rest(ORG_ROUTE, { org }, orgSchema)).data, ORG_ADMIN);
    const findings = settingsFindings(settings.ok ? settings.value : null, settings.ok ? null : settings.error, (path) => where(ORG_ROUTE, `organizations/${org}/${path}`));

    const ownersWhere = where(`${MEMBERS_ROUTE}?role=admin`, `orgs/${org}/people?query=role%3Aowner`);
    const owners = await attempt(() => listUsers(client, MEMBERS_ROUTE, { org, role: "admin" }), MEMBERS);
    findings.push(owners.ok ? observed("org.owners", owners.value, ownersWhere) : unreadable("org.owners", owners.error, ownersWhere));

    const no2faWhere = where(`${MEMBERS_ROUTE}?filter=2fa_disabled`, `orgs/${org}/people?query=two-factor%3Adisabled`);
    const no2fa = await membersWithout2fa(client, org);
    findings.push(no2fa.ok ? observed("org.members-without-2fa", no2fa.value, no2faWhere) : unreadable("org.members-without-2fa", no2fa.error, no2faWhere));

    let ssoErrors: GraphqlFieldError[] = [];
    const sso = await attempt(async () => {
      const answer = await client.graphqlPartial("claimcheckOrgSso", ORG_SSO_QUERY, { org }, ssoSchema);
      ssoErrors = answer.errors;
      return answer.data;
    }, MEMBERS);
    findings.push(ssoFinding(sso, ssoErrors, where("GraphQL organization.samlIdentityProvider", `organizations/${org}/settings/security`)));

    const outsideWhere = where("GraphQL organization.repositories.collaborators(affiliation: OUTSIDE)", `orgs/${org}/outside-collaborators`);
    const sweep = await sweepOutsideAccess(client, org, config.exclude);
    const listed = await attempt(() => listUsers(client, OUTSIDE_ROUTE, { org }), MEMBERS);
    findings.push(outsideWriteFinding(sweep, config.exceptions.outsideCollaborators, outsideWhere, listed.ok ? listed.value : null));

    const orgId = settings.ok ? (settings.value?.node_id ?? null) : null;
    const activityWhere = where(`${OUTSIDE_ROUTE} + GraphQL user.contributionsCollection`, `orgs/${org}/outside-collaborators`);
    findings.push(await inactiveOutside(ctx, orgId, sweep, listed, activityWhere));
    return findings;
  },
};
