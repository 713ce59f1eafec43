import type { EventEmitter } from 'node:events';
import { SubscriptionDroppedError } from '../errors';
import type { AllSubscription, RecordedEvent } from '../port';

export interface PollingSubscriptionOptions<Row> {
  /** Exclusive start position (0n for the beginning). */
  after: bigint;
  readPage: (after: bigint, limit: number) => Promise<Row[]>;
  pageSize: number;
  pollIntervalMs: number;
  /** Emits 'commit' after every append of this process, so live delivery does not wait for a poll. */
  commitSignal: EventEmitter;
  toRecordedEvent: (row: Row) => RecordedEvent;
  onEnd: (subscription: AllSubscription) => void;
}

/**
 * Catch-up subscription over the SQLite log. History and live events come from the same query
 * (`position > last delivered`), so the hand-over has no gap and no duplicate: a commit is either
 * visible to the next query or to a later one, and positions are assigned in commit order.
 */
export class PollingAllSubscription<Row> implements AllSubscription {
  private stopped = false;
  private started = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: PollingSubscriptionOptions<Row>) {}

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.started) throw new Error('A subscription can be iterated only once');
    this.started = true;
    return this.iterate();
  }

  private async *iterate(): AsyncGenerator<RecordedEvent> {
    const { readPage, pageSize, toRecordedEvent } = this.options;
    let after = this.options.after;
    try {
      while (!this.stopped) {
        let rows: Row[];
        try {
          rows = await readPage(after, pageSize);
        } catch (error) {
          if (this.stopped) return;
          throw new SubscriptionDroppedError(`Subscription to $all failed after position ${after}`, {
            cause: error,
          });
        }
        for (const row of rows) {
          if (this.stopped) return;
          const event = toRecordedEvent(row);
          yield event;
          after = event.position;
        }
        if (rows.length < pageSize) await this.waitForCommit();
      }
    } finally {
      this.stopped = true;
      this.options.onEnd(this);
    }
  }

  /** Resolves on the next local commit, after the poll interval, or on stop. */
  private waitForCommit(): Promise<void> {
    return new Promise<void>((resolve) => {
      const signal = this.options.commitSignal;
      const done = () => {
        clearTimeout(timer);
        signal.off('commit', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.options.pollIntervalMs);
      signal.on('commit', done);
      this.wake = done;
    });
  }
}
