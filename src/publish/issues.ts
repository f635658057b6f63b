import { describeBackfill } from "../app/backfill.js";
import { backfillOf } from "../store/backfill-records.js";
import type { Logger } from "pino";
import { z } from "zod";
import { KeyedSerial } from "../queue/keyed-serial.js";
import { mapYielding, yieldToEventLoop } from "../core/event-loop.js";
import { CLAIMS } from "../core/catalogue.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../config/repo-config.js";
import { GitHubClient, statusOf, type OctokitLike } from "../github/client.js";
import { accessReviewDue, accessSnapshot, renderAccessReview } from "../issues/access-review.js";
import { acceptedExceptions } from "../issues/exceptions.js";
import { renderGapIssue, type GapSubject } from "../issues/gap-issue.js";
import { ISSUE_LABEL, parseMarker } from "../issues/marker.js";
import { decideGapIssues, issueKey, plannable, plannedIssue, planGapIssues, type Decided, type GapFacts, type IssueTarget, type KnownIssue, type PlannedIssue, type Write } from "../issues/plan.js";
import { listedResults, orgSubject, repositorySubject, SummaryFacts, subjectsOf, type RepositoryResults, type ResultsSource, type Routing, type Subject } from "../issues/subjects.js";
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
import { WriteBudget, type BudgetLimits, type ContentBudget, type ContentBudgets } from "./issue-budget.js";
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

/** Planned issues written per read of their repositories in pass 2 (at most this many repositories held whole). */
const REREAD_PAGE = 25;
/** Bodies rendered between turns of the event loop in pass 1. */
const YIELD_EVERY = 50;

export type IssuePublisherDeps = {
  store: Store;
  log: Logger;
  now?: () => Date;
  limits?: BudgetLimits;
  /** Every installation's content-creation budget; by default this process's own (`WriteBudget`). */
  budgets?: ContentBudgets;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

export class IssuePublisher {
  private readonly serial = new KeyedSerial();
  private readonly budgets = new Map<number, ContentBudget>();
  private readonly labelsEnsured = new Set<string>();

  constructor(private readonly deps: IssuePublisherDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  budget(installationId: number): ContentBudget {
    let budget = this.budgets.get(installationId);
    if (!budget) {
      budget = this.deps.budgets ? this.deps.budgets(installationId) : new WriteBudget(this.deps.limits, this.deps.clock, this.deps.sleep);
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
   * repositories' issues and the organisation's are considered (the repositories a run assessed).
   * `latest` is either the run's one read of the newest results or a source that reads them when
   * asked: issues in each repository are planned from one pass over the results and written from a
   * second over only the repositories they are about (`publishOwnGaps`), so the issue run of an
   * organisation-wide backfill does not hold every repository whole. Central issues list every
   * repository, so they are planned from the whole list at once (the app hands them one without
   * findings or evidence links).
   */
  async publishGaps(octokit: Octokit, run: IssueRun, latest: readonly RepositoryResults[] | ResultsSource, only?: string | ReadonlySet<string>): Promise<void> {
    const config = run.config ?? DEFAULT_CONFIG;
    if (!config.issues.enabled) return;
    const routing = this.routing(run);
    const wanted = typeof only === "string" ? new Set([only]) : only;
    if (!routing.central) return this.publishOwnGaps(octokit, run, isListed(latest) ? listedResults(latest) : latest, wanted);
    const all = isListed(latest) ? latest : await everyResult(latest);
    const subjects = subjectsOf(all, routing);
    const options = this.renderOptions(run);
    await this.serial.run(String(run.installationId), async () => {
      const intended = await mapYielding(subjects, (s) => ({ ...s, rendered: renderGapIssue(s.subject, options) }));
      const known = await this.known(octokit, run, "gap", intended.map((i) => ({ key: issueKey(i.subject.claimId, i.subject.scope), target: i.target })));
      const exceptions = await activeExceptions(this.deps.store, run.installationId);
      const plan = planGapIssues({ intended, known: knownIssues(known), exceptions, maxNew: this.maxNew(run), now: this.now() });
      this.noteLeftAlone(run, plan.deferred.map((d) => ({ claimId: d.subject.claimId, scope: d.subject.scope, target: d.target })), plan.closedByPeople.map((c) => ({ claimId: c.intended.subject.claimId, scope: c.intended.subject.scope, url: c.url })));
      for (const planned of plan.issues) if ((await this.execute(octokit, run, planned, known)) === "stop") return;
    });
  }

  /**
   * Issues in each repository, planned from facts and written from the results read again. Pass 1
   * reads every repository once and keeps of each claim only what planning needs (`plannable`: its
   * status, the kind of gap, the hash of the body it would have) and which repositories have issues
   * to look for; the plan then picks which issues to open (within `issues.maxOpenPerRun`), update,
   * close and reopen; pass 2 goes through the plan in order a page at a time, reading again only
   * the repositories of that page to render and write their issues. The writes are exactly those
   * planning from every repository whole would make, in the same order.
   */
  private async publishOwnGaps(octokit: Octokit, run: IssueRun, source: ResultsSource, wanted: ReadonlySet<string> | undefined): Promise<void> {
    const routing = this.routing(run);
    const options = this.renderOptions(run);
    const hashOf = (subject: GapSubject) => renderGapIssue(subject, options).hash;
    await this.serial.run(String(run.installationId), async () => {
      const stored = await this.storedIssues(run, "gap");
      const { intended, listing } = await this.planningPass(source, wanted, routing, stored, hashOf);
      const known = await this.afterListing(octokit, run, "gap", stored, listing);
      const exceptions = await activeExceptions(this.deps.store, run.installationId);
      const decided = decideGapIssues({ intended, known: knownIssues(known), exceptions, maxNew: this.maxNew(run), now: this.now() });
      this.noteLeftAlone(run, decided.deferred, decided.closedByPeople.map((c) => ({ claimId: c.item.claimId, scope: c.item.scope, url: c.url })));
      await this.writeDecided(octokit, run, source, decided.issues, known);
    });
  }

  /**
   * Pass 1: the facts of every subject the plan can act on, in the order of `subjectsOf` (claim by
   * claim, repositories in the source's order), and the repositories to look in for issues not
   * stored, in the order the subjects first name them, so both come out as from the whole list.
   */
  private async planningPass(source: ResultsSource, wanted: ReadonlySet<string> | undefined, routing: Routing, stored: ReadonlyMap<string, IssueRow>, hashOf: (subject: GapSubject) => string): Promise<{ intended: GapFacts[]; listing: IssueTarget[] }> {
    const byClaim: GapFacts[][] = CLAIMS.map(() => []);
    const toList = new Map<string, { target: IssueTarget; claim: number; seen: number }>();
    // Kept for every subject of every repository: one target per repository, one string per kind of gap.
    const kinds = new Map<string, string>();
    let target: IssueTarget | undefined;
    let seen = 0;
    let rendered = 0;
    const consider = async (subject: Subject, claim: number) => {
      const name = full(subject.target);
      if (!target || full(target) !== name) target = subject.target;
      if (!stored.has(issueKey(subject.subject.claimId, subject.subject.scope))) {
        const listed = toList.get(name);
        if (!listed) toList.set(name, { target, claim, seen });
        else listed.claim = Math.min(listed.claim, claim);
      }
      const facts = plannable(subject.subject, target, hashOf);
      if (!facts) return;
      const kind = kinds.get(facts.evidenceKind) ?? facts.evidenceKind;
      kinds.set(kind, kind);
      byClaim[claim]!.push({ ...facts, evidenceKind: kind });
      if (facts.status !== "met" && ++rendered % YIELD_EVERY === 0) await yieldToEventLoop();
    };
    await source.forEach(async (r) => {
      seen += 1;
      if (!r.inScope || (wanted && !wanted.has(r.fullName))) return;
      for (const [claim, spec] of CLAIMS.entries()) {
        const subject = spec.scope !== "org" && repositorySubject(r, spec.id, routing);
        if (subject) await consider(subject, claim);
      }
    });
    seen = -1;
    await this.forNewest(source, async (newest) => {
      for (const [claim, spec] of CLAIMS.entries()) {
        const subject = spec.scope === "org" && orgSubject(newest, spec.id, routing);
        if (subject) await consider(subject, claim);
      }
    });
    const listing = [...toList.values()].sort((a, b) => a.claim - b.claim || a.seen - b.seen).map((l) => l.target);
    return { intended: byClaim.flat(), listing };
  }

  /** Pass 2: the decided issues in order, a page at a time, each page's repositories read again to render their issues. */
  private async writeDecided(octokit: Octokit, run: IssueRun, source: ResultsSource, decided: readonly Decided<GapFacts>[], known: Map<string, IssueRow>): Promise<void> {
    const routing = this.routing(run);
    const options = this.renderOptions(run);
    const repositoryOf = (d: Decided<GapFacts>) => (d.item.scope === "org" ? source.newest : d.item.scope);
    for (let start = 0; start < decided.length; start += REREAD_PAGE) {
      // Once the hour's budget is spent nothing more is written this run: nothing more to read either.
      if (run.budgetExhausted) return;
      const page = decided.slice(start, start + REREAD_PAGE);
      const read = new Map<string, RepositoryResults>();
      await source.forSome(new Set(page.flatMap((d) => repositoryOf(d) ?? [])), (r) => void read.set(r.fullName, r));
      for (const d of page) {
        const r = read.get(repositoryOf(d) ?? "");
        const subject = r && (d.item.scope === "org" ? orgSubject(r, d.item.claimId, routing) : repositorySubject(r, d.item.claimId, routing));
        if (!subject) {
          // Its assessment was removed after planning (the repository left the installation): the next run plans without it.
          this.deps.log.warn({ installation: run.installationId, claim: d.item.claimId, scope: d.item.scope }, "gap issue skipped: its results were no longer stored");
          continue;
        }
        if ((await this.execute(octokit, run, plannedIssue(d, { ...subject, rendered: renderGapIssue(subject.subject, options) }), known)) === "stop") return;
      }
    }
  }

  /** Runs `use` with the newest repository in scope, read again (organisation claims are judged on it). */
  private async forNewest(source: ResultsSource, use: (newest: RepositoryResults) => Promise<void>): Promise<void> {
    if (source.newest === undefined) return;
    const read: RepositoryResults[] = [];
    await source.forSome(new Set([source.newest]), (r) => void read.push(r));
    if (read[0]) await use(read[0]);
  }

  private renderOptions(run: IssueRun): { expireAfterDays: number; everyHours: number } {
    const config = run.config ?? DEFAULT_CONFIG;
    return { expireAfterDays: config.exceptions.expireAfterDays, everyHours: config.reassessment.everyHours };
  }

  private maxNew(run: IssueRun): number {
    return Math.max(0, (run.config ?? DEFAULT_CONFIG).issues.maxOpenPerRun - run.created);
  }

  /** Gaps deferred by the cap (where issues can be written) and those people closed twice, for the summary. */
  private noteLeftAlone(run: IssueRun, deferred: readonly { claimId: string; scope: string; target: IssueTarget }[], closedByPeople: readonly { claimId: string; scope: string; url: string }[]): void {
    for (const d of deferred) if (!run.unavailable.has(full(d.target))) run.deferred.push({ claimId: d.claimId, scope: d.scope });
    run.closedByPeople.push(...closedByPeople);
  }

  /** Issues claimcheck keeps, by key; those not stored are looked for in their repository's labelled issues. */
  private async known(octokit: Octokit, run: IssueRun, kind: "gap" | "summary", wanted: { key: string; target: IssueTarget }[]): Promise<Map<string, IssueRow>> {
    const stored = await this.storedIssues(run, kind);
    const toList = new Map<string, IssueTarget>();
    for (const w of wanted) if (!stored.has(w.key)) toList.set(full(w.target), w.target);
    return this.afterListing(octokit, run, kind, stored, [...toList.values()]);
  }

  private async storedIssues(run: IssueRun, kind: "gap" | "summary"): Promise<Map<string, IssueRow>> {
    return new Map((await issueRows(this.deps.store, run.installationId, kind)).map((r) => [issueKey(r.claimId, r.scope), r]));
  }

  /** The stored issues once the repositories `toList` have been listed and their marked issues adopted. */
  private async afterListing(octokit: Octokit, run: IssueRun, kind: "gap" | "summary", stored: Map<string, IssueRow>, toList: readonly IssueTarget[]): Promise<Map<string, IssueRow>> {
    if (toList.length === 0) return stored;
    for (const target of toList) await this.list(octokit, run, target);
    return await this.storedIssues(run, kind);
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

  /** The writes of one planned issue, then its stored state; "stop" when the hour's budget is spent. */
  private async execute(octokit: Octokit, run: IssueRun, planned: PlannedIssue, known: Map<string, IssueRow>): Promise<"stop" | undefined> {
    const dryRun = (run.config ?? DEFAULT_CONFIG).dryRun;
    const { target, subject } = planned.intended;
    const name = full(target);
    if (run.unavailable.has(name) || run.blocked.has(name) || run.budgetExhausted) return;
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
        if (done === "budget") return "stop";
        if (write.op === "create" && done) {
          ({ number, url } = done);
          run.created += 1;
        }
      }
    } catch (error) {
      await this.failed(run, target, error, `${planned.writes[0]?.op ?? "write"} issue for ${subject.claimId} in`);
      if (number === null || number === planned.number) return;
    }
    if (dryRun || number === null) return;
    await saveIssue(this.deps.store, { installationId: run.installationId, kind: "gap", claimId: subject.claimId, scope: subject.scope, repository: row?.repository ?? name, issueNumber: number, issueUrl: url, ...planned.after, updatedAt: this.now().toISOString() });
    if (planned.endException) await endException(this.deps.store, run.installationId, subject.claimId, subject.scope, this.now(), planned.endException);
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

function knownIssues(rows: ReadonlyMap<string, IssueRow>): Map<string, KnownIssue> {
  return new Map([...rows].map(([key, row]) => [key, knownOf(row)]));
}

function isListed(latest: readonly RepositoryResults[] | ResultsSource): latest is readonly RepositoryResults[] {
  return Array.isArray(latest);
}

async function everyResult(source: ResultsSource): Promise<RepositoryResults[]> {
  const all: RepositoryResults[] = [];
  await source.forEach((r) => void all.push(r));
  return all;
}

/** The progress of an unfinished installation backfill, as the summary issue states it. */
async function backfillInProgress(store: Store, installationId: number): Promise<string | null> {
  const row = await backfillOf(store, installationId);
  return row && row.state !== "finished" ? describeBackfill(row) : null;
}
