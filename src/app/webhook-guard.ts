import type { Probot } from "probot";

/*
 * GitHub sends every webhook as a JSON object. A signed body that is valid JSON but not an
 * object (`null`, `[]`, `42`) would otherwise reach @octokit/webhooks' dispatcher, which reads
 * `payload.action` and fails with a 500 and a stack trace in the log. Probot's webhook
 * middleware runs before any handler the app can add, so the check wraps the Webhooks
 * instance's `verifyAndReceive` — the one call the middleware makes per delivery — and answers
 * 400 instead. The signature is checked first: an unsigned request learns nothing new.
 */

type VerifyAndReceive = (event: { id: string; name: string; payload: string; signature: string }) => Promise<void>;
type GuardedWebhooks = { verify: (payload: string, signature: string) => Promise<boolean>; verifyAndReceive: VerifyAndReceive };

const GUARDED = Symbol("claimcheck.webhook-guard");

/** A 400 for the middleware: `status` sets the answer; the stack is the message, so the log carries no trace. */
function badRequest(message: string): AggregateError {
  const error = Object.assign(new Error(message), { status: 400 });
  error.stack = `Error: ${message}`;
  const aggregate = new AggregateError([error], message);
  aggregate.stack = `AggregateError: ${message}`;
  return aggregate;
}

/** Why a signed body cannot be a webhook, or null when it is a JSON object (or not JSON: the library answers that). */
export function payloadProblem(body: string): string | null {
  // Valid JSON whose first character (after JSON's whitespace) is "{" is an object, and invalid JSON
  // is the library's to answer: either way there is nothing to say, and the body (1–2 MB for an
  // installation on 10,000 repositories) need not be parsed here as well as by the library.
  if (/^[ \t\n\r]*\{/.test(body)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return `a webhook body must be a JSON object, not ${parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`}`;
  return null;
}

export function guardWebhookBodies(webhooks: GuardedWebhooks): void {
  const target = webhooks as GuardedWebhooks & { [GUARDED]?: true };
  if (target[GUARDED]) return;
  target[GUARDED] = true;
  const original = webhooks.verifyAndReceive.bind(webhooks);
  webhooks.verifyAndReceive = async (event) => {
    if (typeof event.payload === "string" && typeof event.signature === "string") {
      const signed = await webhooks.verify(event.payload, event.signature).catch(() => false);
      const problem = signed ? payloadProblem(event.payload) : null;
      if (problem) throw badRequest(problem);
    }
    return original(event);
  };
}

/** Installs the guard once Probot has created its Webhooks instance (it does so lazily, before serving). */
export function guardProbotWebhooks(probot: Probot): void {
  void probot.ready().then(() => {
    if (probot.webhooks) guardWebhookBodies(probot.webhooks as unknown as GuardedWebhooks);
  });
}
