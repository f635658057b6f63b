import { z } from "zod";
import { LOCKFILE_FORMATS } from "../core/ecosystems.js";
import { fieldError, type GraphqlFieldError } from "../github/client.js";
import { DEPENDABOT_FILES, RENOVATE_FILES } from "./update-config.js";

/*
 * The part of the batched repository query the dependencies collector reads. Files are probed
 * by name on the default branch (`HEAD:<path>`): a missing file is `null`, at no extra request.
 * Only files at fixed paths can be probed in one query, so lockfile contents are read at the
 * repository root; manifests elsewhere are seen through the dependency graph.
 */

/** Root lockfiles whose text is read to see whether they carry hashes. */
export const TEXT_LOCKFILES = Object.entries(LOCKFILE_FORMATS)
  .filter(([, format]) => format === "hashes")
  .map(([name]) => name);

/** Root files read for workspace layouts (a root lockfile that pins member packages elsewhere). */
export const WORKSPACE_FILES = ["package.json", "pnpm-workspace.yaml", "Cargo.toml"] as const;

/** Gradle's dependency verification: checksums for every artifact, beside or instead of a lockfile. */
export const GRADLE_VERIFICATION = "gradle/verification-metadata.xml";

export const PROBED_FILES: readonly string[] = [...new Set([...TEXT_LOCKFILES, ...WORKSPACE_FILES, ...RENOVATE_FILES, ...DEPENDABOT_FILES])];

export const fileAlias = (path: string) => `deps_f_${path.replace(/[^A-Za-z0-9]/g, "_")}`;

/** The dependency graph is capped at one page; past it the findings say the list is incomplete. */
export const GRAPH_PAGE = 100;
export const ALERTS_PAGE = 100;

const BLOB = "... on Blob { text byteSize isBinary isTruncated }";

export const dependenciesFragment = {
  name: "claimcheckDependencies",
  text: `
fragment claimcheckDependencies on Repository {
  deps_root: object(expression: "HEAD:") { ... on Tree { entries { name type } } }
${PROBED_FILES.map((path) => `  ${fileAlias(path)}: object(expression: "HEAD:${path}") { ${BLOB} }`).join("\n")}
  deps_gradleVerification: object(expression: "HEAD:${GRADLE_VERIFICATION}") { ... on Blob { byteSize } }
  deps_graph: dependencyGraphManifests(first: ${GRAPH_PAGE}) {
    totalCount
    nodes { filename blobPath dependenciesCount parseable exceedsMaxSize }
  }
  deps_alertsEnabled: hasVulnerabilityAlertsEnabled
  deps_alerts: vulnerabilityAlerts(states: [OPEN], first: ${ALERTS_PAGE}) {
    totalCount
    nodes { createdAt securityVulnerability { severity } }
  }
}`,
};

const treeSchema = z.looseObject({ entries: z.array(z.looseObject({ name: z.string(), type: z.string() })).optional() }).nullable();
const blobSchema = z.looseObject({ text: z.string().nullable().optional(), byteSize: z.number().int().optional(), isBinary: z.boolean().nullable().optional(), isTruncated: z.boolean().optional() }).nullable();
const graphSchema = z
  .looseObject({
    totalCount: z.number().int().nonnegative(),
    nodes: z.array(
      z.looseObject({ filename: z.string(), blobPath: z.string(), dependenciesCount: z.number().int().nonnegative().nullable(), parseable: z.boolean(), exceedsMaxSize: z.boolean() }).nullable(),
    ),
  })
  .nullable();
const alertsSchema = z
  .looseObject({
    totalCount: z.number().int().nonnegative(),
    nodes: z.array(z.looseObject({ createdAt: z.string(), securityVulnerability: z.looseObject({ severity: z.string() }).nullable() }).nullable()),
  })
  .nullable();

/**
 * A file probed by path: not there, its text, there but not readable as text (with why), or
 * refused (GitHub did not answer, so whether it exists is not known either).
 */
export type FileRead = { kind: "absent" } | { kind: "text"; text: string } | { kind: "unread"; reason: string } | { kind: "refused"; reason: string };

export type TreeRead = { ok: true; names: string[] | null } | { ok: false; reason: string };
export type GraphManifest = { path: string; dependencies: number | null; parseable: boolean; tooLarge: boolean };
export type GraphRead = { ok: true; total: number; manifests: GraphManifest[] } | { ok: false; reason: string };
export type Alert = { createdAt: string; severity: string | null };
export type AlertsRead = { ok: true; enabled: boolean; total: number; alerts: Alert[] } | { ok: false; reason: string };

export type DependencyData = {
  root: TreeRead;
  files: ReadonlyMap<string, FileRead>;
  gradleVerification: boolean | null;
  graph: GraphRead;
  alerts: AlertsRead;
};

type Raw = Record<string, unknown>;

const shapeError = (what: string, error: z.ZodError) => `GitHub's answer for ${what} did not have the expected shape: ${error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;

/** Blob names of a tree; null when the path does not exist (an empty repository has no HEAD). */
function readTree(raw: Raw, alias: string, errors: readonly GraphqlFieldError[], what: string): TreeRead {
  const refused = fieldError(errors, "repository", alias);
  if (refused) return { ok: false, reason: `${refused}; the app may lack the 'Contents: read' repository permission` };
  const parsed = treeSchema.safeParse(raw[alias] ?? null);
  if (!parsed.success) return { ok: false, reason: shapeError(what, parsed.error) };
  if (parsed.data === null) return { ok: true, names: null };
  return { ok: true, names: (parsed.data.entries ?? []).filter((e) => e.type === "blob").map((e) => e.name) };
}

function readFile(raw: Raw, path: string, errors: readonly GraphqlFieldError[]): FileRead {
  const alias = fileAlias(path);
  const refused = fieldError(errors, "repository", alias);
  if (refused) return { kind: "refused", reason: `${refused}; the app may lack the 'Contents: read' repository permission` };
  const parsed = blobSchema.safeParse(raw[alias] ?? null);
  if (!parsed.success) return { kind: "refused", reason: shapeError(path, parsed.error) };
  const blob = parsed.data;
  if (blob === null) return { kind: "absent" };
  if (blob.isTruncated === undefined) return { kind: "unread", reason: "not a file (a directory or submodule)" };
  if (blob.isTruncated) return { kind: "unread", reason: `too large to read in full (${blob.byteSize ?? "?"} bytes; GitHub truncated it)` };
  if (blob.isBinary === true || blob.text === null || blob.text === undefined) return { kind: "unread", reason: "binary content" };
  return { kind: "text", text: blob.text };
}

/** A dependency graph manifest's path in the repository, from its blob path (/owner/name/blob/<ref>/<path>). */
export function graphPath(blobPath: string, filename: string, branch: string): string {
  const rest = blobPath.replace(/^\/[^/]+\/[^/]+\/blob\//, "");
  if (rest === blobPath) return filename;
  for (const ref of [branch, ...(/^[0-9a-f]{40}\//.test(rest) ? [rest.slice(0, 40)] : [])]) {
    if (rest.startsWith(`${ref}/`)) return decodeURIComponent(rest.slice(ref.length + 1));
  }
  return filename;
}

const GRAPH_PERMISSION = "the dependency graph enabled and the 'Contents: read' repository permission";
const ALERTS_PERMISSION = "the 'Dependabot alerts: read' repository permission";

function readGraph(raw: Raw, errors: readonly GraphqlFieldError[], branch: string): GraphRead {
  const refused = fieldError(errors, "repository", "deps_graph");
  if (refused) return { ok: false, reason: `${refused}; it needs ${GRAPH_PERMISSION}` };
  const parsed = graphSchema.safeParse(raw.deps_graph ?? null);
  if (!parsed.success) return { ok: false, reason: shapeError("the dependency graph", parsed.error) };
  if (parsed.data === null) return { ok: false, reason: `GitHub returned no dependency graph; it needs ${GRAPH_PERMISSION}` };
  const manifests = parsed.data.nodes
    .filter((n) => n !== null)
    .map((n) => ({ path: graphPath(n.blobPath, n.filename, branch), dependencies: n.dependenciesCount, parseable: n.parseable, tooLarge: n.exceedsMaxSize }));
  return { ok: true, total: parsed.data.totalCount, manifests };
}

function readAlerts(raw: Raw, errors: readonly GraphqlFieldError[]): AlertsRead {
  const refused = fieldError(errors, "repository", "deps_alerts") ?? fieldError(errors, "repository", "deps_alertsEnabled");
  if (refused) return { ok: false, reason: `${refused}; the app may lack ${ALERTS_PERMISSION}` };
  const enabled = z.boolean().safeParse(raw.deps_alertsEnabled);
  const alerts = alertsSchema.safeParse(raw.deps_alerts ?? null);
  if (!enabled.success) return { ok: false, reason: "GitHub did not say whether Dependabot alerts are enabled" };
  if (!alerts.success) return { ok: false, reason: shapeError("vulnerability alerts", alerts.error) };
  if (alerts.data === null) return { ok: false, reason: `GitHub returned no vulnerability alerts; it needs ${ALERTS_PERMISSION}` };
  return {
    ok: true,
    enabled: enabled.data,
    total: alerts.data.totalCount,
    alerts: alerts.data.nodes.filter((n) => n !== null).map((n) => ({ createdAt: n.createdAt, severity: n.securityVulnerability?.severity ?? null })),
  };
}

/** Validates the fragment's part of the batched answer, field by field: one refused field never hides another. */
export function readDependencyData(repositoryData: unknown, errors: readonly GraphqlFieldError[], branch: string): DependencyData {
  const raw: Raw = typeof repositoryData === "object" && repositoryData !== null ? (repositoryData as Raw) : {};
  const verificationRefused = fieldError(errors, "repository", "deps_gradleVerification");
  const verification = z.looseObject({ byteSize: z.number() }).nullable().safeParse(raw.deps_gradleVerification ?? null);
  return {
    root: readTree(raw, "deps_root", errors, "the root directory"),
    files: new Map(PROBED_FILES.map((path) => [path, readFile(raw, path, errors)])),
    gradleVerification: verificationRefused || !verification.success ? null : verification.data !== null,
    graph: readGraph(raw, errors, branch),
    alerts: readAlerts(raw, errors),
  };
}
