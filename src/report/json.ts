import { CROSSWALK_NOTE } from "./guidance.js";
import type { Report } from "./model.js";

/*
 * The JSON report, schema `claimcheck/assessment@1` (docs/report-schema.json). Field names are a
 * public interface: users script against them. Keys are always present; absent values are null.
 */

export function reportJson(report: Report) {
  return {
    schema: report.schema,
    org: report.org,
    generatedAt: report.generatedAt,
    window: report.window,
    repositories: report.repositories,
    claims: report.claims.map((c) => ({
      id: c.id,
      principle: c.principle,
      text: c.text,
      status: c.status,
      coverage: c.coverage,
      scope: c.scope,
      summary: c.summary,
      narrative: c.narrative,
      counts: c.counts,
      checks: c.checks.map((k) => ({
        id: k.checkId,
        judges: k.judges,
        supporting: k.supporting,
        level: k.level,
        status: k.status,
        reason: k.level === "org" ? k.reason : null,
        counts: k.counts,
        repositories: k.repositories,
      })),
      repositories: c.repositories,
      evidence: c.evidence,
      listed: c.listed,
      beyondGitHub: c.beyondGitHub,
      attested: c.attested ? { url: c.attested.url, note: c.attested.note ?? null } : null,
      exceptions: c.exceptions.map((e) => ({
        checkId: e.checkId ?? null,
        repo: e.repo ?? null,
        subject: e.subject ?? null,
        reason: e.reason,
        url: e.url ?? null,
        acceptedBy: e.acceptedBy ?? null,
        acceptedAt: e.acceptedAt ?? null,
        expiresAt: e.expiresAt ?? null,
      })),
      toClose: c.toClose,
      unseen: c.unseen,
      crosswalk: { ...c.crosswalk, note: CROSSWALK_NOTE },
    })),
    findings: report.findings,
    requests: report.requests,
    history: report.history?.claims ?? [],
  };
}

export function renderJson(report: Report): string {
  return `${JSON.stringify(reportJson(report), null, 2)}\n`;
}
