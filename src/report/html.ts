import type { Coverage } from "../core/catalogue.js";
import { STATUSES, type Status } from "../core/status.js";
import { CROSSWALK_NOTE } from "./guidance.js";
import { names } from "./words.js";
import type { ClaimHistory, History } from "./history.js";
import { contentSecurityPolicy, SCRIPT, STYLE } from "./html-assets.js";
import type { ClaimReport, EvidenceRef, Report, ReportFinding } from "./model.js";

/*
 * The HTML report: one self-contained page (its only style sheet and script are inline and
 * allowed by hash; nothing is loaded from anywhere) with the claims × repositories matrix, every
 * claim's argument, evidence and gaps, and the history. Every text from GitHub or configuration
 * is escaped, and only http(s) links are made links. Linear in repositories: each claim's
 * evidence is grouped by repository once.
 */

export type HtmlOptions = {
  /** The signed-in user of the app's page, with where sign-out posts to. */
  session?: { login: string; signOutPath: string };
  /** The Content-Security-Policy is also sent as a header by the app; a file opened from disk has only the meta element. */
  cspMeta?: boolean;
};

export const STATUS_WORD: Record<Status, string> = { met: "met", partial: "partial", gap: "gap", unknown: "unknown", not_applicable: "not applicable", attested: "attested" };
/** A symbol as well as a colour for every status: colour is never the only signal. */
export const STATUS_SYMBOL: Record<Status, string> = { met: "✓", partial: "◐", gap: "✗", unknown: "?", not_applicable: "–", attested: "✎" };

const COVERAGE_WORD: Record<Coverage, string> = {
  full: "full — GitHub shows what an assessor needs for the code host",
  partial: "partial — GitHub shows part of this claim",
  outside: "outside — GitHub cannot show this claim",
};

const MAX_LISTED = 50;
/** Reasons in matrix cells are cut here; the claim's own section has them whole. */
const CELL_REASON = 160;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
const e = escapeHtml;

const safeUrl = (url: string) => /^https?:\/\/[^\s"'<>]+$/i.test(url);
function a(text: string, url: string): string {
  return safeUrl(url) ? `<a href="${e(url)}">${e(text)}</a>` : e(text);
}

/** Generated prose: escaped, then `names` as code and bare URLs as links. */
function prose(text: string): string {
  return e(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/https?:\/\/[^\s<>"']+?(?=[.,;:)]?(?:\s|$))/g, (url) => `<a href="${url}">${url}</a>`);
}

/** Repository names as the Markdown report words them ("`a`, `b` and 3 more"), as code. */
const namesHtml = (list: readonly string[]) => prose(names(list));

const day = (iso: string) => iso.slice(0, 10);
const minute = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
const anchor = (id: string) => `claim-${id.replace(/\./g, "")}`;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function badge(status: Status): string {
  return `<span class="b s-${status}"><span aria-hidden="true">${STATUS_SYMBOL[status]}</span> ${STATUS_WORD[status]}</span>`;
}

/** The status over the period as a strip, one run of days per rectangle, with the same in words for screen readers. */
export function historyStrip(h: ClaimHistory | undefined, label: string): string {
  if (!h || h.days.length === 0) return `<span class="note">no history stored</span>`;
  const width = 3;
  const runs: { from: number; to: number; status: Status | null }[] = [];
  h.days.forEach((d, i) => {
    const last = runs.at(-1);
    if (last && last.status === d.status) last.to = i;
    else runs.push({ from: i, to: i, status: d.status });
  });
  const words = runs.map((r) => `${r.status ? STATUS_WORD[r.status] : "nothing stored"} from ${h.days[r.from]!.date} to ${h.days[r.to]!.date}`).join("; ");
  const rects = runs
    .map((r) => `<rect class="h-${r.status ?? "none"}" x="${r.from * width}" y="0" width="${(r.to - r.from + 1) * width}" height="14"><title>${e(`${r.status ? STATUS_WORD[r.status] : "nothing stored"}: ${h.days[r.from]!.date} – ${h.days[r.to]!.date}`)}</title></rect>`)
    .join("");
  return `<svg class="hist" role="img" aria-label="${e(`${label}: ${words}`)}" width="${h.days.length * width}" height="14" viewBox="0 0 ${h.days.length * width} 14">${rects}</svg>`;
}

function header(report: Report, options: HtmlOptions): string {
  const inScope = report.repositories.filter((r) => r.inScope).length;
  const out = report.repositories.length - inScope;
  const totals = STATUSES.map((s) => [s, report.claims.filter((c) => c.status === s).length] as const).filter(([, n]) => n > 0);
  const session = options.session
    ? `<div class="session">Signed in as <strong>${e(options.session.login)}</strong><form method="post" action="${e(options.session.signOutPath)}"><button type="submit">Sign out</button></form></div>`
    : "";
  return `<header class="top">${session}
<h1>Software Security Code of Practice — self-assessment evidence for ${e(report.org)}</h1>
<p class="meta">Generated by claimcheck on ${e(minute(report.generatedAt))} from GitHub, for the evidence window ${e(day(report.window.since))} to ${e(day(report.window.until))} (${report.window.days} days). ${inScope} ${inScope === 1 ? "repository" : "repositories"} in scope${out > 0 ? `, ${out} <a href="#out-of-scope">out of scope</a>` : ""}.</p>
<ul class="totals" aria-label="Claims by status">${totals.map(([s, n]) => `<li>${badge(s)} ${n} ${n === 1 ? "claim" : "claims"}</li>`).join("")}</ul>
</header>`;
}

function filters(report: Report): string {
  return `<nav class="filters" aria-label="Filters">
<div><label class="t" for="f-principle">Principle</label><select id="f-principle"><option value="">All principles</option>${report.principles.map((p) => `<option value="${e(p.id)}">${e(p.id)} ${e(cut(p.title, 60))}</option>`).join("")}</select></div>
<fieldset><legend>Status</legend>${STATUSES.map((s) => `<label><input type="checkbox" name="f-status" value="${s}" checked> ${badge(s)}</label>`).join("")}</fieldset>
<div><label class="t" for="f-repo">Repository</label><input id="f-repo" type="search" placeholder="name contains…" autocomplete="off"></div>
<output id="f-count" aria-live="polite"></output>
</nav>`;
}

function legend(): string {
  return `<ul class="legend" aria-label="Legend">${STATUSES.map((s) => `<li>${badge(s)}</li>`).join("")}</ul>`;
}

function summary(report: Report): string {
  const historyOf = new Map((report.history?.claims ?? []).map((h) => [h.claimId, h]));
  const days = report.history?.days;
  const rows = report.claims.map((c) => {
    const k = c.counts;
    const repos = c.scope === "repo" ? `${k.met} / ${k.partial} / ${k.gap} / ${k.unknown} / ${k.not_applicable}` : "organisation-wide";
    const hist = report.history ? `<td>${historyStrip(historyOf.get(c.id), `${c.id} over the last ${days} days`)}</td>` : "";
    return `<tr data-claim data-s="${c.status}" data-p="${e(c.principle)}"><td>${e(c.principle)}</td><td><a href="#${anchor(c.id)}"><strong>${e(c.id)}</strong></a> ${e(c.text)}</td><td>${badge(c.status)}</td><td>${c.coverage}</td><td>${repos}</td>${hist}</tr>`;
  });
  const histHead = report.history ? `<th scope="col">Last ${days} days</th>` : "";
  return `<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>
<table><thead><tr><th scope="col">Principle</th><th scope="col">Claim</th><th scope="col">Status</th><th scope="col">Coverage</th><th scope="col">Repositories (met / partial / gap / unknown / n/a)</th>${histHead}</tr></thead>
<tbody>${rows.join("\n")}</tbody></table></section>`;
}

/** Claims × repositories. Each repository's statuses are looked up once per claim, so the matrix is linear in repositories. */
function matrix(report: Report): string {
  const inScope = report.repositories.filter((r) => r.inScope);
  const byClaim = report.claims.map((c) => new Map(c.repositories.map((r) => [r.repo, r])));
  const head = report.claims.map((c) => `<th scope="col" data-p="${e(c.principle)}"><a href="#${anchor(c.id)}" title="${e(c.text)}">${e(c.id)}</a></th>`).join("");
  // The label names the cell; the title (also its accessible description, and the focus tooltip) gives the reason.
  const cellOf = (c: ClaimReport, where: string, status: Status, reason: string) =>
    `<td data-s="${status}" data-p="${e(c.principle)}"><a href="#${anchor(c.id)}" aria-label="${e(`${where}, ${c.id}: ${STATUS_WORD[status]}`)}" title="${e(`${STATUS_WORD[status]} — ${cut(reason, CELL_REASON)}`)}">${STATUS_SYMBOL[status]}</a></td>`;
  const orgRow = `<tr class="org" data-repo=""><th scope="row">whole organisation</th>${report.claims.map((c) => cellOf(c, "whole organisation", c.status, c.summary)).join("")}</tr>`;
  const rows = inScope.map((r) => {
    const cells = report.claims.map((c, i) => {
      // Judged once for the organisation (first row): an empty cell, drawn as a dot.
      if (c.scope !== "repo") return `<td data-p="${e(c.principle)}"></td>`;
      const status = byClaim[i]!.get(r.name);
      return status ? cellOf(c, r.name, status.status, status.reason) : cellOf(c, r.name, "unknown", "not judged for this repository");
    });
    return `<tr data-repo="${e(r.name)}"><th scope="row">${a(r.name, r.url)}</th>${cells.join("")}</tr>`;
  });
  return `<section id="matrix" aria-labelledby="matrix-h"><h2 id="matrix-h">Claims × repositories</h2>
<p class="note">Each cell is a repository's status for a claim; hover or focus it for the reason, follow it for the claim. Claims judged once for the organisation are on the first row.</p>${legend()}
<div class="wrap" tabindex="0" aria-label="Matrix, scrollable"><table class="mx"><thead><tr><th scope="col">Repository</th>${head}</tr></thead>
<tbody>${orgRow}
${rows.join("\n")}</tbody></table></div></section>`;
}

function family(findingId: string): string {
  return findingId.split(".")[0] ?? findingId;
}

function linksOf(refs: readonly EvidenceRef[]): string {
  const byUrl = new Map<string, Set<string>>();
  for (const r of refs) byUrl.set(r.url, (byUrl.get(r.url) ?? new Set()).add(family(r.findingId)));
  return [...byUrl].map(([url, families]) => a([...families].join(", "), url)).join(", ") || "—";
}

function observed(refs: readonly EvidenceRef[]): string {
  const dates = [...new Set(refs.map((r) => day(r.observedAt)))].sort();
  return dates.length === 0 ? "—" : dates.length === 1 ? dates[0]! : `${dates[0]} – ${dates.at(-1)}`;
}

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function evidence(c: ClaimReport, orgFindings: ReadonlyMap<string, ReportFinding>): string {
  const parts: string[] = [];
  const org = c.evidence.byRepository ? c.evidence.org : [...c.evidence].filter((x) => x.repo === null);
  if (org.length > 0) {
    const rows = org.map((x) => {
      const value = x.error ? `<span class="s-unknown">? not read:</span> ${e(x.error)}` : `<code>${e(showValue(orgFindings.get(x.findingId)?.value ?? null))}</code>`;
      return `<tr><td>${a(x.findingId, x.url)}</td><td>${value}</td><td>${e(x.source)}</td><td>${e(day(x.observedAt))}</td></tr>`;
    });
    parts.push(`<table><thead><tr><th scope="col">Finding</th><th scope="col">Value</th><th scope="col">Source</th><th scope="col">Observed</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
  }
  if (c.scope === "repo" && c.repositories.length > 0) {
    // Grouped once: the evidence of each repository, by its name.
    const byRepo = new Map<string, EvidenceRef[]>();
    for (const x of c.evidence) {
      if (x.repo === null) continue;
      const name = x.repo.slice(x.repo.indexOf("/") + 1);
      const list = byRepo.get(name);
      if (list) list.push(x);
      else byRepo.set(name, [x]);
    }
    const rows = c.repositories.map((r) => {
      const refs = byRepo.get(r.repo) ?? [];
      return `<tr data-repo="${e(r.repo)}"><td><code>${e(r.repo)}</code></td><td>${badge(r.status)}</td><td>${prose(r.reason)}</td><td>${linksOf(refs)}</td><td>${observed(refs)}</td></tr>`;
    });
    parts.push(`<table><thead><tr><th scope="col">Repository</th><th scope="col">Status</th><th scope="col">Why</th><th scope="col">Evidence</th><th scope="col">Observed</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`);
  }
  if (c.scope === "org") {
    for (const k of c.checks.filter((x) => x.level === "repo" && x.repositories.length > 0)) {
      const rows = k.repositories.map((r) => `<tr data-repo="${e(r.repo)}"><td><code>${e(r.repo)}</code></td><td>${badge(r.status)}</td><td>${prose(r.reason)}</td></tr>`);
      parts.push(`<p><code>${e(k.checkId)}</code> by repository:</p><table><thead><tr><th scope="col">Repository</th><th scope="col">Status</th><th scope="col">Why</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
    }
  }
  if (parts.length === 0) parts.push(`<p class="note">No finding from GitHub bears on this claim yet.</p>`);
  for (const l of c.listed) {
    const shown = l.urls.slice(0, MAX_LISTED);
    const more = l.urls.length > shown.length ? `<li>… and ${l.urls.length - shown.length} more, in the JSON report (<code>${e(l.findingId)}</code>)</li>` : "";
    parts.push(`<p>${e(l.label)} in <code>${e(l.repo)}</code> (${l.urls.length}):</p><ul>${shown.map((u) => `<li>${a(u.replace(/^https:\/\/[^/]+\//, ""), u)}</li>`).join("")}${more}</ul>`);
  }
  return `<h4>Evidence</h4>${parts.join("\n")}`;
}

function checks(c: ClaimReport): string {
  const rows = c.checks.map((k) => {
    const detail = k.level === "org" ? k.reason : k.repositories.length === 0 ? "no repository in scope" : `met in ${k.counts.met} of ${k.repositories.length} repositories`;
    return `<tr><td><code>${e(k.checkId)}</code>${k.supporting ? " (supporting only)" : ""}</td><td>${e(k.judges)}</td><td>${badge(k.status)}</td><td>${prose(detail)}</td></tr>`;
  });
  return `<h4>Checks</h4><table><thead><tr><th scope="col">Check</th><th scope="col">What is judged</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function historySection(c: ClaimReport, h: ClaimHistory | undefined, days: number): string {
  if (!h) return "";
  const changes = h.changes.map((x) => {
    const cause = x.cause;
    const links = [cause.checkRunUrl ? a("check run", cause.checkRunUrl) : "", cause.commitUrl ? a("commit", cause.commitUrl) : ""].filter(Boolean).join(", ");
    return `<li>${e(minute(x.at))}: ${x.from ? badge(x.from) : "nothing stored"} → ${badge(x.to)} after assessment #${cause.assessmentId} of <code>${e(cause.repo)}</code>, caused by <code>${e(cause.trigger)}</code>${cause.deliveryId ? ` (delivery <code>${e(cause.deliveryId)}</code>)` : ""}${links ? ` — ${links}` : ""}</li>`;
  });
  return `<h4>History (last ${days} days)</h4>${historyStrip(h, `${c.id} over the last ${days} days`)}${changes.length > 0 ? `<ul class="changes">${changes.join("")}</ul>` : `<p class="note">No change in the period.</p>`}`;
}

function assessor(c: ClaimReport): string {
  if (c.attested) {
    return `<h4>Evidence supplied by the organisation</h4><p>${a("Supplied evidence", c.attested.url)}${c.attested.note ? `: ${e(c.attested.note)}` : ""} — <strong>supplied</strong>, not verified by claimcheck.</p>`;
  }
  if (c.coverage === "full" || !c.beyondGitHub) return "";
  return `<h4>What an assessor will still ask for</h4><p>GitHub shows ${c.coverage === "outside" ? "none" : "part"} of this claim. An assessor will also ask for ${e(c.beyondGitHub)}.</p>`;
}

function exceptions(c: ClaimReport): string {
  if (c.exceptions.length === 0) return "";
  const rows = c.exceptions.map((x) => {
    const subject = [x.repo ? `<code>${e(x.repo)}</code>` : "", x.subject ? `<code>${e(x.subject)}</code>` : ""].filter(Boolean).join(" ") || "—";
    const accepted = [x.acceptedBy, x.acceptedAt ? day(x.acceptedAt) : ""].filter(Boolean).join(", ") || "—";
    return `<tr><td>${x.checkId ? `<code>${e(x.checkId)}</code>` : "—"}</td><td>${subject}</td><td>${prose(x.reason)}${x.url ? ` (${a("record", x.url)})` : ""}</td><td>${e(accepted)}</td><td>${x.expiresAt ? e(day(x.expiresAt)) : "—"}</td></tr>`;
  });
  return `<h4>Accepted exceptions</h4><table><thead><tr><th scope="col">Check</th><th scope="col">Subject</th><th scope="col">Reason</th><th scope="col">Accepted</th><th scope="col">Expires</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function toClose(c: ClaimReport): string {
  const parts: string[] = [];
  if (c.toClose.length > 0) parts.push(`<h4>What would close the gaps</h4><ul>${c.toClose.map((t) => `<li><code>${e(t.checkId)}</code>: ${prose(t.action)}${t.repositories.length > 0 ? ` — in ${namesHtml(t.repositories)}` : ""}.</li>`).join("")}</ul>`);
  if (c.unseen.length > 0) parts.push(`<h4>What claimcheck could not see</h4><ul>${c.unseen.map((u) => `<li><code>${e(u.checkId)}</code>${u.repositories.length > 0 ? ` in ${namesHtml(u.repositories)}` : ""}: ${prose(u.reason)}.</li>`).join("")}</ul>`);
  return parts.join("");
}

function crosswalk(c: ClaimReport): string {
  const parts = [
    c.crosswalk.ssdf.length > 0 ? `NIST SSDF ${c.crosswalk.ssdf.join(", ")}` : "",
    c.crosswalk.cis.length > 0 ? `CIS Software Supply Chain Security Guide ${c.crosswalk.cis.join(", ")}` : "",
    c.crosswalk.scorecard.length > 0 ? `OpenSSF Scorecard ${c.crosswalk.scorecard.join(", ")}` : "",
  ].filter(Boolean);
  return parts.length === 0 ? "" : `<p class="note"><em>Related (${e(CROSSWALK_NOTE)}):</em> ${e(parts.join("; "))}.</p>`;
}

function claimSection(c: ClaimReport, orgFindings: ReadonlyMap<string, ReportFinding>, history: History | null): string {
  const h = history?.claims.find((x) => x.claimId === c.id);
  return `<details class="claim" id="${anchor(c.id)}" data-claim data-s="${c.status}" data-p="${e(c.principle)}">
<summary><span class="id">${e(c.id)}</span> ${badge(c.status)} <span>${e(c.text)}</span></summary>
<div class="body">
<blockquote>“${e(c.text)}” — APC, claim ${e(c.id)}</blockquote>
<p><strong>Status:</strong> ${badge(c.status)} · <strong>Coverage:</strong> ${e(COVERAGE_WORD[c.coverage])} · <strong>Judged:</strong> ${c.scope === "repo" ? "per repository" : "for the organisation"}</p>
${history ? historySection(c, h, history.days) : ""}
<h4>Argument</h4><p>${prose(c.narrative)}</p>
${checks(c)}
${evidence(c, orgFindings)}
${assessor(c)}${exceptions(c)}${toClose(c)}${crosswalk(c)}
</div></details>`;
}

function outOfScope(report: Report): string {
  const out = report.repositories.filter((r) => !r.inScope);
  const body =
    out.length === 0
      ? `<p>None: every repository read is in scope.</p>`
      : `<table><thead><tr><th scope="col">Repository</th><th scope="col">Why</th></tr></thead><tbody>${out.map((r) => `<tr data-repo="${e(r.name)}"><td>${a(r.fullName, r.url)}</td><td>${e(r.reason ?? "")}</td></tr>`).join("")}</tbody></table>`;
  return `<section id="out-of-scope" aria-labelledby="oos-h"><h2 id="oos-h">Repositories out of scope</h2>${body}</section>`;
}

/** A self-contained page around `body`, with the report's style sheet, script and policy. */
export function htmlPage(title: string, body: string, options: HtmlOptions): string {
  const csp = options.cspMeta === false ? "" : `<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy("meta"))}">\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${csp}<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body class="no-js">
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The report as one self-contained HTML page. */
export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const orgFindings = new Map(report.findings.filter((f) => f.repo === null).map((f) => [f.id, f]));
  const sections = report.principles.map((p) => {
    const claims = report.claims.filter((c) => c.principle === p.id);
    return `<section data-p="${e(p.id)}" aria-labelledby="p-${anchor(p.id)}"><h2 id="p-${anchor(p.id)}">${e(p.id)} ${e(p.title)}</h2>${claims.map((c) => claimSection(c, orgFindings, report.history)).join("\n")}</section>`;
  });
  const body = `<a class="skip" href="#matrix">Skip to the matrix</a><a class="skip" href="#claims-h">Skip to the claims</a>
${header(report, options)}
<main>
${filters(report)}
${matrix(report)}
${summary(report)}
<h2 id="claims-h" tabindex="-1">Claims</h2>
<p class="note noprint">Open a claim for its argument, checks, evidence and what would close its gaps. Printing opens every claim.</p>
${sections.join("\n")}
${outOfScope(report)}
<footer><h2>About this report</h2><p>GitHub requests used: ${report.requests.rest} REST, ${report.requests.graphql} GraphQL (cost ${report.requests.graphqlCost}). Every finding behind this report, with its source, link and time of observation, is in the JSON form of the report (schema <code>${e(report.schema)}</code>).${report.history ? "" : " No history: this report was made without claimcheck's store."}</p></footer>
</main>`;
  return htmlPage(`${report.org} — Code of Practice self-assessment`, body, options);
}
