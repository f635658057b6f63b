import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ReplicaConfig, ReplicaMessage, ReplicaStats } from "./replica-child.js";

/*
 * Replicas of the app, each a process of its own (replica-child.ts) on one PostgreSQL database, as
 * a load balancer sees them: webhook URLs to spread deliveries over, and processes that can be
 * asked for their figures, stopped, or killed without warning.
 */

export class Replica {
  private waiting = new Map<string, (m: ReplicaMessage) => void>();
  private exited: Promise<number | null>;
  webhookUrl = "";
  secret = "";
  killed = false;

  constructor(readonly index: number, readonly child: ChildProcess) {
    child.on("message", (m: ReplicaMessage) => {
      const resolve = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      resolve?.(m);
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  next<T extends ReplicaMessage["type"]>(type: T): Promise<Extract<ReplicaMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.set(type, resolve as (m: ReplicaMessage) => void);
      void this.exited.then((code) => reject(new Error(`replica ${this.index} exited (${code}) while waiting for "${type}"`)));
    });
  }

  async stats(): Promise<ReplicaStats> {
    const reply = this.next("stats");
    this.child.send({ cmd: "stats" });
    return reply;
  }

  async idle(): Promise<void> {
    const reply = this.next("idle");
    this.child.send({ cmd: "idle" });
    await reply;
  }

  /** As a crash or an OOM kill does: no hand-back, no goodbye. */
  async kill(): Promise<void> {
    this.killed = true;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const stopped = this.next("stopped").catch(() => undefined);
    this.child.send({ cmd: "stop" });
    // One that does not stop in time is killed: a test's cleanup must end.
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await stopped;
    await this.exited;
    clearTimeout(timer);
  }
}

/** `count` replicas with `config`, started one after another (each migrates, or finds migrated, the database), all ready. */
export async function startReplicas(count: number, config: ReplicaConfig): Promise<Replica[]> {
  const script = fileURLToPath(new URL("./replica-child.ts", import.meta.url));
  const replicas: Replica[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const replica = new Replica(index, fork(script, [JSON.stringify(config)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }));
      replicas.push(replica);
      const ready = await replica.next("ready");
      replica.webhookUrl = ready.webhookUrl;
      replica.secret = ready.secret;
    }
  } catch (error) {
    await Promise.all(replicas.map((r) => r.stop()));
    throw error;
  }
  return replicas;
}
