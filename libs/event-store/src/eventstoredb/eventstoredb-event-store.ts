import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position,
  type ReadPosition,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, StreamNotFoundError, SubscriptionDroppedError, WrongExpectedVersionError } from '../errors';
import type {
  AllFilter,
  AllSubscription,
  AppendOptions,
  AppendResult,
  EventData,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
} from '../port';
import {
  compareClientPositions,
  fromClientCurrentRevision,
  fromClientRecordedEvent,
  fromClientResolvedEvent,
  isTransientError,
  mapClientError,
  matchesFilter,
  planFilter,
  positionFromAppendResult,
  positionToClient,
  toClientEventData,
  toClientExpectedRevision,
} from './mapping';
import { validateAppend } from '../validation';

export interface SubscriptionRetryOptions {
  /** Resubscriptions tried after a failure before the subscription is dropped. Default 10. */
  maxAttempts?: number;
  /** Wait before the first resubscription (ms); doubles each attempt. Default 250. */
  initialDelayMs?: number;
  /** Longest wait between two resubscriptions (ms). Default 10 000 (10 attempts ≈ 56 s in all). */
  maxDelayMs?: number;
}

export interface EventStoreDbEventStoreOptions {
  /** Events fetched per request when reading `$all`. Default 500. */
  readPageSize?: number;
  subscriptionRetry?: SubscriptionRetryOptions;
  /**
   * How long an append, a stream read or a page of `$all` may take before it fails with
   * EventStoreUnavailableError (ms). The client waits for ever on a server that takes a
   * connection and never answers. Default 30 000.
   */
  callTimeoutMs?: number;
}

const DEFAULT_RETRY: Required<SubscriptionRetryOptions> = { maxAttempts: 10, initialDelayMs: 250, maxDelayMs: 10_000 };

/**
 * The port on EventStoreDB (≥ 22.6; developed against 24.10) through the gRPC client.
 *
 * Differences from the SQLite engine that the server imposes:
 * - Event ids are unique per stream only (the server's idempotency check), so an id reused in
 *   another stream is accepted rather than refused with DuplicateEventIdError.
 * - Filtered `readAll` filters client-side: the client's `readAll` (6.2.1) takes no filter.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly engine = 'eventstoredb' as const;

  private readonly client: EventStoreDBClient;
  private readonly pageSize: number;
  private readonly retry: Required<SubscriptionRetryOptions>;
  private readonly subscriptions = new Set<EventStoreDbAllSubscription>();
  /** Appends sent and not yet answered: close() lets them finish before it disposes the client. */
  private readonly appending = new Set<Promise<unknown>>();
  private closed = false;
  private readonly callTimeoutMs: number;

  /**
   * @param connection an `esdb://` connection string, or a client; the store owns the client
   *   either way and disposes it on {@link close}.
   */
  constructor(connection: string | EventStoreDBClient, options: EventStoreDbEventStoreOptions = {}) {
    this.client = typeof connection === 'string' ? EventStoreDBClient.connectionString(connection) : connection;
    this.pageSize = Math.max(2, Math.floor(options.readPageSize ?? 500));
    this.retry = { ...DEFAULT_RETRY, ...options.subscriptionRetry };
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
  }

  /** `work`, or EventStoreUnavailableError when it takes longer than callTimeoutMs (then `abandon` is called). */
  private async inTime<T>(work: Promise<T>, what: string, abandon?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandon?.();
        reject(new EventStoreUnavailableError(`EventStoreDB did not answer ${what} within ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined); // settled later, after the timeout: nobody waits for it any more
    }
  }

  static fromConnectionString(connectionString: string, options?: EventStoreDbEventStoreOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(connectionString, options);
  }

  /** As the SQLite engine: once closed, every call is refused rather than reusing a disposed client. */
  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed');
  }

  async appendToStream(streamId: string, events: EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    this.assertOpen();
    const expected = options.expectedRevision ?? 'any';
    validateAppend(streamId, events, expected);
    let result;
    const sent = this.client.appendToStream(streamId, events.map(toClientEventData), {
      expectedRevision: toClientExpectedRevision(expected),
    });
    this.appending.add(sent);
    try {
      result = await this.inTime(sent, `an append to '${streamId}' (it may or may not have been committed)`);
    } catch (error) {
      throw mapClientError(error, { streamId, expected });
    } finally {
      this.appending.delete(sent);
    }
    if (!result.success) {
      // Only when the client was built with throwOnAppendFailure=false.
      throw new WrongExpectedVersionError(streamId, expected, fromClientCurrentRevision(result.nextExpectedRevision));
    }
    const position = positionFromAppendResult(result) ?? (await this.positionOf(streamId, result.nextExpectedRevision));
    return { nextExpectedRevision: result.nextExpectedRevision, position };
  }

  /**
   * The `$all` position of one event, for appends the server acknowledged without a position
   * (an idempotent retry of a write it already holds writes nothing and reports none).
   */
  private async positionOf(streamId: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStream(streamId, { direction: 'forwards', fromRevision: revision, maxCount: 1 });
    if (!event || event.revision !== revision) {
      throw new Error(`EventStoreDB reported revision ${revision} of '${streamId}' but it cannot be read back`);
    }
    return event.position;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const direction = options.direction ?? 'forwards';
    const fromRevision = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    const wanted = options.maxCount;
    if (wanted !== undefined && wanted < 0) throw new RangeError(`maxCount cannot be negative: ${wanted}`);
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromRevision: fromRevision === 'start' ? START : fromRevision === 'end' ? END : fromRevision,
        // maxCount 0 still asks for one event, so that a missing stream is reported as such.
        ...(wanted !== undefined ? { maxCount: Math.max(1, wanted) } : {}),
        resolveLinkTos: false,
      });
      const drain = async (): Promise<void> => {
        for await (const resolved of read) {
          const event = resolved.event;
          // Link events ('$>', written by projections) are not events of the port.
          if (!event || event.type === '$>') continue;
          events.push(fromClientRecordedEvent(event, resolved.commitPosition));
        }
      };
      await this.inTime(drain(), `a read of '${streamId}'`, () => read.cancel());
    } catch (error) {
      throw mapClientError(error, { streamId });
    }
    return wanted === 0 ? [] : events;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    const after = options.after ?? 'start';
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const filter = options.filter;
    if (limit <= 0) return;
    let from: ReadPosition = after === 'start' ? START : positionToClient(after);
    // Records at or before this position have been handled (or are excluded by `after`).
    let cursor: Position | undefined = after === 'start' ? undefined : positionToClient(after);
    let delivered = 0;
    for (;;) {
      const page = await this.readAllPage(from, FORWARDS, this.pageSize);
      for (const resolved of page) {
        const position = resolved.event?.position;
        if (!position) continue;
        if (cursor && compareClientPositions(position, cursor) <= 0) continue;
        cursor = position;
        const event = fromClientResolvedEvent(resolved);
        if (!event || !matchesFilter(event, filter)) continue;
        yield event;
        if (++delivered >= limit) return;
      }
      if (page.length < this.pageSize || !cursor) return;
      // The server starts a forwards read at the given record, inclusive: it is skipped above.
      from = cursor;
    }
  }

  async headPosition(): Promise<bigint | null> {
    this.assertOpen();
    const pageSize = Math.min(this.pageSize, 100);
    let from: ReadPosition = END;
    let cursor: Position | undefined;
    for (;;) {
      const page = await this.readAllPage(from, BACKWARDS, pageSize);
      let progressed = false;
      for (const resolved of page) {
        const position = resolved.event?.position;
        if (!position) continue;
        if (cursor && compareClientPositions(position, cursor) >= 0) continue;
        cursor = position;
        progressed = true;
        const event = fromClientResolvedEvent(resolved);
        if (event) return event.position;
      }
      if (page.length < pageSize || !cursor || !progressed) return null;
      from = cursor;
    }
  }

  private async readAllPage(from: ReadPosition, direction: typeof FORWARDS | typeof BACKWARDS, maxCount: number) {
    const page: AllStreamResolvedEvent[] = [];
    try {
      const read = this.client.readAll({ fromPosition: from, direction, maxCount, resolveLinkTos: false });
      const drain = async (): Promise<void> => {
        for await (const resolved of read) page.push(resolved);
      };
      await this.inTime(drain(), 'a read of $all', () => read.cancel());
    } catch (error) {
      throw mapClientError(error);
    }
    return page;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    this.assertOpen();
    const subscription = new EventStoreDbAllSubscription(
      this.client,
      options.after ?? 'start',
      options.filter,
      this.retry,
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Refuses new calls, stops the open subscriptions (their iterations end normally), lets the
   * appends in flight be answered (at most 5 s: disposing the client cancels them, and their
   * callers could not tell whether they were committed), then disposes the client.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.appending.size > 0) await withTimeout(Promise.allSettled([...this.appending]), 5_000);
    await this.client.dispose();
  }
}

const STOPPED = Symbol('stopped');
/** A subscription confirmed this long ago before it failed counts as having worked (the failures start over). */
const STABLE_SUBSCRIPTION_MS = 30_000;

/**
 * A catch-up subscription to `$all` that survives dropped connections. The client reconnects its
 * channel but does not restart a subscription that failed, so this resubscribes itself from the
 * last record it handled, with exponential backoff, and drops records at or before that position
 * so nothing is delivered twice. When the attempts run out, iteration throws
 * SubscriptionDroppedError. Events are pulled from the client's stream one at a time, so a slow
 * consumer holds the server back through gRPC flow control instead of filling memory.
 */
export class EventStoreDbAllSubscription implements AllSubscription {
  private stopped = false;
  private started = false;
  private signalStop!: () => void;
  private readonly stopSignal = new Promise<typeof STOPPED>((resolve) => {
    this.signalStop = () => resolve(STOPPED);
  });
  private current: AllStreamSubscription | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly after: bigint | 'start',
    private readonly filter: AllFilter | undefined,
    private readonly retry: Required<SubscriptionRetryOptions>,
    private readonly onEnd: () => void = () => undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.started) throw new Error('A subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.signalStop();
    const current = this.current;
    this.current = undefined;
    if (current) await closeClientSubscription(current);
    if (!this.started) this.onEnd();
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const plan = planFilter(this.filter);
    let cursor: Position | undefined = this.after === 'start' ? undefined : positionToClient(this.after);
    let failures = 0;
    try {
      while (!this.stopped) {
        const subscription = this.client.subscribeToAll({
          fromPosition: cursor ?? START,
          filter: plan.server,
          resolveLinkTos: false,
        });
        this.current = subscription;
        // A confirmation alone does not make the attempt a success: a server that confirms and then
        // fails each time would be retried for ever. One that held for a while, or delivered, does.
        let confirmedAt: number | undefined;
        subscription.on('confirmation', () => {
          confirmedAt = Date.now();
        });
        const iterator = subscription[Symbol.asyncIterator]();
        let failure: unknown;
        try {
          for (;;) {
            const pending = iterator.next();
            pending.catch(() => undefined); // settled by the race below, or abandoned on stop
            const result = await Promise.race([pending, this.stopSignal]);
            if (result === STOPPED) return;
            if (result.done) {
              failure = new Error('EventStoreDB ended the subscription');
              break;
            }
            failures = 0;
            const resolved = result.value;
            const position = resolved.event?.position;
            if (!position) continue;
            if (cursor && compareClientPositions(position, cursor) <= 0) continue; // seen before a resubscription
            cursor = position;
            let event: RecordedEvent | null;
            try {
              event = fromClientResolvedEvent(resolved);
            } catch (error) {
              // Not a connection problem, and resubscribing would meet the same record: give up.
              throw new SubscriptionDroppedError(`Subscription to $all cannot map an event: ${describe(error)}`, {
                cause: error,
              });
            }
            if (!event || !matchesFilter(event, plan.client)) continue;
            yield event;
            if (this.stopped) return;
          }
        } catch (error) {
          if (error instanceof SubscriptionDroppedError) throw error;
          if (this.stopped) return;
          failure = error;
        } finally {
          if (this.current === subscription) this.current = undefined;
          await closeClientSubscription(subscription);
        }
        if (!isTransientError(failure)) {
          throw new SubscriptionDroppedError(`Subscription to $all failed: ${describe(failure)}`, {
            cause: mapClientError(failure),
          });
        }
        if (confirmedAt !== undefined && Date.now() - confirmedAt >= STABLE_SUBSCRIPTION_MS) failures = 0;
        failures++;
        if (failures > this.retry.maxAttempts) {
          throw new SubscriptionDroppedError(
            `Subscription to $all dropped after ${this.retry.maxAttempts} resubscription attempts: ${describe(failure)}`,
            { cause: mapClientError(failure) },
          );
        }
        const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (failures - 1));
        if ((await this.sleep(delay)) === STOPPED) return;
      }
    } finally {
      this.stopped = true;
      this.signalStop();
      this.onEnd();
    }
  }

  private async sleep(ms: number): Promise<typeof STOPPED | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    try {
      return await Promise.race([elapsed, this.stopSignal]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Cancels the gRPC call and destroys the stream. `unsubscribe()` waits for the call to have been
 * created, which never happens against a server that accepts and does not answer: bounded.
 */
async function closeClientSubscription(subscription: AllStreamSubscription): Promise<void> {
  await withTimeout(
    subscription.unsubscribe().catch(() => undefined),
    1_000,
  );
  subscription.destroy();
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export type ProbeResult =
  | { ok: true; latencyMs: number }
  | { ok: false; latencyMs: number; error: EventStoreUnavailableError };

/**
 * Whether an EventStoreDB server answers, within `timeoutMs`. Never rejects. The probe reads one
 * event of a stream that need not exist: "stream not found" is an answer too. It is bounded by
 * its own timer because the client waits forever on a port that accepts and never answers,
 * deadline or not.
 */
export async function probeEventStoreDb(connectionString: string, timeoutMs = 2_000): Promise<ProbeResult> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(connectionString);
  } catch (error) {
    return {
      ok: false,
      latencyMs: elapsed(),
      error: new EventStoreUnavailableError(`Invalid EventStoreDB connection string: ${describe(error)}`, { cause: error }),
    };
  }
  const read = client.readStream('sroi-ledger-probe', { maxCount: 1, deadline: timeoutMs });
  const answered = (async () => {
    try {
      await read[Symbol.asyncIterator]().next();
      return undefined;
    } catch (error) {
      if (error instanceof StreamNotFoundError || mapClientError(error) instanceof StreamNotFoundError) return undefined;
      return error;
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof STOPPED>((resolve) => {
    timer = setTimeout(() => resolve(STOPPED), timeoutMs);
  });
  try {
    const outcome = await Promise.race([answered, timedOut]);
    if (outcome === STOPPED) {
      return {
        ok: false,
        latencyMs: elapsed(),
        error: new EventStoreUnavailableError(`EventStoreDB did not answer within ${timeoutMs} ms`),
      };
    }
    if (outcome === undefined) return { ok: true, latencyMs: elapsed() };
    const mapped = mapClientError(outcome);
    return {
      ok: false,
      latencyMs: elapsed(),
      error:
        mapped instanceof EventStoreUnavailableError
          ? mapped
          : new EventStoreUnavailableError(`EventStoreDB probe failed: ${describe(outcome)}`, { cause: outcome }),
    };
  } finally {
    clearTimeout(timer);
    read.destroy();
    void withTimeout(read.cancel().catch(() => undefined), 500);
    await withTimeout(client.dispose().catch(() => undefined), 1_000);
  }
}
