import { z } from "zod";

/*
 * The fields of webhook payloads the app acts on, validated: a payload missing one is answered
 * with a clear log line and no action, never a crash deeper in the pipeline.
 */

const installation = z.looseObject({ id: z.number().int().positive() });
const repository = z.looseObject({
  id: z.number().int(),
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: z.looseObject({ login: z.string().min(1) }),
});
const sha = z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-hex commit SHA");

export const pullRequestPayload = z.looseObject({
  installation,
  repository,
  pull_request: z.looseObject({ head: z.looseObject({ sha }) }),
});

/** A push: which branch of which repository moved (the configuration reads are of the default branch). */
export const pushPayload = z.looseObject({
  installation,
  ref: z.string(),
  repository: repository.extend({ default_branch: z.string().min(1) }),
});

export const checkSuitePayload = z.looseObject({
  installation,
  repository,
  check_suite: z.looseObject({ head_sha: sha }),
});

export const checkRunPayload = z.looseObject({
  installation,
  repository,
  check_run: z.looseObject({ head_sha: sha }),
});

export const repositoryEventPayload = z.looseObject({
  installation,
  repository: repository.optional(),
  organization: z.looseObject({ login: z.string() }).optional(),
});

const listedRepo = z.looseObject({ id: z.number().int(), full_name: z.string().regex(/^[^/]+\/[^/]+$/) });

export const installationPayload = z.looseObject({
  installation: installation.extend({
    account: z.looseObject({ login: z.string().min(1), type: z.string().optional() }).nullable(),
    events: z.array(z.string()).optional(),
  }),
  repositories: z.array(listedRepo).optional(),
});

/** The installation and its account alone: handlers that do not use the repository list (10,000 entries on a large organisation) do not validate it. */
export const installationAccountPayload = installationPayload.omit({ repositories: true });

export const installationRepositoriesPayload = z.looseObject({
  installation: installation.extend({
    account: z.looseObject({ login: z.string().min(1), type: z.string().optional() }).nullable(),
  }),
  repositories_added: z.array(listedRepo),
  repositories_removed: z.array(listedRepo.partial({ full_name: true })),
});

export type ListedRepo = z.infer<typeof listedRepo>;

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; ");
}
