import { STATUS_ORDER } from "../core/status.js";
import type { CheckResult } from "../evaluation/types.js";

/*
 * The order in which a person should read a claim's checks: what keeps it from being met first,
 * what actually happened over the window before how things are configured, then gap before
 * partial, then what could not be seen. "1 of 10 merged pull requests approved" says more
 * about whether changes are controlled than a missing CODEOWNERS file does.
 */

/** Checks judged on the repository's history in the window rather than on a setting or file. */
const OBSERVED_PRACTICE: ReadonlySet<string> = new Set([
  "reviews-happened",
  "no-direct-pushes",
  "no-red-merges",
  "main-green-rate",
  "main-recovers",
  "new-deps-tested",
  "update-prs-green",
  "update-prs-flow",
  "stale-outside-access",
  "access-review-done",
]);

/** The checks of a claim, most decisive first; catalogue order otherwise (the sort is stable). */
export function byDecisiveness(checks: readonly CheckResult[]): CheckResult[] {
  const failing = (c: CheckResult) => (c.status === "gap" || c.status === "partial" ? 0 : 1);
  // Among failing checks, a shortfall in practice outranks a missing setting whatever their status:
  // partial review coverage is stronger evidence against the claim than an absent file.
  const practice = (c: CheckResult) => (failing(c) === 0 && OBSERVED_PRACTICE.has(c.checkId) ? 0 : 1);
  return [...checks].sort((a, b) => Number(a.supporting) - Number(b.supporting) || failing(a) - failing(b) || practice(a) - practice(b) || STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
}

/** The check whose fix matters most for an unmet claim: its most decisive failing check. */
export function mostDecisiveFailing(checks: readonly CheckResult[]): CheckResult | undefined {
  return byDecisiveness(checks).find((c) => !c.supporting && (c.status === "gap" || c.status === "partial"));
}
