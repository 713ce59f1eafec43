import type { PublisherState } from './integration-publisher';

/** What the publisher reports of itself (/ready, /health). */
export interface PublisherReport {
  state: PublisherState;
  caughtUp: boolean;
  warm: boolean;
  /** position of the last internal event whose public events are all in the store, as a string */
  lastPublishedPosition: string | null;
  publishedEvents: number;
  lastError: { message: string; at: string; event?: { streamId: string; revision: string; position: string; type: string } } | null;
}

/**
 * The integration publisher as the service drives and reports it: run on the event loop
 * (`IntegrationPublisher`), or in a worker thread of its own (`PublisherThread`).
 */
export abstract class PublisherHandle {
  abstract readonly state: PublisherState;
  abstract readonly lastError: PublisherReport['lastError'];
  abstract readonly publishedEvents: number;
  abstract lastPublishedPosition(): bigint | null;
  abstract isCaughtUp(): boolean;
  /** Whether the start-up warm-up of its cache has ended. */
  abstract isWarm(): boolean;
  abstract start(): void;
  abstract stop(): Promise<void>;
}

/** The report of a publisher, as plain data (it crosses threads). */
export function reportOf(publisher: PublisherHandle): PublisherReport {
  const position = publisher.lastPublishedPosition();
  return {
    state: publisher.state,
    caughtUp: publisher.isCaughtUp(),
    warm: publisher.isWarm(),
    lastPublishedPosition: position === null ? null : String(position),
    publishedEvents: publisher.publishedEvents,
    lastError: publisher.lastError,
  };
}
