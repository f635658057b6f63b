import { z } from "zod";
import { observed, unreadable, type BypassActor, type Finding, type FindingId, type FindingValue, type Where } from "../core/findings.js";
import { GitHubReadError, explainReadFailure, type GitHubClient } from "../github/client.js";
import type { CollectContext, Collector } from "./types.js";

/*
 * Default-branch protection, as it actually applies: classic branch protection merged with the
 * rules of every active ruleset that targets the branch (repository- or organisation-level).
 */

const CLASSIC_ROUTE = "GET /repos/{owner}/{repo}/branches/{branch}/protection";
const RULES_ROUTE = "GET /repos/{owner}/{repo}/rules/branches/{branch}";
const RULESET_ROUTE = "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}";
const PERMISSION = "the 'Administration: read' repository permission";

const enabledFlag = z.looseObject({ enabled: z.boolean() }).nullish();
const idList = z.array(z.looseObject({ id: z.number().int() })).optional();

export const classicProtectionSchema = z.looseObject({
  required_status_checks: z
    .looseObject({
      contexts: z.array(z.string()).optional(),
      checks: z.array(z.looseObject({ context: z.string() })).optional(),
    })
    .nullish(),
  enforce_admins: enabledFlag,
  required_pull_request_reviews: z
    .looseObject({
      dismiss_stale_reviews: z.boolean().optional(),
      require_code_owner_reviews: z.boolean().optional(),
      required_approving_review_count: z.number().int().nonnegative().optional(),
      require_last_push_approval: z.boolean().optional(),
      bypass_pull_request_allowances: z.looseObject({ users: idList, teams: idList, apps: idList }).nullish(),
    })
    .nullish(),
  required_signatures: enabledFlag,
  allow_force_pushes: enabledFlag,
  allow_deletions: enabledFlag,
});
export type ClassicProtection = z.infer<typeof classicProtectionSchema>;

export const branchRuleSchema = z.looseObject({
  type: z.string(),
  ruleset_source_type: z.string().optional(),
  ruleset_source: z.string().optional(),
  ruleset_id: z.number().int(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});
export type BranchRule = z.infer<typeof branchRuleSchema>;

export const rulesetSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  source: z.string(),
  source_type: z.string().optional(),
  enforcement: z.string(),
  bypass_actors: z
    .array(
      z.looseObject({
        actor_id: z.number().int().nullish(),
        actor_type: z.string(),
        bypass_mode: z.string().optional(),
      }),
    )
    .optional(),
});
export type Ruleset = z.infer<typeof rulesetSchema>;

const pullRequestParams = z.looseObject({
  required_approving_review_count: z.number().int().nonnegative(),
  dismiss_stale_reviews_on_push: z.boolean(),
  require_code_owner_review: z.boolean(),
  require_last_push_approval: z.boolean(),
});
const statusCheckParams = z.looseObject({
  required_status_checks: z.array(z.looseObject({ context: z.string() })),
});

/** Classic protection as read: absent (404, or a plan without it), present, or not readable. */
export type ClassicState =
  | { kind: "none" }
  | { kind: "present"; protection: ClassicProtection }
  | { kind: "unreadable"; error: string };

/** A ruleset whose rules apply, or the reason its details (bypass actors) could not be read. */
export type RulesetState = { id: number; ruleset: Ruleset | null; error?: string };

export type ProtectionValues = {
  [K in ProtectionFindingId]: { value: FindingValue<K> } | { value: null; error: string };
};

const PROTECTION_FINDINGS = [
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
  "branch-protection.bypass-actors",
  "branch-protection.sources",
] as const satisfies readonly FindingId[];
type ProtectionFindingId = (typeof PROTECTION_FINDINGS)[number];

type Known<T> = { value: T } | { value: null; error: string };
const known = <T>(value: T): Known<T> => ({ value });
const notKnown = (error: string): { value: null; error: string } => ({ value: null, error });

/**
 * One protection flag from both sources. A ruleset that enforces it settles it; otherwise the
 * classic answer decides, and a classic answer we could not read or that lacks the field is
 * unknown rather than "off".
 */
function either(classic: ClassicState, fromClassic: (p: ClassicProtection) => boolean | undefined, byRules: boolean, field: string): Known<boolean> {
  if (byRules) return known(true);
  if (classic.kind === "none") return known(false);
  if (classic.kind === "unreadable") return notKnown(classic.error);
  const value = fromClassic(classic.protection);
  return value === undefined ? notKnown(`GitHub's classic protection answer has no ${field}`) : known(value);
}

function paramsOf<S extends z.ZodType>(rule: BranchRule, schema: S): z.infer<S> | null {
  const parsed = schema.safeParse(rule.parameters ?? {});
  return parsed.success ? parsed.data : null;
}

/** Pure: merges classic protection and the active rules that apply into the protection findings. */
export function mergeProtection(classic: ClassicState, allRules: BranchRule[], rulesets: RulesetState[]): ProtectionValues {
  const rulesetById = new Map(rulesets.map((r) => [r.id, r]));
  // The rules endpoint returns only active rules, but a ruleset we could read in another mode
  // (evaluate, disabled) must not be counted as enforcing anything.
  const rules = allRules.filter((rule) => {
    const ruleset = rulesetById.get(rule.ruleset_id)?.ruleset;
    return !ruleset || ruleset.enforcement === "active";
  });
  const ofType = (type: string) => rules.filter((r) => r.type === type);
  const prRules = ofType("pull_request");
  const prParams = prRules.map((r) => paramsOf(r, pullRequestParams));
  const malformed = prParams.some((p) => p === null) || ofType("required_status_checks").some((r) => paramsOf(r, statusCheckParams) === null);
  const reviews = classic.kind === "present" ? classic.protection.required_pull_request_reviews : undefined;
  const prFlag = (pick: (p: z.infer<typeof pullRequestParams>) => boolean) => prParams.some((p) => p !== null && pick(p));

  const out = {} as ProtectionValues;
  out["branch-protection.pr-required"] = either(classic, (p) => p.required_pull_request_reviews != null, prRules.length > 0, "required_pull_request_reviews");

  const ruleApprovals = Math.max(0, ...prParams.map((p) => p?.required_approving_review_count ?? 0));
  if (classic.kind === "unreadable" && ruleApprovals === 0) out["branch-protection.required-approvals"] = notKnown(classic.error);
  else out["branch-protection.required-approvals"] = known(Math.max(ruleApprovals, reviews?.required_approving_review_count ?? 0));

  const reviewFlag = (key: "dismiss_stale_reviews" | "require_code_owner_reviews" | "require_last_push_approval") => (p: ClassicProtection) =>
    p.required_pull_request_reviews == null ? false : p.required_pull_request_reviews[key];
  out["branch-protection.dismiss-stale-reviews"] = either(classic, reviewFlag("dismiss_stale_reviews"), prFlag((p) => p.dismiss_stale_reviews_on_push), "dismiss_stale_reviews");
  out["branch-protection.code-owner-review"] = either(classic, reviewFlag("require_code_owner_reviews"), prFlag((p) => p.require_code_owner_review), "require_code_owner_reviews");
  out["branch-protection.last-push-approval"] = either(classic, reviewFlag("require_last_push_approval"), prFlag((p) => p.require_last_push_approval), "require_last_push_approval");

  const ruleChecks = ofType("required_status_checks").flatMap((r) => paramsOf(r, statusCheckParams)?.required_status_checks.map((c) => c.context) ?? []);
  if (classic.kind === "unreadable" && ruleChecks.length === 0) out["branch-protection.required-checks"] = notKnown(classic.error);
  else {
    const fromClassic = classic.kind === "present" ? classic.protection.required_status_checks : null;
    const classicChecks = [...(fromClassic?.contexts ?? []), ...(fromClassic?.checks?.map((c) => c.context) ?? [])];
    out["branch-protection.required-checks"] = known([...new Set([...classicChecks, ...ruleChecks])].sort());
  }

  out["branch-protection.force-push-blocked"] = either(
    classic,
    (p) => (p.allow_force_pushes ? !p.allow_force_pushes.enabled : undefined),
    ofType("non_fast_forward").length > 0,
    "allow_force_pushes",
  );
  out["branch-protection.deletion-blocked"] = either(classic, (p) => (p.allow_deletions ? !p.allow_deletions.enabled : undefined), ofType("deletion").length > 0, "allow_deletions");
  out["branch-protection.signed-commits"] = either(classic, (p) => p.required_signatures?.enabled, ofType("required_signatures").length > 0, "required_signatures");

  // Who may skip the rules: classic protection without enforce_admins lets admins through;
  // each applying ruleset lets its bypass actors through.
  const applying = [...new Set(rules.map((r) => r.ruleset_id))].map((id) => rulesetById.get(id) ?? { id, ruleset: null, error: "ruleset details were not read" });
  const actors: BypassActor[] = [];
  const unknownBypass: string[] = [];
  for (const state of applying) {
    if (!state.ruleset) unknownBypass.push(`ruleset ${state.id}: ${state.error ?? "not readable"}`);
    else if (!state.ruleset.bypass_actors) unknownBypass.push(`ruleset "${state.ruleset.name}": GitHub did not disclose its bypass actors (they are shown only to callers with write access to the ruleset)`);
    else {
      for (const a of state.ruleset.bypass_actors) {
        actors.push({ ruleset: state.ruleset.name, actorType: a.actor_type, actorId: a.actor_id ?? null, bypassMode: a.bypass_mode ?? "always" });
      }
    }
  }
  // Classic protection may also let named users, teams and apps push without a pull request.
  const allowances = reviews?.bypass_pull_request_allowances;
  for (const [actorType, list] of [["User", allowances?.users], ["Team", allowances?.teams], ["Integration", allowances?.apps]] as const) {
    for (const a of list ?? []) actors.push({ ruleset: "classic branch protection", actorType, actorId: a.id, bypassMode: "always" });
  }
  let classicAdmins: Known<boolean>;
  if (classic.kind === "none") classicAdmins = known(true);
  else if (classic.kind === "unreadable") classicAdmins = notKnown(classic.error);
  else classicAdmins = classic.protection.enforce_admins ? known(classic.protection.enforce_admins.enabled) : notKnown("GitHub's classic protection answer has no enforce_admins");

  const nothingApplies = classic.kind === "none" && applying.length === 0;
  if (nothingApplies || classicAdmins.value === false || actors.length > 0) out["branch-protection.admins-enforced"] = known(false);
  else if (classicAdmins.value === null) out["branch-protection.admins-enforced"] = notKnown(classicAdmins.error);
  else if (unknownBypass.length > 0) out["branch-protection.admins-enforced"] = notKnown(unknownBypass.join("; "));
  else out["branch-protection.admins-enforced"] = known(true);

  out["branch-protection.bypass-actors"] = unknownBypass.length > 0 && actors.length === 0 ? notKnown(unknownBypass.join("; ")) : known(actors);
  out["branch-protection.sources"] =
    classic.kind === "unreadable"
      ? notKnown(classic.error)
      : known({
          classic: classic.kind === "present",
          rulesets: applying.flatMap((s) => (s.ruleset ? [{ id: s.ruleset.id, name: s.ruleset.name, source: s.ruleset.source, enforcement: s.ruleset.enforcement }] : [])),
        });

  if (malformed) {
    // A rule whose parameters we cannot read could weaken or strengthen anything above.
    for (const id of PROTECTION_FINDINGS) {
      const v = out[id].value;
      if (v === false || v === 0 || (id === "branch-protection.required-checks" && Array.isArray(v) && v.length === 0)) out[id] = notKnown("a ruleset rule's parameters had an unexpected shape");
    }
  }
  return out;
}

async function readClassic(client: GitHubClient, params: Record<string, unknown>): Promise<ClassicState> {
  try {
    const { status, data } = await client.rest(CLASSIC_ROUTE, params, classicProtectionSchema, { expect: [404] });
    if (status === 404 || data === null) return { kind: "none" };
    return { kind: "present", protection: data };
  } catch (error) {
    // Private repositories on GitHub Free cannot have classic protection at all.
    if (error instanceof GitHubReadError && error.status === 403 && /upgrade to github pro/i.test(error.message)) return { kind: "none" };
    return { kind: "unreadable", error: explainReadFailure(error, PERMISSION) };
  }
}

async function readRules(client: GitHubClient, params: Record<string, unknown>): Promise<BranchRule[]> {
  const rules: BranchRule[] = [];
  const perPage = 100;
  for (let page = 1; ; page += 1) {
    const { data } = await client.rest(RULES_ROUTE, { ...params, per_page: perPage, page }, z.array(branchRuleSchema));
    rules.push(...(data ?? []));
    if (!data || data.length < perPage) return rules;
  }
}

async function readRuleset(client: GitHubClient, owner: string, repo: string, id: number): Promise<RulesetState> {
  try {
    const { data } = await client.rest(RULESET_ROUTE, { owner, repo, ruleset_id: id }, rulesetSchema);
    return { id, ruleset: data };
  } catch (error) {
    return { id, ruleset: null, error: explainReadFailure(error, PERMISSION) };
  }
}

export const branchProtectionCollector: Collector = {
  id: "branch-protection",
  produces: PROTECTION_FINDINGS,
  async collect({ client, repo, now }: CollectContext): Promise<Finding[]> {
    const params = { owner: repo.owner, repo: repo.name, branch: repo.defaultBranch };
    const classic = await readClassic(client, params);
    const rules = await readRules(client, params);
    const ids = [...new Set(rules.map((r) => r.ruleset_id))];
    const rulesets = await Promise.all(ids.map((id) => readRuleset(client, repo.owner, repo.name, id)));
    const merged = mergeProtection(classic, rules, rulesets);
    const where: Where = {
      repo: repo.fullName,
      source: `${CLASSIC_ROUTE} + ${RULES_ROUTE}${ids.length ? ` + ${RULESET_ROUTE}` : ""}`,
      url: ids.length > 0 ? `${repo.htmlUrl}/rules` : `${repo.htmlUrl}/settings/branches`,
      observedAt: now.toISOString(),
    };
    return PROTECTION_FINDINGS.map((id) => {
      const entry = merged[id];
      return entry.value === null ? unreadable(id, entry.error, where) : observed(id, entry.value as FindingValue<typeof id>, where);
    });
  },
};
