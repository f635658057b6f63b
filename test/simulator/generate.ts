import type { ScenarioInput } from "./scenario.js";
import { seeded } from "./server.js";

/*
 * Large synthetic organisations, reproducible from a seed: most repositories protected, some
 * not; review rates that vary; Renovate or Dependabot in some; a few red merges and stale bot PRs.
 */

/** `orgConfig`: a `.github` repository holding this `.github/claimcheck.yml` for the organisation (one more repository). */
export type GenerateOptions = { repos: number; seed?: number; org?: string; prsPerRepo?: number; orgConfig?: string };

const WORKFLOW = `name: ci
on: [pull_request, push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - run: npm ci
      - run: npm test
`;

export function generateScenario({ repos, seed = 1, org = "synthetic", prsPerRepo = 20, orgConfig }: GenerateOptions): ScenarioInput {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const people = Array.from({ length: 40 }, (_, i) => `dev${i}`);
  const repositories = Array.from({ length: repos }, (_, i) => {
    const protectedRepo = random() < 0.8;
    const reviewRate = protectedRepo ? 0.9 + random() * 0.1 : random();
    const redRate = random() < 0.1 ? 0.3 : 0.02;
    const bot = pick(["renovate[bot]", "dependabot[bot]", null, null]);
    const files: Record<string, string> = { ".github/workflows/ci.yml": WORKFLOW, "package.json": "{}", "package-lock.json": "{}" };
    if (bot === "renovate[bot]") files["renovate.json"] = '{ "extends": ["config:recommended"] }';
    if (bot === "dependabot[bot]") files[".github/dependabot.yml"] = "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n";
    const count = Math.max(1, Math.round(prsPerRepo * (0.5 + random())));
    const pullRequests = Array.from({ length: count }, (_, n) => {
      const author = pick(people);
      const reviewer = pick(people.filter((p) => p !== author));
      return { author, approvals: random() < reviewRate ? [reviewer] : [], checks: random() < redRate ? ("failure" as const) : ("success" as const), daysAgo: (n * 80) / count + random() };
    });
    if (bot) {
      pullRequests.push({ author: bot, approvals: [pick(people)], checks: "success", daysAgo: 2 + random() * 10 });
      if (random() < 0.2) pullRequests.push({ author: bot, state: "open", approvals: [], checks: "success", daysAgo: 40 + random() * 40 } as never);
    }
    return {
      name: `repo-${String(i).padStart(5, "0")}`,
      protection: protectedRepo ? { requiredApprovals: 1, requiredChecks: random() < 0.7 ? ["ci"] : [], enforceAdmins: random() < 0.6 } : null,
      files,
      pullRequests,
    };
  });
  if (orgConfig !== undefined) repositories.push({ name: ".github", protection: null, files: { ".github/claimcheck.yml": orgConfig }, pullRequests: [] } as never);
  return {
    org: { login: org, settings: { default_repository_permission: "read", two_factor_requirement_enabled: true }, members: people.map((login, i) => ({ login, role: i < 3 ? ("admin" as const) : ("member" as const) })) },
    repositories,
  };
}

/**
 * An organisation whose every repository merged `mergedPullRequests` pull requests in the last
 * 50 days (two a day), each approved, green and its own merge commit on the default branch: the
 * busy repository of issue 15's points target (100 merged pull requests, 100 commits).
 */
export function busyScenario({ repos, mergedPullRequests = 100, org = "busy" }: { repos: number; mergedPullRequests?: number; org?: string }): ScenarioInput {
  const people = ["dev0", "dev1", "dev2", "dev3"];
  const half = Math.ceil(mergedPullRequests / 2);
  const pullRequests = [
    { author: "dev1", approvals: ["dev2"], count: half, daysAgo: 1 },
    ...(mergedPullRequests > half ? [{ author: "dev2", approvals: ["dev1"], count: mergedPullRequests - half, daysAgo: 1.5 }] : []),
  ];
  return {
    org: { login: org, settings: { default_repository_permission: "read", two_factor_requirement_enabled: true }, members: people.map((login, i) => ({ login, role: i === 0 ? ("admin" as const) : ("member" as const) })) },
    repositories: Array.from({ length: repos }, (_, i) => ({
      name: `busy-${String(i).padStart(3, "0")}`,
      protection: { requiredApprovals: 1, requiredChecks: ["ci"] },
      files: { ".github/workflows/ci.yml": WORKFLOW, "package.json": "{}", "package-lock.json": "{}" },
      pullRequests,
    })),
  };
}
