import { describeBackfill } from "../app/backfill.js";
import { backfillOf } from "../store/backfill-records.js";
import type { Logger } from "pino";
import { z } from "zod";
import { KeyedSerial } from "../queue/keyed-serial.js";
import { mapYielding } from "../core/event-loop.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../config/repo-config.js";
import { GitHubClient, GitHubReadError, type OctokitLike } from "../github/client.js";
import { accessReviewDue, accessSnapshot, renderAccessReview } from "../issues/access-review.js";
import { acceptedExceptions } from "../issues/exceptions.js";
import { renderGapIssue } from "../issues/gap-issue.js";
import { ISSUE_LABEL, parseMarker } from "../issues/marker.js";
import { issueKey, planGapIssues, type IssueTarget, type KnownIssue, type Plan, type Write } from "../issues/plan.js";
import { SummaryFacts, subjectsOf, type RepositoryResults, type Routing } from "../issues/subjects.js";
import { renderSummaryIssue, SUMMARY_LABEL } from "../issues/summary-issue.js";
import {
  accessReviewRows,
  activeExceptions,
  endException,
  issueRows,
  lastOrgStatusChange,
  recordAccessReviewOpened,
  recordOrgStatuses,
  saveIssue,
  setIssueRepository,
  unavailableIssueRepositories,
  type IssueRow,
} from "../store/issue-records.js";
import type { Store } from "../store/store.js";
import { WriteBudget, type BudgetLimits } from "./issue-budget.js";
import { describeNetworkFailure } from "../github/network-failure.js";

/*
 * The only code that writes issues, labels and issue comments. Every write of an installation goes
 * through one serial queue and one content-creation budget, and only when the rendered content
 * changed. Existing issues are found by their hidden marker: the stored issue number first, then a
 * listing of the repository's `code-of-practice` issues — never the search API, whose index lags.
 */

const LABEL_COLOURS: Record<string, { color: string; description: string }> = {
  [ISSUE_LABEL]: { color: "1d76db", description: "Software Security Code of Practice evidence (claimcheck)" },
  [SUMMARY_LABEL]: { color: "5319e7", description: "claimcheck's evidence summary for the organisation" },
  "access-review": { color: "0e8a16", description: "Periodic review of who can change the build environment" },
  "status:gap": { color: "d73a4a", description: "The evidence shows the claim does not hold" },
  "status:partial": { color: "fbca04", description: "The claim holds in part" },
};
const PRINCIPLE_COLOUR = { color: "c5def5", description: "Code of Practice principle" };

/** What one assessment run did with issues: the writes it made are measured and reported. */
export type IssueRun = {
  installationId: number;
  org: string;
  config: RepoConfig | null;
  /** Requests that created or changed content on GitHub. */
  writes: number;
  /** Writes a dry run would have made. */
  dryRunWrites: string[];
  created: number;
  deferred: { claimId: string; scope: string }[];
  closedByPeople: { claimId: string; scope: string; url: string }[];
  unavailable: Map<string, string>;
  /** Repositories whose issues could not be listed for another reason: nothing is created there blind. */
  blocked: Set<string>;
  listed: Set<string>;
  budgetExhausted: boolean;
  failures: string[];
};

export type IssueRunReport = Pick<IssueRun, "writes" | "created" | "budgetExhausted" | "failures"> & { dryRunWrites: number; deferred: number; unavailable: string[] };

type Octokit = OctokitLike;

class IssueWriteError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

function statusOf(error: unknown): number | null {
  if (error instanceof GitHubReadError || error instanceof IssueWriteError) return error.status;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : null;
}

function unavailableReason(status: number | null, repository: string, central: boolean): string | null {
  if (status === 410) return "issues are turned off in this repository (Settings → General → Features → Issues)";
  if (status === 404) {
    return central
      ? `the repository does not exist or the app is not installed on it: create \`${repository}\` or set \`issues.repository\` in .github/claimcheck.yml`
      : "the repository does not exist or the app cannot see it";
  }
  return null;
}

const listedIssue = z.looseObject({
  number: z.number().int(),
  html_url: z.string(),
  state: z.enum(["open", "closed"]),
  state_reason: z.string().nullable().optional(),
  body: z.string().nullable().optional(),
  labels: z.array(z.union([z.string(), z.looseObject({ name: z.string().optional() })])),
  pull_request: z.unknown().optional(),
});
const createdIssue = z.looseObject({ number: z.number().int(), html_url: z.string() });

const full = (t: IssueTarget) => `${t.owner}/${t.repo}`;

export type IssuePublisherDeps = {
  store: Store;
  log: Logger;
  now?: () => Date;
  limits?: BudgetLimits;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

export class IssuePublisher {
  private readonly serial = new KeyedSerial();
  private readonly budgets = new Map<number, WriteBudget>();
  private readonly labelsEnsured = new Set<string>();

  constructor(private readonly deps: IssuePublisherDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  budget(installationId: number): WriteBudget {
    let budget = this.budgets.get(installationId);
    if (!budget) {
      budget = new WriteBudget(this.deps.limits, this.deps.clock, this.deps.sleep);
      this.budgets.set(installationId, budget);
    }
    return budget;
  }

  newRun(installationId: number, org: string): IssueRun {
    return { installationId, org, config: null, writes: 0, dryRunWrites: [], created: 0, deferred: [], closedByPeople: [], unavailable: new Map(), blocked: new Set(), listed: new Set(), budgetExhausted: false, failures: [] };
  }

  report(run: IssueRun): IssueRunReport {
    return { writes: run.writes, created: run.created, budgetExhausted: run.budgetExhausted, failures: run.failures, dryRunWrites: run.dryRunWrites.length, deferred: run.deferred.length, unavailable: [...run.unavailable.keys()] };
  }

  private routing(run: IssueRun): Routing {
    const config = run.config ?? DEFAULT_CONFIG;
    return { org: run.org, centralRepository: config.issues.repository ?? ".github", central: config.issues.central };
  }

  /**
   * Opens, updates, closes and reopens gap issues from the latest results. With `only`, only those
   * repositories' issues and the organisation's are considered (the repositories a run assessed):
   * `latest` is the run's one read of every repository's newest results, and each repository's
   * subjects come from its own entry, so a run over N repositories does work in N, not N².
   */
  async publishGaps(octokit: Octokit, run: IssueRun, latest: readonly RepositoryResults[], only?: string | ReadonlySet<string>): Promise<void> {
    const config = run.config ?? DEFAULT_CONFIG;
    if (!config.issues.enabled) return;
    const routing = this.routing(run);
    const wanted = typeof only === "string" ? new Set([only]) : only;
    const subjects = subjectsOf(wanted && !routing.central ? ownResults(latest, wanted) : latest, routing).filter((s) => routing.central || !wanted || wanted.has(s.subject.scope) || s.subject.scope === "org");
    await this.serial.run(String(run.installationId), async () => {
      const intended = await mapYielding(subjects, (s) => ({ ...s, rendered: renderGapIssue(s.subject, { expireAfterDays: config.exceptions.expireAfterDays, everyHours: config.reassessment.everyHours }) }));
      const known = await this.known(octokit, run, "gap", intended.map((i) => ({ key: issueKey(i.subject.claimId, i.subject.scope), target: i.target })));
      const exceptions = await activeExceptions(this.deps.store, run.installationId);
      const plan = planGapIssues({ intended, known: new Map([...known].map(([k, row]) => [k, knownOf(row)])), exceptions, maxNew: Math.max(0, config.issues.maxOpenPerRun - run.created), now: this.now() });
      for (const d of plan.deferred) if (!run.unavailable.has(full(d.target))) run.deferred.push({ claimId: d.subject.claimId, scope: d.subject.scope });
      run.closedByPeople.push(...plan.closedByPeople.map((c) => ({ claimId: c.intended.subject.claimId, scope: c.intended.subject.scope, url: c.url })));
      await this.execute(octokit, run, plan, known);
    });
  }

  /** Issues claimcheck keeps, by key; those not stored are looked for in their repository's labelled issues. */
  private async known(octokit: Octokit, run: IssueRun, kind: "gap" | "summary", wanted: { key: string; target: IssueTarget }[]): Promise<Map<string, IssueRow>> {
    const byKey = async () => new Map((await issueRows(this.deps.store, run.installationId, kind)).map((r) => [issueKey(r.claimId, r.scope), r]));
    const stored = await byKey();
    const toList = new Map<string, IssueTarget>();
    for (const w of wanted) if (!stored.has(w.key)) toList.set(full(w.target), w.target);
    if (toList.size === 0) return stored;
    for (const target of toList.values()) await this.list(octokit, run, target);
    return await byKey();
  }

  /** Reads a repository's `code-of-practice` issues (open and closed) and adopts those with a marker. */
  private async list(octokit: Octokit, run: IssueRun, target: IssueTarget): Promise<void> {
    const name = full(target);
    if (run.listed.has(name)) return;
    run.listed.add(name);
    const client = new GitHubClient(octokit);
    const now = this.now();
    try {
      for (let page = 1; ; page += 1) {
        const { data } = await client.rest("GET /repos/{owner}/{repo}/issues", { owner: target.owner, repo: target.repo, labels: ISSUE_LABEL, state: "all", per_page: 100, page }, z.array(listedIssue));
        for (const issue of data ?? []) await this.adopt(run, name, issue);
        if (!data || data.length < 100) break;
      }
      await setIssueRepository(this.deps.store, run.installationId, name, { listedAt: now.toISOString(), unavailable: null, checkedAt: now });
    } catch (error) {
      await this.failed(run, target, error, "list");
    }
  }

  private async adopt(run: IssueRun, repository: string, issue: z.infer<typeof listedIssue>): Promise<void> {
    if (issue.pull_request !== undefined) return;
    const marker = parseMarker(issue.body);
    if (!marker || marker.kind === "access-review") return;
    const existing = (await issueRows(this.deps.store, run.installationId, marker.kind)).find((r) => r.claimId === marker.claim && r.scope === marker.scope);
    if (existing) return;
    const labels = issue.labels.map((l) => (typeof l === "string" ? l : (l.name ?? "")));
    const status = labels.includes("status:partial") ? "partial" : "gap";
    const closed = issue.state === "closed";
    await saveIssue(this.deps.store, {
      installationId: run.installationId,
      kind: marker.kind,
      claimId: marker.claim,
      scope: marker.scope,
      repository,
      issueNumber: issue.number,
      issueUrl: issue.html_url,
      state: issue.state,
      // Without a record of who closed it, only "not planned" is read as a person's decision.
      closedBy: closed ? (issue.state_reason === "not_planned" ? "person" : "claimcheck") : null,
      stateReason: closed ? (issue.state_reason ?? null) : null,
      status,
      evidenceKind: "adopted",
      hash: marker.hash,
      reopenedOnce: false,
      updatedAt: this.now().toISOString(),
    });
  }

  private async failed(run: IssueRun, target: IssueTarget, error: unknown, doing: string): Promise<void> {
    const name = full(target);
    const routing = this.routing(run);
    const reason = unavailableReason(statusOf(error), name, target.repo === routing.centralRepository);
    if (reason) {
      run.unavailable.set(name, reason);
      await setIssueRepository(this.deps.store, run.installationId, name, { unavailable: reason, checkedAt: this.now() });
      this.deps.log.warn({ installation: run.installationId, repository: name, reason }, "issues cannot be written in this repository");
      return;
    }
    run.blocked.add(name);
    const message = `${doing} ${name}: ${error instanceof Error ? error.message : String(error)}`;
    run.failures.push(message);
    this.deps.log.error({ installation: run.installationId, repository: name, err: message }, "issue publication failed");
  }

  private async execute(octokit: Octokit, run: IssueRun, plan: Plan, known: Map<string, IssueRow>): Promise<void> {
    const dryRun = (run.config ?? DEFAULT_CONFIG).dryRun;
    for (const planned of plan.issues) {
      const { target, subject } = planned.intended;
      const name = full(target);
      if (run.unavailable.has(name) || run.blocked.has(name) || run.budgetExhausted) continue;
      const row = known.get(planned.key);
      let number = planned.number;
      let url = row?.issueUrl ?? "";
      try {
        for (const write of planned.writes) {
          if (dryRun) {
            run.dryRunWrites.push(`${write.op} ${name}#${number ?? "new"} (${subject.claimId})`);
            continue;
          }
          const done = await this.write(octokit, run, target, number, write);
          if (done === "budget") return;
          if (write.op === "create" && done) {
            ({ number, url } = done);
            run.created += 1;
          }
        }
      } catch (error) {
        await this.failed(run, target, error, `${planned.writes[0]?.op ?? "write"} issue for ${subject.claimId} in`);
        if (number === null || number === planned.number) continue;
      }
      if (dryRun || number === null) continue;
      await saveIssue(this.deps.store, { installationId: run.installationId, kind: "gap", claimId: subject.claimId, scope: subject.scope, repository: row?.repository ?? name, issueNumber: number, issueUrl: url, ...planned.after, updatedAt: this.now().toISOString() });
      if (planned.endException) await endException(this.deps.store, run.installationId, subject.claimId, subject.scope, this.now(), planned.endException);
    }
  }

  /** One write through the installation's budget; "budget" when the hour's budget is spent. */
  private async write(octokit: Octokit, run: IssueRun, target: IssueTarget, number: number | null, write: Write): Promise<{ number: number; url: string } | "budget" | null> {
    const base = { owner: target.owner, repo: target.repo };
    const issue = { ...base, issue_number: number };
    if (write.op === "create" || write.op === "label") {
      const labels = write.op === "create" ? write.labels : write.add;
      if (!(await this.ensureLabels(octokit, run, target, labels))) return "budget";
    }
    if (!(await this.take(run))) return "budget";
    switch (write.op) {
      case "create": {
        const { data } = await this.send(octokit, run, "POST /repos/{owner}/{repo}/issues", { ...base, title: write.title, body: write.body, labels: write.labels });
        const parsed = createdIssue.safeParse(data);
        if (!parsed.success) throw new IssueWriteError(null, "GitHub's answer to creating an issue had no number");
        return { number: parsed.data.number, url: parsed.data.html_url };
      }
      case "update":
        await this.send(octokit, run, "PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...issue, title: write.title, body: write.body });
        return null;
      case "comment":
        await this.send(octokit, run, "POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...issue, body: write.body });
        return null;
      case "close":
        await this.send(octokit, run, "PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...issue, state: "closed", state_reason: "completed" });
        return null;
      case "reopen":
        await this.send(octokit, run, "PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...issue, state: "open" });
        return null;
      case "label":
        if (write.add.length > 0) await this.send(octokit, run, "POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { ...issue, labels: write.add });
        for (const name of write.remove) {
          if (!(await this.take(run))) return "budget";
          await this.send(octokit, run, "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", { ...issue, name }).catch((error: unknown) => {
            if (statusOf(error) !== 404) throw error;
          });
        }
        return null;
    }
  }

  private async take(run: IssueRun): Promise<boolean> {
    const ok = await this.budget(run.installationId).take();
    if (!ok && !run.budgetExhausted) {
      run.budgetExhausted = true;
      this.deps.log.warn({ installation: run.installationId }, "content-creation budget for the hour is spent; the remaining issue writes wait for a later run");
    }
    return ok;
  }

  private async send(octokit: Octokit, run: IssueRun, route: string, params: Record<string, unknown>): Promise<{ data: unknown }> {
    // Counted whether or not GitHub accepts it: a refused write still spends the budget.
    run.writes += 1;
    try {
      return await octokit.request(route, params);
    } catch (error) {
      const network = describeNetworkFailure(error);
      if (network) throw new IssueWriteError(null, `${route}: ${network}`);
      const status = statusOf(error);
      throw new IssueWriteError(status, `${route}: ${status === null ? "" : `HTTP ${status}: `}${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)}`);
    }
  }

  /**
   * The evidence summary issue in the central repository: re-rendered after every run, written only
   * when it changed. Records the organisation-level statuses first, for the change column.
   */
  async publishSummary(octokit: Octokit, run: IssueRun, latest: readonly RepositoryResults[] | SummaryFacts): Promise<void> {
    const config = run.config ?? DEFAULT_CONFIG;
    const now = this.now();
    // The app gathers the facts as it reads the store a page at a time; a list is gathered here.
    const facts = latest instanceof SummaryFacts ? latest : SummaryFacts.of(latest);
    const statuses = facts.statuses();
    await recordOrgStatuses(this.deps.store, run.installationId, statuses, now);
    if (!config.issues.enabled || statuses.length === 0) return;
    const routing = this.routing(run);
    const target = { owner: run.org, repo: routing.centralRepository };
    await this.serial.run(String(run.installationId), async () => {
      const gaps = (await issueRows(this.deps.store, run.installationId, "gap")).filter((r) => r.state === "open");
      const rendered = renderSummaryIssue({
        org: run.org,
        collectedAt: facts.collectedAt,
        repositories: facts.repositories,
        now: now.toISOString(),
        everyHours: config.reassessment.everyHours,
        claims: await Promise.all(
          statuses.map(async (s) => ({
            ...s,
            readAt: facts.readAtOf(s.claimId),
            lastChange: await lastOrgStatusChange(this.deps.store, run.installationId, s.claimId),
            issues: gaps.filter((g) => g.claimId === s.claimId).map((g) => ({ scope: g.scope, url: g.issueUrl })),
          })),
        ),
        exceptions: await acceptedExceptions(this.deps.store, run.installationId, now),
        deferred: run.deferred,
        unavailable: await unavailableIssueRepositories(this.deps.store, run.installationId),
        backfillInProgress: await backfillInProgress(this.deps.store, run.installationId),
        closedByPeople: run.closedByPeople,
      });
      const key = issueKey("all", "org");
      const row = (await this.known(octokit, run, "summary", [{ key, target }])).get(key);
      if (run.unavailable.has(full(target)) || run.blocked.has(full(target))) return;
      if (row && row.hash === rendered.hash) return;
      if (config.dryRun) {
        run.dryRunWrites.push(`${row ? "update" : "create"} ${full(target)}#${row?.issueNumber ?? "new"} (summary)`);
        return;
      }
      try {
        const write: Write = row ? { op: "update", title: rendered.title, body: rendered.body } : { op: "create", title: rendered.title, body: rendered.body, labels: rendered.labels };
        const done = await this.write(octokit, run, target, row?.issueNumber ?? null, write);
        if (done === "budget") return;
        const number = done?.number ?? row?.issueNumber;
        if (number === undefined) return;
        await saveIssue(this.deps.store, {
          installationId: run.installationId,
          kind: "summary",
          claimId: "all",
          scope: "org",
          repository: row?.repository ?? full(target),
          issueNumber: number,
          issueUrl: done?.url ?? row?.issueUrl ?? "",
          state: row?.state ?? "open",
          closedBy: row?.closedBy ?? null,
          stateReason: row?.stateReason ?? null,
          status: "summary",
          evidenceKind: "summary",
          hash: rendered.hash,
          reopenedOnce: false,
          updatedAt: now.toISOString(),
        });
      } catch (error) {
        await this.failed(run, target, error, "write the summary issue in");
      }
    });
  }

  /**
   * Opens the periodic access review issue (claim 2.1.6) when one is due. Returns its URL when opened.
   * `latest` reads every repository's newest results, and is called only once a review is due: asked
   * every maintenance tick, reading them first held the whole organisation's findings in memory
   * (10,000 repositories' at 10,000) every half hour to find, most times, that none was due.
   */
  async openAccessReviewIfDue(octokit: Octokit, run: IssueRun, latestResults: () => Promise<readonly RepositoryResults[]>): Promise<string | null> {
    const config = run.config ?? DEFAULT_CONFIG;
    const now = this.now();
    if (!config.issues.enabled) return null;
    const previous = (await accessReviewRows(this.deps.store, run.installationId))[0];
    if (!accessReviewDue(previous, config.accessReview.everyDays, now)) return null;
    const latest = await latestResults();
    if (latest.every((r) => !r.inScope)) return null;
    const target = { owner: run.org, repo: this.routing(run).centralRepository };
    const dueAt = new Date(now.getTime() + config.accessReview.graceDays * 86_400_000).toISOString();
    const takenAt = latest.map((r) => r.finishedAt).sort().at(-1) ?? now.toISOString();
    const rendered = renderAccessReview(accessSnapshot(run.org, latest, takenAt), { everyDays: config.accessReview.everyDays, graceDays: config.accessReview.graceDays, dueAt });
    if (config.dryRun) {
      run.dryRunWrites.push(`create ${full(target)}#new (access review)`);
      return null;
    }
    return this.serial.run(String(run.installationId), async () => {
      try {
        const done = await this.write(octokit, run, target, null, { op: "create", title: rendered.title, body: rendered.body, labels: rendered.labels });
        if (done === "budget" || !done) return null;
        await recordAccessReviewOpened(this.deps.store, { installationId: run.installationId, repository: full(target), issueNumber: done.number, issueUrl: done.url, openedAt: now });
        return done.url;
      } catch (error) {
        await this.failed(run, target, error, "open the access review in");
        return null;
      }
    });
  }

  /** Labels claimcheck uses exist in the repository, with their colours (created once when missing). */
  private async ensureLabels(octokit: Octokit, run: IssueRun, target: IssueTarget, labels: readonly string[]): Promise<boolean> {
    const client = new GitHubClient(octokit);
    for (const name of labels) {
      const key = `${run.installationId} ${full(target)} ${name}`;
      if (this.labelsEnsured.has(key)) continue;
      const { status } = await client.rest("GET /repos/{owner}/{repo}/labels/{name}", { owner: target.owner, repo: target.repo, name }, z.looseObject({ name: z.string() }), { expect: [404] });
      if (status === 404) {
        if (!(await this.take(run))) return false;
        const style = LABEL_COLOURS[name] ?? PRINCIPLE_COLOUR;
        await this.send(octokit, run, "POST /repos/{owner}/{repo}/labels", { owner: target.owner, repo: target.repo, name, color: style.color, description: style.description }).catch((error: unknown) => {
          if (statusOf(error) !== 422) throw error; // created meanwhile
        });
      }
      this.labelsEnsured.add(key);
    }
    return true;
  }
}

function knownOf(row: IssueRow): KnownIssue {
  return {
    number: row.issueNumber,
    url: row.issueUrl,
    state: row.state,
    closedBy: row.closedBy,
    stateReason: row.stateReason,
    status: row.status,
    evidenceKind: row.evidenceKind,
    hash: row.hash,
    reopenedOnce: row.reopenedOnce,
  };
}

/**
 * The entries of `wanted` plus the newest in-scope repository of all, which organisation-level
 * subjects are judged on: enough for those repositories' subjects without the rest.
 */
function ownResults(latest: readonly RepositoryResults[], wanted: ReadonlySet<string>): RepositoryResults[] {
  const own = latest.filter((r) => wanted.has(r.fullName));
  let newest: RepositoryResults | undefined;
  for (const r of latest) if (r.inScope && (!newest || r.finishedAt > newest.finishedAt)) newest = r;
  return newest && !wanted.has(newest.fullName) ? [...own, newest] : own;
}

/** The progress of an unfinished installation backfill, as the summary issue states it. */
async function backfillInProgress(store: Store, installationId: number): Promise<string | null> {
  const row = await backfillOf(store, installationId);
  return row && row.state !== "finished" ? describeBackfill(row) : null;
}
