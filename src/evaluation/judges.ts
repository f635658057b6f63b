import type { CheckJudge } from "./types.js";
import { auditJudges } from "./checks/audit.js";
import { branchProtectionJudges } from "./checks/branch-protection.js";
import { historyJudges } from "./checks/history.js";
import { updateJudges } from "./checks/updates.js";
import { workflowJudges } from "./checks/workflows.js";

/** Every check that can be judged today; a catalogue check missing here is "not collected yet". */
export const JUDGES: readonly CheckJudge[] = [...auditJudges, ...branchProtectionJudges, ...historyJudges, ...updateJudges, ...workflowJudges];
