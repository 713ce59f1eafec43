import { OperatorError, reasonOf } from '../../config/operator-error';

/** The SSE feed's tunables; every one has a default and an environment variable. */
export interface FeedSettings {
  /** A `: heartbeat` comment after this long without a write, so proxies keep idle streams open. */
  heartbeatMs: number;
  /** Sent once as `retry:`: how long an EventSource waits before reconnecting. */
  retryMs: number;
  /** Entries read from the log at a time: the most a stream holds in memory beyond the socket's buffer. */
  pageSize: number;
  /** A client whose socket has not drained for this long is dropped (`drain-timeout`). */
  drainTimeoutMs: number;
  /** A client with more than this many bytes waiting to be sent is dropped (`buffer-limit`). */
  maxBufferedBytes: number;
  /** After the final message of a dropped or shut-down stream, how long it may take to flush before the socket is destroyed. */
  closeGraceMs: number;
}

export const DEFAULT_FEED_SETTINGS: Readonly<FeedSettings> = Object.freeze({
  heartbeatMs: 15_000,
  retryMs: 3_000,
  pageSize: 100,
  drainTimeoutMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  closeGraceMs: 5_000,
});

const ENV: Record<keyof FeedSettings, string> = {
  heartbeatMs: 'SROI_FEED_HEARTBEAT_MS',
  retryMs: 'SROI_FEED_RETRY_MS',
  pageSize: 'SROI_FEED_PAGE_SIZE',
  drainTimeoutMs: 'SROI_FEED_DRAIN_TIMEOUT_MS',
  maxBufferedBytes: 'SROI_FEED_MAX_BUFFERED_BYTES',
  closeGraceMs: 'SROI_FEED_CLOSE_GRACE_MS',
};

const MINIMUM: Record<keyof FeedSettings, number> = {
  heartbeatMs: 1,
  retryMs: 0,
  pageSize: 1,
  drainTimeoutMs: 1,
  maxBufferedBytes: 1024,
  closeGraceMs: 0,
};

/** The feed's settings, validated; also the DI token through which the feed gets them. */
export class FeedOptions implements FeedSettings {
  readonly heartbeatMs: number;
  readonly retryMs: number;
  readonly pageSize: number;
  readonly drainTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly closeGraceMs: number;

  constructor(settings: Partial<FeedSettings> = {}) {
    const merged: FeedSettings = { ...DEFAULT_FEED_SETTINGS };
    for (const key of Object.keys(DEFAULT_FEED_SETTINGS) as Array<keyof FeedSettings>) {
      const value = settings[key];
      if (value === undefined) continue;
      if (!Number.isSafeInteger(value) || value < MINIMUM[key]) throw new Error(`feed option ${key} must be a whole number of at least ${MINIMUM[key]}, not ${String(value)}`);
      merged[key] = value;
    }
    this.heartbeatMs = merged.heartbeatMs;
    this.retryMs = merged.retryMs;
    this.pageSize = merged.pageSize;
    this.drainTimeoutMs = merged.drainTimeoutMs;
    this.maxBufferedBytes = merged.maxBufferedBytes;
    this.closeGraceMs = merged.closeGraceMs;
  }

  /** The defaults, overridden by `SROI_FEED_HEARTBEAT_MS`, `SROI_FEED_RETRY_MS`, `SROI_FEED_PAGE_SIZE`, `SROI_FEED_DRAIN_TIMEOUT_MS`, `SROI_FEED_MAX_BUFFERED_BYTES`, `SROI_FEED_CLOSE_GRACE_MS`. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): FeedOptions {
    const settings: Partial<FeedSettings> = {};
    for (const [key, name] of Object.entries(ENV) as Array<[keyof FeedSettings, string]>) {
      const text = env[name]?.trim();
      if (!text) continue;
      if (!/^\d{1,15}$/.test(text)) throw new OperatorError(`${name} must be a whole number, not '${text}'`);
      settings[key] = Number(text);
    }
    try {
      return new FeedOptions(settings);
    } catch (error) {
      // The settings' checks name their fields: name the variables instead.
      let message = reasonOf(error);
      for (const [key, name] of Object.entries(ENV)) message = message.replace(new RegExp(`\\b${key}\\b`, 'g'), name);
      throw new OperatorError(message, { cause: error });
    }
  }
}
