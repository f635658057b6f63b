import { z } from "zod";
import { observed, unreadable, type Finding, type Where } from "../core/findings.js";
import { fieldError } from "../github/client.js";
import { ownership, parseCodeowners, type Ownership } from "./codeowners-match.js";
import type { CollectContext, Collector } from "./types.js";

/*
 * The CODEOWNERS file of the default branch, GitHub's own list of its syntax errors, and whether
 * the workflow directory has an owner — all read in the batched repository query.
 */

/** GitHub's order: the first file found is the one it uses. */
export const CODEOWNERS_LOCATIONS = [
  { alias: "co_github", path: ".github/CODEOWNERS" },
  { alias: "co_root", path: "CODEOWNERS" },
  { alias: "co_docs", path: "docs/CODEOWNERS" },
] as const;

const WORKFLOW_DIR = ".github/workflows";
/** GitHub does not load a CODEOWNERS file larger than this. */
export const CODEOWNERS_MAX_BYTES = 3 * 1024 * 1024;
/**
 * Stand-ins for a workflow added tomorrow: a rule naming only today's files does not own the
 * directory. Both extensions, because GitHub runs both and a `*.yml` rule owns only one.
 */
export const PROBE_PATHS = [`${WORKFLOW_DIR}/a-new-workflow.yml`, `${WORKFLOW_DIR}/a-new-workflow.yaml`];

const BLOB = "... on Blob { text byteSize isBinary isTruncated }";

export const codeownersFragment = {
  name: "claimcheckCodeowners",
  text: `
fragment claimcheckCodeowners on Repository {
${CODEOWNERS_LOCATIONS.map((l) => `  ${l.alias}: object(expression: "HEAD:${l.path}") { ${BLOB} }`).join("\n")}
  co_workflows: object(expression: "HEAD:${WORKFLOW_DIR}") {
    ... on Tree { entries { name type } }
  }
  co_errors: codeowners(refName: $qualifiedBranch) {
    errors { line column kind source suggestion message path }
  }
}`,
};

// A Tree (a directory named CODEOWNERS) matches no inline fragment and comes back as `{}`.
const objectSchema = z.looseObject({ text: z.string().nullable().optional(), byteSize: z.number().int().optional(), isBinary: z.boolean().nullable().optional(), isTruncated: z.boolean().optional() }).nullable();
const errorSchema = z.looseObject({ line: z.number().int(), column: z.number().int(), kind: z.string(), source: z.string(), suggestion: z.string().nullable(), message: z.string(), path: z.string() });
const fragmentSchema = z.looseObject({
  co_github: objectSchema,
  co_root: objectSchema,
  co_docs: objectSchema,
  co_workflows: z.looseObject({ entries: z.array(z.looseObject({ name: z.string(), type: z.string() })).optional() }).nullable(),
  co_errors: z.looseObject({ errors: z.array(errorSchema) }).nullable(),
});
type Fragment = z.infer<typeof fragmentSchema>;
export type CodeownersError = z.infer<typeof errorSchema>;

type Known<T> = { value: T } | { value: null; error: string };

export type CodeownersSummary = {
  present: Known<boolean>;
  path: Known<string | null>;
  errors: Known<string[]>;
  coversWorkflows: Known<boolean>;
};

const describeError = (e: CodeownersError) => `${e.path} line ${e.line}: ${e.kind}: ${e.source.trim()}${e.suggestion ? ` (${e.suggestion})` : ""}`;

function describeOwnership(path: string, o: Ownership): string {
  if (o.kind === "uncertain") return `${path}: depends on line ${o.lines.join(", ")}, which GitHub reported as an error or uses syntax CODEOWNERS does not support`;
  if (o.kind === "unowned") return o.rule ? `${path}: line ${o.rule.line} (\`${o.rule.pattern}\`) gives it no owner` : `${path}: no pattern matches`;
  return `${path}: owned by line ${o.rule.line}`;
}

/** Field errors GitHub gave for parts of the fragment, by what they hide. */
export type FieldRefusals = { errors?: string | undefined; workflows?: string | undefined };

/**
 * Pure: the findings from the batched answer. The workflow paths checked are the probes plus
 * every file in the directory today, so both "new workflows are owned" and "no existing one is
 * carved out" must hold.
 */
export function summariseCodeowners(data: Fragment, refused: FieldRefusals = {}): CodeownersSummary {
  const found = CODEOWNERS_LOCATIONS.find((l) => {
    const object = data[l.alias];
    return object !== null && object.byteSize !== undefined;
  });
  if (!found) {
    return { present: { value: false }, path: { value: null }, errors: { value: [] }, coversWorkflows: { value: false } };
  }
  const blob = data[found.alias]!;
  const present = { value: true } as const;
  const path = { value: found.path } as const;

  // GitHub: a CODEOWNERS file over 3 MB is not loaded at all, so nothing in it owns anything.
  if (blob.byteSize !== undefined && blob.byteSize > CODEOWNERS_MAX_BYTES) {
    const tooBig = `${found.path} is ${(blob.byteSize / 1024 / 1024).toFixed(1)} MB, over the 3 MB GitHub loads: GitHub ignores the whole file`;
    return { present, path, errors: { value: [tooBig] }, coversWorkflows: { value: false } };
  }

  let errors: Known<string[]>;
  let reported: CodeownersError[] | null = null;
  if (refused.errors) errors = { value: null, error: refused.errors };
  else if (data.co_errors === null) errors = { value: null, error: `GitHub returned no CODEOWNERS information for ${found.path}, so its syntax errors are not known` };
  else {
    reported = data.co_errors.errors;
    errors = { value: reported.map(describeError) };
  }

  let coversWorkflows: Known<boolean>;
  if (blob.isTruncated === true || blob.isBinary === true || blob.text === null || blob.text === undefined) {
    const why = blob.isTruncated === true ? `truncated at ${blob.byteSize} bytes` : blob.isBinary === true ? "binary content" : "GitHub returned no text";
    coversWorkflows = { value: null, error: `${found.path} could not be read (${why})` };
  } else if (refused.workflows) {
    coversWorkflows = { value: null, error: `the workflow directory could not be listed: ${refused.workflows}` };
  } else if (reported === null) {
    coversWorkflows = { value: null, error: "GitHub's list of lines it rejects could not be read, and a rejected line does not apply" };
  } else {
    const rules = parseCodeowners(blob.text);
    // GitHub uses one file, so every error it reports is about that file's lines.
    const doubtful = new Set(reported.map((e) => e.line));
    const files = (data.co_workflows?.entries ?? []).filter((e) => e.type === "blob" && /\.ya?ml$/.test(e.name)).map((e) => `${WORKFLOW_DIR}/${e.name}`);
    const paths = [...new Set([...PROBE_PATHS, ...files])];
    const results = paths.map((p) => [p, ownership(p, rules, doubtful)] as const);
    const unowned = results.filter(([, o]) => o.kind === "unowned");
    const uncertain = results.filter(([, o]) => o.kind === "uncertain");
    if (unowned.length > 0) coversWorkflows = { value: false };
    else if (uncertain.length > 0) coversWorkflows = { value: null, error: uncertain.map(([p, o]) => describeOwnership(p, o)).join("; ") };
    else coversWorkflows = { value: true };
  }
  return { present, path, errors, coversWorkflows };
}

function toFindings(s: CodeownersSummary, where: Where): Finding[] {
  const one = <K extends "codeowners.present" | "codeowners.path" | "codeowners.errors" | "codeowners.covers-workflows">(id: K, k: Known<unknown>) =>
    k.value === null && "error" in k ? unreadable(id, k.error, where) : observed(id, k.value as never, where);
  return [one("codeowners.present", s.present), one("codeowners.path", s.path), one("codeowners.errors", s.errors), one("codeowners.covers-workflows", s.coversWorkflows)];
}

const PRODUCES = ["codeowners.present", "codeowners.path", "codeowners.errors", "codeowners.covers-workflows"] as const;

function readCodeowners({ repo, now, repositoryData, repositoryErrors }: CollectContext): Finding[] {
  const where = (path: string | null): Where => ({
    repo: repo.fullName,
    source: "GraphQL repository.object(expression: \"HEAD:{.github/,,docs/}CODEOWNERS\") + repository.codeowners(refName).errors",
    url: path ? `${repo.htmlUrl}/blob/${encodeURIComponent(repo.defaultBranch)}/${path}` : repo.htmlUrl,
    observedAt: now.toISOString(),
  });
  // A location we could not read might hold the file GitHub uses, so nothing can be said.
  const refused = CODEOWNERS_LOCATIONS.map((l) => fieldError(repositoryErrors, "repository", l.alias)).filter((e): e is string => e !== undefined);
  if (refused.length > 0) {
    const reason = `${refused.join("; ")}; the app may lack the 'Contents: read' repository permission`;
    return PRODUCES.map((id) => unreadable(id, reason, where(null)));
  }
  const parsed = fragmentSchema.safeParse(repositoryData);
  if (!parsed.success) {
    const reason = `GitHub's answer for CODEOWNERS did not have the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
    return PRODUCES.map((id) => unreadable(id, reason, where(null)));
  }
  const summary = summariseCodeowners(parsed.data, {
    errors: fieldError(repositoryErrors, "repository", "co_errors"),
    workflows: fieldError(repositoryErrors, "repository", "co_workflows"),
  });
  return toFindings(summary, where(summary.path.value ?? null));
}

export const codeownersCollector: Collector = {
  id: "codeowners",
  produces: PRODUCES,
  repositoryFragment: codeownersFragment,
  collect(ctx: CollectContext): Promise<Finding[]> {
    return Promise.resolve(readCodeowners(ctx));
  },
};
