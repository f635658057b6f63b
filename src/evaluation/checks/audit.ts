import type { CheckJudge } from "../types.js";

/** "1 event", "2 events": reasons are read by people. */
const eventCount = (n: number) => `${n} ${n === 1 ? "event" : "events"}`;

const GITHUB_AUDIT_LOG_NOTE = "GitHub's own organisation audit log keeps 180 days and is readable through the API only on Enterprise Cloud";

export const auditTrailRecording: CheckJudge = {
  claimId: "2.2.1",
  checkId: "audit-trail-recording",
  needs: ["audit.events-in-window", "audit.earliest-event"],
  uses: ["audit.log-api", "audit.delivery-gaps"],
  judge(view) {
    const earliest = view.value("audit.earliest-event");
    if (earliest === null) return { status: "gap", reason: "claimcheck's audit trail has recorded no event for this organisation" };
    // Changes made while claimcheck was down longer than GitHub keeps deliveries were never recorded.
    const gaps = view.maybe("audit.delivery-gaps").value ?? [];
    if (gaps.length > 0) {
      const windows = gaps.map((g) => `${g.from.slice(0, 16).replace("T", " ")} – ${g.until.slice(0, 16).replace("T", " ")} UTC`).join(", ");
      return { status: "partial", reason: `changes between ${windows} may be missing: claimcheck was not running for longer than GitHub keeps webhook deliveries (3 days), so they could not be redelivered` };
    }
    const inWindow = Object.values(view.value("audit.events-in-window")).reduce((a, b) => a + b, 0);
    const api = view.maybe("audit.log-api").value;
    const apiNote = api?.status === "available" ? "; the organisation audit log is polled too" : `; webhooks only (${GITHUB_AUDIT_LOG_NOTE})`;
    if (inWindow === 0) {
      // Silence proves nothing either way: nothing may have changed, or deliveries may have stopped.
      return { status: "unknown", reason: `recording since ${earliest.slice(0, 10)}, but no event in the window: either nothing changed or deliveries stopped (see the app's recent webhook deliveries)${apiNote}` };
    }
    return { status: "met", reason: `recording since ${earliest.slice(0, 10)}, ${eventCount(inWindow)} in the window${apiNote}` };
  },
};

export const auditCoverage: CheckJudge = {
  claimId: "2.2.1",
  checkId: "audit-coverage",
  needs: ["audit.coverage"],
  judge(view) {
    const { covered, missing } = view.value("audit.coverage");
    if (missing.length === 0) return { status: "met", reason: `recorded kinds of change: ${covered.join(", ")}` };
    if (covered.length === 0) return { status: "gap", reason: "the installation receives none of the events that record changes; accept the app's requested permissions" };
    return { status: "partial", reason: `not recorded: ${missing.join(", ")} (the installation does not receive their events; accept the app's requested permissions)` };
  },
};

export const retention: CheckJudge = {
  claimId: "2.2.3",
  checkId: "retention",
  needs: ["audit.earliest-event", "audit.pruned"],
  judge(view, _thresholds, config) {
    const days = config.audit.retentionDays;
    if (view.value("audit.pruned")) return { status: "met", reason: `events older than the agreed ${days} days have been pruned behind a verified checkpoint, so the trail spans the full period` };
    const earliest = view.value("audit.earliest-event");
    if (earliest === null) return { status: "gap", reason: "the audit trail holds no event yet" };
    const reached = new Date(Date.parse(earliest) + days * 86_400_000);
    const observedAt = Date.parse(view.finding("audit.earliest-event")?.observedAt ?? earliest);
    if (reached.getTime() <= observedAt) return { status: "met", reason: `the trail reaches back to ${earliest.slice(0, 10)}, at least the agreed ${days} days` };
    return { status: "partial", reason: `recording since ${earliest.slice(0, 10)}; the agreed ${days} days are reached on ${reached.toISOString().slice(0, 10)}` };
  },
};

export const exportable: CheckJudge = {
  claimId: "2.2.3",
  checkId: "exportable",
  needs: ["audit.exportable"],
  judge(view) {
    const { events, exported } = view.value("audit.exportable");
    if (events === 0) return { status: "not_applicable", reason: "the audit trail holds no event to export yet" };
    if (events === exported) return { status: "met", reason: `${events === 1 ? "the 1 event exports" : `all ${events} events export`} with their chain fields (claimcheck audit export, JSONL or CSV)` };
    return { status: "gap", reason: `only ${exported} of ${eventCount(events)} could be exported` };
  },
};

export const chainVerified: CheckJudge = {
  claimId: "2.2.4",
  checkId: "chain-verified",
  needs: ["audit.chain-verified", "audit.chain-break", "audit.exportable"],
  judge(view) {
    const { events } = view.value("audit.exportable");
    if (view.value("audit.chain-verified")) {
      return events === 0 ? { status: "not_applicable", reason: "the audit trail holds no event yet" } : { status: "met", reason: `the audit trail's hash chain verifies end to end (${eventCount(events)})` };
    }
    return { status: "gap", reason: `the hash chain is broken at ${view.value("audit.chain-break") ?? "an unnamed link"}: the trail was altered outside claimcheck` };
  },
};

export const accessRestricted: CheckJudge = {
  claimId: "2.2.4",
  checkId: "access-restricted",
  needs: ["audit.access"],
  judge(view) {
    const { httpRoutes, adminProofRequired } = view.value("audit.access");
    if (httpRoutes.length === 0) return { status: "met", reason: "the trail is not served over HTTP; only holders of the database file can read it (restrict access to its volume)" };
    if (adminProofRequired) return { status: "met", reason: `served only to callers who prove admin rights on the organisation: ${httpRoutes.join(", ")}` };
    return { status: "gap", reason: `served without proof of admin rights: ${httpRoutes.join(", ")}` };
  },
};

export const auditJudges = [auditTrailRecording, auditCoverage, retention, exportable, chainVerified, accessRestricted];
