import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface IdleQueueOptions {
  /**
   * The share of the event loop's time that other work may take for the queue to go on (measured
   * since its last turn, its own work left out). Default 0.25.
   */
  maxLoad?: number;
  /** How long one turn works before it yields the event loop, in ms. Default 4. */
  sliceMs?: number;
  /** How long the queue waits before it looks again when the event loop was busy, in ms. Default 50. */
  backoffMs?: number;
  /** The most keys waiting; a key beyond it is dropped (the work it stands for is done on demand). Default 100,000. */
  capacity?: number;
  /** Told of a key whose work failed (the queue goes on with the next). */
  onError?: (key: unknown, error: unknown) => void;
}

/**
 * Work that may wait: keys queued (each once) and worked off only while the event loop is
 * otherwise nearly idle, a few milliseconds at a time, so that it never competes with requests.
 * Under load the keys just wait, and what they stand for is done on demand as before.
 *
 * The load is the event loop's utilisation (`performance.eventLoopUtilization`) since the queue's
 * last turn, less the time the queue itself worked in that turn.
 */
export class IdleQueue<K> {
  private readonly pending = new Set<K>();
  private readonly maxLoad: number;
  private readonly sliceMs: number;
  private readonly backoffMs: number;
  private readonly capacity: number;
  private timer: NodeJS.Timeout | undefined;
  private turning: Promise<void> | undefined;
  private mark: EventLoopUtilization = performance.eventLoopUtilization();
  private ownMs = 0;
  /** whether the last turn found the loop idle enough to work (then the next one follows at once) */
  private lastTurnWorked = false;
  private stopped = false;
  /** Keys worked off, and keys dropped because the queue was full (for tests and diagnostics). */
  done = 0;
  dropped = 0;

  constructor(
    private readonly work: (key: K) => unknown,
    private readonly options: IdleQueueOptions = {},
  ) {
    this.maxLoad = options.maxLoad ?? 0.25;
    this.sliceMs = options.sliceMs ?? 4;
    this.backoffMs = options.backoffMs ?? 50;
    this.capacity = options.capacity ?? 100_000;
  }

  /** Queues a key (once: a key already waiting keeps its place). */
  add(key: K): void {
    if (this.stopped) return;
    if (!this.pending.has(key)) {
      if (this.pending.size >= this.capacity) {
        this.dropped++;
        return;
      }
      this.pending.add(key);
    }
    this.schedule(this.backoffMs);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once nothing waits and no turn runs (for tests; under load that may be long). */
  async drained(): Promise<void> {
    while (!this.stopped && (this.pending.size > 0 || this.turning)) {
      await (this.turning ?? new Promise((resolve) => setTimeout(resolve, this.backoffMs)));
    }
  }

  /** Drops what waits and waits for a turn under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.turning;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.turning || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.turning = this.turn().finally(() => {
        this.turning = undefined;
        if (this.pending.size > 0) this.schedule(this.lastTurnWorked ? 1 : this.backoffMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async turn(): Promise<void> {
    const since = performance.eventLoopUtilization(this.mark);
    this.mark = performance.eventLoopUtilization();
    const others = Math.max(0, since.active - this.ownMs);
    const load = others / Math.max(1, since.idle + others);
    this.ownMs = 0;
    this.lastTurnWorked = load <= this.maxLoad;
    if (!this.lastTurnWorked) return;
    const started = performance.now();
    try {
      for (const key of this.pending) {
        if (this.stopped) return;
        this.pending.delete(key);
        try {
          await this.work(key);
          this.done++;
        } catch (error) {
          this.options.onError?.(key, error);
        }
        if (performance.now() - started >= this.sliceMs) break;
      }
    } finally {
      this.ownMs = performance.now() - started;
    }
  }
}
