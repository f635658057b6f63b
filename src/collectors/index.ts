import { branchProtectionCollector } from "./branch-protection.js";
import type { Collector } from "./types.js";

/** Every evidence source, run in this order for each repository. */
export const COLLECTORS: readonly Collector[] = [branchProtectionCollector];
