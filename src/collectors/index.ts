import { branchProtectionCollector } from "./branch-protection.js";
import { codeownersCollector } from "./codeowners.js";
import { defaultBranchHistoryCollector } from "./default-branch-history.js";
import { dependenciesCollector } from "./dependencies.js";
import { orgAccessCollector } from "./org-access.js";
import { pullRequestsCollector } from "./pull-requests.js";
import { repoAccessCollector } from "./repo-access.js";
import type { Collector, OrgCollector } from "./types.js";
import { workflowsCollector } from "./workflows.js";

/** Every repository evidence source, run in this order for each repository. */
export const COLLECTORS: readonly Collector[] = [branchProtectionCollector, pullRequestsCollector, defaultBranchHistoryCollector, workflowsCollector, codeownersCollector, repoAccessCollector, dependenciesCollector];

/** Every organisation evidence source, run once per assessment run. */
export const ORG_COLLECTORS: readonly OrgCollector[] = [orgAccessCollector];
