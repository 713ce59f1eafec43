import type { IntegrationLogEntry } from '../integration-log';

/**
 * Server-Sent Events framing (WHATWG HTML, "server-sent events"): fields `id`, `event`, `data`,
 * `retry`, comments start with `:`, a blank line ends a message.
 */

/** `data:` must be one line: the log stores one-line JSON, but a stray line break is re-serialised rather than trusted. */
function oneLineJson(json: string): string {
  return /[\r\n]/.test(json) ? JSON.stringify(JSON.parse(json) as unknown) : json;
}

/** One public event: `id:` its position, `event:` its type, `data:` its envelope. */
export function eventFrame(entry: IntegrationLogEntry): string {
  return `id: ${entry.position.toString()}\nevent: ${entry.type}\ndata: ${oneLineJson(entry.json)}\n\n`;
}

export const retryFrame = (ms: number): string => `retry: ${ms}\n\n`;

export const HEARTBEAT_FRAME = ': heartbeat\n\n';

/** Why the server ended a stream; the client resumes with Last-Event-ID. */
export type FeedDropReason = 'drain-timeout' | 'buffer-limit' | 'shutdown' | 'internal-error';

export interface FeedDropped {
  reason: FeedDropReason;
  detail: string;
  /** The id of the last event sent on this stream (null: none), to resume from. */
  lastEventId: string | null;
}

export const FEED_DROPPED_EVENT = 'feed-dropped';

/** The stream's final message. It has no `id:`, so the client's last event id stays that of the last public event. */
export const droppedFrame = (dropped: FeedDropped): string => `event: ${FEED_DROPPED_EVENT}\ndata: ${JSON.stringify(dropped)}\n\n`;
