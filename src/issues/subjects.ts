import { claimById, CLAIMS } from "../core/catalogue.js";
import type { Finding } from "../core/findings.js";
import { rollUpRepositories, type Status } from "../core/status.js";
import type { CheckResult, ClaimResult } from "../evaluation/types.js";
import type { GapSubject } from "./gap-issue.js";
import type { IssueTarget } from "./plan.js";
import { claimReadAt } from "../render/freshness.js";

/** The latest assessment of one repository, as far as issues need it. */
export type RepositoryResults = { fullName: string; inScope: boolean; results: ClaimResult[]; findings: Finding[]; finishedAt: string };

export type Routing = { org: string; centralRepository: string; central: boolean };

export type Subject = { subject: GapSubject; target: IssueTarget };

function targetOf(fullName: string): IssueTarget {
  const [owner, repo] = fullName.split("/") as [string, string];
  return { owner, repo };
}

function rolledChecks(claimId: string, perRepo: { fullName: string; result: ClaimResult }[]): CheckResult[] {
  const spec = claimById(claimId);
  return (spec?.checks ?? []).map((check) => {
    const rows = perRepo.map((r) => ({ fullName: r.fullName, check: r.result.checks.find((c) => c.checkId === check.id) }));
    const statuses = rows.map((r) => r.check?.status ?? "unknown");
    const status = rollUpRepositories(statuses) as CheckResult["status"];
    const failing = rows.filter((r) => r.check?.status === "gap" || r.check?.status === "partial").map((r) => r.fullName.split("/")[1] ?? r.fullName);
    const reason = failing.length === 0 ? `${statuses.filter((s) => s === "met").length} of ${rows.length} repositories met` : `not met in ${failing.length} of ${rows.length} repositories: ${failing.join(", ")}`;
    return { claimId, checkId: check.id, status, reason, supporting: check.supporting === true, evidence: [] };
  });
}

/**
 * The newest results of an installation's repositories, read when asked rather than held: an
 * organisation-wide issue run reads each repository once to plan, then again only those whose
 * issues it writes, so it never holds every repository's findings at once.
 */
export interface ResultsSource {
  /** The newest repository in scope (organisation claims are judged on it; the first of equals). */
  readonly newest: string | undefined;
  /** Every repository, in a stable order, each handed to `visit` as it is read and not kept. */
  forEach(visit: (r: RepositoryResults) => void | Promise<void>): Promise<void>;
  /** Only the named repositories, in the same order and the same way. */
  forSome(fullNames: ReadonlySet<string>, visit: (r: RepositoryResults) => void | Promise<void>): Promise<void>;
}

/** The newest repository in scope, the first of equals (as a stable sort by time would give). */
export function newestInScope(latest: readonly RepositoryResults[]): RepositoryResults | undefined {
  let newest: RepositoryResults | undefined;
  for (const r of latest) if (r.inScope && (!newest || r.finishedAt > newest.finishedAt)) newest = r;
  return newest;
}

/** A list already read, as a source. */
export function listedResults(latest: readonly RepositoryResults[]): ResultsSource {
  const visitAll = async (keep: (r: RepositoryResults) => boolean, visit: (r: RepositoryResults) => void | Promise<void>) => {
    for (const r of latest) if (keep(r)) await visit(r);
  };
  return {
    newest: newestInScope(latest)?.fullName,
    forEach: (visit) => visitAll(() => true, visit),
    forSome: (fullNames, visit) => visitAll((r) => fullNames.has(r.fullName), visit),
  };
}

/** The subject of an organisation claim, judged on the newest repository in scope. */
export function orgSubject(newest: RepositoryResults, claimId: string, routing: Routing): Subject | null {
  const result = newest.results.find((r) => r.claimId === claimId);
  if (!result) return null;
  const findings = newest.findings.filter((f) => f.scope === "org");
  return { target: targetOf(`${routing.org}/${routing.centralRepository}`), subject: { org: routing.org, claimId, scope: "org", status: result.status, reason: result.reason, checks: result.checks, findings, checkedAt: newest.finishedAt } };
}

/** The subject of a repository claim in its own repository (issues not central). */
export function repositorySubject(r: RepositoryResults, claimId: string, routing: Routing): Subject | null {
  const result = r.results.find((x) => x.claimId === claimId);
  if (!result) return null;
  return { target: targetOf(r.fullName), subject: { org: routing.org, claimId, scope: r.fullName, status: result.status, reason: result.reason, checks: result.checks, findings: r.findings, checkedAt: r.finishedAt } };
}

/**
 * One subject per claim and scope: repository claims in their repository (or, with `central`,
 * one per claim in the central repository listing the repositories), organisation claims once in
 * the central repository, judged on the newest assessment.
 */
export function subjectsOf(latest: readonly RepositoryResults[], routing: Routing): Subject[] {
  const inScope = latest.filter((r) => r.inScope);
  const central = targetOf(`${routing.org}/${routing.centralRepository}`);
  const subjects: Subject[] = [];
  const newest = newestInScope(latest);
  for (const claim of CLAIMS) {
    if (claim.scope === "org") {
      const subject = newest && orgSubject(newest, claim.id, routing);
      if (subject) subjects.push(subject);
      continue;
    }
    if (!routing.central) {
      for (const r of inScope) {
        const subject = repositorySubject(r, claim.id, routing);
        if (subject) subjects.push(subject);
      }
      continue;
    }
    const perRepo = inScope.flatMap((r) => {
      const result = r.results.find((x) => x.claimId === claim.id);
      return result ? [{ fullName: r.fullName, result, findings: r.findings, finishedAt: r.finishedAt }] : [];
    });
    if (perRepo.length === 0) continue;
    const status: Status = rollUpRepositories(perRepo.map((r) => r.result.status));
    const repositories = perRepo.map((r) => ({ fullName: r.fullName, status: r.result.status, reason: r.result.reason }));
    const unmet = repositories.filter((r) => r.status === "gap" || r.status === "partial").length;
    const reason = unmet === 0 ? `met in every repository judged` : `${unmet} of ${perRepo.length} repositories do not meet the claim`;
    const checkedAt = perRepo.map((r) => r.finishedAt).sort().at(-1) ?? "";
    subjects.push({ target: central, subject: { org: routing.org, claimId: claim.id, scope: "central", status, reason, checks: rolledChecks(claim.id, perRepo), findings: [], repositories, checkedAt } });
  }
  return subjects;
}

/** The organisation-level status of each claim and, for repository claims, the repositories by status. */
export type OrgStatus = { claimId: string; status: Status; counts: { met: number; partial: number; gap: number; other: number } | null };

export function orgStatuses(latest: readonly RepositoryResults[]): OrgStatus[] {
  const inScope = latest.filter((r) => r.inScope);
  const newest = newestInScope(latest);
  return CLAIMS.flatMap((claim): OrgStatus[] => {
    if (claim.scope === "org") {
      const result = newest?.results.find((r) => r.claimId === claim.id);
      return result ? [{ claimId: claim.id, status: result.status, counts: null }] : [];
    }
    const statuses = inScope.flatMap((r) => r.results.filter((x) => x.claimId === claim.id).map((x) => x.status));
    if (statuses.length === 0) return [];
    const count = (s: Status) => statuses.filter((x) => x === s).length;
    return [{ claimId: claim.id, status: rollUpRepositories(statuses), counts: { met: count("met"), partial: count("partial"), gap: count("gap"), other: statuses.length - count("met") - count("partial") - count("gap") } }];
  });
}

/**
 * What the summary issue says of the newest results, gathered one repository at a time: the
 * organisation's statuses and counts per claim, when the oldest evidence behind each claim was
 * read, when the newest was. Keeps per claim a few counters and per organisation claim the newest
 * repository's result, never a repository's findings, so the summary of 10,000 repositories is
 * built from the store a page at a time. Fed the same repositories in the same order, it says
 * exactly what `orgStatuses` and the scans of every repository it replaces said.
 */
export class SummaryFacts {
  private inScope = 0;
  private outOfScope = 0;
  private newestFinishedAt: string | null = null;
  /** The newest repository in scope (the first of equals, as a stable sort by time would give). */
  private newestInScope: { finishedAt: string; results: Map<string, ClaimResult> } | null = null;
  private readonly repositoryClaims = new Map<string, { statuses: Map<Status, number>; total: number }>();
  private readonly readAt = new Map<string, string>();

  add(r: RepositoryResults): void {
    if (this.newestFinishedAt === null || r.finishedAt > this.newestFinishedAt) this.newestFinishedAt = r.finishedAt;
    if (!r.inScope) {
      this.outOfScope += 1;
      return;
    }
    this.inScope += 1;
    if (!this.newestInScope || r.finishedAt > this.newestInScope.finishedAt) {
      // The first result of each organisation claim, as `find` would give.
      const results = new Map<string, ClaimResult>();
      for (const result of r.results) if (claimById(result.claimId)?.scope === "org" && !results.has(result.claimId)) results.set(result.claimId, result);
      this.newestInScope = { finishedAt: r.finishedAt, results };
    }
    for (const result of r.results) {
      const read = claimReadAt(result, r.findings);
      if (read !== null) {
        const known = this.readAt.get(result.claimId);
        if (known === undefined || read < known) this.readAt.set(result.claimId, read);
      }
      let claim = this.repositoryClaims.get(result.claimId);
      if (!claim) {
        claim = { statuses: new Map(), total: 0 };
        this.repositoryClaims.set(result.claimId, claim);
      }
      claim.total += 1;
      claim.statuses.set(result.status, (claim.statuses.get(result.status) ?? 0) + 1);
    }
  }

  static of(latest: Iterable<RepositoryResults>): SummaryFacts {
    const facts = new SummaryFacts();
    for (const r of latest) facts.add(r);
    return facts;
  }

  /** When the newest evidence was read: the newest assessment's end, in scope or not. */
  get collectedAt(): string | null {
    return this.newestFinishedAt;
  }

  get repositories(): { inScope: number; outOfScope: number } {
    return { inScope: this.inScope, outOfScope: this.outOfScope };
  }

  /** When the oldest evidence behind the claim was read, over every repository in scope. */
  readAtOf(claimId: string): string | null {
    return this.readAt.get(claimId) ?? null;
  }

  /** As `orgStatuses` of the same repositories. */
  statuses(): OrgStatus[] {
    return CLAIMS.flatMap((claim): OrgStatus[] => {
      if (claim.scope === "org") {
        const result = this.newestInScope?.results.get(claim.id);
        return result ? [{ claimId: claim.id, status: result.status, counts: null }] : [];
      }
      const seen = this.repositoryClaims.get(claim.id);
      if (!seen || seen.total === 0) return [];
      const count = (s: Status) => seen.statuses.get(s) ?? 0;
      // The roll-up depends only on which statuses occur, so each once stands for them all.
      return [{ claimId: claim.id, status: rollUpRepositories([...seen.statuses.keys()]), counts: { met: count("met"), partial: count("partial"), gap: count("gap"), other: seen.total - count("met") - count("partial") - count("gap") } }];
    });
  }
}
