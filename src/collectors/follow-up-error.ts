import type { GraphqlFieldError } from "../github/client.js";

/**
 * An error GitHub gave beside a follow-up query's answer, as a reason. GitHub nulls the field it
 * could not answer; read as data, a nulled pull request or commit would simply be missing (never
 * judged) and a nulled list of pull requests would read as none. What it hid is unknown instead.
 */
export function followUpError(what: string, errors: readonly GraphqlFieldError[]): string | null {
  const first = errors[0];
  if (!first) return null;
  return `GitHub did not fully answer ${what}: ${first.message}${first.path.length > 0 ? ` (at ${first.path.join(".")})` : ""}`;
}
