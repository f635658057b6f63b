import { STATUS_ORDER, type Status } from "../core/status.js";
import { evidenceKind, isUnmet, metComment, reopenComment, statusChangeComment, type GapSubject, type RenderedIssue } from "./gap-issue.js";

type ReopenReason = Parameters<typeof reopenComment>[1];

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

/**
 * What planning needs of one intended issue: its key, the status and kind it orders and decides by,
 * the hash of its rendered body and where it goes. No findings and no body, so an organisation's
 * issues can be planned from a pass over its repositories that keeps none of them whole.
 */
export type GapFacts = {
  claimId: string;
  scope: string;
  status: Status;
  evidenceKind: string;
  /** The rendered body's hash. Not read for a met claim: its issue keeps the body last written. */
  hash: string;
  target: IssueTarget;
};

/** A write decided but not written out: its text is rendered from the whole subject when it is made. */
export type Step =
  | { op: "create" }
  | { op: "update" }
  | { op: "label"; add: string[]; remove: string[] }
  | { op: "comment"; about: "met" }
  | { op: "comment"; about: "status-change"; from: string }
  | { op: "comment"; about: "reopen"; why: ReopenReason }
  | { op: "close" }
  | { op: "reopen" };

export type Decided<T extends GapFacts> = { key: string; item: T; number: number | null; steps: Step[]; after: IssueState; endException?: string };

/** A plan of steps: as `Plan`, each issue's writes not yet written out. */
export type Decisions<T extends GapFacts> = {
  issues: Decided<T>[];
  deferred: T[];
  excepted: { item: T; acceptedBy: string; expiresAt: string }[];
  closedByPeople: { item: T; url: string }[];
};

export function gapFacts(intended: Intended): GapFacts {
  const { subject, target, rendered } = intended;
  return { claimId: subject.claimId, scope: subject.scope, status: subject.status, evidenceKind: evidenceKind(subject), hash: rendered.hash, target };
}

/**
 * The facts of a subject the plan can act on, or null for one it leaves alone whatever the issues
 * (unknown, not applicable, attested). `hashOf` renders the body: called only for unmet claims,
 * since a met claim's issue is closed with its body as it was.
 */
export function plannable(subject: GapSubject, target: IssueTarget, hashOf: (subject: GapSubject) => string): GapFacts | null {
  if (subject.status !== "met" && !isUnmet(subject.status)) return null;
  const hash = subject.status === "met" ? "" : hashOf(subject);
  return { claimId: subject.claimId, scope: subject.scope, status: subject.status, evidenceKind: evidenceKind(subject), hash, target };
}

/** Steps that bring an existing issue's body and labels up to date. */
function refresh(known: KnownIssue, facts: GapFacts, withStatusComment: boolean): Step[] {
  const steps: Step[] = [];
  if (known.hash !== facts.hash) steps.push({ op: "update" });
  if (known.status !== facts.status && isUnmet(facts.status)) {
    steps.push({ op: "label", add: [statusLabels(facts.status)], remove: isUnmet(known.status as never) ? [statusLabels(known.status)] : [] });
    if (withStatusComment && isUnmet(known.status as never)) steps.push({ op: "comment", about: "status-change", from: known.status });
  }
  return steps;
}

function stateOf(known: KnownIssue | undefined, facts: GapFacts, change: Partial<IssueState> = {}): IssueState {
  return {
    state: known?.state ?? "open",
    closedBy: known?.closedBy ?? null,
    stateReason: known?.stateReason ?? null,
    status: facts.status,
    evidenceKind: facts.evidenceKind,
    hash: facts.hash,
    reopenedOnce: known?.reopenedOnce ?? false,
    ...change,
  };
}

const reopened = { state: "open" as const, closedBy: null, stateReason: null };

/**
 * What to do with each intended issue, from its facts alone: which to open (gaps before partials,
 * at most `maxNew`), update, close and reopen, and the state each is left in.
 */
export function decideGapIssues<T extends GapFacts>(input: { intended: readonly T[]; known: ReadonlyMap<string, KnownIssue>; exceptions: readonly ActiveException[]; maxNew: number; now: Date }): Decisions<T> {
  const plan: Decisions<T> = { issues: [], deferred: [], excepted: [], closedByPeople: [] };
  let created = 0;
  // Gaps before partials, so a cap keeps the most pressing ones.
  const ordered = [...input.intended].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.claimId.localeCompare(b.claimId, "en", { numeric: true }) || a.scope.localeCompare(b.scope));
  for (const item of ordered) {
    const key = issueKey(item.claimId, item.scope);
    const known = input.known.get(key);
    const exception = input.exceptions.find((e) => e.claimId === item.claimId && e.scope === item.scope);
    const kind = item.evidenceKind;
    const push = (number: number | null, steps: Step[], after: IssueState, endException?: string) => {
      plan.issues.push({ key, item, number, steps, after, ...(endException ? { endException } : {}) });
    };

    if (item.status === "met") {
      // The labels and body stay as last written, so the stored status and hash do too.
      const unchanged = known ? { hash: known.hash, status: known.status } : {};
      if (known?.state === "open") push(known.number, [{ op: "comment", about: "met" }, { op: "close" }], stateOf(known, item, { ...unchanged, state: "closed", closedBy: "claimcheck", stateReason: "completed", reopenedOnce: false }), exception ? "the claim is met" : undefined);
      else if (known && exception) push(known.number, [], stateOf(known, item, unchanged), "the claim is met");
      continue;
    }
    if (!isUnmet(item.status)) continue; // unknown, not applicable, attested: nothing to assert

    if (exception) {
      const expired = Date.parse(exception.expiresAt) <= input.now.getTime();
      const changed = exception.evidenceKind !== kind;
      if (!expired && !changed) {
        plan.excepted.push({ item, acceptedBy: exception.acceptedBy, expiresAt: exception.expiresAt });
        continue;
      }
      const because = expired ? "expired" : `the evidence changed from ${exception.evidenceKind} to ${kind}`;
      if (known) {
        const steps: Step[] = known.state === "closed" ? [{ op: "reopen" }, ...refresh(known, item, false), { op: "comment", about: "reopen", why: "exception-lapsed" }] : refresh(known, item, true);
        push(known.number, steps, stateOf(known, item, reopened), because);
        continue;
      }
    }

    if (!known) {
      if (created >= input.maxNew) {
        plan.deferred.push(item);
        continue;
      }
      created += 1;
      push(null, [{ op: "create" }], stateOf(undefined, item));
      continue;
    }

    if (known.state === "open") {
      const steps = refresh(known, item, true);
      if (steps.length > 0 || known.evidenceKind !== kind) push(known.number, steps, stateOf(known, item));
      continue;
    }

    // Closed.
    if (known.closedBy === "person") {
      if (known.stateReason === "not_planned") continue; // a person's decision, recorded as an exception by the webhook
      if (known.reopenedOnce) {
        plan.closedByPeople.push({ item, url: known.url });
        continue;
      }
      push(known.number, [{ op: "reopen" }, ...refresh(known, item, false), { op: "comment", about: "reopen", why: "still-unmet" }], stateOf(known, item, { ...reopened, reopenedOnce: true }));
      continue;
    }
    push(known.number, [{ op: "reopen" }, ...refresh(known, item, false), { op: "comment", about: "reopen", why: "regressed" }], stateOf(known, item, reopened));
  }
  return plan;
}

/** The writes of decided steps, their text rendered from the whole subject. */
export function writesOf(steps: readonly Step[], intended: Intended): Write[] {
  const { subject, rendered } = intended;
  return steps.map((step): Write => {
    switch (step.op) {
      case "create":
        return { op: "create", title: rendered.title, body: rendered.body, labels: rendered.labels };
      case "update":
        return { op: "update", title: rendered.title, body: rendered.body };
      case "comment":
        return { op: "comment", body: step.about === "met" ? metComment(subject) : step.about === "status-change" ? statusChangeComment(subject, step.from) : reopenComment(subject, step.why) };
      default:
        return step;
    }
  });
}

/** A decided issue written out with its whole subject. */
export function plannedIssue(decided: Decided<GapFacts>, intended: Intended): PlannedIssue {
  const { key, number, steps, after, endException } = decided;
  return { key, intended, number, writes: writesOf(steps, intended), after, ...(endException ? { endException } : {}) };
}

/** The writes that bring the issues in line with the intended ones, every subject at hand. */
export function planGapIssues(input: { intended: readonly Intended[]; known: ReadonlyMap<string, KnownIssue>; exceptions: readonly ActiveException[]; maxNew: number; now: Date }): Plan {
  const decided = decideGapIssues({ ...input, intended: input.intended.map((intended) => ({ ...gapFacts(intended), intended })) });
  return {
    issues: decided.issues.map((d) => plannedIssue(d, d.item.intended)),
    deferred: decided.deferred.map((d) => d.intended),
    excepted: decided.excepted.map(({ item, ...rest }) => ({ intended: item.intended, ...rest })),
    closedByPeople: decided.closedByPeople.map(({ item, url }) => ({ intended: item.intended, url })),
  };
}
