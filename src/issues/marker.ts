import { createHash } from "node:crypto";
import { z } from "zod";

/*
 * Every issue claimcheck writes carries a hidden marker: what it is about (kind, claim, scope) and
 * the hash of the content last written. Identity comes from the marker, never the title, so an
 * issue a person renamed is still found, and an unchanged result is never written again.
 */

export const ISSUE_LABEL = "code-of-practice";

const markerSchema = z.object({
  kind: z.enum(["gap", "summary", "access-review"]),
  claim: z.string(),
  scope: z.string(),
  hash: z.string().regex(/^[0-9a-f]{16}$/),
});
export type Marker = z.infer<typeof markerSchema>;

const PREFIX = "<!-- claimcheck:issue ";
const MARKER_RE = /<!-- claimcheck:issue (\{[^\n]*?\}) -->/;

export function renderMarker(marker: Marker): string {
  return `${PREFIX}${JSON.stringify(markerSchema.parse(marker))} -->`;
}

/** The marker of an issue body, or null when the body has none (or a damaged one). */
export function parseMarker(body: string | null | undefined): Marker | null {
  const match = body ? MARKER_RE.exec(body) : null;
  if (!match?.[1]) return null;
  try {
    const parsed = markerSchema.safeParse(JSON.parse(match[1]));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A short, stable hash of rendered content (what decides whether an issue is written again). */
export function contentHash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 16);
}
