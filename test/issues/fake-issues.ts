import nock from "nock";
import { API } from "../helpers/github-api.js";
import { example } from "../helpers/openapi-examples.js";

/*
 * GitHub's issues API for the repositories of a test, answered from memory with GitHub's own
 * response examples adapted: what claimcheck writes can then be read back, as on GitHub.
 */

export type FakeIssue = { number: number; title: string; body: string; state: "open" | "closed"; state_reason: string | null; closed_at?: string | null; labels: string[]; comments: { body: string; user: string; created_at: string }[] };

export type FakeRepo = { issues: FakeIssue[]; labels: Set<string>; disabled?: 410 | 404 };

export type Requests = { method: string; path: string }[];

export class FakeIssues {
  readonly repos = new Map<string, FakeRepo>();
  readonly requests: Requests = [];
  /** When comments are made (a test's fixed clock). */
  now: () => Date = () => new Date();

  constructor() {
    const route = (pattern: RegExp) => pattern;
    const scope = nock(API).persist();
    scope.get(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\?/)).reply((uri) => {
      return this.list(uri);
    });
    scope.get(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/)).reply((uri) => {
      this.requests.push({ method: "GET", path: uri });
      const { issue } = this.issueAt(uri);
      if (!issue) return [404, { message: "Not Found" }];
      return [200, { ...example("issue"), number: issue.number, title: issue.title, body: issue.body, state: issue.state, state_reason: issue.state_reason, closed_at: issue.closed_at ?? null }];
    });
    scope.get(route(/^\/repos\/([^/]+)\/([^/]+)\/labels\/([^/?]+)$/)).reply((uri) => {
      this.requests.push({ method: "GET", path: uri });
      const [, owner, repo, name] = /^\/repos\/([^/]+)\/([^/]+)\/labels\/([^/?]+)$/.exec(uri)!;
      const r = this.repo(`${owner}/${repo}`);
      return r.labels.has(decodeURIComponent(name!)) ? [200, { ...example("label"), name: decodeURIComponent(name!) }] : [404, { message: "Not Found" }];
    });
    scope.post(route(/^\/repos\/([^/]+)\/([^/]+)\/labels$/)).reply((uri, body: any) => {
      this.requests.push({ method: "POST", path: uri });
      const [, owner, repo] = /^\/repos\/([^/]+)\/([^/]+)\/labels$/.exec(uri)!;
      this.repo(`${owner}/${repo}`).labels.add(body.name);
      return [201, { ...example("label"), name: body.name, color: body.color }];
    });
    scope.post(route(/^\/repos\/([^/]+)\/([^/]+)\/issues$/)).reply((uri, body: any) => {
      this.requests.push({ method: "POST", path: uri });
      const [, owner, repo] = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(uri)!;
      const full = `${owner}/${repo}`;
      const r = this.repo(full);
      if (r.disabled) return [r.disabled, { message: r.disabled === 410 ? "Issues are disabled for this repo" : "Not Found" }];
      const issue: FakeIssue = { number: r.issues.length + 1, title: body.title, body: body.body, state: "open", state_reason: null, labels: [...body.labels], comments: [] };
      r.issues.push(issue);
      return [201, this.render(full, issue)];
    });
    scope.patch(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/)).reply((uri, body: any) => {
      this.requests.push({ method: "PATCH", path: uri });
      const { full, issue } = this.issueAt(uri);
      if (!issue) return [404, { message: "Not Found" }];
      if (body.title !== undefined) issue.title = body.title;
      if (body.body !== undefined) issue.body = body.body;
      if (body.state !== undefined) {
        issue.state = body.state;
        issue.state_reason = body.state === "closed" ? (body.state_reason ?? "completed") : "reopened";
      }
      return [200, this.render(full, issue)];
    });
    scope.post(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/)).reply((uri, body: any) => {
      this.requests.push({ method: "POST", path: uri });
      const { issue } = this.issueAt(uri);
      if (!issue) return [404, { message: "Not Found" }];
      issue.comments.push({ body: body.body, user: "claimcheck[bot]", created_at: this.now().toISOString() });
      return [201, { ...example("issue-comment"), body: body.body }];
    });
    scope.get(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments(\?.*)?$/)).reply((uri) => {
      this.requests.push({ method: "GET", path: uri });
      const { issue } = this.issueAt(uri);
      const base = example("issue-comment");
      return [200, (issue?.comments ?? []).map((c) => ({ ...base, body: c.body, created_at: c.created_at, user: { ...base.user, login: c.user } }))];
    });
    scope.post(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels$/)).reply((uri, body: any) => {
      this.requests.push({ method: "POST", path: uri });
      const { issue } = this.issueAt(uri);
      for (const l of body.labels as string[]) if (!issue!.labels.includes(l)) issue!.labels.push(l);
      return [200, issue!.labels.map((name) => ({ ...example("label"), name }))];
    });
    scope.delete(route(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels\/([^/]+)$/)).reply((uri) => {
      this.requests.push({ method: "DELETE", path: uri });
      const { issue } = this.issueAt(uri);
      const name = decodeURIComponent(uri.split("/").at(-1)!);
      issue!.labels = issue!.labels.filter((l) => l !== name);
      return [200, issue!.labels.map((n) => ({ ...example("label"), name: n }))];
    });
  }

  repo(full: string): FakeRepo {
    let r = this.repos.get(full);
    if (!r) {
      r = { issues: [], labels: new Set() };
      this.repos.set(full, r);
    }
    return r;
  }

  issues(full: string): FakeIssue[] {
    return this.repo(full).issues;
  }

  /** Requests that created or changed content. */
  get writes(): Requests {
    return this.requests.filter((r) => r.method !== "GET");
  }

  /** A person acts on GitHub directly (no request from claimcheck). */
  personCloses(full: string, number: number, reason: "completed" | "not_planned", comment?: string, user = "Codertocat"): FakeIssue {
    const issue = this.issues(full)[number - 1]!;
    if (comment) issue.comments.push({ body: comment, user, created_at: this.now().toISOString() });
    issue.state = "closed";
    issue.state_reason = reason;
    issue.closed_at = this.now().toISOString();
    return issue;
  }

  /** A person reopens an issue on GitHub. */
  personReopens(full: string, number: number): FakeIssue {
    const issue = this.issues(full)[number - 1]!;
    issue.state = "open";
    issue.state_reason = "reopened";
    issue.closed_at = null;
    return issue;
  }

  private issueAt(uri: string): { full: string; issue: FakeIssue | undefined } {
    const [, owner, repo, number] = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)/.exec(uri)!;
    const full = `${owner}/${repo}`;
    return { full, issue: this.repo(full).issues[Number(number) - 1] };
  }

  private list(uri: string): [number, unknown] {
    this.requests.push({ method: "GET", path: uri });
    const url = new URL(uri, API);
    const [, owner, repo] = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname)!;
    const r = this.repo(`${owner}/${repo}`);
    if (r.disabled) return [r.disabled, { message: r.disabled === 410 ? "Issues are disabled for this repo" : "Not Found" }];
    const label = url.searchParams.get("labels");
    const page = Number(url.searchParams.get("page") ?? "1");
    const all = r.issues.filter((i) => !label || i.labels.includes(label));
    return [200, all.slice((page - 1) * 100, page * 100).map((i) => this.render(`${owner}/${repo}`, i))];
  }

  render(full: string, issue: FakeIssue): Record<string, unknown> {
    const base = example("issue");
    return {
      ...base,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      state_reason: issue.state_reason,
      html_url: `https://github.com/${full}/issues/${issue.number}`,
      url: `${API}/repos/${full}/issues/${issue.number}`,
      labels: issue.labels.map((name) => ({ ...example("label"), name })),
      pull_request: undefined,
    };
  }
}
