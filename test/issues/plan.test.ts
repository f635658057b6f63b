import { describe, expect, it } from "vitest";
import { evidenceKind, renderGapIssue, type GapSubject } from "../../src/issues/gap-issue.js";
import { issueKey, planGapIssues, type Intended, type KnownIssue } from "../../src/issues/plan.js";
import { parseMarker, renderMarker } from "../../src/issues/marker.js";
import { claimResult } from "./fixtures.js";

const NOW = new Date("2026-03-12T10:00:00Z");

function intended(statuses: Record<string, "gap" | "met">, rest: "gap" | "met" = "met", checkedAt = "2026-03-12T09:00:00.000Z"): Intended {
  const r = claimResult("2.2.2", statuses, "acme/api", rest);
  const subject: GapSubject = { org: "acme", claimId: "2.2.2", scope: "acme/api", status: r.status, reason: r.reason, checks: r.checks, findings: [], checkedAt };
  return { subject, target: { owner: "acme", repo: "api" }, rendered: renderGapIssue(subject, { expireAfterDays: 180 }) };
}

function known(i: Intended, change: Partial<KnownIssue> = {}): Map<string, KnownIssue> {
  const k: KnownIssue = { number: 3, url: "https://github.com/acme/api/issues/3", state: "open", closedBy: null, stateReason: null, status: i.subject.status, evidenceKind: evidenceKind(i.subject), hash: i.rendered.hash, reopenedOnce: false, ...change };
  return new Map([[issueKey("2.2.2", "acme/api"), k]]);
}

const ops = (plan: ReturnType<typeof planGapIssues>) => plan.issues.flatMap((p) => p.writes.map((w) => w.op));

describe("planGapIssues", () => {
  it("hashes everything but the date checked: a later check with the same evidence plans no write", () => {
    const before = intended({ "pr-required": "gap" });
    const later = intended({ "pr-required": "gap" }, "met", "2026-04-01T09:00:00.000Z");
    expect(later.rendered.hash).toBe(before.rendered.hash);
    expect(later.rendered.body).not.toBe(before.rendered.body);
    expect(ops(planGapIssues({ intended: [later], known: known(before), exceptions: [], maxNew: 10, now: NOW }))).toEqual([]);
  });

  it("reopens an issue a person closed as completed while the gap remains, once", () => {
    const i = intended({ "pr-required": "gap" });
    const first = planGapIssues({ intended: [i], known: known(i, { state: "closed", closedBy: "person", stateReason: "completed" }), exceptions: [], maxNew: 10, now: NOW });
    expect(ops(first)).toEqual(["reopen", "comment"]);
    expect(first.issues[0]!.after.reopenedOnce).toBe(true);
    const second = planGapIssues({ intended: [i], known: known(i, { state: "closed", closedBy: "person", stateReason: "completed", reopenedOnce: true }), exceptions: [], maxNew: 10, now: NOW });
    expect(ops(second)).toEqual([]);
    expect(second.closedByPeople).toHaveLength(1);
  });

  it("leaves an issue closed as not planned by a person closed", () => {
    const i = intended({ "pr-required": "gap" });
    expect(ops(planGapIssues({ intended: [i], known: known(i, { state: "closed", closedBy: "person", stateReason: "not_planned" }), exceptions: [], maxNew: 10, now: NOW }))).toEqual([]);
  });

  it("asks again when an accepted exception expires", () => {
    const i = intended({ "pr-required": "gap" });
    const exception = { claimId: "2.2.2", scope: "acme/api", expiresAt: "2026-03-01T00:00:00.000Z", evidenceKind: evidenceKind(i.subject), acceptedBy: "Codertocat" };
    const plan = planGapIssues({ intended: [i], known: known(i, { state: "closed", closedBy: "person", stateReason: "not_planned" }), exceptions: [exception], maxNew: 10, now: NOW });
    expect(ops(plan)).toEqual(["reopen", "comment"]);
    expect(plan.issues[0]!.endException).toBe("expired");
    const inForce = planGapIssues({ intended: [i], known: known(i, { state: "closed", closedBy: "person", stateReason: "not_planned" }), exceptions: [{ ...exception, expiresAt: "2026-09-01T00:00:00.000Z" }], maxNew: 10, now: NOW });
    expect(ops(inForce)).toEqual([]);
    expect(inForce.excepted).toHaveLength(1);
  });

  it("does nothing for a claim it could not judge: unknown never closes or opens an issue", () => {
    const i = intended({ "pr-required": "gap" });
    const unknown = { ...i, subject: { ...i.subject, status: "unknown" as const } };
    expect(ops(planGapIssues({ intended: [unknown], known: known(i), exceptions: [], maxNew: 10, now: NOW }))).toEqual([]);
    expect(ops(planGapIssues({ intended: [unknown], known: new Map(), exceptions: [], maxNew: 10, now: NOW }))).toEqual([]);
  });

  it("opens gaps before partials when the cap bites", () => {
    const partial = intended({ "pr-required": "gap" });
    const gapSubject = { ...intended({}, "gap").subject, scope: "acme/web" };
    const gap = { subject: gapSubject, target: { owner: "acme", repo: "web" }, rendered: renderGapIssue(gapSubject, { expireAfterDays: 180 }) };
    const plan = planGapIssues({ intended: [partial, gap], known: new Map(), exceptions: [], maxNew: 1, now: NOW });
    expect(plan.issues.map((p) => p.intended.subject.scope)).toEqual(["acme/web"]);
    expect(plan.deferred.map((d) => d.subject.scope)).toEqual(["acme/api"]);
  });
});

describe("issue marker", () => {
  it("round-trips, and a damaged marker is no marker", () => {
    const marker = { kind: "gap" as const, claim: "2.1.5", scope: "org", hash: "0123456789abcdef" };
    expect(parseMarker(`text\n\n${renderMarker(marker)}\n`)).toEqual(marker);
    expect(parseMarker("<!-- claimcheck:issue {\"kind\":\"gap\"} -->")).toBeNull();
    expect(parseMarker(null)).toBeNull();
  });
});
