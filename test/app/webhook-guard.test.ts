import { describe, expect, it } from "vitest";
import { payloadProblem } from "../../src/app/webhook-guard.js";

describe("payloadProblem", () => {
  it("has nothing to say of an object, with or without JSON's whitespace before it, nor of a body that is not JSON", () => {
    for (const body of ['{"action":"created"}', ' \t\r\n{"a":1}', "{not json", "", "not json"]) expect(payloadProblem(body)).toBeNull();
  });

  it("names what a signed JSON body is when it is not an object", () => {
    expect(payloadProblem("null")).toBe("a webhook body must be a JSON object, not null");
    expect(payloadProblem(" [1, 2]")).toBe("a webhook body must be a JSON object, not an array");
    expect(payloadProblem("42")).toBe("a webhook body must be a JSON object, not a number");
    expect(payloadProblem('"text"')).toBe("a webhook body must be a JSON object, not a string");
  });
});
