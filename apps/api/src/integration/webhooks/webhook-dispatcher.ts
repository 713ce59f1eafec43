import { Logger } from '@nestjs/common';
import type { IntegrationLog, IntegrationLogEntry } from '../integration-log';
import type { WebhookOptions } from './webhook-options';
import { WebhookSigner } from './webhook-signer';
import type { DeliveryAttempt, WebhookEndpoint, WebhookStore } from './webhook-store';
import { postWebhook, type PostResult } from './webhook-transport';
import type { UrlPolicy } from './url-policy';

/** Events one endpoint is sent in a row before its slot goes to the others. */
const RUN_LENGTH = 50;
/** setTimeout's limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Delivers the integration log to the active endpoints, at least once and, per endpoint, strictly
 * in log order: the event after an endpoint's cursor is attempted until it succeeds (a 2xx), and
 * only then the next one. A failed attempt is retried after an exponential backoff with jitter; an
 * event failing for longer than the give-up window marks the endpoint `failing`. The cursor, the
 * counts and the next attempt time are in the {@link WebhookStore}, so a restarted dispatcher goes
 * on where the last one stopped (an attempt cut short by a stop is not counted and is made again).
 *
 * Woken by the log's `onAppended`, by the retry timer of the earliest endpoint waiting, by
 * {@link wake} (registration, resume) and by a slow poll.
 */
export class WebhookDispatcher {
  private running = false;
  private unsubscribe: (() => void) | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private tickQueued = false;
  private abort = new AbortController();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly store: WebhookStore,
    private readonly log: IntegrationLog,
    private readonly policy: UrlPolicy,
    private readonly options: WebhookOptions,
    private readonly logger: Pick<Logger, 'log' | 'warn' | 'error'> = new Logger('Webhooks'),
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.unsubscribe = this.log.onAppended(() => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Stops: no new attempts; attempts under way are aborted (not counted) and awaited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.retryTimer = this.pollTimer = null;
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Looks for work soon (coalesced). */
  wake(): void {
    if (!this.running || this.tickQueued) return;
    this.tickQueued = true;
    setImmediate(() => {
      this.tickQueued = false;
      try {
        this.tick();
      } catch (error) {
        this.logger.error(`webhook dispatch failed: ${(error as Error).stack ?? String(error)}`);
      }
    });
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.options.now();
    let nextWake = Number.POSITIVE_INFINITY;
    // Least recently attempted first, so that a busy endpoint does not keep the slots to itself.
    const endpoints = this.store.active().sort((a, b) => (a.lastAttemptAt ?? '').localeCompare(b.lastAttemptAt ?? ''));
    for (const endpoint of endpoints) {
      if (this.inFlight.has(endpoint.id)) continue;
      if (endpoint.nextAttemptAt !== null && endpoint.nextAttemptAt > now) {
        nextWake = Math.min(nextWake, endpoint.nextAttemptAt);
        continue;
      }
      if (this.inFlight.size >= this.options.concurrency) break; // a finishing run wakes us again
      if (this.headOf(endpoint)) this.launch(endpoint.id);
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (nextWake !== Number.POSITIVE_INFINITY) {
      this.retryTimer = setTimeout(() => this.wake(), Math.min(MAX_TIMER_MS, Math.max(0, nextWake - this.options.now())));
      this.retryTimer.unref();
    }
  }

  private launch(id: string): void {
    const run = this.run(id)
      .catch((error: unknown) => this.logger.error(`webhook ${id}: ${(error as Error).stack ?? String(error)}`))
      .finally(() => {
        this.inFlight.delete(id);
        this.wake();
      });
    this.inFlight.set(id, run);
  }

  /** Sends the endpoint its due events in order, until one fails, none is left, or the run is long enough. */
  private async run(id: string): Promise<void> {
    for (let sent = 0; sent < RUN_LENGTH && this.running; sent++) {
      const endpoint = this.store.get(id);
      if (!endpoint || endpoint.status !== 'active') return;
      if (endpoint.nextAttemptAt !== null && endpoint.nextAttemptAt > this.options.now()) return;
      const entry = this.headOf(endpoint);
      if (!entry) return;
      if (!(await this.attempt(endpoint, entry))) return;
    }
  }

  private headOf(endpoint: WebhookEndpoint): IntegrationLogEntry | undefined {
    return this.log.read({ after: endpoint.cursor, municipality: endpoint.municipality, types: endpoint.eventTypes, limit: 1 })[0];
  }

  /** One attempt; true when it was delivered. */
  private async attempt(endpoint: WebhookEndpoint, entry: IntegrationLogEntry): Promise<boolean> {
    const startedMs = this.options.now();
    const body = entry.json;
    const headers = {
      'content-type': 'application/json',
      'user-agent': this.options.userAgent,
      ...WebhookSigner.headers(endpoint.secret, entry.eventId, Math.floor(startedMs / 1000), body),
    };
    const syntax = this.policy.checkSyntax(endpoint.url);
    const result: PostResult = syntax.ok
      ? await postWebhook(syntax.url, headers, body, { timeoutMs: this.options.requestTimeoutMs, lookup: this.policy.lookupFor(syntax.url), signal: this.abort.signal })
      : { statusCode: null, durationMs: 0, error: `refused: ${syntax.detail}` };
    if (this.abort.signal.aborted) return false;
    const attempt: DeliveryAttempt = {
      attemptedAt: new Date(startedMs).toISOString(),
      eventId: entry.eventId,
      eventType: entry.type,
      position: entry.position,
      attempt: endpoint.attempts + 1,
      outcome: result.error === null ? 'delivered' : 'failed',
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error === null ? null : result.error.slice(0, 1000),
    };
    if (result.error === null) return this.store.recordDelivered(endpoint.id, endpoint.cursor, attempt);
    const { giveUpAfterMs } = this.options.retry;
    const plan = this.store.recordFailed(endpoint.id, endpoint.cursor, attempt, (failures, firstFailureAt) => {
      const now = this.options.now();
      return now - firstFailureAt >= giveUpAfterMs ? { kind: 'give-up' } : { kind: 'retry', at: now + this.options.backoffMs(failures) };
    });
    if (plan?.kind === 'give-up') {
      this.logger.warn(`webhook ${endpoint.id} (${endpoint.municipality}) is failing: event ${entry.eventId} at ${entry.position} failed ${attempt.attempt} times since ${new Date(endpoint.firstFailureAt ?? startedMs).toISOString()}; last error: ${attempt.error}`);
    }
    return false;
  }
}
