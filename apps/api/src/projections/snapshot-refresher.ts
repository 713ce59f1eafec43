import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SqliteContractReadModels } from './sqlite-contract-read-models';

export interface SnapshotRefresherOptions {
  /**
   * Contracts refreshed per transaction; the event loop is yielded to between chunks. Default 50:
   * measured at 10,000 contracts, a chunk of 200 held the event loop for up to ~380 ms.
   */
  chunkSize?: number;
  /** How often the date is looked at, in ms. Default 60,000. */
  checkIntervalMs?: number;
  /**
   * Whether refreshing is worth it now: while the projections catch up every change clears a
   * snapshot again, so the module waits for them. Looked at again every `retryMs` until true.
   */
  ready?: () => boolean;
  /** How soon a refresh that was not ready is tried again, in ms. Default 1,000. */
  retryMs?: number;
  logger?: { log(message: string): void; warn(message: string): void };
}

/**
 * Refreshes the figure snapshots in the background when the date changes (and at start), in small
 * chunks, so that the first portfolio query of a day does not compute the figures of every
 * contract. `today` is the service's clock (Europe/Amsterdam calendar date). The queries still
 * refresh whatever is stale when they run (a contract changed since, or a query before this ran).
 */
export class SnapshotRefresher {
  private readonly chunkSize: number;
  private readonly checkIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private refreshedFor: string | undefined;
  private stopped = true;

  constructor(
    private readonly readModels: SqliteContractReadModels,
    private readonly today: () => string,
    private readonly options: SnapshotRefresherOptions = {},
  ) {
    this.chunkSize = Math.max(1, options.chunkSize ?? 50);
    this.checkIntervalMs = options.checkIntervalMs ?? 60_000;
  }

  /** Refreshes now (in the background), then whenever the date changes. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a refresh under way to finish its chunk. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.timer = undefined;
    this.retry = undefined;
    await this.running;
  }

  /** Starts a refresh if the date changed since the last one and none is running; returns it. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    const today = this.today();
    if (today === this.refreshedFor) return Promise.resolve();
    if (this.options.ready && !this.options.ready()) {
      if (!this.stopped && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.tick();
        }, this.options.retryMs ?? 1_000);
        this.retry.unref();
      }
      return Promise.resolve();
    }
    this.running = this.refresh(today)
      .then(
        (refreshed) => {
          if (refreshed !== null) {
            this.refreshedFor = today;
            if (refreshed > 0) this.options.logger?.log(`Projections: refreshed the figures of ${refreshed} contracts for ${today}`);
          }
        },
        (error: unknown) => this.options.logger?.warn(`Projections: refreshing the figures for ${today} failed (${error instanceof Error ? error.message : String(error)}); retrying later`),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Refreshes every stale snapshot for `today`, chunk by chunk; null when stopped before the end. */
  private async refresh(today: string): Promise<number | null> {
    let total = 0;
    for (;;) {
      if (this.stopped) return null;
      const n = await this.readModels.refreshSnapshots(today, [], { today }, this.chunkSize);
      total += n;
      if (n < this.chunkSize) return total;
      await yieldToEventLoop();
    }
  }
}
