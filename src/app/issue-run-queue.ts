import type { RepoConfig } from "../config/repo-config.js";

/*
 * Issue writes wait on GitHub's content-creation budget (80 a minute, 500 an hour), so in a busy
 * organisation pull requests arrive faster than their issues can be written. Queued one run per
 * check run, each waiting run held the organisation's newest results (every repository's findings)
 * and the backlog grew without bound: about 2 MB a pull request for 20 repositories, until the
 * process ran out of memory. A run's issues are written from the newest results when it starts,
 * so runs that have not started yet can be one: per installation at most one run writes and one
 * waits, and the waiting one gathers every repository asked for meanwhile (the newest
 * configuration of each). Its results are read only when it starts.
 */

export type IssueRequest<O> = { octokit: O; org: string; assessed: readonly { fullName: string; config: RepoConfig }[] };
export type IssueRunWork<O> = (installationId: number, request: IssueRequest<O>) => Promise<void>;

type Waiting<O> = {
  octokit: O;
  org: string;
  repositories: Map<string, RepoConfig>;
  done: Promise<void>;
  settle: { resolve: () => void; reject: (error: unknown) => void };
};

export class IssueRunQueue<O> {
  private readonly writing = new Set<number>();
  private readonly waiting = new Map<number, Waiting<O>>();

  constructor(private readonly work: IssueRunWork<O>) {}

  /**
   * Asks for the issues of these repositories; resolves when a run that includes them has
   * written them (or rejects with that run's error). The newest Octokit asked with is used: an
   * installation's clients are interchangeable, and the newest token is the furthest from expiry.
   */
  request(installationId: number, request: IssueRequest<O>): Promise<void> {
    let next = this.waiting.get(installationId);
    if (!next) {
      let settle!: Waiting<O>["settle"];
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      next = { octokit: request.octokit, org: request.org, repositories: new Map(), done, settle };
      this.waiting.set(installationId, next);
    }
    next.octokit = request.octokit;
    next.org = request.org;
    for (const a of request.assessed) next.repositories.set(a.fullName, a.config);
    if (!this.writing.has(installationId)) this.start(installationId);
    return next.done;
  }

  /** Runs waiting to start, across installations (at most one each). */
  get waitingRuns(): number {
    return this.waiting.size;
  }

  private start(installationId: number): void {
    const next = this.waiting.get(installationId);
    if (!next) return;
    this.waiting.delete(installationId);
    this.writing.add(installationId);
    const assessed = [...next.repositories].map(([fullName, config]) => ({ fullName, config }));
    // Started on a later turn, so requests made in this one join it.
    void Promise.resolve()
      .then(() => this.work(installationId, { octokit: next.octokit, org: next.org, assessed }))
      .then(next.settle.resolve, next.settle.reject)
      .finally(() => {
        this.writing.delete(installationId);
        this.start(installationId);
      });
  }
}
