import { ADMIN_ONLY_ROUTES } from "../report/route.js";
import { observed, type Finding, type Where } from "../core/findings.js";
import type { Store } from "../store/store.js";
import { AuditSummaries } from "./summary.js";
import { deliveryGapsOf } from "../store/delivery-records.js";

/** Recorded by claimcheck itself when deliveries were lost: a fact about the trail, not a change to the build environment. */
export const DELIVERY_GAP_KIND = "claimcheck.deliveries-missed";

function changesOnly(counts: Record<string, number>): Record<string, number> {
  const { [DELIVERY_GAP_KIND]: _gaps, ...changes } = counts;
  return changes;
}

/** The kinds of change 2.2.1 asks to be logged, and the webhook events that record each. */
export const CHANGE_KINDS: Record<string, readonly string[]> = {
  "branch protection": ["branch_protection_rule"],
  rulesets: ["repository_ruleset"],
  membership: ["member", "membership", "organization"],
  teams: ["team", "team_add"],
  visibility: ["repository", "public"],
  "deploy keys": ["deploy_key"],
  "force pushes": ["push"],
  "workflow-file changes": ["push"],
};

/** The organisation audit-log API exists only on GitHub Enterprise Cloud; its status is stored by the poller. */

/** HTTP routes through which the app serves the trail's content: the report, which only proven org admins get. */
export const AUDIT_HTTP_ROUTES: readonly string[] = ADMIN_ONLY_ROUTES;

/**
 * The audit trail's evidence for an organisation, read from claimcheck's own store: what it
 * recorded, whether its chain verifies, whether it exports, and which kinds of change the
 * installation's granted events let it see.
 */
export async function auditFindings(store: Store, installationId: number, options: { now: Date; since: Date; org: string }): Promise<Finding[]> {
  const where: Where = { source: "claimcheck audit trail", url: `https://github.com/organizations/${options.org}/settings/installations`, observedAt: options.now.toISOString() };
  // Only the links added since the last assessment are hashed: the cost does not grow with the trail.
  const summary = await new AuditSummaries(store).refresh(installationId, options.since, options.now);
  const verification = summary.verification;
  const granted = await store.installationEvents(installationId);
  const source = await store.auditLogSource(installationId);
  // A long trail read for the first time is verified in slices: until then what depends on every link is not known yet.
  const catchingUp = verification.ok && summary.pending > 0 ? `claimcheck is verifying the audit trail for the first time (${summary.pending} links still to check); known within minutes` : null;
  const whole = <K extends Parameters<typeof observed>[0]>(id: K, value: Parameters<typeof observed<K>>[1]): Finding => (catchingUp ? { id, scope: "org", value: null, error: catchingUp, ...where } : observed(id, value, where));
  const findings: Finding[] = [
    whole("audit.events-in-window", changesOnly(summary.countsByKind)),
    observed("audit.earliest-event", summary.earliest, where),
    whole("audit.chain-verified", verification.ok),
    whole("audit.chain-break", verification.ok ? null : verification.brokenAt),
    observed("audit.pruned", summary.pruned, where),
    whole("audit.exportable", { events: summary.total, exported: summary.exported }),
    observed("audit.access", { httpRoutes: [...AUDIT_HTTP_ROUTES], adminProofRequired: true }, where),
    observed("audit.delivery-gaps", await deliveryGapsOf(store, installationId, options.since, options.now), where),
    observed("audit.log-api", source ? { status: source.status, reason: source.reason } : { status: "not-checked", reason: null }, { ...where, source: "GET /orgs/{org}/audit-log" }),
  ];
  if (granted === null) {
    findings.push({ id: "audit.coverage", scope: "org", value: null, error: "the events this installation receives are not known yet (GitHub reports them when the app is installed or its permissions are accepted)", ...where });
  } else {
    const kinds = Object.entries(CHANGE_KINDS);
    findings.push(
      observed(
        "audit.coverage",
        { covered: kinds.filter(([, events]) => events.some((e) => granted.includes(e))).map(([k]) => k), missing: kinds.filter(([, events]) => !events.some((e) => granted.includes(e))).map(([k]) => k) },
        where,
      ),
    );
  }
  return findings;
}
