import { branchProtectionCollector } from "./branch-protection.js";
import type { Collector, OrgCollector } from "./types.js";

/** Every repository evidence source, run in this order for each repository. */
export const COLLECTORS: readonly Collector[] = [branchProtectionCollector];

/** Every organisation evidence source, run once per assessment run. */
export const ORG_COLLECTORS: readonly OrgCollector[] = [];
