import type { FindingValue } from "../../core/findings.js";
import type { CheckJudge, FindingView, Verdict } from "../types.js";
import { listSome } from "./rates.js";

/*
 * 1.2.2 `ci-installs-locked`: every dependency install CI runs installs what the lockfile records.
 * One rule for every ecosystem (the collector classifies each install, src/collectors/workflow-installs.ts);
 * here, installs that honour a lockfile only when there is one are decided with the lockfiles the
 * repository has, and an install that cannot be decided is `unknown` whenever the repository has a
 * manifest of its ecosystem.
 */

type Install = FindingValue<"deps.ci-installs">[number];
type Manifest = FindingValue<"deps.manifests">[number];
type Resolved = { install: Install; kind: "locked" | "afresh" | "unknown"; reason?: string };

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);
const describe = (r: Resolved) => `${r.install.workflow}: \`${r.install.command}\`${r.reason ? ` (${r.reason})` : ""}`;

/** Decides an install whose kind depends on a lockfile, with the manifests of its ecosystem. */
function resolve(install: Install, manifests: readonly Manifest[] | null, manifestsReason: string): Resolved {
  const { lockfiles, withoutLockfile, hashesIn } = install;
  // pip turns hash checking on by itself when every requirement of the file it reads carries a hash.
  if (hashesIn && manifests?.some((m) => m.lockfile === hashesIn && m.integrity === true)) {
    return { install, kind: "locked", reason: `every requirement in ${hashesIn} carries a hash, so pip checks them` };
  }
  if (!lockfiles || !withoutLockfile) return { install, kind: install.kind, ...(install.reason ? { reason: install.reason } : {}) };
  const needs = lockfiles.join(" or ");
  if (manifests === null) return { install, kind: "unknown", reason: `it depends on ${needs}, and the manifests could not be read: ${manifestsReason}` };
  const own = manifests.filter((m) => m.ecosystem === install.ecosystem);
  const withLock = own.filter((m) => m.lockfile !== null && lockfiles.includes(baseName(m.lockfile)));
  const unsure = own.filter((m) => m.lockfile === null && m.integrity === null);
  const withReason = (kind: "locked" | "afresh" | "unknown", note: string): Resolved => ({ install, kind, reason: [install.reason, note].filter(Boolean).join("; ") });
  if (withLock.length > 0 && withLock.length === own.length) return withReason(install.kind, `with ${needs}`);
  if (withLock.length === 0 && unsure.length === 0) return withReason(withoutLockfile, `no ${needs} to install from`);
  return withReason("unknown", `it is locked only where ${needs} exists, and ${withLock.length} of ${own.length} ${install.ecosystem} manifests have one`);
}

/** Whether the repository has a manifest an undecided install could be installing: true, false, or true when not known. */
function hasManifestOf(ecosystem: string, manifests: readonly Manifest[] | null): boolean {
  if (manifests === null) return true;
  return ecosystem === "*" ? manifests.length > 0 : manifests.some((m) => m.ecosystem === ecosystem);
}

function judgeInstalls(view: FindingView): Verdict {
  const installs = view.value("deps.ci-installs");
  if (installs.length === 0) return { status: "not_applicable", reason: "no dependency install step in a workflow that runs" };
  const maybe = view.maybe("deps.manifests");
  const manifests = maybe.value;
  const manifestsReason = maybe.value === null ? maybe.reason : "";
  const resolved = installs.map((i) => resolve(i, manifests, manifestsReason));
  const afresh = resolved.filter((r) => r.kind === "afresh");
  const locked = resolved.filter((r) => r.kind === "locked");
  const undecided = resolved.filter((r) => r.kind === "unknown");
  // An undecided install of an ecosystem the repository has no manifest of installs nothing of the project's.
  const relevant = undecided.filter((r) => hasManifestOf(r.install.ecosystem, manifests));
  const undecidedNote = relevant.length > 0 ? `; not decided: ${listSome(relevant.map(describe), 5)}` : "";
  if (afresh.length > 0) return { status: "gap", reason: `${afresh.length} install${afresh.length === 1 ? "" : "s"} may resolve versions afresh instead of installing the lockfile: ${listSome(afresh.map(describe), 5)}${undecidedNote}` };
  if (relevant.length > 0) {
    return { status: "unknown", reason: `whether every install uses the lockfile could not be decided: ${listSome(relevant.map(describe), 5)}${locked.length ? `; locked: ${listSome(locked.map(describe), 5)}` : ""}` };
  }
  if (locked.length === 0) return { status: "not_applicable", reason: `the installs found are for ecosystems with no manifest in the repository: ${listSome(undecided.map(describe), 5)}` };
  return { status: "met", reason: `every dependency install in the workflows installs from the lockfile: ${listSome(locked.map(describe), 5)}` };
}

export const ciInstallsLocked: CheckJudge = {
  claimId: "1.2.2",
  checkId: "ci-installs-locked",
  needs: ["deps.ci-installs"],
  uses: ["deps.manifests"],
  judge: judgeInstalls,
};
