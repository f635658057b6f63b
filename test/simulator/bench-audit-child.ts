import { auditFindings } from "../../src/audit/evidence.js";
import { AuditTrail } from "../../src/audit/trail.js";
import { Store } from "../../src/store/store.js";
import { startApp } from "./app-harness.js";

/*
 * One app of the audit benchmark, in a process of its own, on a store file the parent prepared
 * (empty, or with a long trail already summarised). The parent sends it pull requests through the
 * simulator; this process tells it, over the IPC channel, when each check run is stored and how
 * much CPU the process had used by then, so the parent can time each webhook → check run and
 * charge it the app's own CPU, not the machine's.
 */

type Command = { cmd: "reset" } | { cmd: "cpu" } | { cmd: "idle" } | { cmd: "stats" } | { cmd: "audit-cpu"; installationId: number; repository: string; rounds: number } | { cmd: "stop" };
export type ChildMessage =
  | { type: "ready"; webhookUrl: string; secret: string }
  | { type: "reset" }
  | { type: "cpu"; micros: number }
  | { type: "check-run"; headSha: string; micros: number }
  | { type: "idle" }
  | { type: "stats"; peakRss: number }
  | { type: "audit-cpu"; ms: number }
  | { type: "stopped" };

const [githubUrl, dbPath] = process.argv.slice(2);
if (!githubUrl || !dbPath || !process.send) {
  console.error("bench-audit-child: started without the simulator's URL, a store path or an IPC channel");
  process.exit(2);
}
const send = (message: ChildMessage) => process.send!(message);
const cpuMicros = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};

const store = await Store.open(dbPath);
const record = store.recordAssessment.bind(store);
store.recordAssessment = (r) => {
  const id = record(r);
  if (r.headSha && r.checkRunId !== undefined) send({ type: "check-run", headSha: r.headSha, micros: cpuMicros() });
  return id;
};
const app = await startApp({ githubUrl, store, spaceWrites: false });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

process.on("message", (message: Command) => {
  void (async () => {
    switch (message.cmd) {
      case "reset":
        // The peak RSS from here on: the pull requests, not the installation's first assessment of every repository.
        peakRss = process.memoryUsage().rss;
        send({ type: "reset" });
        return;
      case "cpu":
        send({ type: "cpu", micros: cpuMicros() });
        return;
      case "idle":
        await app.idle();
        send({ type: "idle" });
        return;
      case "stats":
        send({ type: "stats", peakRss: Math.max(peakRss, process.memoryUsage().rss) });
        return;
      case "audit-cpu": {
        // The trail's share of one assessment, as the pipeline reads it: its 2.2.x evidence and the check run's recent changes.
        const before = cpuMicros();
        for (let i = 0; i < message.rounds; i += 1) {
          const now = new Date();
          await auditFindings(store, message.installationId, { now, since: new Date(now.getTime() - 90 * 86_400_000), org: message.repository.split("/")[0]! });
          await new AuditTrail(store).latest(message.installationId, 10, message.repository);
        }
        send({ type: "audit-cpu", ms: (cpuMicros() - before) / 1000 / message.rounds });
        return;
      }
      case "stop":
        clearInterval(sampler);
        await app.stop();
        await store.close();
        send({ type: "stopped" });
        process.exit(0);
    }
  })();
});
// A parent that died (a failed run) leaves no app behind serving on its port.
process.on("disconnect", () => process.exit(1));
send({ type: "ready", webhookUrl: app.webhookUrl, secret: app.secret });
