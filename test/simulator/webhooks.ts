import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Model, Repo } from "./model.js";
import { repositoryJson } from "./rest.js";

/*
 * Webhook deliveries as GitHub sends them: a JSON body signed with the app's webhook secret
 * (X-Hub-Signature-256), the event name and a delivery id, POSTed to the running app.
 */

export type Delivery = { id: string; name: string; payload: Record<string, unknown> };
export type DeliveryResult = { id: string; status: number; ms: number };

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function deliver(url: string, secret: string, delivery: Delivery): Promise<DeliveryResult> {
  const body = JSON.stringify(delivery.payload);
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/simulator",
      "x-github-event": delivery.name,
      "x-github-delivery": delivery.id,
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature-256": sign(secret, body),
    },
    body,
  });
  await response.arrayBuffer();
  return { id: delivery.id, status: response.status, ms: performance.now() - started };
}

/** Sends every delivery, at most `concurrency` in flight. */
export async function deliverAll(url: string, secret: string, deliveries: readonly Delivery[], concurrency = 32): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = new Array(deliveries.length);
  let next = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const i = next++;
      results[i] = await deliver(url, secret, deliveries[i]!).catch(() => ({ id: deliveries[i]!.id, status: 0, ms: 0 }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, worker));
  return results;
}

function base(model: Model) {
  return {
    installation: { id: model.scenario.installation.id, node_id: `MDIz_${model.scenario.installation.id}` },
    organization: { login: model.org.login, id: model.org.id },
    sender: { login: "octocat", id: 1, type: "User" },
  };
}

const MANIFEST = fileURLToPath(new URL("../../app.yml", import.meta.url));

/** The events and permissions app.yml asks for, which an installation that accepted them receives. */
export function manifestGrants(): { events: string[]; permissions: Record<string, string> } {
  const manifest = z.object({ default_events: z.array(z.string()), default_permissions: z.record(z.string(), z.string()) }).parse(parseYaml(readFileSync(MANIFEST, "utf8")));
  return { events: manifest.default_events, permissions: manifest.default_permissions };
}

export function installationCreated(model: Model): Delivery {
  // GitHub sends the events and permissions the installation was granted: the app's manifest.
  const { events, permissions } = manifestGrants();
  const installation = { id: model.scenario.installation.id, account: { login: model.org.login, id: model.org.id, type: "Organization" }, app_id: model.scenario.installation.appId, events, permissions };
  return {
    id: randomUUID(),
    name: "installation",
    payload: { ...base(model), action: "created", installation, repositories: model.repoList.map((r) => ({ id: r.id, node_id: `R_${r.id}`, name: r.spec.name, full_name: r.fullName, private: r.spec.visibility !== "public" })) },
  };
}

/** A pull request opened against the default branch, with a head commit GitHub has never seen before. */
export function pullRequestOpened(model: Model, repo: Repo, headSha: string, number = repo.pullRequests.length + 1): Delivery {
  const repository = repositoryJson(model, repo);
  return {
    id: randomUUID(),
    name: "pull_request",
    payload: {
      ...base(model),
      action: "opened",
      number,
      repository,
      pull_request: {
        number,
        state: "open",
        title: `Change ${number}`,
        user: { login: "alice", id: 2, type: "User" },
        head: { sha: headSha, ref: `change-${number}`, repo: repository },
        base: { sha: repo.history[0]!.oid, ref: repo.spec.defaultBranch, repo: repository },
        html_url: `https://github.com/${repo.fullName}/pull/${number}`,
      },
    },
  };
}

/** A repository settings change: the app records it in the audit trail without asking GitHub anything. */
export function repositoryEdited(model: Model, repo: Repo): Delivery {
  return { id: randomUUID(), name: "repository", payload: { ...base(model), action: "edited", repository: repositoryJson(model, repo), changes: { description: { from: "old" } } } };
}
