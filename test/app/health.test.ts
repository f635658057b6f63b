import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { healthHandler } from "../../src/app/health.js";
import { Readiness } from "../../src/app/readiness.js";
import type { Store } from "../../src/store/store.js";
import { dialects } from "../helpers/dialects.js";

let server: Server | undefined;
afterEach(async () => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function serve(store: Store, readiness?: Readiness): Promise<string> {
  const handler = healthHandler(store, readiness);
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe.each(dialects("health route"))("health route on $name", ({ open }) => {
  it("answers 200 while the database answers, 503 once it does not", async () => {
    const store = await open();
    const base = await serve(store);
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok" });
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    await store.close();
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
  });

  it("answers /readyz with 503 while starting, 200 once the queue started, 503 once stopping, while /healthz stays 200", async () => {
    const store = await open();
    const readiness = new Readiness();
    const base = await serve(store, readiness);
    const starting = await fetch(`${base}/readyz`);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({ status: "starting" });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    readiness.started();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
    expect((await fetch(`${base}/readyz`, { method: "HEAD" })).status).toBe(200);
    readiness.stopping();
    const stopping = await fetch(`${base}/readyz`);
    expect(stopping.status).toBe(503);
    expect(await stopping.json()).toEqual({ status: "stopping" });
    // A stopping process does not become ready again, nor "failed".
    readiness.started();
    readiness.failed();
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: "stopping" });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await store.close();
  });

  it("answers /readyz with 503 when the queue failed to start or the database does not answer", async () => {
    const store = await open();
    const readiness = new Readiness();
    const base = await serve(store, readiness);
    readiness.failed();
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: "queue unavailable" });
    const other = new Readiness();
    other.started();
    const store2 = await open();
    await new Promise<void>((done) => server!.close(() => done()));
    const base2 = await serve(store2, other);
    await store2.close();
    const down = await fetch(`${base2}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "database unavailable" });
    await store.close();
  });
});
