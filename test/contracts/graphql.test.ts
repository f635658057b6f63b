import { describe, expect, it } from "vitest";
import { COLLECTORS } from "../../src/collectors/index.js";
import { windowPagesQuery } from "../../src/collectors/window-pages.js";
import { ENVIRONMENTS_PAGE_QUERY, repoAccessRunFragment } from "../../src/collectors/repo-access.js";
import { TEAM_REPOSITORIES_PAGE_QUERY, TEAM_REPOSITORIES_QUERY } from "../../src/collectors/team-repositories.js";
import { buildRepositoryQuery } from "../../src/github/repository-query.js";
import { CONFIG_PATH } from "../../src/config/load-repo-config.js";
import { ownConfigFilesQuery } from "../../src/config/own-config-files.js";
import { schemaErrors } from "../helpers/graphql.js";

describe("GraphQL documents against GitHub's published schema", () => {
  it("the batched repository query of every collector is valid", () => {
    const fragments = COLLECTORS.flatMap((c) => (c.repositoryFragment ? [c.repositoryFragment] : []));
    expect(fragments.length).toBeGreaterThan(0);
    expect(schemaErrors(buildRepositoryQuery(fragments))).toEqual([]);
  });

  it.each(COLLECTORS.filter((c) => c.repositoryFragment).map((c) => [c.id, c]))("the %s fragment is valid on its own", (_id, collector) => {
    expect(schemaErrors(buildRepositoryQuery([collector.repositoryFragment!]))).toEqual([]);
  });

  it("fragments alias their top-level fields with a prefix of their own", () => {
    const prefixes = new Map<string, string>();
    for (const c of COLLECTORS) {
      if (!c.repositoryFragment) continue;
      const body = c.repositoryFragment.text.split(/fragment \w+ on Repository \{/)[1] ?? "";
      const aliases = [...body.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]!);
      expect(aliases.length, `${c.id} has aliased fields`).toBeGreaterThan(0);
      const prefix = aliases[0]!.split("_")[0]!;
      for (const alias of aliases) expect(alias.startsWith(`${prefix}_`), `${c.id}: ${alias}`).toBe(true);
      expect(prefixes.has(prefix), `prefix ${prefix} used by ${prefixes.get(prefix)} and ${c.id}`).toBe(false);
      prefixes.set(prefix, c.id);
    }
  });

  it.each([
    ["merged pull requests page", windowPagesQuery({ pullRequests: 5, commits: 0, lookups: 0 })],
    ["default-branch history page", windowPagesQuery({ pullRequests: 0, commits: 5, lookups: 0 })],
    ["pull requests of default-branch commits", windowPagesQuery({ pullRequests: 0, commits: 0, lookups: 3 })],
    ["all three in one follow-up query", windowPagesQuery({ pullRequests: 5, commits: 5, lookups: 3 })],
    ["repositories' own configuration files", ownConfigFilesQuery(3, CONFIG_PATH)],
    ["environments page", ENVIRONMENTS_PAGE_QUERY],
    ["organisation's teams and their repositories", TEAM_REPOSITORIES_QUERY],
    ["a team's further repositories", TEAM_REPOSITORIES_PAGE_QUERY],
    ["repository access fragment within a run", buildRepositoryQuery([repoAccessRunFragment])],
  ])("the %s query is valid", (_name, document) => {
    expect(schemaErrors(document)).toEqual([]);
  });
});
