import { parseArgs } from "node:util";

/*
 * The benchmark's command line: every value checked before anything starts, so a typo is one clear
 * line and exit 2, not a run of an hour with nonsense sizes.
 */

export const STAGE_NAMES = ["assess", "app", "render", "plan", "audit", "memory", "replicas"] as const;
/** Run unless --stages says otherwise; the audit-trail and memory stages take long and are asked for by name; --replicas alone runs the replicas stage. */
const DEFAULT_STAGES = ["assess", "app", "render", "plan"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export type BenchArgs = {
  sizes: number[];
  backfillSize: number;
  renderSizes: number[];
  latencyMs: number;
  concurrency: number;
  relaxed: boolean;
  stages: StageName[];
  auditEvents: number;
  memorySizes: number[];
  /** Passes of the app stage: 3 (first backfill, a second alone, a third with pull requests) or 2 (pull requests during the first; no third). */
  appPasses: 2 | 3;
  /** A directory for a CPU profile of the app process of the app stage (`node --cpu-prof`), or null. */
  profileApp: string | null;
  /** App processes of the replicas stage, on PostgreSQL. */
  replicas: number;
  /** The PostgreSQL server of the replicas stage (--database-url, else TEST_DATABASE_URL), or null. */
  databaseUrl: string | null;
  /** How far to raise the app process's scheduling priority in the app stage (its nice value lowered by this), or null. */
  appPriority: number | null;
};

export const BENCH_HELP = `usage: npm run bench -- [options]

Measures claimcheck against the local GitHub simulator and prints each figure beside its target.

  --sizes N[,N...]         organisations for the full-assessment stage (default 100,1000)
  --backfill-size N        repositories of the app's installation backfill (default: the largest size)
  --render-sizes N[,N...]  repositories of the rendered report (default 1000,10000)
  --latency MS             simulated latency of every GitHub request (default 30)
  --concurrency N          assessments at once, per lane (default 4, the production default)
  --stages S[,S...]        any of ${STAGE_NAMES.join(", ")} (default: ${DEFAULT_STAGES.join(",")})
  --audit-events N         events in the audit trail of the audit stage (default 1000000)
  --memory-sizes N[,N...]  organisation sizes of the memory stage (default 1000,10000)
  --app-passes 2|3         passes of the app stage (default 3): the first backfill, a second pass alone,
                           then one with a pull request every 2 s; 2 sends the pull requests during
                           the first backfill and makes no third pass
  --profile-app DIR        write a CPU profile of the app stage's app process into DIR (.cpuprofile,
                           for the browser's or an editor's profiler): what blocked its event loop
  --replicas N             the replicas stage (alone, unless --stages names others): the app as N
                           processes on one PostgreSQL database, webhooks round-robin over them,
                           beside one process on SQLite: throughput and each process's figures
  --database-url URL       the PostgreSQL server for --replicas (default: TEST_DATABASE_URL); the
                           stage works in a schema of its own and drops it afterwards
  --app-priority N         start the app stage's app process N steps above the benchmark's scheduling
                           priority (nice lowered by N, 1 to 20; needs the privilege to): as if the
                           app had its own cores, no other tenant, GitHub not on its machine; without
                           the privilege it says so and measures without
  --relaxed                no spacing of GraphQL and writes (GitHub's own limits still apply)
  --plan-only              only the backfill plan for 10,000 repositories (same as --stages plan)
  -h, --help               this text

Counts (requests, points, 304s) are exact; times depend on the machine and what else it runs.`;

export class BenchUsageError extends Error {}

function positiveInts(flag: string, value: string, max: number): number[] {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > max)) {
    throw new BenchUsageError(`${flag} must be a comma-separated list of whole numbers from 1 to ${max.toLocaleString("en-GB")}, not "${value}"`);
  }
  return parts.map(Number);
}

function positiveInt(flag: string, value: string, max: number, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new BenchUsageError(`${flag} must be a whole number from ${min} to ${max.toLocaleString("en-GB")}, not "${value}"`);
  return Number(value);
}

function profileDir(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.trim() === "" || value.startsWith("-")) throw new BenchUsageError(`--profile-app takes a directory, not "${value}"`);
  return value;
}

function postgresUrl(value: string | undefined): string | null {
  if (value === undefined || value === "") return null;
  if (!/^postgres(ql)?:\/\//.test(value)) throw new BenchUsageError(`--database-url takes a postgres:// URL, not "${value}"`);
  return value;
}

/** The parsed arguments, or "help". Throws BenchUsageError for anything it cannot use. */
export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        sizes: { type: "string" },
        "backfill-size": { type: "string" },
        "render-sizes": { type: "string" },
        latency: { type: "string" },
        concurrency: { type: "string" },
        stages: { type: "string" },
        relaxed: { type: "boolean" },
        "plan-only": { type: "boolean" },
        "audit-events": { type: "string" },
        "memory-sizes": { type: "string" },
        "profile-app": { type: "string" },
        "app-passes": { type: "string" },
        replicas: { type: "string" },
        "database-url": { type: "string" },
        "app-priority": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const sizes = positiveInts("--sizes", values.sizes ?? "100,1000", 100_000);
  const replicas = values.replicas === undefined ? 3 : positiveInt("--replicas", values.replicas, 16);
  const defaults = values.replicas === undefined ? DEFAULT_STAGES.join(",") : "replicas";
  const stages = values["plan-only"] ? ["plan" as const] : (values.stages ?? defaults).split(",").map((s) => s.trim());
  const unknown = stages.filter((s) => !(STAGE_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0 || stages.length === 0) throw new BenchUsageError(`--stages takes ${STAGE_NAMES.join(", ")}, not "${unknown.join(",") || values.stages}"`);
  const databaseUrl = postgresUrl(values["database-url"] ?? env.TEST_DATABASE_URL);
  if (stages.includes("replicas") && !databaseUrl) throw new BenchUsageError("--replicas runs the app on PostgreSQL: set TEST_DATABASE_URL or pass --database-url postgres://…");
  return {
    sizes,
    backfillSize: values["backfill-size"] === undefined ? Math.max(...sizes) : positiveInt("--backfill-size", values["backfill-size"], 100_000),
    renderSizes: positiveInts("--render-sizes", values["render-sizes"] ?? "1000,10000", 100_000),
    latencyMs: positiveInt("--latency", values.latency ?? "30", 10_000, 0),
    concurrency: positiveInt("--concurrency", values.concurrency ?? "4", 64),
    relaxed: values.relaxed ?? false,
    stages: stages as StageName[],
    auditEvents: positiveInt("--audit-events", values["audit-events"] ?? "1000000", 10_000_000),
    memorySizes: positiveInts("--memory-sizes", values["memory-sizes"] ?? "1000,10000", 100_000),
    profileApp: profileDir(values["profile-app"]),
    appPasses: positiveInt("--app-passes", values["app-passes"] ?? "3", 3, 2) as 2 | 3,
    replicas,
    databaseUrl,
    appPriority: values["app-priority"] === undefined ? null : positiveInt("--app-priority", values["app-priority"], 20),
  };
}
