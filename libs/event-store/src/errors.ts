import type { ExpectedRevision } from './port';

/** Base class of every error the store raises on purpose; `code` is machine-readable. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/** The stream's revision did not match the append's expectation. */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'wrong-expected-version';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or 'no_stream' when it holds no event. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(
      `Wrong expected version on stream '${streamId}': expected ${describeRevision(expected)}, actual ${describeRevision(actual)}`,
    );
    this.name = 'WrongExpectedVersionError';
  }
}

export class StreamNotFoundError extends EventStoreError {
  readonly code = 'stream-not-found';
  constructor(readonly streamId: string) {
    super(`Stream '${streamId}' not found`);
    this.name = 'StreamNotFoundError';
  }
}

/** An event id was already used by another event, in another stream or at another place. */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'duplicate-event-id';
  constructor(
    readonly eventId: string,
    readonly streamId: string,
  ) {
    super(`Event id ${eventId} is already recorded (appending to '${streamId}')`);
    this.name = 'DuplicateEventIdError';
  }
}

/** An argument that the store cannot accept (empty stream id, malformed event id, ...). */
export class InvalidAppendError extends EventStoreError {
  readonly code = 'invalid-append';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}

/** The store could not be reached or stayed locked for longer than the configured wait. */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'event-store-unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/** A subscription was stopped by a failure, not by its consumer. */
export class SubscriptionDroppedError extends EventStoreError {
  readonly code = 'subscription-dropped';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubscriptionDroppedError';
  }
}

export function describeRevision(revision: ExpectedRevision | 'no_stream'): string {
  return typeof revision === 'bigint' ? revision.toString() : revision;
}
