import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assessmentsByIds } from "./app/latest-report.js";
import { parseArgs } from "node:util";
import { auditFindings } from "./audit/evidence.js";
import { runOrganisation, type RunOctokit, type RunProgress } from "./assessment/run-organisation.js";
import { apiBaseUrl, authenticate, AuthError, type AuthEnv } from "./cli-auth.js";
import { acceptedExceptions } from "./issues/exceptions.js";
import { buildReport, hasGap, type ReportException } from "./report/model.js";
import { renderJson } from "./report/json.js";
import { renderMarkdown } from "./report/markdown.js";
import { fromAcceptedException } from "./report/exceptions.js";
import { Store } from "./store/store.js";

/*
 * `claimcheck assess`: one organisation-wide run through the same runOrganisation, collectors,
 * evaluation and renderers as the app, printed as the self-assessment report.
 * Exit codes: 0 assessed, 1 assessed with gaps under `--fail-on gap`, 2 usage or auth error.
 */

export const ASSESS_SYNOPSIS = `  claimcheck assess --org ORG [--repo NAME ...] [--window 90d] [--format md|json] [--out FILE]
                    [--fail-on gap] [--api-url URL] [--store]`;

const ASSESS_USAGE = `usage:
${ASSESS_SYNOPSIS}

Credentials: GITHUB_TOKEN, or APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH (the app's installation on ORG).
GHE_HOST (and GHE_PROTOCOL) or --api-url point at GitHub Enterprise Server.`;

export type AssessIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Live progress; given only when stderr is a terminal. An empty text clears it. */
  progress?: ((text: string) => void) | undefined;
};

export type AssessDeps = { env?: Record<string, string | undefined>; now?: () => Date; concurrency?: number };

class AssessUsageError extends Error {}

function parseWindow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)d?$/.exec(value);
  const days = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new AssessUsageError(`--window must be a number of days from 1 to 365 (such as 90d), not "${value}"`);
  return days;
}

function privateKeyOf(env: Record<string, string | undefined>): string | undefined {
  if (env.PRIVATE_KEY) return env.PRIVATE_KEY.replace(/\\n/g, "\n");
  if (!env.PRIVATE_KEY_PATH) return undefined;
  try {
    return readFileSync(env.PRIVATE_KEY_PATH, "utf8");
  } catch (error) {
    throw new AuthError(`PRIVATE_KEY_PATH could not be read: ${(error as Error).message}`);
  }
}

/** Proves the credentials and the organisation before anything is assessed: a bad token is one clear line, not a report of unknowns. */
async function checkAccess(octokit: RunOctokit, org: string): Promise<void> {
  try {
    await octokit.request("GET /orgs/{org}", { org });
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    if (status === 401) throw new AuthError(`GitHub rejected the credentials (401 ${message})`);
    if (status === 404) throw new AuthError(`organisation "${org}" not found, or not visible to these credentials`);
    throw new AuthError(`could not read organisation "${org}"${typeof status === "number" ? ` (${status})` : ""}: ${message}`);
  }
}

function describeProgress(org: string, p: RunProgress): string {
  const rate = p.rateLimitRemaining === null ? "" : `, rate limit left ${p.rateLimitRemaining.toLocaleString("en-GB")}`;
  return `assessing ${org}: ${p.done}/${p.total} repositories, ${p.requests.rest} REST + ${p.requests.graphql} GraphQL requests${rate}`;
}

function openStore(env: Record<string, string | undefined>, org: string): { store: Store; installationId: number } {
  const store = Store.open(env.DATABASE_URL ?? "file:./data/claimcheck.db");
  const installation = store.installationByLogin(org);
  if (!installation) {
    store.close();
    throw new AssessUsageError(`--store: no installation of claimcheck for organisation "${org}" in this database`);
  }
  return { store, installationId: installation.id };
}

export async function runAssess(args: string[], io: AssessIo, deps: AssessDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let store: Store | undefined;
  let temporary: { store: Store; dir: string } | undefined;
  try {
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
      },
      strict: true,
    });
    const org = values.org;
    if (!org) throw new AssessUsageError("--org is required");
    const format = values.format ?? "md";
    if (format !== "md" && format !== "json") throw new AssessUsageError(`--format must be md or json, not "${format}"`);
    const failOn = values["fail-on"];
    if (failOn !== undefined && failOn !== "gap") throw new AssessUsageError(`--fail-on accepts only "gap", not "${failOn}"`);
    const windowDays = parseWindow(values.window);
    const baseUrl = apiBaseUrl(values["api-url"], env as AuthEnv);

    const now = deps.now?.() ?? new Date();
    let installationId: number | undefined;
    if (values.store) ({ store, installationId } = openStore(env, org));

    const { octokit } = await authenticate(org, env as AuthEnv, baseUrl, privateKeyOf(env));
    await checkAccess(octokit, org);
    const opened = store;
    // Each repository's assessment goes to a store as it finishes — the app's database with
    // --store, else a temporary one — so the run holds none of them; the report is read back.
    let sink: { store: Store; installationId: number; trigger: string };
    if (store && installationId !== undefined) sink = { store, installationId, trigger: "cli.assess" };
    else sink = temporary = temporarySink(org);
    const ids: number[] = [];
    const { assessment } = await runOrganisation({
      octokit,
      org,
      repos: values.repo ?? [],
      ...(windowDays ? { windowDays } : {}),
      ...(deps.concurrency ? { concurrency: deps.concurrency } : {}),
      now,
      ...(opened && installationId !== undefined ? { extraOrgFindings: (_config, since) => auditFindings(opened, installationId, { now, since, org }) } : {}),
      onProgress: (p) => io.progress?.(describeProgress(org, p)),
      keep: false,
      onAssessed: (a, config) => ids.push(sink.store.recordAssessment({ installationId: sink.installationId, trigger: sink.trigger, assessment: a, configProblems: config.ok ? [] : config.problems })),
    });
    io.progress?.("");
    // The access check is a request of this run too.
    assessment.requests.rest += 1;
    const order = new Map((values.repo ?? []).map((name, i) => [name, i]));
    assessment.repositories = assessmentsByIds(sink.store, sink.installationId, ids).sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0) || a.name.localeCompare(b.name));

    let exceptions: ReportException[] = [];
    if (store && installationId !== undefined) exceptions = acceptedExceptions(store, installationId, now).map(fromAcceptedException);

    const report = buildReport(assessment, { exceptions });
    const text = format === "json" ? renderJson(report) : renderMarkdown(report, { everyHours: assessment.config.reassessment.everyHours });
    if (values.out) {
      writeFileSync(values.out, text);
      io.err(`wrote the ${format === "json" ? "JSON" : "Markdown"} report of ${org} to ${values.out}`);
    } else {
      io.out(text.replace(/\n$/, ""));
    }
    if (store) io.err(`stored ${assessment.repositories.length} repository assessments for ${org}`);
    if (failOn === "gap" && hasGap(report)) {
      io.err(`claimcheck: gaps in ${report.claims.filter((c) => c.status === "gap").map((c) => c.id).join(", ")}`);
      return 1;
    }
    return 0;
  } catch (error) {
    io.progress?.("");
    if (error instanceof AssessUsageError || (error instanceof TypeError && "code" in error && String((error as { code: unknown }).code).startsWith("ERR_PARSE_ARGS"))) {
      io.err(`claimcheck: ${error.message}`);
      io.err(ASSESS_USAGE);
      return 2;
    }
    io.err(`claimcheck: ${error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error)}`);
    return 2;
  } finally {
    store?.close();
    if (temporary) {
      temporary.store.close();
      rmSync(temporary.dir, { recursive: true, force: true });
    }
  }
}

/** A store of this run only, in a private temporary directory, removed when the command ends. */
function temporarySink(org: string): { store: Store; installationId: number; trigger: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "claimcheck-assess-"));
  const store = Store.open(join(dir, "run.db"));
  store.upsertInstallation(1, org, "unknown");
  return { store, installationId: 1, trigger: "cli.assess", dir };
}
