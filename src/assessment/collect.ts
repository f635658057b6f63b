import { findingSchema, unreadable, type Finding, type FindingId, type Where } from "../core/findings.js";
import { explainReadFailure } from "../github/client.js";

/**
 * Runs one collector and holds it to its promise: every id it `produces` comes back, valid, or
 * unreadable with the reason. A collector that throws or forgets a finding never makes a check
 * look merely "not collected".
 */
export async function collectAll(id: string, produces: readonly FindingId[], where: Where, collect: () => Promise<Finding[]>): Promise<Finding[]> {
  let found: Finding[];
  try {
    found = await collect();
  } catch (error) {
    const reason = explainReadFailure(error);
    return produces.map((f) => unreadable(f, reason, where));
  }
  const seen = new Set(found.map((f) => f.id));
  const forgotten = produces.filter((f) => !seen.has(f)).map((f) => unreadable(f, `the ${id} collector reported nothing for it`, where));
  return [...found, ...forgotten].map((f) => {
    const checked = findingSchema.safeParse(f);
    return checked.success ? f : unreadable(f.id, `invalid finding: ${checked.error.issues.map((i) => i.message).join("; ")}`, where);
  });
}
