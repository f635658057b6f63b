import type { CheckJudge } from "./types.js";
import { accessJudges } from "./checks/access.js";
import { accessReviewJudges } from "./checks/access-review.js";
import { auditJudges } from "./checks/audit.js";
import { branchProtectionJudges } from "./checks/branch-protection.js";
import { changeControlJudges } from "./checks/change-control.js";
import { dependencyJudges } from "./checks/dependencies.js";
import { historyJudges } from "./checks/history.js";
import { updateJudges } from "./checks/updates.js";
import { workflowJudges } from "./checks/workflows.js";

/** Every check that can be judged today; a catalogue check missing here is "not collected yet". */
export const JUDGES: readonly CheckJudge[] = [...accessJudges, ...accessReviewJudges, ...auditJudges, ...branchProtectionJudges, ...changeControlJudges, ...dependencyJudges, ...historyJudges, ...updateJudges, ...workflowJudges];
