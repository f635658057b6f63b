import type { RepoConfig } from "../config/repo-config.js";
import type { Finding } from "../core/findings.js";
import { ORG_COLLECTORS } from "../collectors/index.js";
import type { OrgCollector } from "../collectors/types.js";
import type { GitHubClient } from "../github/client.js";
import { collectAll } from "./collect.js";

export type OrgInput = {
  client: GitHubClient;
  org: string;
  config: RepoConfig;
  now?: Date;
  collectors?: readonly OrgCollector[];
};

/** Reads the organisation-level evidence once; every repository of the run is judged with it. */
export async function assessOrganisation({ client, org, config, now = new Date(), collectors = ORG_COLLECTORS }: OrgInput): Promise<Finding[]> {
  const since = new Date(now.getTime() - config.windowDays * 86_400_000);
  const where = { source: "organisation", url: `https://github.com/orgs/${org}`, observedAt: now.toISOString() };
  const findings: Finding[] = [];
  for (const collector of collectors) {
    findings.push(...(await collectAll(collector.id, collector.produces, { ...where, source: collector.id }, () => collector.collect({ client, org, config, now, since }))));
  }
  return findings;
}
