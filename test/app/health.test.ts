import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { healthHandler } from "../../src/app/health.js";
import { Store } from "../../src/store/store.js";

let server: Server | undefined;
afterEach(async () => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function serve(store: Store): Promise<string> {
  const handler = healthHandler(store);
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe("health route", () => {
  it("answers 200 while the database answers, 503 once it does not", async () => {
    const store = await Store.open(":memory:");
    const base = await serve(store);
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok" });
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    await store.close();
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
  });
});
