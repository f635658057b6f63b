import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
type Definition = { name: string; examples: Record<string, unknown>[] };
const definitions = require("@octokit/webhooks-examples") as Definition[];

/**
 * A real webhook payload from @octokit/webhooks-examples (deep-cloned, so a test may adapt it).
 * `pick` chooses among the examples of that event and action.
 */
export function webhookExample(event: string, action: string | null, pick: (payload: Record<string, any>) => boolean = () => true): Record<string, any> {
  const definition = definitions.find((d) => d.name === event);
  if (!definition) throw new Error(`no webhook examples for ${event}`);
  const found = definition.examples.find((e) => (action === null || e.action === action) && pick(e as Record<string, any>));
  if (!found) throw new Error(`no ${event}.${action} example matches`);
  return structuredClone(found) as Record<string, any>;
}

export function allWebhookExamples(event: string): Record<string, any>[] {
  return (definitions.find((d) => d.name === event)?.examples ?? []).map((e) => structuredClone(e) as Record<string, any>);
}
