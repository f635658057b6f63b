import { CLAIMS, type ClaimSpec, type CheckSpec } from "../core/catalogue.js";
import { isUnreadable, type Finding, type FindingId, type FindingValue } from "../core/findings.js";
import { claimStatusFromChecks, STATUS_ORDER } from "../core/status.js";
import type { RepoConfig } from "../config/repo-config.js";
import { JUDGES } from "./judges.js";
import type { CheckJudge, CheckResult, ClaimResult, EvidenceLink, FindingView, Verdict } from "./types.js";

export const NOT_COLLECTED = "not collected yet";

function viewOf(byId: Map<FindingId, Finding>): FindingView {
  return {
    value<K extends FindingId>(id: K) {
      const f = byId.get(id);
      if (!f || isUnreadable(f)) throw new Error(`judge read ${id} without declaring it in needs`);
      return f.value as FindingValue<K>;
    },
    maybe<K extends FindingId>(id: K) {
      const f = byId.get(id);
      if (!f) return { value: null, reason: `${id} was not collected` };
      if (isUnreadable(f)) return { value: null, reason: f.error ?? `${id} could not be read` };
      if (f.value === null) return { value: null, reason: `${id} has no value` };
      return { value: f.value as FindingValue<K> };
    },
    finding: (id) => byId.get(id),
  };
}

function judgeCheck(judge: CheckJudge | undefined, byId: Map<FindingId, Finding>, config: RepoConfig): Verdict {
  if (!judge) return { status: "unknown", reason: NOT_COLLECTED };
  const missing = judge.needs.filter((id) => !byId.has(id));
  if (missing.length > 0) return { status: "unknown", reason: NOT_COLLECTED };
  const unreadable = judge.needs.map((id) => byId.get(id)!).filter(isUnreadable);
  if (unreadable.length > 0) {
    // Findings hidden for the same reason are named together, so the reason is said once.
    const byError = new Map<string, string[]>();
    for (const f of unreadable) byError.set(f.error ?? "no reason given", [...(byError.get(f.error ?? "no reason given") ?? []), f.id]);
    return { status: "unknown", reason: [...byError].map(([error, ids]) => `${ids.join(" and ")} could not be read: ${error}`).join("; ") };
  }
  return judge.judge(viewOf(byId), config.thresholds, config);
}

function evidenceOf(judge: CheckJudge | undefined, byId: Map<FindingId, Finding>): EvidenceLink[] {
  if (!judge) return [];
  const ids = [...judge.needs, ...(judge.uses ?? [])];
  const links = new Map<string, EvidenceLink>();
  for (const id of ids) {
    const f = byId.get(id);
    if (f) links.set(`${f.url} ${id}`, { findingId: id, url: f.url, source: f.source });
  }
  return [...links.values()];
}

function evaluateCheck(claim: ClaimSpec, check: CheckSpec, judges: readonly CheckJudge[], byId: Map<FindingId, Finding>, config: RepoConfig): CheckResult {
  const judge = judges.find((j) => j.claimId === claim.id && j.checkId === check.id);
  const verdict = judgeCheck(judge, byId, config);
  return { claimId: claim.id, checkId: check.id, status: verdict.status, reason: verdict.reason, supporting: check.supporting === true, evidence: evidenceOf(judge, byId) };
}

function mostPressing(checks: CheckResult[]): CheckResult | undefined {
  return [...checks].filter((c) => c.status !== "met" && c.status !== "not_applicable").sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status])[0];
}

function claimResult(claim: ClaimSpec, checks: CheckResult[], config: RepoConfig): ClaimResult {
  const base = { claimId: claim.id, principle: claim.principle, checks };
  if (claim.coverage === "outside") {
    const supplied = config.evidence[claim.id];
    if (supplied) {
      return { ...base, status: "attested", reason: `evidence supplied by the organisation: ${supplied.url}`, attested: supplied.note ? { url: supplied.url, note: supplied.note } : { url: supplied.url } };
    }
    return { ...base, status: "unknown", reason: `GitHub cannot show this claim; link your evidence under \`evidence."${claim.id}"\` in .github/claimcheck.yml` };
  }
  const deciding = checks.filter((c) => !c.supporting);
  const status = claimStatusFromChecks(deciding.map((c) => c.status));
  const pressing = mostPressing(deciding);
  const met = deciding.filter((c) => c.status === "met").length;
  const tally = status === "partial" ? `${met} of ${deciding.length} checks met; ` : "";
  return { ...base, status, reason: pressing ? `${tally}${pressing.checkId}: ${pressing.reason}` : settledReason(deciding) };
}

/** Why a claim with nothing pressing is met or not applicable, without hiding the checks that did not apply. */
function settledReason(deciding: readonly CheckResult[]): string {
  const inapplicable = deciding.filter((c) => c.status === "not_applicable");
  if (inapplicable.length === 0) return "every check is met";
  const why = `${inapplicable[0]!.checkId}: ${inapplicable[0]!.reason}`;
  if (inapplicable.length === deciding.length) return `nothing to judge; ${why}`;
  return `every applicable check is met (${inapplicable.length} of ${deciding.length} not applicable; ${why})`;
}

/** Pure: findings and configuration in, one result per catalogue claim out. */
export function evaluateClaims(findings: readonly Finding[], config: RepoConfig, judges: readonly CheckJudge[] = JUDGES, claims: readonly ClaimSpec[] = CLAIMS): ClaimResult[] {
  const byId = new Map<FindingId, Finding>();
  for (const f of findings) byId.set(f.id as FindingId, f);
  return claims.map((claim) => claimResult(claim, claim.checks.map((check) => evaluateCheck(claim, check, judges, byId, config)), config));
}
