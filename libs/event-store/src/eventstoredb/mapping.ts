/**
 * Pure translations between the port (`../port`) and the EventStoreDB gRPC client
 * (`@eventstore/db-client` 6.2.1). Nothing here performs I/O, so all of it is unit-tested
 * without a server.
 *
 * Positions: EventStoreDB addresses a record of `$all` by `{ commit, prepare }`. Since v20 every
 * write is an implicit transaction whose prepare records carry the `IsCommitted` flag, and the
 * server reports such an event at `commit === prepare === its log position`; the two differ only
 * for events written inside an explicit transaction (a legacy TCP-client feature). The port's
 * position is therefore the commit position alone, and going back to the client we use
 * `{ commit: p, prepare: p }`.
 */
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  ErrorType,
  eventTypeFilter,
  excludeSystemEvents,
  isCommandError,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult as ClientAppendResult,
  type CommandError,
  type CurrentRevision,
  type Filter,
  type JSONEventData,
  type JSONType,
  type Position,
  type RecordedEvent as ClientRecordedEvent,
  type ResolvedEvent,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  InvalidAppendError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../errors';
import type { AllFilter, EventData, ExpectedRevision, JsonObject, JsonValue, RecordedEvent } from '../port';
import { uuidv7 } from '../uuid-v7';

/** gRPC status codes the mapping cares about (from @grpc/grpc-js `status`). */
export const GRPC_STATUS = {
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/**
 * EventStoreDB answers "unknown position" with the maximum unsigned 64-bit value
 * (e.g. positions of events read from a stream on servers before 22.6).
 */
export const UNKNOWN_POSITION = 0xffff_ffff_ffff_ffffn;

// ---------------------------------------------------------------------------------------------
// Revisions and positions

export function toClientExpectedRevision(expected: ExpectedRevision = 'any'): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

/** The client's idea of a stream's current revision → the port's `actual` ('no_stream' or ≥ 0). */
export function fromClientCurrentRevision(current: CurrentRevision | undefined): bigint | 'no_stream' {
  if (current === undefined || current === NO_STREAM || current < 0n) return 'no_stream';
  return current;
}

/** A port position (an exclusive `after`, a checkpoint) → the client's `{ commit, prepare }`. */
export function positionToClient(position: bigint): Position {
  return { commit: position, prepare: position };
}

/**
 * Whether a commit position is one the server actually reported. An unset protobuf field reads
 * as 0 (the client then reports `{ commit: 0n, prepare: 0n }`), and no event can sit at log
 * position 0, which holds the log's first epoch record; max uint64 means "unknown".
 */
function isKnownPosition(commit: bigint | undefined): commit is bigint {
  return commit !== undefined && commit > 0n && commit !== UNKNOWN_POSITION;
}

/**
 * The client's position of an event → the port's position (its commit position), or undefined
 * when the server did not report one.
 */
export function positionFromClient(position: Position | undefined, fallbackCommit?: bigint): bigint | undefined {
  if (isKnownPosition(position?.commit)) return position.commit;
  if (isKnownPosition(fallbackCommit)) return fallbackCommit;
  return undefined;
}

/** Orders two `$all` positions: by commit, then prepare. */
export function compareClientPositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** The `$all` position the server reported for a successful append, when it reported one. */
export function positionFromAppendResult(result: ClientAppendResult): bigint | undefined {
  return positionFromClient(result.position);
}

// ---------------------------------------------------------------------------------------------
// System events and filters

/** Events the port never shows: system streams ('$...', '$$...') and system types ('$>' links, '$metadata', ...). */
export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** Escapes text for a regular expression, in the subset shared by .NET (the server) and JavaScript. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}#]/g, '\\$&');
}

/**
 * A server-side regex matching exactly these event types. The server (.NET `Regex.IsMatch`) is
 * unanchored and filters by prefix or regex only, so exact names need an anchored alternation.
 */
export function typeFilterRegex(types: readonly string[]): string {
  if (types.length === 0) throw new Error('typeFilterRegex needs at least one type');
  return `^(?:${types.map(escapeRegex).join('|')})$`;
}

/** Whether an event passes the port's filter (both parts must hold when both are given). */
export function matchesFilter(event: { streamId: string; type: string }, filter: AllFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) {
    return false;
  }
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  return true;
}

export interface FilterPlan {
  /** What the server filters; always excludes at least the system event types when nothing else is asked. */
  server: Filter;
  /** What the server cannot do in the same request; applied to each event received. */
  client: AllFilter | undefined;
}

/**
 * Splits the port's filter into the one filter the server applies (a subscription carries a
 * single stream-name or event-type filter) and the remainder the adapter applies itself.
 * Stream prefixes go to the server when present (they usually select far fewer events);
 * exact event types then stay client-side. System events are dropped client-side in every case.
 */
export function planFilter(filter: AllFilter | undefined): FilterPlan {
  const prefixes = filter?.streamPrefixes;
  const types = filter?.eventTypes;
  // An empty list keeps nothing: no server filter expresses that, so the client side applies it.
  if ((prefixes && prefixes.length === 0) || (types && types.length === 0)) {
    return { server: excludeSystemEvents(), client: filter };
  }
  if (prefixes) {
    return {
      server: streamNameFilter({ prefixes: [...prefixes] }),
      client: types ? { eventTypes: types } : undefined,
    };
  }
  if (types) {
    return { server: eventTypeFilter({ regex: typeFilterRegex(types) }), client: undefined };
  }
  return { server: excludeSystemEvents(), client: undefined };
}

// ---------------------------------------------------------------------------------------------
// Events


/**
 * A port event → the client's JSON event. A missing id becomes a UUIDv7 (the client would
 * otherwise make a v4); metadata is always written, `{}` when absent, as the SQLite engine does.
 */
export function toClientEventData(event: EventData): JSONEventData {
  return jsonEvent({
    id: event.id ?? uuidv7(),
    type: event.type,
    // The client's JSONType excludes bare numbers, booleans and null, which JSON.stringify writes fine.
    data: event.data as JSONType,
    metadata: (event.metadata ?? {}) as JSONType,
  });
}

/** The client's `created` (a Date, converted by the client from .NET ticks) → ISO-8601 UTC with milliseconds. */
export function toRecordedAt(created: Date): string {
  return created.toISOString();
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function decodeJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(bytes).toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/**
 * The client's metadata → the port's JSON object. The client has already parsed JSON metadata and
 * leaves `undefined` for empty metadata and raw bytes for anything it could not parse. Empty,
 * unparseable and non-object metadata (none of which this adapter writes) become `{}`.
 */
export function toMetadata(metadata: unknown): JsonObject {
  if (metadata === undefined || metadata === null) return {};
  if (metadata instanceof Uint8Array) {
    if (metadata.length === 0) return {};
    const decoded = decodeJson(metadata);
    return decoded.ok && isPlainObject(decoded.value) ? decoded.value : {};
  }
  return isPlainObject(metadata) ? metadata : {};
}

/**
 * The client's data → JSON. JSON events arrive parsed (or as the raw string when the bytes were
 * malformed JSON); binary events (not written by this adapter) are decoded as JSON when they are
 * JSON, and otherwise handed over as a base64 string.
 */
export function toData(data: unknown): JsonValue {
  if (data instanceof Uint8Array) {
    if (data.length === 0) return null;
    const decoded = decodeJson(data);
    return decoded.ok ? (decoded.value as JsonValue) : Buffer.from(data).toString('base64');
  }
  return data === undefined ? null : (data as JsonValue);
}

/** Raised when the server does not report an event's `$all` position (servers before 22.6 on stream reads). */
export class MissingPositionError extends Error {
  constructor(streamId: string, revision: bigint) {
    super(
      `EventStoreDB did not report the $all position of event ${revision} of '${streamId}'; ` +
        'the adapter needs EventStoreDB 22.6 or later',
    );
    this.name = 'MissingPositionError';
  }
}

/** One recorded event of the client → the port's RecordedEvent. */
export function fromClientRecordedEvent(event: ClientRecordedEvent, fallbackCommit?: bigint): RecordedEvent {
  const position = positionFromClient(event.position, fallbackCommit);
  if (position === undefined) throw new MissingPositionError(event.streamId, event.revision);
  return {
    streamId: event.streamId,
    revision: event.revision,
    position,
    id: event.id,
    type: event.type,
    data: toData(event.data),
    metadata: toMetadata(event.metadata),
    recordedAt: toRecordedAt(event.created),
  };
}

/**
 * A resolved event from a read or subscription → a RecordedEvent, or null for what the port does
 * not show: link events (type '$>'; links are never resolved by this adapter), records without an
 * event, and system events.
 */
export function fromClientResolvedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (!event || resolved.link || isSystemEvent(event)) return null;
  return fromClientRecordedEvent(event, resolved.commitPosition);
}

// ---------------------------------------------------------------------------------------------
// Errors

function grpcCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function clientErrorType(error: unknown): ErrorType | undefined {
  return error instanceof Error && isCommandError(error) ? (error as CommandError).type : undefined;
}

/**
 * Whether the server could not be reached or did not answer in time. Covers the client's
 * UnavailableError / DeadlineExceededError / NotLeaderError and the raw gRPC errors (code 14)
 * that some client paths (e.g. the capability check before an append) reject with unconverted.
 */
export function isUnavailableError(error: unknown): boolean {
  if (error instanceof EventStoreUnavailableError) return true;
  const type = clientErrorType(error);
  if (type === ErrorType.UNAVAILABLE || type === ErrorType.DEADLINE_EXCEEDED || type === ErrorType.NOT_LEADER) {
    return true;
  }
  if (type !== undefined) return false;
  const code = grpcCode(error);
  return code === GRPC_STATUS.UNAVAILABLE || code === GRPC_STATUS.DEADLINE_EXCEEDED;
}

/**
 * Whether a subscription that failed with this error may succeed when made again: connection
 * trouble, server-side cancellation, leader changes, unknown failures. Refusals (access denied,
 * invalid argument, unsupported) are not transient.
 */
export function isTransientError(error: unknown): boolean {
  if (isUnavailableError(error)) return true;
  const type = clientErrorType(error);
  if (type !== undefined) {
    return type === ErrorType.TIMEOUT || type === ErrorType.CANCELLED || type === ErrorType.UNKNOWN;
  }
  const code = grpcCode(error);
  if (code !== undefined) {
    return (
      code === GRPC_STATUS.CANCELLED ||
      code === GRPC_STATUS.UNKNOWN ||
      code === GRPC_STATUS.ABORTED ||
      code === GRPC_STATUS.INTERNAL
    );
  }
  // Plain stream errors (e.g. "write after end", premature close) are connection trouble too.
  return error instanceof Error;
}

/** The client's WrongExpectedVersionError → ours, keeping the caller's expectation as given. */
export function toWrongExpectedVersion(
  error: ClientWrongExpectedVersionError,
  streamId: string,
  expected: ExpectedRevision,
): WrongExpectedVersionError {
  return new WrongExpectedVersionError(streamId, expected, fromClientCurrentRevision(error.actualVersion));
}

export interface ErrorContext {
  streamId?: string;
  expected?: ExpectedRevision;
}

/**
 * Any error of the client → the port's error when there is one, otherwise the error unchanged.
 * A deleted (tombstoned) stream reads and writes as a stream that does not exist.
 */
export function mapClientError(error: unknown, context: ErrorContext = {}): unknown {
  if (error instanceof ClientWrongExpectedVersionError) {
    return toWrongExpectedVersion(error, context.streamId ?? error.streamName, context.expected ?? 'any');
  }
  const type = clientErrorType(error);
  if (type === ErrorType.STREAM_NOT_FOUND || type === ErrorType.STREAM_DELETED) {
    const named = (error as { streamName?: string }).streamName;
    return new StreamNotFoundError(context.streamId ?? named ?? '');
  }
  if (error instanceof EventStoreUnavailableError) return error;
  // No answer in time, or the call cancelled (the client disposed meanwhile): an append's outcome is unknown.
  if (type === ErrorType.TIMEOUT || type === ErrorType.CANCELLED) {
    const detail = error instanceof Error ? error.message : String(error);
    return new EventStoreUnavailableError(`EventStoreDB did not answer (${type}${detail ? `: ${detail}` : ''}); an append may or may not have been committed`, { cause: error });
  }
  // The server's limit on one append (1 MiB by default): the same append will never go through.
  if (type === ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED) {
    const max = (error as { maxAppendSize?: number }).maxAppendSize;
    return new InvalidAppendError(`The append is larger than EventStoreDB takes in one append${max ? ` (${max} bytes)` : ''}; split it`);
  }
  if (isUnavailableError(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new EventStoreUnavailableError(`EventStoreDB is unavailable: ${detail}`, { cause: error });
  }
  return error;
}
