import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

let validate: ValidateFunction | undefined;

/** The JSON Schema of the report (docs/report-schema.json), compiled once. */
export function reportValidator(): ValidateFunction {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    ajv.addFormat("date-time", (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
    validate = ajv.compile(JSON.parse(readFileSync("docs/report-schema.json", "utf8")));
  }
  return validate;
}

export function schemaProblems(value: unknown): string[] {
  const check = reportValidator();
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
