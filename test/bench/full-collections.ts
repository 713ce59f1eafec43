/**
 * The benchmarked service's full collections of its heap, read from V8's `--trace-gc` lines on its
 * stdout, so that a row can say whether one fell in it. A full collection on this machine holds the
 * event loop ~250 ms (a short final pause, and most of it in marking steps on the event loop while
 * the requests go on), so a 10 s row sent at an even rate that holds one has a p99 of ~300 ms (a
 * row of 50 connections hardly shows it: only the requests they had in flight wait). Node's own
 * `gc` performance entries give only the final pause, not the marking steps.
 */

/** One full collection (Mark-Compact) of the service's main heap. */
export interface FullCollection {
  /** the final pause, ms */
  pauseMs: number;
  /** the incremental marking steps on the event loop before it, ms (0 when marked in the pause) */
  markingMs: number;
  /** the heap's use before and after, MB */
  beforeMb: number;
  afterMb: number;
}

// `[pid:0xisolate]  54513 ms: Mark-Compact 1129.6 (1260.1) -> 447.8 (1014.0) MB, 29.04 / 0.02 ms
//  (+ 232.2 ms in 132 steps since start of marking, ...) (average mu = ...) <reason>`
const TRACE = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: /;
const MARK_COMPACT = /Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms(?:\s+\(\+ ([\d.]+) ms in \d+ steps)?/;

export class FullCollections {
  private readonly seen: FullCollection[] = [];
  private mainIsolate: string | undefined;

  /**
   * Takes one line of the service's stdout; true when it was a line of V8's trace. Only the main
   * thread's full collections count: its isolate traces first (its first young-generation
   * collection comes early in start-up, before any worker thread exists), and the service's worker
   * threads (the append thread, the checkpointer) trace their own small heaps under other addresses.
   */
  line(text: string): boolean {
    const trace = TRACE.exec(text);
    if (!trace) return false;
    this.mainIsolate ??= trace[1];
    const m = trace[1] === this.mainIsolate ? MARK_COMPACT.exec(text) : null;
    if (m) this.seen.push({ beforeMb: Number(m[1]), afterMb: Number(m[2]), pauseMs: Number(m[3]), markingMs: m[4] === undefined ? 0 : Number(m[4]) });
    return true;
  }

  /** A mark to read the collections after it with `since`. */
  mark(): number {
    return this.seen.length;
  }

  since(mark: number): FullCollection[] {
    return this.seen.slice(mark);
  }
}

/** `none`, or each collection as `1,130 -> 448 MB: 29 ms pause + 232 ms of marking steps`. */
export function describeFullCollections(collections: readonly FullCollection[]): string {
  if (collections.length === 0) return 'none';
  return collections
    .map((c) => `${Math.round(c.beforeMb).toLocaleString('en')} -> ${Math.round(c.afterMb).toLocaleString('en')} MB: ${Math.round(c.pauseMs).toLocaleString('en')} ms pause + ${Math.round(c.markingMs).toLocaleString('en')} ms of marking steps`)
    .join('; ');
}
