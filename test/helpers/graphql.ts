import { schema as published } from "@octokit/graphql-schema";
import { buildClientSchema, parse, validate, type GraphQLSchema, type IntrospectionQuery } from "graphql";
import nock from "nock";
import { API } from "./github-api.js";

let schema: GraphQLSchema | undefined;

/** GitHub's published GraphQL schema (@octokit/graphql-schema). */
export function githubSchema(): GraphQLSchema {
  if (!schema) {
    const json = published.json as unknown as { data?: IntrospectionQuery } & IntrospectionQuery;
    schema = buildClientSchema(json.data ?? json);
  }
  return schema;
}

/** The validation errors of a document against GitHub's schema (empty when valid). */
export function schemaErrors(document: string): string[] {
  return validate(githubSchema(), parse(document)).map((e) => e.message);
}

export type GraphqlRequest = { query: string; variables: Record<string, unknown> };

/**
 * Answers the next GraphQL request with `answer(request)` and records it. The answer is the
 * whole response body: `{ data }`, or `{ data, errors }` for a partial answer.
 */
export function mockGraphql(answer: (request: GraphqlRequest) => unknown, times = 1): GraphqlRequest[] {
  const seen: GraphqlRequest[] = [];
  nock(API)
    .post("/graphql", (body: GraphqlRequest) => {
      seen.push(body);
      return true;
    })
    .times(times)
    .reply(200, (_uri, body) => answer(body as GraphqlRequest) as nock.Body);
  return seen;
}
