import { branchProtectionCollector } from "./branch-protection.js";
import { defaultBranchHistoryCollector } from "./default-branch-history.js";
import { pullRequestsCollector } from "./pull-requests.js";
import type { Collector, OrgCollector } from "./types.js";
import { workflowsCollector } from "./workflows.js";

/** Every repository evidence source, run in this order for each repository. */
export const COLLECTORS: readonly Collector[] = [branchProtectionCollector, pullRequestsCollector, defaultBranchHistoryCollector, workflowsCollector];

/** Every organisation evidence source, run once per assessment run. */
export const ORG_COLLECTORS: readonly OrgCollector[] = [];
