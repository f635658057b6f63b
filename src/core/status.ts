import { z } from "zod";

/** The six statuses of the Code of Practice catalogue, everywhere the same. */
export const STATUSES = ["met", "partial", "gap", "not_applicable", "unknown", "attested"] as const;
export const statusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof statusSchema>;

export type CheckStatus = Exclude<Status, "attested">;

/**
 * A claim's status from the statuses of its checks.
 *
 * The order of the rules matters: an `unknown` must never lift a claim to `met`,
 * and a `gap` with nothing met is a gap even when other checks could not be read.
 */
export function claimStatusFromChecks(statuses: readonly CheckStatus[]): CheckStatus {
  if (statuses.length === 0) return "unknown";
  const seen = new Set(statuses);
  const only = (...allowed: CheckStatus[]) => [...seen].every((s) => allowed.includes(s));
  if (only("not_applicable")) return "not_applicable";
  if (only("unknown", "not_applicable")) return "unknown";
  if (seen.has("gap") && !seen.has("met")) return "gap";
  if (only("met", "not_applicable")) return "met";
  return "partial";
}

/**
 * An organisation-level status from the statuses of its in-scope repositories.
 * `met` only when every repository that could be judged is met and none was unknown.
 */
export function rollUpRepositories(statuses: readonly Status[]): Status {
  const judged = statuses.filter((s) => s !== "not_applicable");
  if (statuses.length === 0) return "not_applicable";
  if (judged.length === 0) return "not_applicable";
  const seen = new Set(judged);
  const only = (...allowed: Status[]) => [...seen].every((s) => allowed.includes(s));
  if (only("unknown")) return "unknown";
  if (only("met")) return "met";
  if (only("attested")) return "attested";
  if (!seen.has("met") && !seen.has("partial") && !seen.has("attested") && seen.has("gap")) {
    return "gap";
  }
  return "partial";
}

/** Sort order for display: the statuses that need attention first. */
export const STATUS_ORDER: Record<Status, number> = {
  gap: 0,
  partial: 1,
  unknown: 2,
  attested: 3,
  met: 4,
  not_applicable: 5,
};
