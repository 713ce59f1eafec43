import type { ProjectionRunner, RunnerError, RunnerState } from './projection-runner';

export interface ProjectionHealthReport {
  state: RunnerState;
  /** Caught up with the store's head at start and not failed: reads are current. */
  caughtUp: boolean;
  /** Subscribed and caught up: what `/ready` should require. */
  ready: boolean;
  /** Position of the last event of $all reflected in the read models, decimal, or null. */
  lastAppliedPosition: string | null;
  /** Events handled since the process started. */
  appliedEvents: number;
  /** The error that stopped the projections ('failed'), or the last subscription drop. */
  lastError: RunnerError | null;
}

/** What `/health` and `/ready` ask of the projections. */
export class ProjectionHealth {
  constructor(private readonly runner: ProjectionRunner) {}

  isCaughtUp(): boolean {
    return this.runner.isCaughtUp();
  }

  /** False while catching up, resubscribing, failed or stopped. */
  isReady(): boolean {
    return this.runner.state === 'live' && this.runner.isCaughtUp();
  }

  /** True unless the projections stopped on an error (a liveness signal). */
  isHealthy(): boolean {
    return this.runner.state !== 'failed';
  }

  report(): ProjectionHealthReport {
    const position = this.runner.lastAppliedPosition();
    return {
      state: this.runner.state,
      caughtUp: this.runner.isCaughtUp(),
      ready: this.isReady(),
      lastAppliedPosition: position === null ? null : String(position),
      appliedEvents: this.runner.appliedEvents,
      lastError: this.runner.lastError,
    };
  }
}
