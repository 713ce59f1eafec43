import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';

/**
 * What the service does once after it starts (warming caches, catching up with the log), as
 * registered by the modules that do it: each part says when it is done.
 */
@Injectable()
export class StartupWork {
  private readonly parts = new Map<string, () => boolean>();

  /** `done` answers true once the part has ended (done, or stopped for good). */
  register(name: string, done: () => boolean): void {
    if (this.parts.has(name)) throw new Error(`start-up work '${name}' is registered already`);
    this.parts.set(name, done);
  }

  /** Names of the parts registered. */
  names(): string[] {
    return [...this.parts.keys()];
  }

  /** Names of the parts not done yet. */
  pending(): string[] {
    return [...this.parts].filter(([, done]) => !done()).map(([name]) => name);
  }
}

export const HEAP_COMPACTION_OPTIONS = Symbol('HEAP_COMPACTION_OPTIONS');

export interface HeapCompactionOptions {
  /** The full collection: `globalThis.gc` when node runs with `--expose-gc`, else none. */
  collect?: (() => void) | undefined;
  /** How often the start-up work is checked, in ms. Default 1,000. */
  pollMs?: number;
}

/**
 * One full garbage collection that evacuates every page, once the start-up work is done. Warming
 * the caches folds the whole log (a million events and more) and leaves a heap of mostly garbage
 * (benchmark store: 1.0 of 1.2 GB used, 0.41 GB of it live). V8 would collect it when the heap
 * reaches its limit, under load, in one long pause (1.2 s measured), and until then every
 * young-generation collection is slower; a plain full collection frees the garbage but leaves the
 * heap's pages about as many. This one, at a moment of our choosing: one pause of about 1.8 s,
 * heap 1.2 -> 0.54 GB, RSS when settled 1.36 -> 0.68 GB.
 *
 * Needs `--expose-gc` (npm start, the Dockerfile and the benchmark pass it); without it, nothing
 * is done. `--compact-on-every-full-gc` is set for that one collection only (V8 reads it at each
 * full collection).
 */
@Injectable()
export class HeapCompaction implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeapCompaction');
  private readonly collect: (() => void) | undefined;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private compacted = false;

  constructor(
    @Inject(StartupWork) private readonly work: StartupWork,
    @Optional() @Inject(HEAP_COMPACTION_OPTIONS) options: HeapCompactionOptions | null,
  ) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    this.collect = options && 'collect' in options ? options.collect : typeof exposed === 'function' ? (exposed as () => void) : undefined;
    this.pollMs = options?.pollMs ?? 1_000;
  }

  /** Whether the collection has run. */
  get done(): boolean {
    return this.compacted;
  }

  onApplicationBootstrap(): void {
    if (!this.collect) return;
    const check = (): void => {
      this.timer = undefined;
      if (this.work.pending().length > 0) {
        this.timer = setTimeout(check, this.pollMs);
        // Never keeps the process alive on its own.
        this.timer.unref();
        return;
      }
      this.compact();
    };
    check();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private compact(): void {
    const report = compactHeap(this.collect as () => void);
    this.compacted = true;
    this.logger.log(`start-up work done: ${report}`);
  }
}

/**
 * One full collection by `collect` (`globalThis.gc`) that evacuates every page; says what it
 * freed. `--compact-on-every-full-gc` is set for that one collection only (V8 reads it at each full
 * collection; the flag is the process's, so a full collection of another thread meanwhile compacts too).
 */
export function compactHeap(collect: () => void): string {
  const before = process.memoryUsage();
  const started = performance.now();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  const after = process.memoryUsage();
  const mb = (bytes: number): number => Math.round(bytes / 1_048_576);
  return (
    `compacted the heap in ${Math.round(performance.now() - started)} ms ` +
    `(used ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB of ${mb(before.heapTotal)} -> ${mb(after.heapTotal)} MB, RSS ${mb(before.rss)} -> ${mb(after.rss)} MB)`
  );
}
