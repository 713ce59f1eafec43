import type { HostResolver } from './url-policy';
import { parseFlag } from '../../config/env-values';
import { OperatorError, reasonOf } from '../../config/operator-error';

/** Backoff between failed attempts at one event, and when to give up on an endpoint. */
export interface RetrySchedule {
  /** Delay after the first failed attempt, in ms. */
  initialDelayMs: number;
  /** Each further failure multiplies the delay by this. */
  multiplier: number;
  /** The delay (before jitter) never exceeds this, in ms. */
  maxDelayMs: number;
  /** Jitter as a fraction: the delay is spread uniformly over ±jitter of itself (0 = none). */
  jitter: number;
  /**
   * An endpoint whose head event has been failing for at least this long (measured from that
   * event's first failed attempt) is marked `failing` at its next failure and stops being called.
   */
  giveUpAfterMs: number;
}

export interface WebhookOptionsInit {
  /** Loopback URLs (127.0.0.0/8, ::1, localhost), also over http: tests and demos. Env SROI_WEBHOOKS_ALLOW_LOOPBACK=on. */
  allowLoopback?: boolean;
  /** One attempt (connect, send, response headers and up to 1 kB of the body) may take this long, in ms. */
  requestTimeoutMs?: number;
  retry?: Partial<RetrySchedule>;
  /** Delivery-log rows kept per endpoint (older attempts are deleted). */
  deliveryLogLimit?: number;
  /** Endpoints delivered to at the same time (each endpoint is always one event at a time). */
  concurrency?: number;
  /** Endpoints one municipality may register. */
  maxEndpointsPerMunicipality?: number;
  /** The dispatcher also looks for work this often, in case a wake-up was missed, in ms. */
  pollIntervalMs?: number;
  /** Host-name resolution (tests inject one; default: the system resolver, all addresses). */
  resolve?: HostResolver;
  /** Random numbers in [0, 1) for the jitter (tests inject a fixed one). */
  random?: () => number;
  /**
   * The dispatcher's clock, in ms since the epoch: attempt times, the retry schedule and the
   * give-up window are read from it (tests inject a controlled one; default `Date.now`).
   */
  now?: () => number;
  /** The `user-agent` of deliveries. */
  userAgent?: string;
}

const parseMs = (name: string, value: string | undefined, fallback: number, min = 1): number => {
  const v = value?.trim();
  if (!v) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, not '${value}'`);
  return n;
};

/**
 * Settings of the webhook dispatcher. Defaults (all overridable, see {@link WebhookOptions.fromEnv}):
 * - attempt timeout 10 s; no redirects are followed (a 3xx is a failed attempt);
 * - retries: 5 s after the first failure, doubling, at most 1 h apart, ±20 % jitter, so roughly
 *   5 s, 10 s, 20 s, … 34 min, then hourly: about 34 attempts in the first 24 h;
 * - give up after 24 h of failures of the same event: the endpoint becomes `failing` and is no
 *   longer called until it is resumed (the undelivered event is then tried first);
 * - the last 100 attempts per endpoint are kept in the delivery log;
 * - 8 endpoints in parallel; 20 endpoints per municipality; a look for work every 30 s besides
 *   the wake-ups of the integration log and of the retry timers.
 */
export class WebhookOptions {
  static readonly DEFAULT_RETRY: RetrySchedule = {
    initialDelayMs: 5_000,
    multiplier: 2,
    maxDelayMs: 60 * 60_000,
    jitter: 0.2,
    giveUpAfterMs: 24 * 60 * 60_000,
  };

  readonly allowLoopback: boolean;
  readonly requestTimeoutMs: number;
  readonly retry: RetrySchedule;
  readonly deliveryLogLimit: number;
  readonly concurrency: number;
  readonly maxEndpointsPerMunicipality: number;
  readonly pollIntervalMs: number;
  readonly resolve: HostResolver | undefined;
  readonly random: () => number;
  readonly now: () => number;
  readonly userAgent: string;

  constructor(init: WebhookOptionsInit = {}) {
    this.allowLoopback = init.allowLoopback ?? false;
    this.requestTimeoutMs = init.requestTimeoutMs ?? 10_000;
    this.retry = { ...WebhookOptions.DEFAULT_RETRY, ...init.retry };
    this.deliveryLogLimit = init.deliveryLogLimit ?? 100;
    this.concurrency = init.concurrency ?? 8;
    this.maxEndpointsPerMunicipality = init.maxEndpointsPerMunicipality ?? 20;
    this.pollIntervalMs = init.pollIntervalMs ?? 30_000;
    this.resolve = init.resolve;
    this.random = init.random ?? Math.random;
    this.now = init.now ?? Date.now;
    this.userAgent = init.userAgent ?? 'sroi-ledger-webhooks/1';
    const r = this.retry;
    if (!(r.initialDelayMs >= 0 && r.multiplier >= 1 && r.maxDelayMs >= r.initialDelayMs && r.jitter >= 0 && r.jitter < 1 && r.giveUpAfterMs >= 0)) {
      throw new Error(`invalid webhook retry schedule: ${JSON.stringify(r)}`);
    }
    if (!(this.requestTimeoutMs > 0 && this.deliveryLogLimit >= 1 && this.concurrency >= 1 && this.pollIntervalMs > 0)) throw new Error('invalid webhook options');
  }

  /**
   * Reads SROI_WEBHOOKS_ALLOW_LOOPBACK (on/off, default off), SROI_WEBHOOKS_TIMEOUT_MS,
   * SROI_WEBHOOKS_RETRY_INITIAL_MS, SROI_WEBHOOKS_RETRY_MAX_MS, SROI_WEBHOOKS_GIVE_UP_AFTER_MS,
   * SROI_WEBHOOKS_DELIVERY_LOG_LIMIT and SROI_WEBHOOKS_CONCURRENCY; `overrides` win over both.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, overrides: WebhookOptionsInit = {}): WebhookOptions {
    try {
      return WebhookOptions.read(env, overrides);
    } catch (error) {
      const message = reasonOf(error).replace(
        /^invalid webhook retry schedule/,
        'SROI_WEBHOOKS_RETRY_INITIAL_MS, SROI_WEBHOOKS_RETRY_MAX_MS and SROI_WEBHOOKS_GIVE_UP_AFTER_MS give no retry schedule (the initial delay must not exceed the maximum)',
      );
      throw new OperatorError(message, { cause: error });
    }
  }

  private static read(env: NodeJS.ProcessEnv, overrides: WebhookOptionsInit): WebhookOptions {
    const d = WebhookOptions.DEFAULT_RETRY;
    return new WebhookOptions({
      allowLoopback: parseFlag('SROI_WEBHOOKS_ALLOW_LOOPBACK', env['SROI_WEBHOOKS_ALLOW_LOOPBACK'], false),
      requestTimeoutMs: parseMs('SROI_WEBHOOKS_TIMEOUT_MS', env['SROI_WEBHOOKS_TIMEOUT_MS'], 10_000),
      deliveryLogLimit: parseMs('SROI_WEBHOOKS_DELIVERY_LOG_LIMIT', env['SROI_WEBHOOKS_DELIVERY_LOG_LIMIT'], 100),
      concurrency: parseMs('SROI_WEBHOOKS_CONCURRENCY', env['SROI_WEBHOOKS_CONCURRENCY'], 8),
      ...overrides,
      retry: {
        initialDelayMs: parseMs('SROI_WEBHOOKS_RETRY_INITIAL_MS', env['SROI_WEBHOOKS_RETRY_INITIAL_MS'], d.initialDelayMs, 0),
        maxDelayMs: parseMs('SROI_WEBHOOKS_RETRY_MAX_MS', env['SROI_WEBHOOKS_RETRY_MAX_MS'], d.maxDelayMs, 0),
        giveUpAfterMs: parseMs('SROI_WEBHOOKS_GIVE_UP_AFTER_MS', env['SROI_WEBHOOKS_GIVE_UP_AFTER_MS'], d.giveUpAfterMs, 0),
        ...overrides.retry,
      },
    });
  }

  /** Delay before the next attempt after `failures` consecutive failed attempts (1, 2, …), with jitter. */
  backoffMs(failures: number): number {
    const r = this.retry;
    const base = Math.min(r.maxDelayMs, r.initialDelayMs * r.multiplier ** Math.max(0, failures - 1));
    const spread = base * r.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(base + spread));
  }
}
