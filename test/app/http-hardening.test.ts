import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sign } from "../simulator/webhooks.js";
import { startApp, type RunningApp } from "../simulator/app-harness.js";
import { requestPath } from "../../src/app/http-path.js";

/* Hostile requests get a clear 4xx answer, never a 500 or a stack trace in the log. */

function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function post(body: string, event = "pull_request"): Promise<Response> {
  return fetch(app!.webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": `hostile-${Math.random()}`, "x-hub-signature-256": sign(app!.secret, body) },
    body,
  });
}

describe("HTTP hardening", () => {
  it("answers a malformed percent-encoding in /reports/{org} with 400 and logs no stack", async () => {
    const { log, lines } = capturedLog();
    app = await startApp({ githubUrl: "http://127.0.0.1:9", log });
    const response = await fetch(`${app.url}/reports/%E0%A4%A`, { headers: { authorization: "Bearer t" } });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("percent-encoding");
    expect(lines.join("")).not.toMatch(/URIError|(\n|\\n)\s+at /);
  });

  for (const body of ["null", "[]", "42", '"text"', "true"]) {
    it(`answers a signed webhook whose body is ${body} with 400`, async () => {
      const { log, lines } = capturedLog();
      app = await startApp({ githubUrl: "http://127.0.0.1:9", log });
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(lines.join("")).not.toMatch(/(\n|\\n)\s+at /);
      expect(lines.join("")).toContain("must be a JSON object");
    });
  }

  it("still accepts a valid signed webhook next to the hostile ones", async () => {
    app = await startApp({ githubUrl: "http://127.0.0.1:9" });
    const response = await post(JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 }), "ping");
    expect(response.status).toBe(200);
  });

  it("matches paths after the normalisation a proxy applies", async () => {
    app = await startApp({ githubUrl: "http://127.0.0.1:9" });
    expect(requestPath({ url: "/healthz/../reports/octo-org?x=1" })).toBe("/reports/octo-org");
    expect(requestPath({ url: "/api/%2e%2e/reports/octo-org" })).toBe("/reports/octo-org");
    expect(requestPath({ url: "//reports/octo-org" })).toBe("//reports/octo-org");
    expect(requestPath({ url: "*" })).toBeNull();
    // Through the app: ".." resolved before matching, so these reach the report route (401: no token).
    const viaDots = await fetch(`${app.url}/reports/octo-org`.replace("/reports/", "/healthz/%2e%2e/reports/"));
    expect(viaDots.status).toBe(401);
    expect((await fetch(`${app.url}/healthz/`)).status).toBe(404);
    expect((await fetch(`${app.url}/nothing/../healthz`)).status).toBe(200);
  });

  it("says the app is ready once its job queue has started", async () => {
    app = await startApp({ githubUrl: "http://127.0.0.1:9" });
    const running = app;
    await vi.waitFor(async () => expect((await fetch(`${running.url}/readyz`)).status).toBe(200));
    expect(await (await fetch(`${running.url}/readyz`)).json()).toEqual({ status: "ready" });
  });
});
