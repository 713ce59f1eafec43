/**
 * The event store port: one interface with EventStoreDB's semantics, implemented by the embedded
 * SQLite engine and by the EventStoreDB adapter, so code written against it runs on either.
 *
 * Revisions and positions are bigints, as in EventStoreDB (64-bit). They do not survive
 * `JSON.stringify`: serialise them with `String(...)`.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** What an append expects of the stream before it writes. */
export type ExpectedRevision =
  /** Write whatever the stream holds. */
  | 'any'
  /** The stream must not exist yet. */
  | 'no_stream'
  /** The stream must exist (hold at least one event). */
  | 'stream_exists'
  /** The stream's last event must have exactly this revision (0-based). */
  | bigint;

/** An event to be appended. */
export interface EventData {
  /** UUID; a time-ordered UUIDv7 is generated when absent. Retrying with the same ids is idempotent. */
  id?: string;
  type: string;
  data: JsonValue;
  metadata?: JsonObject;
}

/** An event as the store recorded it. */
export interface RecordedEvent {
  streamId: string;
  /** 0-based position of the event in its stream. */
  revision: bigint;
  /** Position in the global log ($all); strictly increasing in commit order across the store. */
  position: bigint;
  id: string;
  type: string;
  data: JsonValue;
  metadata: JsonObject;
  /** The instant the store recorded the event, ISO-8601 UTC with milliseconds. */
  recordedAt: string;
  /**
   * `data` as JSON text, when the engine holds it as text (SQLite): a consumer that only stores or
   * forwards the data takes it instead of parsing and serialising it again.
   */
  readonly dataJson?: string;
}

export interface AppendOptions {
  /** Defaults to 'any'. */
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: the expectation for the next append. */
  nextExpectedRevision: bigint;
  /** Global position of the last event of this append. */
  position: bigint;
}

export type ReadDirection = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Defaults to 'forwards'. */
  direction?: ReadDirection;
  /** Inclusive start; defaults to 'start' forwards and 'end' backwards. */
  fromRevision?: bigint | 'start' | 'end';
  /** Maximum number of events returned; unlimited when absent. */
  maxCount?: number;
}

export interface AllFilter {
  /** Keep events whose stream id starts with one of these prefixes. */
  streamPrefixes?: string[];
  /** Keep events of one of these types. */
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /**
   * Exclusive start: events with a position strictly greater than this are returned.
   * 'start' (the default) reads from the beginning. This is the shape of a checkpoint: the
   * position of the last event a reader handled.
   */
  after?: bigint | 'start';
  maxCount?: number;
  filter?: AllFilter;
}

export interface SubscribeToAllOptions {
  /** Exclusive start, as in {@link ReadAllOptions.after}: pass the saved checkpoint. */
  after?: bigint | 'start';
  filter?: AllFilter;
}

/**
 * A catch-up subscription: iterate it to receive history and then live events, in global order,
 * with no gap and no duplicate at the hand-over. Iteration throws when the subscription fails;
 * it never ends silently. `stop()` ends iteration normally.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  stop(): Promise<void>;
}

export interface EventStore {
  /** Which engine this is, for reports and health checks. */
  readonly engine: 'sqlite' | 'eventstoredb';

  appendToStream(streamId: string, events: EventData[], options?: AppendOptions): Promise<AppendResult>;

  /** Reads one stream. Throws {@link StreamNotFoundError} when the stream holds no event. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads the global log forwards. Events are fetched page by page as the caller iterates. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /** Position of the last event in the global log, or null when the store is empty. */
  headPosition(): Promise<bigint | null>;

  /**
   * A catch-up subscription to the global log. The events it delivers may be the same objects
   * another subscription of this store receives (the SQLite engine reads and parses a page once
   * for all of them): treat them as read-only.
   */
  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;

  close(): Promise<void>;
}
