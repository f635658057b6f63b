import { CLAIMS, PRINCIPLES } from "../core/catalogue.js";
import type { Status } from "../core/status.js";
import { cell, link, STATUS_LABEL } from "../render/markdown.js";
import type { AcceptedException } from "./exceptions.js";
import { contentHash, ISSUE_LABEL, renderMarker } from "./marker.js";
import type { RenderedIssue } from "./gap-issue.js";
import { DEFAULT_CONFIG } from "../config/repo-config.js";
import { freshness, freshnessText, oldestRead } from "../render/freshness.js";

export const SUMMARY_TITLE = "Software Security Code of Practice — evidence summary";
export const SUMMARY_LABEL = "evidence-summary";

export type SummaryClaim = {
  claimId: string;
  status: Status;
  /** Repositories by status, for repository-level claims. */
  counts: { met: number; partial: number; gap: number; other: number } | null;
  lastChange: { from: string; to: string; at: string } | null;
  issues: { scope: string; url: string }[];
  /** When the oldest evidence behind the claim was read (across its repositories). */
  readAt?: string | null;
};

export type SummaryInput = {
  org: string;
  /** When the newest evidence shown was read. */
  collectedAt: string | null;
  repositories: { inScope: number; outOfScope: number };
  claims: SummaryClaim[];
  exceptions: AcceptedException[];
  /** Unmet claims not opened as issues this run (the per-run cap). */
  deferred: { claimId: string; scope: string }[];
  /** Repositories where issues could not be written, and why. */
  unavailable: { repository: string; reason: string }[];
  closedByPeople: { claimId: string; scope: string; url: string }[];
  /** An organisation-wide assessment spread over GitHub's hourly limits and not finished yet. */
  backfillInProgress?: string | null;
  /** For marking stale evidence: when the summary is rendered, and the re-assessment cadence. */
  now?: string;
  everyHours?: number;
};

function day(iso: string): string {
  return new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

function countsCell(c: SummaryClaim["counts"]): string {
  if (!c) return "organisation-wide";
  return `${c.met} met · ${c.partial} partial · ${c.gap} gap${c.other ? ` · ${c.other} other` : ""}`;
}

function issuesCell(issues: SummaryClaim["issues"]): string {
  if (issues.length === 0) return "—";
  return issues.map((i) => link(i.scope === "org" || i.scope === "central" ? i.scope : i.scope.split("/")[1] ?? i.scope, i.url)).join(", ");
}

/** The evidence summary issue: one per organisation, in its central repository. */
export function renderSummaryIssue(input: SummaryInput): RenderedIssue {
  const lines: string[] = [
    `Evidence claimcheck collected from GitHub for the organisation ${link(input.org, `https://github.com/orgs/${input.org}`)}, per claim of the UK Software Security Code of Practice it covers. ${input.repositories.inScope} repositories in scope${input.repositories.outOfScope ? `, ${input.repositories.outOfScope} out of scope (archived, forks, excluded)` : ""}.`,
  ];
  if (input.backfillInProgress) {
    lines.push("", `**Assessment in progress:** ${input.backfillInProgress}. Until it finishes, the statuses below cover the repositories assessed so far.`);
  }
  for (const principle of PRINCIPLES) {
    lines.push("", `### ${principle.id} ${principle.title}`, "", "| Claim | Status | Repositories | Change since the previous assessment | Gap issues |", "|---|---|---|---|---|");
    for (const spec of CLAIMS.filter((c) => c.principle === principle.id)) {
      const claim = input.claims.find((c) => c.claimId === spec.id);
      if (!claim) {
        lines.push(`| **${spec.id}** | ${STATUS_LABEL.unknown} | not assessed yet | — | — |`);
        continue;
      }
      const change = claim.lastChange ? `${claim.lastChange.from} → ${claim.lastChange.to} on ${day(claim.lastChange.at)}` : "—";
      // Only staleness is content (worth an edit); the read times themselves sit in the footer.
      const read = claim.readAt && input.now ? freshness(claim.readAt, input.now, input.everyHours ?? DEFAULT_CONFIG.reassessment.everyHours) : null;
      lines.push(`| **${spec.id}** | ${STATUS_LABEL[claim.status]}${read?.stale ? ` · ${freshnessText(read)}` : ""} | ${countsCell(claim.counts)} | ${change} | ${issuesCell(claim.issues)} |`);
    }
  }
  lines.push("", "### Accepted exceptions", "");
  if (input.exceptions.length === 0) lines.push("None. Close a gap issue as *not planned* to accept a gap; your closing comment is kept as the reason.");
  else {
    lines.push("| Claim | Scope | Accepted by | On | Reason | Until |", "|---|---|---|---|---|---|");
    for (const e of input.exceptions) lines.push(`| ${e.claimId} | ${cell(e.scope)} | @${e.acceptedBy} | ${day(e.acceptedAt)} | ${cell(e.reason)} | ${day(e.expiresAt)} |`);
  }
  if (input.deferred.length > 0) {
    lines.push("", "### Gaps without an issue yet", "", "Not opened this run because the run reached `issues.maxOpenPerRun`; they are opened on later runs:", "");
    for (const d of input.deferred) lines.push(`- ${d.claimId} in ${d.scope}`);
  }
  if (input.closedByPeople.length > 0) {
    lines.push("", "### Closed as completed while the gap remains", "");
    for (const c of input.closedByPeople) lines.push(`- ${link(`${c.claimId} in ${c.scope}`, c.url)}: reopened once already; close it as *not planned* to record an exception.`);
  }
  if (input.unavailable.length > 0) {
    lines.push("", "### Where issues could not be written", "");
    for (const u of input.unavailable) lines.push(`- ${link(u.repository, `https://github.com/${u.repository}`)}: ${u.reason}`);
  }
  lines.push("", "---", "", "claimcheck rewrites this issue after an assessment only when something in it changed.");
  const content = lines.join("\n");
  const hash = contentHash(content);
  const oldest = oldestRead(input.claims.flatMap((c) => (c.readAt ? [c.readAt] : [])));
  const body = `${content}\n\n_Evidence collected ${input.collectedAt ? `${input.collectedAt.slice(0, 16).replace("T", " ")} UTC` : "— not yet"}${oldest && oldest !== input.collectedAt ? `; the oldest ${freshnessText(freshness(oldest, input.now ?? oldest, input.everyHours ?? DEFAULT_CONFIG.reassessment.everyHours)).replace(/^evidence /, "evidence was ")}` : ""}._\n\n${renderMarker({ kind: "summary", claim: "all", scope: "org", hash })}\n`;
  return { title: SUMMARY_TITLE, body, hash, labels: [ISSUE_LABEL, SUMMARY_LABEL] };
}
