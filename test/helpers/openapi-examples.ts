import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

type Spec = { paths: Record<string, Record<string, unknown>>; components: { examples: Record<string, { value: unknown }> } };
let spec: Spec | undefined;

/** GitHub's published REST description (api.github.com), loaded once. */
export function openapiSpec(): Spec {
  spec ??= require("@octokit/openapi/generated/api.github.com.json") as Spec;
  return spec;
}

/** A real response example from GitHub's REST description, deep-cloned so a test may adapt it. */
export function example<T = any>(name: string): T {
  const found = openapiSpec().components.examples[name];
  if (!found) throw new Error(`no OpenAPI example named ${name}`);
  return structuredClone(found.value) as T;
}

let ghec: Spec | undefined;

/** GitHub Enterprise Cloud's REST description, for routes only that plan offers (the org audit log). */
export function ghecSpec(): Spec {
  ghec ??= require("@octokit/openapi/generated/ghec.json") as Spec;
  return ghec;
}
