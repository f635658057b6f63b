import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openapiSpec } from "../helpers/openapi-examples.js";

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

  it.each(routesInSource().map((r) => [r.route, r.file]))("%s (%s) exists in api.github.com", (route) => {
    const [method, path] = route.split(" ") as [string, string];
    const operations = openapiSpec().paths[path];
    expect(operations, `${path} is not a documented path`).toBeDefined();
    expect(Object.keys(operations ?? {}), `${method} ${path} is not documented`).toContain(method.toLowerCase());
  });

  it("the configuration reader's contents route exists too", () => {
    expect(Object.keys(openapiSpec().paths["/repos/{owner}/{repo}/contents/{path}"] ?? {})).toContain("get");
  });
});
