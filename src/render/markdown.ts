import type { Status } from "../core/status.js";

export const STATUS_LABEL: Record<Status, string> = {
  met: "✅ met",
  partial: "🟡 partial",
  gap: "❌ gap",
  unknown: "❔ unknown",
  not_applicable: "➖ not applicable",
  attested: "📎 attested",
};

/** Text safe inside one Markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function link(text: string, url: string): string {
  return `[${text.replace(/[[\]]/g, "")}](${url.replace(/\)/g, "%29").replace(/ /g, "%20")})`;
}

/** JSON of a finding's value, short enough for a table cell. */
export function showValue(value: unknown, max = 300): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Keeps Markdown within `limit` characters, cutting at a line boundary and saying so visibly:
 * a silently shortened evidence report would look complete when it is not.
 */
export function fitWithin(markdown: string, limit: number, where: string): string {
  if (markdown.length <= limit) return markdown;
  const noteFor = (omitted: number) => `\n\n> ✂️ **Truncated**: ${omitted.toLocaleString("en-GB")} characters did not fit GitHub's limit; ${where}.\n`;
  const reserve = noteFor(markdown.length).length;
  const cut = markdown.lastIndexOf("\n", limit - reserve);
  const kept = markdown.slice(0, cut > 0 ? cut : limit - reserve);
  return kept + noteFor(markdown.length - kept.length);
}
