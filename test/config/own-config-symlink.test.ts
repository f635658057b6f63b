import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { RunConfigCache, runConfigOf, withRunConfig } from "../../src/config/config-cache.js";
import { loadRepoConfig, type ConfigReader } from "../../src/config/load-repo-config.js";
import { GitHubClient, type OctokitLike } from "../../src/github/client.js";
import { ownConfigFilesQuery, ownFileAnswer } from "../../src/config/own-config-files.js";
import { API } from "../helpers/github-api.js";
import { schemaErrors } from "../helpers/graphql.js";

/*
 * Git stores a symbolic link as a blob whose content is the link's target path, and
 * `object(expression: "HEAD:<path>")` names that blob: GraphQL answers a symlinked
 * `.github/claimcheck.yml` with a Blob whose `text` is e.g. "../policy/claimcheck.yml".
 * The REST contents read follows a symlink to a normal file of the repository and answers that
 * file's content. So the run's batched read must not take the Blob's text as the file: the
 * repository's own settings would be replaced by the defaults (a "problem"), silently different
 * from what the same repository gets when it is assessed alone.
 */
const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));
const octokit = () => new Octokit({ auth: "ghs_test" }) as unknown as OctokitLike & ConfigReader;
const RAW = { "content-type": "application/vnd.github.v3.raw; charset=utf-8" };
const path = (repo: string) => `/repos/acme/${repo}/contents/.github%2Fclaimcheck.yml`;
const LINK_TARGET = "../policy/claimcheck.yml";

describe("a symlinked own configuration file, in a run", () => {
  afterEach(() => nock.cleanAll());

  it("gives the settings REST gives (the link's target file), not a problem made of the link's path", async () => {
    // REST follows the link to the normal file it names.
    nock(API).get(path("api")).optionally().reply(200, "windowDays: 7\nthresholds:\n  requiredApprovals: 2\n", RAW);
    nock(API).get(path("web")).optionally().reply(404, { message: "Not Found" });
    nock(API).get(path(".github")).optionally().reply(404, { message: "Not Found" });

    const alone = await loadRepoConfig(new GitHubClient(octokit()), "acme", "api");
    expect(alone).toMatchObject({ ok: true, config: { windowDays: 7, thresholds: { requiredApprovals: 2 } } });

    // GraphQL's answer for the batch as GitHub gives it today (a mock of a fixed query may need to
    // answer its new shape, e.g. the tree entry's mode 0o120000 that marks a symlink).
    nock(API)
      .post("/graphql", (body: { query: string }) => body.query.includes("claimcheckOwnConfigFiles"))
      .optionally()
      .reply(200, {
        data: {
          rateLimit: { cost: 1, remaining: 4999, resetAt: "2026-11-24T13:00:00Z" },
          r0: { cfg: { __typename: "Blob", text: LINK_TARGET, byteSize: LINK_TARGET.length, isBinary: false, isTruncated: false } },
          r1: { cfg: null },
        },
      });
    nock(API).get(path("api")).optionally().reply(200, "windowDays: 7\nthresholds:\n  requiredApprovals: 2\n", RAW);
    const cache = new RunConfigCache();
    cache.expect("acme", ["api", "web"]);
    const shared = withRunConfig(octokit(), cache);
    const inRun = await loadRepoConfig(new GitHubClient(shared), "acme", "api", runConfigOf(shared));
    // Today: ok false, the defaults, and the problem ".github/claimcheck.yml: the top level must be a mapping of settings, not a string".
    expect(inRun.ok ? [] : inRun.problems).toEqual([]);
    // Today the defaults apply instead: one approval is enough where the repository asks for two.
    expect(inRun).toMatchObject({ ok: true, config: { windowDays: 7, thresholds: { requiredApprovals: 2 } } });
  });

  const PATH = ".github/claimcheck.yml";
  const text = (t: string) => ({ __typename: "Blob", text: t, byteSize: t.length, isBinary: false, isTruncated: false });
  const dir = (mode: number, type: string) => ({ __typename: "Tree", entries: [{ name: "README.md", mode: 0o100644, type: "blob" }, { name: "claimcheck.yml", mode, type }] });

  it("takes GraphQL's text only for a plain file, and leaves a link, a submodule or a linked directory to REST", () => {
    expect(ownFileAnswer({ cfg: text("windowDays: 7\n"), dir: dir(33188, "blob") }, false, PATH)).toEqual({ kind: "text", text: "windowDays: 7\n", byteSize: 14 });
    expect(ownFileAnswer({ cfg: text("windowDays: 7\n"), dir: dir(33261, "blob") }, false, PATH)).toMatchObject({ kind: "text" });
    expect(ownFileAnswer({ cfg: text(LINK_TARGET), dir: dir(0o120000, "blob") }, false, PATH)).toEqual({ kind: "ask" });
    expect(ownFileAnswer({ cfg: null, dir: dir(0o160000, "commit") }, false, PATH)).toEqual({ kind: "ask" });
    // `.github` itself a link: git names a blob there, not a tree.
    expect(ownFileAnswer({ cfg: null, dir: text("shared/.github") }, false, PATH)).toEqual({ kind: "ask" });
    // An answer without the directory's entries (an older query's shape) says nothing about links.
    expect(ownFileAnswer({ cfg: text("windowDays: 7\n") }, false, PATH)).toEqual({ kind: "ask" });
    // No `.github` directory, or none of that name in it: absent, as REST says.
    expect(ownFileAnswer({ cfg: null, dir: null }, false, PATH)).toEqual({ kind: "absent" });
    expect(ownFileAnswer({ cfg: null, dir: { __typename: "Tree", entries: [] } }, false, PATH)).toEqual({ kind: "absent" });
    // Deeper, a missing directory might sit under a link that REST would follow.
    expect(ownFileAnswer({ cfg: null, dir: null }, false, "config/policy/claimcheck.yml")).toEqual({ kind: "ask" });
  });

  it("asks with a query GitHub's schema accepts", () => {
    expect(schemaErrors(ownConfigFilesQuery(2, PATH))).toEqual([]);
  });
});
