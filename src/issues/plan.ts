import { STATUS_ORDER } from "../core/status.js";
import { evidenceKind, isUnmet, metComment, reopenComment, statusChangeComment, type GapSubject, type RenderedIssue } from "./gap-issue.js";

/*
 * Pure planning: given each claim's result per scope, the issues claimcheck already keeps, and the
 * exceptions people accepted, the writes to make. Nothing here talks to GitHub or the store.
 */

export type IssueTarget = { owner: string; repo: string };

export type KnownIssue = {
  number: number;
  url: string;
  state: "open" | "closed";
  closedBy: "claimcheck" | "person" | null;
  stateReason: string | null;
  status: string;
  evidenceKind: string;
  hash: string;
  reopenedOnce: boolean;
};

export type ActiveException = { claimId: string; scope: string; expiresAt: string; evidenceKind: string; acceptedBy: string };

export type Intended = { subject: GapSubject; target: IssueTarget; rendered: RenderedIssue };

export type Write =
  | { op: "create"; title: string; body: string; labels: string[] }
  | { op: "update"; title: string; body: string }
  | { op: "label"; add: string[]; remove: string[] }
  | { op: "comment"; body: string }
  | { op: "close" }
  | { op: "reopen" };

/** The state the store keeps for the issue once its writes are done. */
export type IssueState = Omit<KnownIssue, "number" | "url">;

export type PlannedIssue = {
  key: string;
  intended: Intended;
  /** Null for an issue to create. */
  number: number | null;
  writes: Write[];
  after: IssueState;
  endException?: string;
};

export type Plan = {
  issues: PlannedIssue[];
  /** Unmet claims not opened because the run reached `issues.maxOpenPerRun`. */
  deferred: Intended[];
  /** Unmet claims left alone because a person accepted the gap. */
  excepted: { intended: Intended; acceptedBy: string; expiresAt: string }[];
  /** Unmet claims whose issue a person closed as completed after claimcheck had already reopened it once. */
  closedByPeople: { intended: Intended; url: string }[];
};

export function issueKey(claimId: string, scope: string): string {
  return `${claimId}@${scope}`;
}

function statusLabels(status: string) {
  return `status:${status}`;
}

/** Writes that bring an existing issue's body and labels up to date. */
function refresh(known: KnownIssue, intended: Intended, withStatusComment: boolean): Write[] {
  const writes: Write[] = [];
  const { subject, rendered } = intended;
  if (known.hash !== rendered.hash) writes.push({ op: "update", title: rendered.title, body: rendered.body });
  if (known.status !== subject.status && isUnmet(subject.status)) {
    writes.push({ op: "label", add: [statusLabels(subject.status)], remove: isUnmet(known.status as never) ? [statusLabels(known.status)] : [] });
    if (withStatusComment && isUnmet(known.status as never)) writes.push({ op: "comment", body: statusChangeComment(subject, known.status) });
  }
  return writes;
}

function stateOf(known: KnownIssue | undefined, intended: Intended, change: Partial<IssueState> = {}): IssueState {
  return {
    state: known?.state ?? "open",
    closedBy: known?.closedBy ?? null,
    stateReason: known?.stateReason ?? null,
    status: intended.subject.status,
    evidenceKind: evidenceKind(intended.subject),
    hash: intended.rendered.hash,
    reopenedOnce: known?.reopenedOnce ?? false,
    ...change,
  };
}

const reopened = { state: "open" as const, closedBy: null, stateReason: null };

export function planGapIssues(input: {
  intended: readonly Intended[];
  known: ReadonlyMap<string, KnownIssue>;
  exceptions: readonly ActiveException[];
  maxNew: number;
  now: Date;
}): Plan {
  const plan: Plan = { issues: [], deferred: [], excepted: [], closedByPeople: [] };
  let created = 0;
  // Gaps before partials, so a cap keeps the most pressing ones.
  const ordered = [...input.intended].sort((a, b) => STATUS_ORDER[a.subject.status] - STATUS_ORDER[b.subject.status] || a.subject.claimId.localeCompare(b.subject.claimId, "en", { numeric: true }) || a.subject.scope.localeCompare(b.subject.scope));
  for (const intended of ordered) {
    const { subject } = intended;
    const key = issueKey(subject.claimId, subject.scope);
    const known = input.known.get(key);
    const exception = input.exceptions.find((e) => e.claimId === subject.claimId && e.scope === subject.scope);
    const kind = evidenceKind(subject);
    const push = (number: number | null, writes: Write[], after: IssueState, endException?: string) => {
      plan.issues.push({ key, intended, number, writes, after, ...(endException ? { endException } : {}) });
    };

    if (subject.status === "met") {
      // The labels and body stay as last written, so the stored status and hash do too.
      const unchanged = known ? { hash: known.hash, status: known.status } : {};
      if (known?.state === "open") push(known.number, [{ op: "comment", body: metComment(subject) }, { op: "close" }], stateOf(known, intended, { ...unchanged, state: "closed", closedBy: "claimcheck", stateReason: "completed", reopenedOnce: false }), exception ? "the claim is met" : undefined);
      else if (known && exception) push(known.number, [], stateOf(known, intended, unchanged), "the claim is met");
      continue;
    }
    if (!isUnmet(subject.status)) continue; // unknown, not applicable, attested: nothing to assert

    if (exception) {
      const expired = Date.parse(exception.expiresAt) <= input.now.getTime();
      const changed = exception.evidenceKind !== kind;
      if (!expired && !changed) {
        plan.excepted.push({ intended, acceptedBy: exception.acceptedBy, expiresAt: exception.expiresAt });
        continue;
      }
      const because = expired ? "expired" : `the evidence changed from ${exception.evidenceKind} to ${kind}`;
      if (known) {
        const writes: Write[] = known.state === "closed" ? [{ op: "reopen" }, ...refresh(known, intended, false), { op: "comment", body: reopenComment(subject, "exception-lapsed") }] : refresh(known, intended, true);
        push(known.number, writes, stateOf(known, intended, reopened), because);
        continue;
      }
    }

    if (!known) {
      if (created >= input.maxNew) {
        plan.deferred.push(intended);
        continue;
      }
      created += 1;
      push(null, [{ op: "create", title: intended.rendered.title, body: intended.rendered.body, labels: intended.rendered.labels }], stateOf(undefined, intended));
      continue;
    }

    if (known.state === "open") {
      const writes = refresh(known, intended, true);
      if (writes.length > 0 || known.evidenceKind !== kind) push(known.number, writes, stateOf(known, intended));
      continue;
    }

    // Closed.
    if (known.closedBy === "person") {
      if (known.stateReason === "not_planned") continue; // a person's decision, recorded as an exception by the webhook
      if (known.reopenedOnce) {
        plan.closedByPeople.push({ intended, url: known.url });
        continue;
      }
      push(known.number, [{ op: "reopen" }, ...refresh(known, intended, false), { op: "comment", body: reopenComment(subject, "still-unmet") }], stateOf(known, intended, { ...reopened, reopenedOnce: true }));
      continue;
    }
    push(known.number, [{ op: "reopen" }, ...refresh(known, intended, false), { op: "comment", body: reopenComment(subject, "regressed") }], stateOf(known, intended, reopened));
  }
  return plan;
}
