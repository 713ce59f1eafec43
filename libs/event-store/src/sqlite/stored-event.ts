import type { JsonObject, JsonValue, RecordedEvent } from '../port';

/** A row of `events` as a raw tuple, in SELECT_COLUMNS order (tuples are read faster than objects). */
export type EventRow = [
  position: bigint,
  streamId: string,
  revision: bigint,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];

/**
 * An event as read from the SQLite file. Its data and metadata stay the stored JSON text until
 * first asked for, then are parsed once and kept. A subscriber that skips an event by its stream
 * or type (the service's three subscriptions each skip most of the log), or that keeps the text
 * as it is (`dataJson`), neither parses it nor leaves the parsed objects on the heap.
 * The texts are held in private (`#`) fields: nothing but the getters reaches them.
 */
export class StoredEvent implements RecordedEvent {
  #data: JsonValue = null;
  /** the stored text, until `data` has been parsed from it */
  #dataJson: string | undefined;
  #metadata: JsonObject | undefined;
  #metadataJson: string | undefined;

  constructor(
    readonly position: bigint,
    readonly streamId: string,
    readonly revision: bigint,
    readonly id: string,
    readonly type: string,
    dataJson: string,
    metadataJson: string,
    readonly recordedAt: string,
  ) {
    this.#dataJson = dataJson;
    this.#metadataJson = metadataJson;
  }

  get data(): JsonValue {
    const text = this.#dataJson;
    if (text !== undefined) {
      this.#data = this.parse(text, 'data') as JsonValue;
      this.#dataJson = undefined;
    }
    return this.#data;
  }

  get metadata(): JsonObject {
    const text = this.#metadataJson;
    if (text !== undefined) {
      this.#metadata = this.parse(text, 'metadata') as JsonObject;
      this.#metadataJson = undefined;
    }
    return this.#metadata as JsonObject;
  }

  /** The data as JSON text: the stored text while the data has not been parsed. */
  get dataJson(): string {
    return this.#dataJson ?? JSON.stringify(this.#data);
  }

  private parse(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`The ${what} of event ${this.id} (revision ${this.revision} of '${this.streamId}', position ${this.position}) is not JSON`, { cause: error });
    }
  }
}

export function toRecordedEvent(row: EventRow): StoredEvent {
  return new StoredEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]);
}
