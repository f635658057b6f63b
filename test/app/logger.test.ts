import { Writable } from "node:stream";
import { pinoHttp } from "pino-http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/app/logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe("the process logger", () => {
  it("never writes a caller's token or a webhook signature from Probot's request log", async () => {
    const { lines, stream } = capture();
    const log = createLogger("info", stream);
    // Probot builds its HTTP logger as a pino-http child of the logger it is given.
    const httpLog = pinoHttp({ logger: log.child({ name: "http" }) });
    const server = createServer((req, res) => {
      httpLog(req, res);
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/reports/octo-org`, {
      headers: { authorization: "Bearer ghu_secretsecret", "x-hub-signature-256": "sha256=abc123", cookie: "session=s3cret" },
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const written = lines.join("");
    expect(written).toContain("/reports/octo-org");
    expect(written).toContain("[redacted]");
    for (const secret of ["ghu_secretsecret", "sha256=abc123", "s3cret"]) expect(written).not.toContain(secret);
  });

  it("never writes the sign-in's one-time code and state, or the session cookie it sets", async () => {
    const { lines, stream } = capture();
    const log = createLogger("info", stream);
    const httpLog = pinoHttp({ logger: log.child({ name: "http" }), customSuccessMessage: (req) => `${req.method} ${req.url}` });
    const server = createServer((req, res) => {
      httpLog(req, res);
      res.setHeader("set-cookie", "__Host-claimcheck-session=sealedsession; Path=/");
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/auth/github/callback?code=onetimecode123&state=statestatestate`);
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const written = lines.join("");
    expect(written).toContain("/auth/github/callback?code=[redacted]&state=[redacted]");
    for (const secret of ["onetimecode123", "statestatestate", "sealedsession"]) expect(written).not.toContain(secret);
  });
});
