import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { PublicEventType } from '@sroi/integration-events';
import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ProblemException } from '../../platform/problem';
import { IntegrationLog, type IntegrationLogQuery } from '../integration-log';
import { FeedOptions } from './feed.options';
import { droppedFrame, eventFrame, HEARTBEAT_FRAME, retryFrame, type FeedDropped, type FeedDropReason } from './sse';

/** What one client asked for, already validated and scoped to its token. */
export interface FeedSubscription {
  /** The token's subject, for the log. */
  subject: string;
  /** The integrator's municipality: the only one whose events it sees. */
  municipality: string;
  types?: readonly PublicEventType[];
  contractId?: string;
  /** Resume after this position (Last-Event-ID); null: from the start. */
  after: bigint | null;
}

/** A snapshot of one open stream (for tests and diagnostics). */
export interface FeedStreamInfo {
  id: number;
  subject: string;
  municipality: string;
  /** Position of the last event sent (or resumed from). */
  lastEventId: string | null;
  sentEvents: number;
  bufferedBytes: number;
  /** The most bytes this stream ever had waiting in the server's memory. */
  peakBufferedBytes: number;
  paused: boolean;
  state: 'open' | 'ending' | 'closed';
}

export const SSE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  // The response ends only when the stream does (dropped, shut down): then the client reconnects anyway.
  connection: 'close',
});

/**
 * One client's stream. It reads the log in pages after its cursor (the last position sent) and
 * writes them; on `onAppended` it reads again from the same cursor, so the hand-over from replay
 * to live has no gap and no duplicate, and nothing is held per client beyond the page in hand.
 *
 * Backpressure: it stops reading when `write` returns false or the bytes waiting in the response
 * reach `maxBufferedBytes`, and continues on 'drain' (or once what it wrote has been flushed).
 * A stream that stays paused for `drainTimeoutMs`, or whose buffer goes past `maxBufferedBytes`
 * anyway (one event larger than the limit), is dropped: a final `feed-dropped` message, then
 * the response ends; a socket that cannot even take that within `closeGraceMs` is destroyed.
 */
class FeedStream {
  state: 'open' | 'ending' | 'closed' = 'open';
  private cursor: bigint | null;
  private paused = false;
  private scheduled = false;
  private writes = 0;
  private sentEvents = 0;
  private peakBufferedBytes = 0;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    readonly id: number,
    private readonly res: ServerResponse,
    private readonly subscription: FeedSubscription,
    private readonly log: IntegrationLog,
    private readonly options: FeedOptions,
    private readonly logger: Logger,
    private readonly onClosed: (stream: FeedStream) => void,
  ) {
    this.cursor = subscription.after;
  }

  start(headers: OutgoingHttpHeaders): void {
    this.res.on('close', () => this.finish());
    this.res.on('drain', () => this.resume());
    this.res.on('error', (error) => this.logger.debug(`feed stream ${this.id}: ${error.message}`));
    // The client may have gone between the request and now: then 'close' has been emitted already.
    if (this.res.destroyed || !this.res.socket || this.res.socket.destroyed) {
      this.finish();
      return;
    }
    this.res.writeHead(200, headers);
    this.send(retryFrame(this.options.retryMs));
    // Listen first, then read: whatever is appended from now on triggers another read from the cursor.
    this.unsubscribe = this.log.onAppended(() => this.schedule());
    this.heartbeat = setInterval(() => {
      if (this.state === 'open' && !this.paused) this.sendChecked(HEARTBEAT_FRAME);
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
    this.schedule();
  }

  info(): FeedStreamInfo {
    return {
      id: this.id,
      subject: this.subscription.subject,
      municipality: this.subscription.municipality,
      lastEventId: this.lastEventId(),
      sentEvents: this.sentEvents,
      bufferedBytes: this.res.writableLength,
      peakBufferedBytes: this.peakBufferedBytes,
      paused: this.paused,
      state: this.state,
    };
  }

  /** Ends the stream with a final `feed-dropped` message; resolves once the socket is closed. */
  drop(reason: FeedDropReason, detail: string): Promise<void> {
    if (this.state !== 'open') return this.closed;
    this.state = 'ending';
    this.stopFeeding();
    const dropped: FeedDropped = { reason, detail, lastEventId: this.lastEventId() };
    const who = `${this.subscription.subject} (${this.subscription.municipality})`;
    const message = `feed stream ${this.id} of ${who} dropped: ${reason}: ${detail}; last event id ${dropped.lastEventId ?? 'none'}, ${this.sentEvents} events sent, ${this.res.writableLength} bytes waiting (peak ${this.peakBufferedBytes})`;
    if (reason === 'shutdown') this.logger.log(message);
    else if (reason === 'internal-error') this.logger.error(message);
    else this.logger.warn(message);
    if (!this.res.destroyed && !this.res.writableEnded) this.res.end(droppedFrame(dropped));
    this.graceTimer = setTimeout(() => this.res.destroy(), this.options.closeGraceMs);
    this.graceTimer.unref();
    return this.closed;
  }

  private lastEventId(): string | null {
    return this.cursor === null ? null : this.cursor.toString();
  }

  private schedule(): void {
    if (this.state !== 'open' || this.paused || this.scheduled) return;
    this.scheduled = true;
    // One page per turn of the event loop, so a long replay does not starve other clients.
    setImmediate(() => {
      this.scheduled = false;
      this.pumpPage();
    });
  }

  private pumpPage(): void {
    if (this.state !== 'open' || this.paused) return;
    const { municipality, types, contractId } = this.subscription;
    const query: IntegrationLogQuery = { after: this.cursor, municipality, limit: this.options.pageSize };
    if (types !== undefined) query.types = types;
    if (contractId !== undefined) query.contractId = contractId;
    let entries;
    try {
      entries = this.log.read(query);
    } catch (error) {
      this.logger.error(`feed stream ${this.id}: reading the integration log failed`, error instanceof Error ? error.stack : String(error));
      void this.drop('internal-error', 'reading the integration log failed; reconnect with Last-Event-ID');
      return;
    }
    for (const entry of entries) {
      const frame = eventFrame(entry);
      const buffered = this.res.writableLength;
      // Wait for the flush rather than let this frame take the buffer past the limit.
      if (buffered > 0 && buffered + Buffer.byteLength(frame) > this.options.maxBufferedBytes) {
        this.pause();
        return;
      }
      if (!this.sendChecked(frame, entry.position)) return;
    }
    if (entries.length === this.options.pageSize) this.schedule();
  }

  /** Writes, checks the limit, pauses on backpressure; false when the caller must stop writing. */
  private sendChecked(frame: string, position?: bigint): boolean {
    const ok = this.send(frame);
    if (position !== undefined) {
      this.cursor = position;
      this.sentEvents++;
    }
    const buffered = this.res.writableLength;
    if (buffered > this.options.maxBufferedBytes) {
      void this.drop('buffer-limit', `${buffered} bytes waiting to be sent exceed the limit of ${this.options.maxBufferedBytes}`);
      return false;
    }
    if (!ok || buffered >= this.options.maxBufferedBytes) {
      this.pause();
      return false;
    }
    return true;
  }

  private send(frame: string): boolean {
    const seq = ++this.writes;
    const ok = this.res.write(frame, (error) => {
      // Everything written so far has left the process: continue (the same as 'drain', which
      // Node emits only after a write returned false).
      if (!error && seq === this.writes) this.resume();
    });
    this.peakBufferedBytes = Math.max(this.peakBufferedBytes, this.res.writableLength);
    return ok;
  }

  private pause(): void {
    if (this.paused || this.state !== 'open') return;
    this.paused = true;
    this.drainTimer = setTimeout(() => {
      void this.drop('drain-timeout', `the connection has not drained for ${this.options.drainTimeoutMs} ms (${this.res.writableLength} bytes waiting)`);
    }, this.options.drainTimeoutMs);
    this.drainTimer.unref();
  }

  private resume(): void {
    if (!this.paused || this.state !== 'open') return;
    this.paused = false;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.schedule();
  }

  private stopFeeding(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.drainTimer);
    this.heartbeat = this.drainTimer = undefined;
  }

  /** The socket closed: the client went away, or the stream was ended by the server. */
  private finish(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') this.logger.debug(`feed stream ${this.id} closed by the client after ${this.sentEvents} events (last event id ${this.lastEventId() ?? 'none'})`);
    this.state = 'closed';
    this.stopFeeding();
    // The request may end (the client half-closed) while the socket stays open: let it go too.
    if (!this.res.destroyed) this.res.destroy();
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.onClosed(this);
    this.resolveClosed();
  }
}

/** The Server-Sent Events feed of public integration events: one `FeedStream` per client. */
@Injectable()
export class FeedService implements OnModuleDestroy {
  private readonly logger = new Logger('IntegrationFeed');
  private readonly open = new Set<FeedStream>();
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly log: IntegrationLog,
    private readonly options: FeedOptions,
  ) {}

  /**
   * Takes the response over (`reply.hijack()`) and streams. Everything that can fail with a
   * problem must have been checked before: after this, only the stream speaks.
   */
  stream(subscription: FeedSubscription, reply: FastifyReply): void {
    if (this.closing) throw new ProblemException(503, 'shutting-down', 'The service is shutting down; reconnect shortly', {}, { 'retry-after': '1' });
    // Headers the hooks and interceptors set (correlation id, projection position) are kept.
    const headers: OutgoingHttpHeaders = { ...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS };
    delete headers['content-length'];
    reply.hijack();
    const stream = new FeedStream(this.nextId++, reply.raw, subscription, this.log, this.options, this.logger, (s) => this.open.delete(s));
    this.open.add(stream);
    stream.start(headers);
    this.logger.debug(`feed stream ${stream.id} opened for ${subscription.subject} (${subscription.municipality}) after ${subscription.after ?? 'the start'}`);
  }

  /** The open streams, for diagnostics and tests. */
  streams(): FeedStreamInfo[] {
    return [...this.open].map((s) => s.info());
  }

  /** Ends every stream before the HTTP server closes, so `app.close()` does not wait on them. */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.open].map((s) => s.drop('shutdown', 'the service is shutting down; reconnect with Last-Event-ID')));
  }
}
