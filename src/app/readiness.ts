/**
 * Whether this process should be sent traffic: not before its job queue has started (on PostgreSQL
 * that is after its schema is in place), not after it failed to, and not once shutdown has begun.
 * Liveness (`/healthz`) is a different question — a process that is starting is alive.
 */
export type ReadinessState = { ready: true } | { ready: false; status: "starting" | "queue unavailable" | "stopping" };

export class Readiness {
  private state: ReadinessState = { ready: false, status: "starting" };

  get current(): ReadinessState {
    return this.state;
  }

  /** The queue started; a process already stopping or failed stays as it is. */
  started(): void {
    if (!this.state.ready && this.state.status === "starting") this.state = { ready: true };
  }

  failed(): void {
    if (this.state.ready || this.state.status !== "stopping") this.state = { ready: false, status: "queue unavailable" };
  }

  stopping(): void {
    this.state = { ready: false, status: "stopping" };
  }
}
