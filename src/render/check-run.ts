import { CLAIMS, PRINCIPLES, claimById } from "../core/catalogue.js";
import type { Status } from "../core/status.js";
import { isUnreadable } from "../core/findings.js";
import type { Assessment } from "../assessment/assess-repository.js";
import type { ConfigOutcome } from "../config/repo-config.js";
import type { ClaimResult } from "../evaluation/types.js";
import { STATUS_LABEL, cell, fitWithin, link, showValue } from "./markdown.js";
import { mostDecisiveFailing } from "./decisive.js";
import { pageLabel } from "./page-label.js";
import { whatWouldClose } from "../core/remediation.js";
import { claimFreshnessText } from "./freshness.js";

export { CHECK_RUN_NAME } from "../core/check-run-name.js";
/** GitHub rejects check-run output fields longer than this. */
export const CHECK_OUTPUT_LIMIT = 65_535;

export type Conclusion = "neutral" | "failure" | "action_required";
export type CheckRunOutput = { title: string; summary: string; text: string };

/** Pure: report by default, fail on a gap only when the repository asked to enforce, and ask for action on bad configuration. */
export function decideConclusion(assessment: Assessment, config: ConfigOutcome): Conclusion {
  if (!config.ok) return "action_required";
  if (config.config.mode === "enforce" && assessment.results.some((r) => r.status === "gap")) return "failure";
  return "neutral";
}

function counts(results: ClaimResult[]): string {
  const order: Status[] = ["gap", "partial", "unknown", "attested", "met", "not_applicable"];
  const tally = order.map((s) => [s, results.filter((r) => r.status === s).length] as const).filter(([, n]) => n > 0);
  return tally.map(([s, n]) => `${n} ${s.replace("_", " ")}`).join(", ");
}

function firstLink(result: ClaimResult): string {
  const evidence = result.checks.flatMap((c) => c.evidence)[0];
  if (result.attested) return link("supplied evidence", result.attested.url);
  return evidence ? link(pageLabel(evidence.url, "evidence"), evidence.url) : "—";
}

function configSection(config: ConfigOutcome): string[] {
  if (config.ok) return [];
  const lines = [
    "> [!WARNING]",
    `> **The configuration is invalid**, so the defaults were used. Fix these keys${config.files.length ? ` in ${config.files.map((f) => `\`${f}\``).join(", ")}` : ""}:`,
    ...config.problems.map((p) => `> - \`${p.path}\`: ${p.message}`),
    "",
  ];
  return lines;
}

/** One change to the build environment from the audit trail, as the check run shows it. */
export type RecentChange = { occurredAt: string; kind: string; actor: string | null; target: string; after: string | null };

function changeLink(change: RecentChange, repoUrl: string): string {
  const commit = change.after ? (JSON.parse(change.after) as { commit?: unknown }).commit : undefined;
  return typeof commit === "string" ? link("commit", `${repoUrl}/commit/${commit}`) : link("settings", `${repoUrl}/settings`);
}

function recentChangesSection(changes: readonly RecentChange[], repoUrl: string | undefined): string[] {
  if (changes.length === 0 || !repoUrl) return [];
  const origin = new URL(repoUrl).origin;
  return [
    "### Recent changes to the build environment",
    "",
    "| When (UTC) | Change | Actor | |",
    "|---|---|---|---|",
    ...changes.map((c) => `| ${c.occurredAt.slice(0, 16).replace("T", " ")} | \`${c.kind}\` ${cell(c.target)} | ${c.actor ? link(c.actor, `${origin}/${c.actor}`) : "—"} | ${changeLink(c, repoUrl)} |`),
    "",
  ];
}

/** Where claimcheck could not write what it shows elsewhere (gap issues, the summary issue). */
export type IssueNotice = { repository: string; reason: string };

function noticesSection(notices: readonly IssueNotice[]): string[] {
  if (notices.length === 0) return [];
  return [
    "### Issues not written",
    "",
    ...notices.map((n) => `- Gap and summary issues could not be written in \`${n.repository}\`: ${n.reason}. The evidence below is complete; only the issues are missing.`),
    "",
  ];
}

/**
 * Where claimcheck's issues about this repository are, as far as they are known when the check run
 * is written (the issues of a first assessment are written just after it).
 */
export type IssueLinks = {
  /** Open gap issues by claim id: this repository's, and the organisation's in the central repository. */
  gapIssues?: Readonly<Record<string, string>>;
  /** The open evidence summary issue of the organisation. */
  summaryIssue?: string;
  /** Where claimcheck's issues are listed (a label search), for gaps whose issue is not written yet. */
  repositoryIssues?: string;
  centralIssues?: string;
};

function issueLink(claimId: string, links: IssueLinks, orgLevel: boolean): string {
  const url = links.gapIssues?.[claimId];
  if (url) return ` → ${link(`gap issue #${url.split("/").at(-1) ?? ""}`, url)}`;
  const search = orgLevel ? links.centralIssues : links.repositoryIssues;
  return search ? ` → ${link("gap issues", search)}` : "";
}

function nextStep(r: ClaimResult, where: { repoUrl?: string; org: string }, links: IssueLinks, orgLevel: boolean): string {
  const check = mostDecisiveFailing(r.checks);
  const action = check ? `\`${check.checkId}\`: ${whatWouldClose(check.checkId, where)}` : r.reason;
  return `- ${STATUS_LABEL[r.status]} **${r.claimId}** ${action}${issueLink(r.claimId, links, orgLevel)}`;
}

/**
 * The first screen of the check run: what to fix here, each with the one action that closes it and
 * its issue, then what only the organisation's owners can fix. Unknowns are counted, not listed:
 * the table below gives each one's reason.
 */
function nextSection(assessment: Assessment, links: IssueLinks): string[] {
  const unmet = assessment.results.filter((r) => r.status === "gap" || r.status === "partial");
  const orgLevel = (r: ClaimResult) => claimById(r.claimId)?.scope === "org";
  const here = unmet.filter((r) => !orgLevel(r));
  const org = unmet.filter(orgLevel);
  const unknown = assessment.results.filter((r) => r.status === "unknown").length;
  const where = { org: assessment.owner, ...(assessment.repo ? { repoUrl: assessment.repo.htmlUrl } : {}) };
  const lines = ["### What to do next", ""];
  if (here.length === 0) lines.push("**In this repository**: nothing to fix — no claim judged here is a gap or partial.", "");
  else lines.push(`**In this repository** (${here.length} ${here.length === 1 ? "claim" : "claims"} to fix, gaps first):`, "", ...sortUnmet(here).map((r) => nextStep(r, where, links, false)), "");
  if (org.length > 0) {
    const summary = links.summaryIssue ? ` — see the ${link("evidence summary issue", links.summaryIssue)}` : "";
    lines.push(
      `**For the organisation's owners** (${org.length} ${org.length === 1 ? "claim" : "claims"} judged once for \`${assessment.owner}\`, not fixable in this repository${summary}):`,
      "",
      ...sortUnmet(org).map((r) => nextStep(r, where, links, true)),
      "",
    );
  }
  if (unknown > 0) lines.push(`${unknown} ${unknown === 1 ? "claim is" : "claims are"} unknown — claimcheck could not see enough, and never counts that as met; the tables below say why.`, "");
  return lines;
}

function sortUnmet(results: readonly ClaimResult[]): ClaimResult[] {
  return [...results].sort((a, b) => (a.status === b.status ? 0 : a.status === "gap" ? -1 : 1));
}

export function renderCheckRun(assessment: Assessment, config: ConfigOutcome, recentChanges: readonly RecentChange[] = [], notices: readonly IssueNotice[] = [], links: IssueLinks = {}): CheckRunOutput {
  const full = `${assessment.owner}/${assessment.name}`;
  const when = assessment.finishedAt.slice(0, 16).replace("T", " ") + " UTC";
  if (!assessment.scope.inScope) {
    return {
      title: "Out of scope",
      summary: [...configSection(config), `\`${full}\` is out of scope for the Code of Practice evidence: it is ${assessment.scope.reason}.`].join("\n"),
      text: "",
    };
  }
  const branch = assessment.repo ? ` (default branch \`${assessment.repo.defaultBranch}\`)` : "";
  const summary: string[] = [
    ...configSection(config),
    ...noticesSection(notices),
    `Evidence for the UK Software Security Code of Practice, read from GitHub for \`${full}\`${branch} at ${when}.`,
    ...(config.sharedReadAt ? ["", `The organisation configuration was read at ${config.sharedReadAt.slice(0, 16).replace("T", " ")} UTC (kept since; a push to its repository's default branch reads it again).`] : []),
    "",
    ...nextSection(assessment, links),
    "Statuses: met, partial, gap, not applicable, unknown (could not be seen; never counted as met), attested (supplied by the organisation, not verified).",
    "",
  ];
  for (const principle of PRINCIPLES) {
    const results = assessment.results.filter((r) => r.principle === principle.id);
    if (results.length === 0) continue;
    summary.push(`### ${principle.id} ${principle.title}`, "", "| Claim | Status | Why | Evidence |", "|---|---|---|---|");
    for (const r of results) {
      const claim = claimById(r.claimId);
      summary.push(`| **${r.claimId}** ${cell(claim?.text ?? "")} | ${STATUS_LABEL[r.status]} | ${cell(r.reason)} | ${firstLink(r)} |`);
    }
    summary.push("");
  }
  summary.push(...recentChangesSection(recentChanges, assessment.repo?.htmlUrl));
  const unchanged = assessment.requests.notModified ? ` (${assessment.requests.notModified} answered "not modified", not charged to the rate limit)` : "";
  summary.push(`Requests used: ${assessment.requests.rest} REST${unchanged}, ${assessment.requests.graphql} GraphQL.`);

  const text: string[] = ["## Checks", ""];
  for (const r of assessment.results) {
    const claim = claimById(r.claimId);
    text.push(`#### ${r.claimId} — ${STATUS_LABEL[r.status]}`, "", `> ${claim?.text ?? ""}`, "");
    const read = claimFreshnessText(r, assessment.findings, assessment.finishedAt, config.config.reassessment.everyHours);
    if (read) text.push(`_${read}_`, "");
    if (claim?.coverage !== "full" && claim?.beyondGitHub) text.push(`Coverage: ${claim.coverage}. An assessor will also ask for ${claim.beyondGitHub}.`, "");
    for (const c of r.checks) {
      const links = c.evidence.map((e) => link(e.findingId, e.url)).join(", ");
      text.push(`- ${STATUS_LABEL[c.status]} \`${c.checkId}\`${c.supporting ? " (supporting only)" : ""}: ${c.reason}${links ? ` — ${links}` : ""}`);
    }
    text.push("");
  }
  text.push("## Findings", "", "| Finding | Value | Source | Observed |", "|---|---|---|---|");
  for (const f of assessment.findings) {
    const value = isUnreadable(f) ? `❔ not read: ${f.error ?? ""}` : `\`${showValue(f.value)}\``;
    text.push(`| ${link(f.id, f.url)} | ${cell(value)} | ${cell(f.source)} | ${f.observedAt} |`);
  }

  const stored = "the full assessment is stored by claimcheck";
  return {
    title: `Code of Practice: ${counts(assessment.results)}`,
    summary: fitWithin(summary.join("\n"), CHECK_OUTPUT_LIMIT, stored),
    text: fitWithin(text.join("\n"), CHECK_OUTPUT_LIMIT, stored),
  };
}

export const CLAIM_COUNT = CLAIMS.length;
