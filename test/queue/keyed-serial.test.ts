import { describe, expect, it } from "vitest";
import { KeyedSerial } from "../../src/queue/keyed-serial.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("KeyedSerial", () => {
  it("runs tasks of one key in order and of different keys together, surviving failures", async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a1 = serial.run("a", task("a1", 20, true));
    const a2 = serial.run("a", task("a2", 1));
    const b1 = serial.run("b", task("b1", 1));
    await expect(a1).rejects.toThrow("a1");
    expect(await a2).toBe("a2");
    expect(await b1).toBe("b1");
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    await tick(1);
    expect(serial.pending).toBe(0);
  });
});
