import { CLAIMS, type ClaimSpec } from "../core/catalogue.js";
import { FINDINGS, isFindingId } from "../core/findings.js";
import { claimStatusFromChecks, rollUpRepositories, STATUSES, type CheckStatus, type Status } from "../core/status.js";
import { JUDGES } from "../evaluation/judges.js";
import type { CheckJudge } from "../evaluation/types.js";

/*
 * How each claim's organisation-wide status moved over time, from the stored repository
 * assessments. Pure and linear in the number of assessments: every assessment updates the
 * per-status counts of the checks it judged, and each claim is rolled up again from those counts
 * with the same rules as the report (src/report/rollup.ts), so the history's last day agrees with
 * the report built from the same assessments.
 */

/** One stored repository assessment, as much of it as the history needs. */
export type HistoryAssessment = {
  id: number;
  repo: string;
  finishedAt: string;
  trigger: string;
  deliveryId: string | null;
  headSha: string | null;
  checkRunId: number | null;
  inScope: boolean;
  claims: { claimId: string; status: Status; checks: { checkId: string; status: CheckStatus }[] }[];
};

/** What caused a change: the assessment, and the event (trigger and webhook delivery) that started it. */
export type HistoryCause = {
  assessmentId: number;
  repo: string;
  trigger: string;
  deliveryId: string | null;
  commitUrl: string | null;
  checkRunUrl: string | null;
};

export type StatusChange = { at: string; from: Status | null; to: Status; cause: HistoryCause };

/** A claim's status on each day of the period (null: nothing stored yet), and every change with its cause. */
export type ClaimHistory = { claimId: string; days: { date: string; status: Status | null }[]; changes: StatusChange[] };

export type History = { days: number; since: string; until: string; claims: ClaimHistory[] };

export type HistoryInput = {
  /** The newest assessment of each repository before the period, so the first day starts from what was known. */
  before: readonly HistoryAssessment[];
  /** Every assessment inside the period. */
  during: readonly HistoryAssessment[];
  until: Date;
  days: number;
  /** Where links point (github.com, or a GitHub Enterprise Server host). */
  webUrl?: string;
  claims?: readonly ClaimSpec[];
  judges?: readonly CheckJudge[];
};

export const DEFAULT_HISTORY_DAYS = 90;
const DAY_MS = 86_400_000;

type Counts = Record<Status, number>;
const zero = (): Counts => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Counts;

/** The statuses present, which is all `rollUpRepositories` looks at. */
const present = (counts: Counts): Status[] => STATUSES.filter((s) => counts[s] > 0);

function levelOf(judge: CheckJudge | undefined): "org" | "repo" {
  const ids = judge ? [...judge.needs, ...(judge.uses ?? [])] : [];
  return ids.some((id) => isFindingId(id) && FINDINGS[id].scope === "repo") ? "repo" : "org";
}

type CheckSlot = { checkId: string; supporting: boolean; level: "org" | "repo"; counts: Counts };
type ClaimSlot = { claim: ClaimSpec; checks: CheckSlot[]; counts: Counts; current: Status | null; changes: StatusChange[]; byDay: Map<string, Status> };

function causeOf(a: HistoryAssessment, webUrl: string): HistoryCause {
  return {
    assessmentId: a.id,
    repo: a.repo,
    trigger: a.trigger,
    deliveryId: a.deliveryId,
    commitUrl: a.headSha ? `${webUrl}/${a.repo}/commit/${a.headSha}` : null,
    checkRunUrl: a.checkRunId !== null ? `${webUrl}/${a.repo}/runs/${a.checkRunId}` : null,
  };
}

const dayOf = (iso: string) => iso.slice(0, 10);

/**
 * The history, assessment by assessment: `add` them in the order they were stored, `snapshot` the
 * period ending at any time. Kept between page views (src/app/history-cache.ts), it reads each
 * stored assessment once.
 */
export class HistoryBuilder {
  private readonly slots: ClaimSlot[];
  private readonly webUrl: string;
  // The latest assessment of each repository, and the newest in scope (its organisation judgement stands).
  private readonly latest = new Map<string, HistoryAssessment>();
  private newest: HistoryAssessment | null = null;
  // Each assessment's results indexed once, by claim and check, while it is needed.
  private readonly indexed = new Map<number, Map<string, { status: Status; checks: Map<string, CheckStatus> }>>();
  /** Each claim's status before the first recorded assessment. */
  private readonly initial = new Map<string, Status | null>();
  private recording = false;

  constructor(options: { claims?: readonly ClaimSpec[]; judges?: readonly CheckJudge[]; webUrl?: string } = {}) {
    const judges = options.judges ?? JUDGES;
    this.webUrl = (options.webUrl ?? "https://github.com").replace(/\/+$/, "");
    this.slots = (options.claims ?? CLAIMS).map((claim) => ({
      claim,
      counts: zero(),
      current: null,
      changes: [],
      byDay: new Map(),
      checks: claim.checks.map((c) => ({ checkId: c.id, supporting: c.supporting === true, level: levelOf(judges.find((j) => j.claimId === claim.id && j.checkId === c.id)), counts: zero() })),
    }));
  }

  private indexOf(a: HistoryAssessment) {
    let index = this.indexed.get(a.id);
    if (!index) {
      index = new Map(a.claims.map((c) => [c.claimId, { status: c.status, checks: new Map(c.checks.map((k) => [k.checkId, k.status])) }]));
      this.indexed.set(a.id, index);
    }
    return index;
  }

  private apply(a: HistoryAssessment, sign: 1 | -1): void {
    if (!a.inScope) return;
    const byClaim = this.indexOf(a);
    for (const slot of this.slots) {
      const result = byClaim.get(slot.claim.id);
      if (slot.claim.scope === "repo") slot.counts[result?.status ?? "unknown"] += sign;
      for (const check of slot.checks) if (check.level === "repo") check.counts[result?.checks.get(check.checkId) ?? "unknown"] += sign;
    }
  }

  private statusOf(slot: ClaimSlot): Status | null {
    if (this.latest.size === 0) return null;
    if (slot.claim.scope === "repo") return rollUpRepositories(present(slot.counts));
    const orgResult = this.newest?.inScope ? this.indexOf(this.newest).get(slot.claim.id) : undefined;
    if (slot.claim.coverage === "outside") return orgResult?.status ?? "unknown";
    const orgChecks = orgResult?.checks ?? new Map<string, CheckStatus>();
    const deciding = slot.checks
      .filter((c) => !c.supporting)
      .map((c): CheckStatus => {
        const status = c.level === "repo" ? rollUpRepositories(present(c.counts)) : (orgChecks.get(c.checkId) ?? "unknown");
        return status === "attested" ? "unknown" : status;
      });
    return claimStatusFromChecks(deciding);
  }

  /**
   * One more stored assessment. `record` false: it only sets where the period starts (the newest
   * assessment of each repository before it); no change or day is recorded for it.
   */
  add(a: HistoryAssessment, record = true): void {
    if (record && !this.recording) {
      this.recording = true;
      for (const slot of this.slots) this.initial.set(slot.claim.id, slot.current);
    }
    const previous = this.latest.get(a.repo);
    if (previous) {
      this.apply(previous, -1);
      if (previous !== this.newest) this.indexed.delete(previous.id);
    }
    this.latest.set(a.repo, a);
    this.apply(a, 1);
    if (a.inScope) this.newest = a;
    for (const slot of this.slots) {
      const status = this.statusOf(slot);
      if (status !== slot.current && status !== null) {
        if (record) slot.changes.push({ at: a.finishedAt, from: slot.current, to: status, cause: causeOf(a, this.webUrl) });
        slot.current = status;
      }
    }
    if (record) {
      const date = dayOf(a.finishedAt);
      for (const slot of this.slots) if (slot.current !== null) slot.byDay.set(date, slot.current);
    }
  }

  /** Each claim over the `days` before `until`: a day's status is the one at its end. */
  snapshot(until: Date, days: number): History {
    const since = new Date(until.getTime() - days * DAY_MS);
    const dates = Array.from({ length: days + 1 }, (_, i) => dayOf(new Date(since.getTime() + i * DAY_MS).toISOString()));
    const first = dates[0]!;
    return {
      days,
      since: since.toISOString(),
      until: until.toISOString(),
      claims: this.slots.map((slot) => {
        const recorded = [...slot.byDay].sort(([a], [b]) => a.localeCompare(b));
        let status = this.initial.get(slot.claim.id) ?? (this.recording ? null : slot.current);
        let next = 0;
        // Days recorded before the period carry their status into it.
        while (next < recorded.length && recorded[next]![0] < first) status = recorded[next++]![1];
        const out = dates.map((date) => {
          while (next < recorded.length && recorded[next]![0] <= date) status = recorded[next++]![1];
          return { date, status };
        });
        return { claimId: slot.claim.id, days: out, changes: slot.changes.filter((c) => c.at >= since.toISOString() && c.at <= until.toISOString()) };
      }),
    };
  }
}

export function buildHistory(input: HistoryInput): History {
  const builder = new HistoryBuilder({ ...(input.claims ? { claims: input.claims } : {}), ...(input.judges ? { judges: input.judges } : {}), ...(input.webUrl ? { webUrl: input.webUrl } : {}) });
  for (const a of [...input.before].sort(byTime)) builder.add(a, false);
  for (const a of [...input.during].sort(byTime)) builder.add(a, true);
  return builder.snapshot(input.until, input.days);
}

function byTime(a: HistoryAssessment, b: HistoryAssessment): number {
  return a.finishedAt.localeCompare(b.finishedAt) || a.id - b.id;
}
