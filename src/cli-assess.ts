import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoredDigests, storedPages, toAssessment } from "./app/latest-report.js";
import { parseArgs } from "node:util";
import { auditFindings } from "./audit/evidence.js";
import { runOrganisation, type RunOctokit, type RunProgress } from "./assessment/run-organisation.js";
import { apiBaseUrl, authenticate, AuthError, type AuthEnv } from "./cli-auth.js";
import { checkOutPath, isParseArgsError, reasonOf, UsageError, wantsHelp, type CliCommand, type CliIo } from "./cli-common.js";
import { databaseUrlOf, readCliCredentials } from "./config/env.js";
import { FINDINGS, unreadable, type Finding, type FindingId } from "./core/findings.js";
import { describeNetworkFailure } from "./github/network-failure.js";
import { accessReviewFindings } from "./issues/access-review-evidence.js";
import { acceptedExceptions } from "./issues/exceptions.js";
import { hasGap, reportFromDigests, type ReportException } from "./report/model.js";
import type { History } from "./report/history.js";
import { jsonChunks } from "./report/json.js";
import { markdownChunks } from "./report/markdown.js";
import { renderHtml } from "./report/html.js";
import { storedHistory } from "./app/stored-history.js";
import { fromAcceptedException } from "./report/exceptions.js";
import { Store } from "./store/store.js";
import { z } from "zod";
import { costOf } from "./app/backfill.js";
import { planBackfill } from "./app/backfill-plan.js";
import { observeRateLimits, probeRateLimits, RateBudget } from "./app/rate-budget.js";
import { gateRequests, RateLimitStop } from "./app/rate-gate.js";
import { recentAssessmentCost } from "./store/backfill-records.js";
import { RunConfigCache, withRunConfig } from "./config/config-cache.js";

/*
 * `claimcheck assess`: one organisation-wide run through the same runOrganisation, collectors,
 * evaluation and renderers as the app, printed as the self-assessment report.
 * Exit codes: 0 assessed, 1 assessed with gaps under `--fail-on gap`, 2 usage, credential or
 * connection error, 3 stopped by GitHub's rate limit.
 */

export const ASSESS_SYNOPSIS = `  claimcheck assess --org ORG [--repo NAME ...] [--window 90d] [--format md|json|html] [--out FILE]
                    [--fail-on gap] [--api-url URL] [--store] [--rate-limit wait|stop]`;

export const ASSESS_HELP = `usage:
${ASSESS_SYNOPSIS}

Assesses every repository of an organisation (or those named) against the Software Security Code
of Practice and prints the self-assessment report.

options:
  --org ORG               the organisation to assess (required)
  --repo NAME             assess only this repository of ORG; repeat for several (default: every repository)
  --window DAYS           how far back pull requests and commits are read: 1 to 365 days, as 90 or 90d (default 90d)
  --format md|json|html   Markdown (default), JSON following docs/report-schema.json, or a standalone HTML page
  --out FILE              write the report to FILE instead of standard output (replaced if it exists)
  --fail-on gap           exit 1 when any claim is a gap (for CI)
  --api-url URL           the REST API of GitHub Enterprise Server, such as https://github.example.com/api/v3
  --store                 record the run in the app's database (DATABASE_URL) and use what only the app
                          holds: the audit trail (2.2.1, 2.2.3, 2.2.4), access reviews and accepted exceptions
  --rate-limit MODE       when GitHub's hourly budget runs out: wait for its reset (wait, the default) or
                          stop with exit code 3 (stop)
  -h, --help              show this help

environment:
  GITHUB_TOKEN            a token that can read ORG (a fine-grained token, or \`gh auth token\`), or else
  APP_ID                  with PRIVATE_KEY (the PEM) or PRIVATE_KEY_PATH (its file): the app's installation on ORG
  GHE_HOST                GitHub Enterprise Server's host name (with GHE_PROTOCOL, default https), like Probot
  DATABASE_URL            the app's database for --store: a SQLite file (default file:./data/claimcheck.db)
                          or a PostgreSQL server (postgres://user@host:5432/database)

exit codes: 0 assessed, 1 gaps found with --fail-on gap, 2 usage, credential or connection error,
3 stopped by GitHub's rate limit (no report: its evidence would have been unknown).`;

export type AssessIo = CliIo;

export type AssessDeps = {
  env?: Record<string, string | undefined>;
  now?: () => Date;
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Octokit's retry back-off base; tests shorten it (production: 1,000 ms, waits of 1 s, 4 s, 9 s). */
  retryBaseMs?: number;
  /** How long one request may wait for an answer; tests shorten it (production: 60 s). */
  requestTimeoutMs?: number;
};

/** Exit code of a run GitHub's rate limit stopped. */
export const EXIT_RATE_LIMITED = 3;

/** Left in each budget for requests already in flight (a repository query costs a few points). */
const GATE_FLOOR = { rest: 10, graphql: 30 };

function parseWindow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)d?$/.exec(value);
  const days = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError(`--window must be a number of days from 1 to 365 (such as 90d), not "${value}"`);
  return days;
}

/** Repository names as GitHub allows them; `ORG/NAME` is accepted when ORG is the organisation assessed. */
function repoNames(values: readonly string[], org: string): string[] {
  return values.map((value) => {
    const [owner, name] = value.includes("/") ? value.split("/", 2) : [org, value];
    if (owner!.toLowerCase() !== org.toLowerCase()) throw new UsageError(`--repo ${value}: not a repository of ${org}`);
    if (!name || !/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new UsageError(`--repo ${value}: not a repository name`);
    return name;
  });
}

function failureOf(error: unknown): { status: number | undefined; message: string } {
  const network = describeNetworkFailure(error);
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  return network ? { status: undefined, message: network } : { status: typeof status === "number" ? status : undefined, message };
}

const orgCountsSchema = z.looseObject({ public_repos: z.number().int().nonnegative().optional(), total_private_repos: z.number().int().nonnegative().optional() });

/**
 * Proves the credentials, the organisation and each named repository before anything is assessed:
 * a bad token or a mistyped name is one clear line, not a report of unknowns. Gives the
 * organisation's repository count where GitHub shows it, and the requests the checks made.
 */
async function checkAccess(octokit: RunOctokit, org: string, repos: readonly string[]): Promise<{ listed: number | null; requests: number }> {
  let listed: number | null = null;
  try {
    const { data } = await octokit.request("GET /orgs/{org}", { org });
    const counts = orgCountsSchema.safeParse(data);
    if (counts.success && counts.data.public_repos !== undefined) listed = counts.data.public_repos + (counts.data.total_private_repos ?? 0);
  } catch (error) {
    const { status, message } = failureOf(error);
    if (status === 401) throw new AuthError(`GitHub rejected the credentials (401 ${message})`);
    if (status === 404) throw new AuthError(`organisation "${org}" not found, or not visible to these credentials`);
    throw new AuthError(`could not read organisation "${org}": ${status === undefined ? message : `HTTP ${status} ${message}`}`);
  }
  for (const repo of repos) {
    try {
      await octokit.request("GET /repos/{owner}/{repo}", { owner: org, repo });
    } catch (error) {
      const { status, message } = failureOf(error);
      if (status === 404) throw new UsageError(`--repo ${repo}: repository ${org}/${repo} not found, or not visible to these credentials`);
      throw new AuthError(`could not read repository ${org}/${repo}: ${status === undefined ? message : `HTTP ${status} ${message}`}`);
    }
  }
  return { listed, requests: 1 + repos.length };
}

/** Findings only the app records (its audit trail, its access reviews), kept in its database. */
const APP_ONLY_FINDINGS = [...(Object.keys(FINDINGS) as FindingId[]).filter((id) => id.startsWith("audit.")), "access.last-review" as FindingId];

/**
 * Without --store the evidence only the app records is not read; it is unknown with the way to
 * get it, rather than "not collected", so a reader of the report knows what to do.
 */
function appOnlyUnread(org: string, now: Date): Finding[] {
  const why = `kept in the claimcheck app's database: run assess with --store (DATABASE_URL naming that database), or read the app's report at /reports/${org}`;
  return APP_ONLY_FINDINGS.map((id) => unreadable(id, why, { source: "the claimcheck app's database (not opened)", url: `https://github.com/organizations/${org}/settings/installations`, observedAt: now.toISOString() }));
}

function describeBudget(budget: RateBudget, now: Date): string {
  const one = (name: string, r: { limit: number; remaining: number; resetAt: Date } | null) =>
    r ? `${name} ${r.remaining.toLocaleString("en-GB")} of ${r.limit.toLocaleString("en-GB")} left until ${r.resetAt.getTime() > now.getTime() ? r.resetAt.toISOString() : "now"}` : `${name} budget not reported`;
  const { rest, graphql } = budget.current();
  return `GitHub's hourly budgets: ${one("REST", rest)}, ${one("GraphQL points", graphql)}`;
}

function describeProgress(org: string, p: RunProgress): string {
  const rate = p.rateLimitRemaining === null ? "" : `, rate limit left ${p.rateLimitRemaining.toLocaleString("en-GB")}`;
  return `assessing ${org}: ${p.done}/${p.total} ${p.total === 1 ? "repository" : "repositories"}, ${p.requests.rest} REST + ${p.requests.graphql} GraphQL requests${rate}`;
}

async function openStore(env: Record<string, string | undefined>, org: string): Promise<{ store: Store; installationId: number }> {
  let store: Store;
  try {
    store = await Store.open(databaseUrlOf(env));
  } catch (error) {
    throw new AuthError(`environment variable DATABASE_URL: the database could not be opened (${reasonOf(error)})`);
  }
  const installation = await store.installationByLogin(org);
  if (!installation) {
    await store.close();
    throw new UsageError(`--store: no installation of claimcheck for organisation "${org}" in this database`);
  }
  return { store, installationId: installation.id };
}

export async function runAssess(args: string[], io: AssessIo, deps: AssessDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let store: Store | undefined;
  let temporary: { store: Store; dir: string } | undefined;
  try {
    if (wantsHelp(args)) {
      io.out(ASSESS_HELP);
      return 0;
    }
    const { values } = parseArgs({
      args,
      options: {
        org: { type: "string" },
        repo: { type: "string", multiple: true },
        window: { type: "string" },
        format: { type: "string" },
        out: { type: "string" },
        "fail-on": { type: "string" },
        "api-url": { type: "string" },
        store: { type: "boolean" },
        "rate-limit": { type: "string" },
      },
      strict: true,
    });
    const org = values.org;
    if (!org) throw new UsageError("--org is required");
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(org)) throw new UsageError(`--org ${org}: not an organisation login`);
    const format = values.format ?? "md";
    if (format !== "md" && format !== "json" && format !== "html") throw new UsageError(`--format must be md, json or html, not "${format}"`);
    const failOn = values["fail-on"];
    if (failOn !== undefined && failOn !== "gap") throw new UsageError(`--fail-on accepts only "gap", not "${failOn}"`);
    const windowDays = parseWindow(values.window);
    const mode = values["rate-limit"] ?? "wait";
    if (mode !== "wait" && mode !== "stop") throw new UsageError(`--rate-limit must be wait or stop, not "${mode}"`);
    const repos = repoNames(values.repo ?? [], org);
    if (values.out !== undefined) checkOutPath(values.out);
    const baseUrl = apiBaseUrl(values["api-url"], env as AuthEnv);
    const credentials = readCliCredentials(env);
    if (!credentials.ok) throw new AuthError(credentials.message.replace(/^claimcheck: /, ""));

    const now = deps.now?.() ?? new Date();
    let installationId: number | undefined;
    if (values.store) ({ store, installationId } = await openStore(env, org));

    const { octokit } = await authenticate(org, credentials, baseUrl, { retryBaseMs: deps.retryBaseMs, timeoutMs: deps.requestTimeoutMs });
    const { listed, requests: accessChecks } = await checkAccess(octokit, org, repos);
    const opened = store;
    // Each repository's assessment goes to a temporary store as it finishes, so the run holds
    // none of them; the report is read back from it, and with --store they are copied to the
    // app's database once the run has succeeded (a stopped run stores nothing, as before).
    const sink = (temporary = await temporarySink(org));
    const ids: number[] = [];

    // Budgets read, not assumed: GitHub's figures for this token, the cost of a repository as
    // measured, and the plan said before the first repository is read.
    const budget = new RateBudget();
    observeRateLimits(octokit, budget);
    await probeRateLimits(octokit, budget);
    const repositories = repos.length > 0 ? repos.length : listed;
    const cost = costOf(store && installationId !== undefined ? await recentAssessmentCost(store, installationId) : null);
    let done = 0;
    let total = repositories ?? 0;
    if (repositories !== null) {
      const plan = planBackfill({ pending: repositories, cost, budget: budget.current(), now, reserveFraction: 0 });
      if (plan.runNow < repositories) {
        io.err(`claimcheck: ${describeBudget(budget, now)}; ${repositories} repositories at about ${cost.rest} REST requests and ${cost.graphql} GraphQL points each`);
        const resumes = plan.nextBatchAt ?? plan.batches[0]?.at ?? null;
        if (mode === "stop") {
          io.err(`claimcheck: the budget pays for ${plan.runNow} of ${repositories} repositories before ${resumes?.toISOString() ?? "the reset"}; stopping (--rate-limit stop). Run again after the reset, or with --rate-limit wait.`);
          return EXIT_RATE_LIMITED;
        }
        io.err(`claimcheck: the budget pays for ${plan.runNow} of ${repositories} repositories now; the run will wait for GitHub's reset${resumes ? ` at ${resumes.toISOString()}` : ""} and is expected to finish by ${plan.finishAt.toISOString()}`);
      }
    }
    const gate = gateRequests(octokit, budget, {
      mode,
      floor: GATE_FLOOR,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      onWait: (resource, until) => {
        const line = `waiting for GitHub's ${resource === "graphql" ? "GraphQL" : "REST"} rate limit to reset at ${until.toISOString()} (${done}/${total || "?"} repositories assessed)`;
        if (io.progress) io.progress(line);
        else io.err(`claimcheck: ${line}`);
      },
    });
    const { assessment } = await runOrganisation({
      // The organisation's `.github` configuration is read once for the run, not per repository.
      octokit: withRunConfig(octokit, new RunConfigCache()),
      org,
      repos,
      ...(windowDays ? { windowDays } : {}),
      ...(deps.concurrency ? { concurrency: deps.concurrency } : {}),
      now,
      extraOrgFindings: async (_config, since) =>
        opened && installationId !== undefined ? [...(await auditFindings(opened, installationId, { now, since, org })), ...(await accessReviewFindings(opened, installationId, { now, org }))] : appOnlyUnread(org, now),
      onProgress: (p) => {
        done = p.done;
        total = p.total;
        io.progress?.(describeProgress(org, p));
      },
      keep: false,
      onAssessed: async (a, config) => ids.push(await sink.store.recordAssessment({ installationId: sink.installationId, trigger: sink.trigger, assessment: a, configProblems: config.ok ? [] : config.problems })),
    });
    if (gate.stopped()) {
      io.progress?.("");
      io.err(`claimcheck: ${gate.stopped()!.message}; stopped (--rate-limit stop) rather than report evidence as unknown. Run again after the reset, or with --rate-limit wait.`);
      return EXIT_RATE_LIMITED;
    }
    // Evidence GitHub refused for want of budget is not "unknown": it was never asked for properly.
    if (gate.refused() > 0) {
      io.progress?.("");
      const reset = (["rest", "graphql"] as const).map((r) => budget.current()[r]?.resetAt).filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
      io.err(`claimcheck: GitHub refused ${gate.refused()} requests for its rate limit; no report is printed, as the evidence they would have read would show as unknown. Run again${reset ? ` after ${reset.toISOString()}` : " later"}.`);
      return EXIT_RATE_LIMITED;
    }
    io.progress?.("");
    // The access checks are requests of this run too.
    assessment.requests.rest += accessChecks;

    // The report is made from the temporary store a page at a time: each assessment is digested
    // and dropped (and, with --store, copied to the app's database), never all held at once.
    const digests = new StoredDigests();
    for await (const page of storedPages(sink.store, sink.installationId, ids)) {
      for (const stored of page) {
        digests.add(stored);
        if (store && installationId !== undefined) await store.recordAssessment({ installationId, trigger: "cli.assess", assessment: toAssessment(stored), configProblems: stored.configProblems });
      }
    }

    let exceptions: ReportException[] = [];
    let history: History | undefined;
    if (store && installationId !== undefined) {
      exceptions = (await acceptedExceptions(store, installationId, now)).map(fromAcceptedException);
      // Links of the history point where the evidence lives: GitHub Enterprise Server's web host for its API.
      history = await storedHistory(store, installationId, now, undefined, baseUrl?.replace(/\/api\/v3$/, ""));
    }

    const report = reportFromDigests(assessment, digests.digests, { exceptions, ...(history ? { history } : {}), repositoryFindings: digests.findings(sink.store, sink.installationId) });
    const chunks = format === "json" ? jsonChunks(report) : format === "html" ? [renderHtml(report)] : markdownChunks(report, { everyHours: assessment.config.reassessment.everyHours });
    if (values.out) {
      await writeReportFile(values.out, chunks);
      io.err(`wrote the ${format === "json" ? "JSON" : format === "html" ? "HTML" : "Markdown"} report of ${org} to ${values.out}`);
    } else {
      await writeReport(io, chunks);
    }
    const stored = ids.length;
    if (store) io.err(`stored ${stored} repository ${stored === 1 ? "assessment" : "assessments"} for ${org}`);
    if (failOn === "gap" && hasGap(report)) {
      io.err(`claimcheck: gaps in ${report.claims.filter((c) => c.status === "gap").map((c) => c.id).join(", ")}`);
      return 1;
    }
    return 0;
  } catch (error) {
    io.progress?.("");
    if (error instanceof RateLimitStop) {
      io.err(`claimcheck: ${error.message}; stopped (--rate-limit stop) rather than report evidence as unknown. Run again after the reset, or with --rate-limit wait.`);
      return EXIT_RATE_LIMITED;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`claimcheck: ${error.message}`);
      io.err(`usage:\n${ASSESS_SYNOPSIS}`);
      io.err("Run `claimcheck assess --help` for every option.");
      return 2;
    }
    const network = describeNetworkFailure(error);
    io.err(`claimcheck: ${network ?? (error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error))}`);
    return 2;
  } finally {
    await store?.close();
    if (temporary) {
      await temporary.store.close();
      rmSync(temporary.dir, { recursive: true, force: true });
    }
  }
}

export const assessCommand: CliCommand<AssessDeps> = {
  name: "assess",
  summary: "assess an organisation and print the self-assessment report",
  help: ASSESS_HELP,
  run: runAssess,
};

/** The report to a file, a piece at a time (replaced if it exists). */
async function writeReportFile(path: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(path, "w");
    for await (const chunk of chunks) writeSync(fd, chunk);
  } catch (error) {
    throw new Error(`could not write the report to ${path}: ${reasonOf(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The report to standard output: a piece at a time where it can be, else whole; it always ends with a newline. */
async function writeReport(io: AssessIo, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  if (!io.write) {
    let whole = "";
    for await (const chunk of chunks) whole += chunk;
    io.out(whole.replace(/\n$/, ""));
    return;
  }
  let last = "";
  for await (const chunk of chunks) {
    if (chunk === "") continue;
    await io.write(chunk);
    last = chunk;
  }
  if (!last.endsWith("\n")) await io.write("\n");
}

/** A store of this run only, in a private temporary directory, removed when the command ends. */
async function temporarySink(org: string): Promise<{ store: Store; installationId: number; trigger: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-assess-"));
  const store = await Store.open(join(dir, "run.db"));
  await store.upsertInstallation(1, org, "unknown");
  return { store, installationId: 1, trigger: "cli.assess", dir };
}
