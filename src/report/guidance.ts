/*
 * How each claim relates to other frameworks (what would close a gap is shared with the gap
 * issues, in src/core/remediation.ts). The crosswalk is claimcheck's own reading of those
 * frameworks, not an official mapping, and the report labels it so.
 */

export type Crosswalk = { ssdf: string[]; cis: string[]; scorecard: string[] };

const none: Crosswalk = { ssdf: [], cis: [], scorecard: [] };

/**
 * Related items in NIST SSDF (SP 800-218 v1.1), the CIS Software Supply Chain Security Guide
 * (v1.0) and OpenSSF Scorecard checks. An item appears only where the relation is direct.
 */
export const CROSSWALK: Record<string, Crosswalk> = {
  "1.2.1": { ssdf: ["PS.3.2", "PW.4.1"], cis: [], scorecard: [] },
  "1.2.2": { ssdf: ["PW.4.1", "PW.4.4"], cis: [], scorecard: ["Pinned-Dependencies"] },
  "1.2.3": { ssdf: ["PW.4.4"], cis: [], scorecard: ["Code-Review"] },
  "1.2.4": { ssdf: ["PW.4.4"], cis: ["1.1.9"], scorecard: ["CI-Tests"] },
  "1.2.5": { ssdf: ["PW.4.4", "RV.1.1"], cis: [], scorecard: ["Dependency-Update-Tool", "Vulnerabilities"] },
  "1.3.1": { ssdf: ["PW.8.2"], cis: [], scorecard: [] },
  "1.3.2": { ssdf: ["PW.8.2"], cis: ["1.1.9"], scorecard: ["CI-Tests"] },
  "1.3.3": { ssdf: ["PW.8.2", "RV.2.2"], cis: ["1.1.9"], scorecard: ["CI-Tests"] },
  "2.1.1": { ssdf: ["PO.2.1", "PS.1.1"], cis: ["1.3.8"], scorecard: [] },
  "2.1.2": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
  "2.1.3": { ssdf: ["PO.5.1", "PS.1.1"], cis: [], scorecard: ["Token-Permissions", "Dangerous-Workflow"] },
  "2.1.4": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
  "2.1.5": { ssdf: ["PO.5.1"], cis: ["1.3.5"], scorecard: [] },
  "2.1.6": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
  "2.2.1": { ssdf: ["PO.3.3", "PO.5.1"], cis: [], scorecard: [] },
  "2.2.2": { ssdf: ["PS.1.1", "PW.7.2"], cis: ["1.1.14", "1.1.15", "1.1.16", "1.1.17"], scorecard: ["Branch-Protection", "Code-Review"] },
  "2.2.3": { ssdf: ["PO.3.3"], cis: [], scorecard: [] },
  "2.2.4": { ssdf: ["PO.5.1"], cis: [], scorecard: [] },
};

export function crosswalkOf(claimId: string): Crosswalk {
  return CROSSWALK[claimId] ?? none;
}

export const CROSSWALK_NOTE = "claimcheck's own mapping, not an official one";
