import { claimById } from "../core/catalogue.js";
import type { Status } from "../core/status.js";
import type { ClaimHistory, History } from "./history.js";
import { badge, escapeHtml as e, historyStrip, htmlPage, STATUS_WORD } from "./html.js";

/*
 * `claimcheck history`: each claim's organisation-wide status over the period, as Markdown, JSON
 * (schema claimcheck/history@1, its `history` as in the report) or an HTML page.
 */

export const HISTORY_SCHEMA_ID = "claimcheck/history@1";

const minute = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/** Days per status over the period, in the order they matter, such as "gap 30 d, met 61 d". */
function daysByStatus(h: ClaimHistory): string {
  const counts = new Map<Status | null, number>();
  for (const d of h.days) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s ? STATUS_WORD[s] : "nothing stored"} ${n} d`).join(", ");
}

const now = (h: ClaimHistory) => h.days.at(-1)?.status ?? null;

export function historyJson(org: string, history: History) {
  return { schema: HISTORY_SCHEMA_ID, org, days: history.days, since: history.since, until: history.until, history: history.claims };
}

export function renderHistoryMarkdown(org: string, history: History): string {
  const lines = [
    `# Code of Practice claims of ${org} over the last ${history.days} days`,
    "",
    `From the assessments claimcheck stored between ${minute(history.since)} and ${minute(history.until)}. Each claim's status is rolled up over the repositories as in the report; "nothing stored" is a day before the first assessment.`,
    "",
    "| Claim | Now | Changes | Days by status |",
    "|---|---|---|---|",
  ];
  for (const h of history.claims) {
    const status = now(h);
    lines.push(`| **${h.claimId}** ${claimById(h.claimId)?.text ?? ""} | ${status ? STATUS_WORD[status] : "nothing stored"} | ${h.changes.length} | ${daysByStatus(h)} |`);
  }
  lines.push("");
  for (const h of history.claims.filter((x) => x.changes.length > 0)) {
    lines.push(`## ${h.claimId}`, "");
    for (const c of h.changes) {
      const cause = c.cause;
      const links = [cause.checkRunUrl ? `[check run](${cause.checkRunUrl})` : "", cause.commitUrl ? `[commit](${cause.commitUrl})` : ""].filter(Boolean).join(", ");
      lines.push(`- ${minute(c.at)}: ${c.from ? STATUS_WORD[c.from] : "nothing stored"} → **${STATUS_WORD[c.to]}** after assessment #${cause.assessmentId} of \`${cause.repo}\`, caused by \`${cause.trigger}\`${cause.deliveryId ? ` (delivery \`${cause.deliveryId}\`)` : ""}${links ? ` — ${links}` : ""}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

export function renderHistoryHtml(org: string, history: History): string {
  const rows = history.claims.map((h) => {
    const status = now(h);
    const changes = h.changes
      .map((c) => `<li>${e(minute(c.at))}: ${c.from ? badge(c.from) : "nothing stored"} → ${badge(c.to)} after assessment #${c.cause.assessmentId} of <code>${e(c.cause.repo)}</code>, caused by <code>${e(c.cause.trigger)}</code>${c.cause.deliveryId ? ` (delivery <code>${e(c.cause.deliveryId)}</code>)` : ""}</li>`)
      .join("");
    return `<tr><td><strong>${e(h.claimId)}</strong> ${e(claimById(h.claimId)?.text ?? "")}</td><td>${status ? badge(status) : "nothing stored"}</td><td>${historyStrip(h, `${h.claimId} over the last ${history.days} days`)}${changes ? `<ul class="changes">${changes}</ul>` : ""}</td></tr>`;
  });
  const body = `<header class="top"><h1>Code of Practice claims of ${e(org)} over the last ${history.days} days</h1>
<p class="meta">From the assessments claimcheck stored between ${e(minute(history.since))} and ${e(minute(history.until))}.</p></header>
<main><table><thead><tr><th scope="col">Claim</th><th scope="col">Now</th><th scope="col">Status by day, and each change with its cause</th></tr></thead><tbody>${rows.join("\n")}</tbody></table></main>`;
  return htmlPage(`${org} — Code of Practice history`, body, {});
}
