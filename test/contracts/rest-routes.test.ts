import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ghecSpec, openapiSpec } from "../helpers/openapi-examples.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every "METHOD /route" string literal in the source: the REST calls the app can make. */
function routesInSource(): { route: string; file: string }[] {
  const found: { route: string; file: string }[] = [];
  for (const file of sourceFiles("src")) {
    for (const match of readFileSync(file, "utf8").matchAll(/["'`](GET|POST|PATCH|PUT|DELETE) (\/[A-Za-z0-9_{}/.-]*)["'`]/g)) {
      found.push({ route: `${match[1]} ${match[2]}`, file });
    }
  }
  return found;
}

describe("REST routes against GitHub's published OpenAPI description", () => {
  const routes = routesInSource();

  it("finds the routes the app calls", () => {
    expect(routes.map((r) => r.route)).toEqual(
      expect.arrayContaining([
        "GET /repos/{owner}/{repo}",
        "GET /repos/{owner}/{repo}/branches/{branch}/protection",
        "GET /repos/{owner}/{repo}/rules/branches/{branch}",
        "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}",
        "POST /repos/{owner}/{repo}/check-runs",
        "GET /installation/repositories",
      ]),
    );
  });

  it.each(routesInSource().map((r) => [r.route, r.file]))("%s (%s) is documented by GitHub", (route, file) => {
    const [method, path] = route.split(" ") as [string, string];
    const onDotCom = openapiSpec().paths[path];
    if (onDotCom) {
      expect(Object.keys(onDotCom), `${method} ${path} is not documented`).toContain(method.toLowerCase());
      return;
    }
    // A route only Enterprise Cloud offers must be in its description, and the code must say so.
    const onGhec = ghecSpec().paths[path];
    expect(onGhec, `${path} is documented neither for github.com nor for Enterprise Cloud`).toBeDefined();
    expect(Object.keys(onGhec ?? {})).toContain(method.toLowerCase());
    expect(readFileSync(file, "utf8"), `${file} calls an Enterprise Cloud route without saying so`).toMatch(/Enterprise Cloud/);
  });

  it("the configuration reader's contents route exists too", () => {
    expect(Object.keys(openapiSpec().paths["/repos/{owner}/{repo}/contents/{path}"] ?? {})).toContain("get");
  });
});
