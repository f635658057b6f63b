import type { Status } from "../core/status.js";
import { factsFor, type FactSource } from "./facts.js";
import type { CheckRollUp, ClaimRollUp, StatusCounts } from "./rollup.js";
import type { StatusList } from "./statuses.js";
import { names, namesOf } from "./words.js";

/*
 * The argument of each claim, in plain sentences generated from the roll-up and the findings:
 * numbers and repository names, never a conclusion the findings do not show. Where nothing
 * could be seen the narrative says so and why.
 */

export type NarrativeContext = {
  org: string;
  windowDays: number;
  inScope: readonly FactSource[];
  outOfScope: readonly { name: string; reason: string }[];
};

export const STATUS_WORD: Record<Status, string> = {
  met: "met",
  partial: "partly met",
  gap: "a gap",
  unknown: "unknown",
  not_applicable: "not applicable",
  attested: "attested",
};

const MAX_REASON_GROUPS = 3;

function repositoriesWord(n: number): string {
  return n === 1 ? "the one repository in scope" : n === 2 ? "both repositories in scope" : `all ${n} repositories in scope`;
}

/** Repositories grouped by the same status and reason, most pressing first. */
function groups(statuses: StatusList, wanted: readonly Status[], counts: StatusCounts): { status: Status; reason: string; repos: string[] }[] {
  // The counts say how many repositories are wanted: none, no pass; the pass ends at the last.
  let left = wanted.reduce((n, s) => n + counts[s], 0);
  // By status, then by reason (the digests share their reasons' strings): no key made per repository.
  const byStatus = new Map<Status, Map<string, { status: Status; reason: string; repos: string[] }>>();
  const found: { status: Status; reason: string; repos: string[] }[] = [];
  for (let i = 0; i < statuses.length && left > 0; i += 1) {
    const status = statuses.status(i);
    if (!wanted.includes(status)) continue;
    left -= 1;
    let byReason = byStatus.get(status);
    if (!byReason) byStatus.set(status, (byReason = new Map()));
    const reason = statuses.reason(i);
    const group = byReason.get(reason);
    if (group) group.repos.push(statuses.repo(i));
    else {
      const made = { status, reason, repos: [statuses.repo(i)] };
      byReason.set(reason, made);
      found.push(made);
    }
  }
  return found.sort((a, b) => wanted.indexOf(a.status) - wanted.indexOf(b.status) || b.repos.length - a.repos.length);
}

function repoCheckSentence(check: CheckRollUp, includeMet: boolean): string | null {
  const total = check.repositories.length;
  if (total === 0) return null;
  const label = `\`${check.checkId}\`${check.supporting ? " (supporting only)" : ""}`;
  if (check.counts.not_applicable === total) {
    const where = total === 1 ? "to the one repository in scope" : `in any of the ${total} repositories in scope`;
    return `${label} does not apply ${where}: ${groups(check.repositories, ["not_applicable"], check.counts)[0]?.reason ?? ""}.`;
  }
  const open = groups(check.repositories, ["gap", "partial", "unknown"], check.counts);
  const met = `met in ${check.counts.met} of ${total} ${total === 1 ? "repository" : "repositories"}`;
  if (open.length === 0) return includeMet ? `${label} is ${met}.` : null;
  const shown = open.slice(0, MAX_REASON_GROUPS).map((g) => `${STATUS_WORD[g.status]} in ${names(g.repos)} (${g.reason})`);
  const rest = open.slice(MAX_REASON_GROUPS).reduce((n, g) => n + g.repos.length, 0);
  const more = rest > 0 ? `; ${rest} more ${rest === 1 ? "repository has" : "repositories have"} other reasons, listed in the evidence` : "";
  return `${label} is ${check.counts.met > 0 ? `${met}; it is ` : ""}${shown.join("; ")}${more}.`;
}

function orgCheckSentence(check: CheckRollUp): string {
  return `\`${check.checkId}\`${check.supporting ? " (supporting only)" : ""} is ${STATUS_WORD[check.status]}: ${check.reason}.`;
}

function checkSentences(rollUp: ClaimRollUp, includeMet: boolean): string[] {
  return rollUp.checks.flatMap((c) => {
    if (c.level === "org") return includeMet || c.status !== "met" ? [orgCheckSentence(c)] : [];
    const sentence = repoCheckSentence(c, includeMet);
    return sentence ? [sentence] : [];
  });
}

function outOfScopeNote(ctx: NarrativeContext): string {
  return ctx.outOfScope.length === 0 ? "" : ` (${ctx.outOfScope.length} out of scope, listed at the end of this report)`;
}

function repositoryNarrative(rollUp: ClaimRollUp, ctx: NarrativeContext): string[] {
  const n = ctx.inScope.length;
  if (n === 0) {
    return [`No repository is in scope${outOfScopeNote(ctx)}, so there is no repository evidence for this claim and it is reported as ${STATUS_WORD[rollUp.status]}.`];
  }
  const opening = [`Judged on each of the ${n === 1 ? "one repository" : `${n} repositories`} in scope${outOfScopeNote(ctx)}.`];
  if (rollUp.counts.met === n) opening.push(`The claim is met in ${repositoriesWord(n)}.`);
  else if (rollUp.counts.unknown === n) opening.push(`claimcheck could not judge it in any of them, so it is reported as unknown, not as met.`);
  else {
    const parts = (["met", "partial", "gap", "unknown", "not_applicable"] as const).filter((s) => rollUp.counts[s] > 0).map((s) => `${STATUS_WORD[s]} in ${rollUp.counts[s]}`);
    opening.push(`The claim is ${parts.join(", ")}.`);
  }
  return [...opening, ...factsFor(rollUp.findingIds, { repositories: ctx.inScope, windowDays: ctx.windowDays }), ...checkSentences(rollUp, false)];
}

function organisationNarrative(rollUp: ClaimRollUp, ctx: NarrativeContext): string[] {
  if (rollUp.claim.coverage === "outside") {
    const sentences = ["GitHub cannot show this claim."];
    if (rollUp.attested) {
      sentences.push(`The organisation supplied its own evidence: ${rollUp.attested.url}${rollUp.attested.note ? ` (${rollUp.attested.note})` : ""}. claimcheck reports it as supplied, not as verified.`);
    } else {
      sentences.push(`No evidence has been supplied, so it is reported as unknown; link the organisation's evidence under \`evidence."${rollUp.claim.id}"\` in the organisation's \`.github/claimcheck.yml\`.`);
    }
    const supporting = checkSentences(rollUp, true);
    if (supporting.length > 0) sentences.push(`From GitHub, as support only: ${supporting.join(" ")}`);
    return sentences;
  }
  return [`Judged once for the organisation \`${ctx.org}\`.`, ...checkSentences(rollUp, true), ...factsFor(rollUp.findingIds, { repositories: ctx.inScope, windowDays: ctx.windowDays })];
}

export function claimNarrative(rollUp: ClaimRollUp, ctx: NarrativeContext): string {
  return (rollUp.claim.scope === "repo" ? repositoryNarrative(rollUp, ctx) : organisationNarrative(rollUp, ctx)).join(" ");
}

/** One line for tables and the JSON `summary`. */
export function claimSummary(rollUp: ClaimRollUp, ctx: NarrativeContext): string {
  if (rollUp.claim.scope === "org") {
    if (rollUp.claim.coverage === "outside") return rollUp.attested ? "evidence supplied by the organisation (not verified by claimcheck)" : "GitHub cannot show this claim and no evidence was supplied";
    const deciding = rollUp.checks.filter((c) => !c.supporting);
    const met = deciding.filter((c) => c.status === "met").length;
    if (rollUp.status === "met") return `all ${deciding.length} checks met`;
    const pressing = deciding.find((c) => c.status === "gap") ?? deciding.find((c) => c.status === "partial") ?? deciding.find((c) => c.status === "unknown");
    const why = pressing ? `; ${pressing.checkId} ${STATUS_WORD[pressing.status]}` : "";
    return `${met} of ${deciding.length} checks met${why}`;
  }
  const n = ctx.inScope.length;
  if (n === 0) return "no repository in scope";
  if (rollUp.counts.met === n) return `met in ${repositoriesWord(n)}`;
  const byStatus = (["gap", "partial", "unknown", "not_applicable"] as const).filter((s) => rollUp.counts[s] > 0);
  // The first five of each status are named, the rest counted: one pass, stopped once every status has its five.
  const first = new Map<Status, string[]>(byStatus.map((s) => [s, []]));
  let wanted = byStatus.reduce((n, s) => n + Math.min(5, rollUp.counts[s]), 0);
  const statuses = rollUp.repositories;
  for (let i = 0; i < statuses.length && wanted > 0; i += 1) {
    const list = first.get(statuses.status(i));
    if (list && list.length < 5) {
      list.push(statuses.repo(i));
      wanted -= 1;
    }
  }
  const listed = byStatus.map((s) => `${STATUS_WORD[s]} in ${namesOf(first.get(s)!, rollUp.counts[s])}`);
  return `met in ${rollUp.counts.met} of ${n}; ${listed.join("; ")}`;
}
