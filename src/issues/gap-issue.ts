import { claimById, PRINCIPLES } from "../core/catalogue.js";
import type { Finding } from "../core/findings.js";
import type { Status } from "../core/status.js";
import type { CheckResult } from "../evaluation/types.js";
import { cell, link, showValue, STATUS_LABEL } from "../render/markdown.js";
import { contentHash, ISSUE_LABEL, renderMarker } from "./marker.js";
import { whatWouldClose } from "../core/remediation.js";
import { DEFAULT_CONFIG } from "../config/repo-config.js";
import { claimReadAt, freshness, freshnessText } from "../render/freshness.js";

const DEFAULT_EVERY_HOURS = DEFAULT_CONFIG.reassessment.everyHours;
import { byDecisiveness } from "../render/decisive.js";

/** One claim's result in one scope: what a gap issue is rendered from. */
export type GapSubject = {
  org: string;
  claimId: string;
  /** `org`, a repository's full name, or `central` (every affected repository in one issue). */
  scope: string;
  status: Status;
  reason: string;
  checks: CheckResult[];
  /** Findings the checks were judged on (values are shown beside their links). */
  findings: Finding[];
  /** For `central`: each affected repository's own status and reason. */
  repositories?: { fullName: string; status: Status; reason: string }[];
  checkedAt: string;
};

export type RenderedIssue = { title: string; body: string; hash: string; labels: string[] };

export const UNMET: readonly Status[] = ["gap", "partial"];

export function isUnmet(status: Status): status is "gap" | "partial" {
  return UNMET.includes(status);
}

/** The checks that keep the claim from being met (judged not met, supporting checks aside). */
export function failingChecks(checks: readonly CheckResult[]): CheckResult[] {
  return checks.filter((c) => !c.supporting && (c.status === "gap" || c.status === "partial"));
}

/** What kind of gap this is: an accepted exception lapses when it changes. */
export function evidenceKind(subject: Pick<GapSubject, "status" | "checks">): string {
  return `${subject.status}:${failingChecks(subject.checks)
    .map((c) => c.checkId)
    .sort()
    .join(",")}`;
}

/** The title says gap or partial, so a list of issues shows which is which without opening them. */
export function gapTitle(claimId: string, status: "gap" | "partial"): string {
  const claim = claimById(claimId);
  return `Code of Practice ${claimId} (${status}): ${(claim?.text ?? "claim").replace(/\.$/, "")}`;
}

export function gapLabels(claimId: string, status: "gap" | "partial"): string[] {
  return [ISSUE_LABEL, `principle:${claimById(claimId)?.principle ?? claimId.split(".").slice(0, 2).join(".")}`, `status:${status}`];
}

const orgUrl = (org: string) => `https://github.com/orgs/${org}`;
const repoUrl = (fullName: string) => `https://github.com/${fullName}`;

function scopeLine(subject: GapSubject): string {
  if (subject.scope === "org") return `the organisation ${link(subject.org, orgUrl(subject.org))}`;
  if (subject.scope === "central") return `repositories of ${link(subject.org, orgUrl(subject.org))} (listed below)`;
  return link(subject.scope, repoUrl(subject.scope));
}

function evidenceCell(check: CheckResult, findings: readonly Finding[], repo: string | undefined): string {
  if (check.evidence.length === 0) return "—";
  return check.evidence
    .map((e) => {
      const f = findings.find((x) => x.id === e.findingId && (x.scope === "org" || !repo || x.repo === repo));
      const value = f ? (f.error ? ` (not read: ${f.error})` : `: \`${showValue(f.value, 120).replace(/`/g, "'")}\``) : "";
      return `${link(e.findingId, e.url)}${value}`;
    })
    .join("<br>");
}

function checksTable(subject: GapSubject): string[] {
  const repo = subject.scope !== "org" && subject.scope !== "central" ? subject.scope : undefined;
  const lines = ["| Check | Status | What claimcheck found | Evidence |", "|---|---|---|---|"];
  for (const check of byDecisiveness(subject.checks).filter((c) => !c.supporting)) {
    lines.push(`| \`${check.checkId}\` | ${STATUS_LABEL[check.status]} | ${cell(check.reason)} | ${cell(evidenceCell(check, subject.findings, repo))} |`);
  }
  return lines;
}

function repositoriesTable(subject: GapSubject): string[] {
  const affected = (subject.repositories ?? []).filter((r) => isUnmet(r.status));
  if (affected.length === 0) return [];
  const lines = ["", "### Affected repositories", "", "| Repository | Status | Why |", "|---|---|---|"];
  for (const r of affected) lines.push(`| ${link(r.fullName, repoUrl(r.fullName))} | ${STATUS_LABEL[r.status]} | ${cell(r.reason)} |`);
  return lines;
}

function whyHeading(status: Status): string {
  return status === "partial" ? "### Why this is partial" : "### Why this is a gap";
}

function whyLine(status: Status): string {
  return status === "gap"
    ? "The claim is a **gap**: a check found evidence that it does not hold, and no check found that it does."
    : "The claim is **partial**: some checks hold and at least one does not (or could not be read), so the evidence does not support calling it met.";
}

/** The reason that leads: the most decisive failing check's, else the claim's own. */
function leadingReason(subject: GapSubject, failing: readonly CheckResult[]): string {
  const first = failing[0];
  if (!first || subject.scope === "central") return subject.reason;
  return `${first.checkId}: ${first.reason}`;
}

/**
 * The body of a gap issue, and the hash of everything in it but the date it was checked: a later
 * assessment that finds the same is not written again, so watchers are not notified of nothing.
 */
export function renderGapIssue(subject: GapSubject, options: { expireAfterDays: number; everyHours?: number }): RenderedIssue {
  const claim = claimById(subject.claimId);
  const readAt = claimReadAt(subject, subject.findings);
  // Staleness is part of the content (an issue turning stale is worth an edit); the read time
  // itself sits beside "last checked", so a fresh re-read alone does not rewrite the issue.
  const read = readAt ? freshness(readAt, subject.checkedAt, options.everyHours ?? DEFAULT_EVERY_HOURS) : null;
  const principle = PRINCIPLES.find((p) => p.id === claim?.principle);
  const failing = failingChecks(byDecisiveness(subject.checks));
  const where = { org: subject.org, ...(subject.scope !== "org" && subject.scope !== "central" ? { repoUrl: repoUrl(subject.scope) } : {}) };
  const content = [
    `**Claim ${subject.claimId}** (APC): “${claim?.text ?? subject.claimId}”`,
    "",
    `**Principle ${principle?.id ?? "?"}**: ${principle?.title ?? ""}`,
    "",
    `**Scope**: ${scopeLine(subject)} · **Status**: ${STATUS_LABEL[subject.status]}`,
    "",
    ...(read?.stale ? [`> [!WARNING]\n> ${freshnessText(read)}: the scheduled re-assessment has not reached it.`, ""] : []),
    "### What the evidence shows",
    "",
    ...checksTable(subject),
    ...repositoriesTable(subject),
    "",
    whyHeading(subject.status),
    "",
    whyLine(subject.status),
    "",
    `> ${leadingReason(subject, failing)}`,
    "",
    "### What would close it",
    "",
    ...(failing.length > 0 ? failing.map((c) => `- \`${c.checkId}\`: ${whatWouldClose(c.checkId, where)}`) : ["- Make the checks above readable and met; the reason above names what is missing."]),
    ...(claim?.beyondGitHub ? ["", `An assessor will also ask about ${claim.beyondGitHub}; GitHub cannot show that.`] : []),
    "",
    "---",
    "",
    `claimcheck updates this issue when the evidence changes and closes it when the claim is met. Close it as **not planned** to accept the gap: your closing comment is recorded as the reason, and claimcheck leaves it closed for ${options.expireAfterDays} days or until the evidence changes kind.`,
  ].join("\n");
  const hash = contentHash(content);
  const marker = renderMarker({ kind: "gap", claim: subject.claimId, scope: subject.scope, hash });
  const body = `${content}\n\n_Last checked ${subject.checkedAt.slice(0, 16).replace("T", " ")} UTC${read && !read.stale ? `; ${freshnessText(read)}` : ""} (this body changes only when the evidence does)._\n\n${marker}\n`;
  const status = isUnmet(subject.status) ? subject.status : "gap";
  return { title: gapTitle(subject.claimId, status), body, hash, labels: gapLabels(subject.claimId, status) };
}

/** The comment that closes an issue because the claim is now met, naming the evidence. */
export function metComment(subject: GapSubject): string {
  const evidence = subject.checks
    .filter((c) => !c.supporting)
    .map((c) => `- \`${c.checkId}\` ${STATUS_LABEL[c.status]}: ${c.reason}${c.evidence[0] ? ` (${link(c.evidence[0].findingId, c.evidence[0].url)})` : ""}`);
  return [`Claim ${subject.claimId} is now **met** (checked ${subject.checkedAt.slice(0, 10)}): closing.`, "", ...evidence].join("\n");
}

export function statusChangeComment(subject: GapSubject, from: string): string {
  return `Status changed: **${from} → ${subject.status}** (checked ${subject.checkedAt.slice(0, 10)}). ${subject.reason}`;
}

export function reopenComment(subject: GapSubject, why: "regressed" | "still-unmet" | "exception-lapsed"): string {
  const lead =
    why === "regressed"
      ? `Claim ${subject.claimId} was met and is now **${subject.status}** again: reopening.`
      : why === "still-unmet"
        ? `This was closed as completed, but the evidence checked ${subject.checkedAt.slice(0, 10)} still shows **${subject.status}**: reopening once. Close it as *not planned* to accept the gap instead.`
        : `The accepted exception no longer applies (it expired, or the evidence changed to **${subject.status}**): reopening.`;
  const failing = failingChecks(subject.checks).map((c) => `- \`${c.checkId}\`: ${c.reason}`);
  return [lead, "", ...failing].join("\n");
}
