import { DuplicateEventIdError, StreamNotFoundError, uuidv7, WrongExpectedVersionError, type EventData, type EventStore } from '@sroi/event-store';
import { amsterdamDateOf, OBLIGATION_STATUS_OBSERVED, type ObligationStatus, type ObligationStatusObservedData } from '@sroi/integration-events';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { uuidv5 } from '../../platform/ids';
import { obligationStream, type EventMetadata } from '../../shared/event-codec';
import type { MonitoredContract } from '../../projections/read-models';
import { OperatorError } from '../../config/operator-error';

/** Namespace of the observations' ids (a fixed random UUID): UUIDv5 of `<contractId>/<asOf>`. */
export const OBSERVATION_NAMESPACE = '8f3c88e4-1a01-4a83-aec5-22cc3519f29f';

/** The id of the observation of a contract's status on a date: the same in every process, so it is written once. */
export const observationId = (contractId: string, asOf: string): string => uuidv5(`${contractId}/${asOf}`, OBSERVATION_NAMESPACE);

export const MONITOR_ACTOR = { subject: 'system:obligation-monitor', role: 'system' } as const;

/** The observation that `contractId`'s status on `asOf` is `status`, as appended to `obligation-<contractId>`. */
export function observationEvent(contractId: string, asOf: string, status: ObligationStatus, correlationId: string, causationId = correlationId): EventData {
  const data: ObligationStatusObservedData = { contractId, asOf, status };
  const metadata: EventMetadata = { schemaVersion: 1, actor: { ...MONITOR_ACTOR }, correlationId, causationId, idempotencyKey: null, command: 'ObserveObligationStatus' };
  return { id: observationId(contractId, asOf), type: OBLIGATION_STATUS_OBSERVED, data: { ...data }, metadata };
}

/** What the monitor asks of the read models (SqliteContractReadModels). */
export interface MonitoredContracts {
  /** Ids of the contracts not closed, after `afterId` (null: from the first), in id order, at most `limit`. */
  openContractIds(afterId: string | null, limit: number): string[];
  /** Where the contract was last changed, whether it is closed, and its status on any date (of that one state); null when unknown. */
  monitored(contractId: string): Promise<MonitoredContract | null>;
}

/** The read models' progress (ProjectionProgress). */
export interface MonitorProgress {
  waitFor(position: bigint, timeoutMs: number): Promise<boolean>;
}

export interface ObligationMonitorSettings {
  /** How often the date is looked at, in ms (SROI_OBLIGATION_CHECK_MS). Default 60,000. */
  checkIntervalMs: number;
  /** The longest stretch of work between two yields to the event loop, in ms (0: after every contract). Default 4. */
  sliceMs: number;
  /** Contract ids read from the read models at a time. Default 200. */
  pageSize: number;
  /** How long a pass waits for the read models to reach the store's head before trying later, in ms. Default 10,000. */
  projectionWaitMs: number;
}

export const DEFAULT_MONITOR_SETTINGS: Readonly<ObligationMonitorSettings> = Object.freeze({ checkIntervalMs: 60_000, sliceMs: 4, pageSize: 200, projectionWaitMs: 10_000 });

/** The monitor's settings; also the DI token through which it gets them. */
export class ObligationMonitorOptions implements ObligationMonitorSettings {
  readonly checkIntervalMs: number;
  readonly sliceMs: number;
  readonly pageSize: number;
  readonly projectionWaitMs: number;

  constructor(settings: Partial<ObligationMonitorSettings> = {}) {
    const merged = { ...DEFAULT_MONITOR_SETTINGS, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) };
    for (const [key, value] of Object.entries(merged)) {
      const min = key === 'sliceMs' ? 0 : 1;
      if (!Number.isSafeInteger(value) || value < min) throw new Error(`obligation monitor option ${key} must be a whole number of at least ${min}, not ${String(value)}`);
    }
    this.checkIntervalMs = merged.checkIntervalMs;
    this.sliceMs = merged.sliceMs;
    this.pageSize = merged.pageSize;
    this.projectionWaitMs = merged.projectionWaitMs;
  }

  /** `SROI_OBLIGATION_CHECK_MS`: how often the date is looked at (default 60 s). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): ObligationMonitorOptions {
    const text = env['SROI_OBLIGATION_CHECK_MS']?.trim();
    if (text && !(/^\d{1,15}$/.test(text) && Number(text) >= 1)) throw new OperatorError(`SROI_OBLIGATION_CHECK_MS must be a whole number of milliseconds of at least 1, not '${text}'`);
    return new ObligationMonitorOptions(text ? { checkIntervalMs: Number(text) } : {});
  }
}

export interface MonitorPass {
  today: string;
  /** open contracts looked at */
  checked: number;
  /** observations appended by this pass (or by a concurrent one at the same place) */
  observed: number;
}

export interface MonitorLogger {
  log(message: string): void;
  warn(message: string): void;
}

interface Tail {
  revision: bigint;
  position: bigint;
  asOf: string;
}

/**
 * Watches the obligation status of every open contract as the days pass. A contract's status
 * changes with the date alone (it falls behind as the pro-rata expectation grows; it is not met
 * after its end date), while public events are derived from the store's log: so when the status
 * of a contract TODAY (the service clock's Europe/Amsterdam date) differs from its status on the
 * date of the last thing the log says about it, the monitor appends one `ObligationStatusObserved`
 * `{ contractId, asOf: today, status }` to its own stream `obligation-<contractId>` (not to the
 * contract stream, whose revision clients hold as ETag), and the publisher maps it to an
 * `obligation.status-changed`.
 *
 * "The last thing the log says" is the later, by global position, of the contract's last event
 * (its date: the Europe/Amsterdam date it was recorded) and its last observation (its `asOf`): the
 * mapper evaluated the status on that date, with the contract as it is now. Both statuses come from
 * the read models' folded state (today's from the day's figure snapshot when the SnapshotRefresher
 * has made it; the one on the earlier date is remembered while the contract does not change), so a
 * pass first waits for them to reach the store's head. An event appended during a pass is evaluated by the mapper on its
 * own date (today) anyway; the mapper computes the status again from its own fold, so an
 * observation decided on a state that moved on says nothing wrong, at worst nothing at all.
 *
 * Written once: the observation's id is a UUIDv5 of `<contractId>/<asOf>` and it is appended at the
 * stream revision read just before, so a restart, a second pass of the day or a second instance
 * finds it there (the same id at the same place is an idempotent retry; another write meanwhile is
 * a WrongExpectedVersion: read the tail again and decide again).
 *
 * Runs at start and whenever the date changes (looked at every `checkIntervalMs`), contract by
 * contract, yielding to the event loop every `sliceMs`. Closed contracts are not observed.
 * Measured on 10,000 small contracts (SQLite, 2 busy cores): ~2 s for a pass that writes nothing,
 * ~6 s for one that observes every contract; the longest stretch between yields ~5 ms without
 * appends, ~20 ms with.
 */
export class ObligationMonitor {
  private readonly settings: ObligationMonitorOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private doneFor: string | undefined;
  private started = false;
  /** set by stop(): a pass under way ends at its next contract */
  private stopped = false;
  /** resolves when stop() is called: a pass waiting for the read models gives up */
  private stopping: { promise: Promise<void>; resolve: () => void } = settable();
  /** contract id → its status on the date of its last change, by (position, date): computed once, not every day */
  private memo = new Map<string, { key: string; status: ObligationStatus | null }>();
  private lastPass: MonitorPass | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly contracts: MonitoredContracts,
    private readonly progress: MonitorProgress,
    private readonly today: () => string,
    options: Partial<ObligationMonitorSettings> = {},
    private readonly logger?: MonitorLogger,
  ) {
    this.settings = options instanceof ObligationMonitorOptions ? options : new ObligationMonitorOptions(options);
  }

  /** The last pass completed. */
  get lastCompletedPass(): MonitorPass | null {
    return this.lastPass;
  }

  /** Looks now (in the background), then whenever the date changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.stopping = settable();
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.settings.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass under way to stop at its next contract. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopped = true;
    this.stopping.resolve();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Starts a pass if the date changed since the last complete one and none is running; returns it.
   * A pass that fails or finds the read models behind is tried again at the next check.
   */
  tick(): Promise<void> {
    if (this.running) return this.running;
    const today = this.today();
    if (today === this.doneFor) return Promise.resolve();
    this.running = this.pass(today)
      .then(
        (pass) => {
          if (pass === null) return;
          this.doneFor = today;
          this.lastPass = pass;
          if (pass.observed > 0) this.logger?.log(`Obligation monitor: ${pass.observed} of ${pass.checked} open contracts changed status by ${today}`);
        },
        (error: unknown) => this.logger?.warn(`Obligation monitor: the pass for ${today} failed (${error instanceof Error ? error.message : String(error)}); trying again later`),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** One pass over the open contracts for `today`; null when stopped or the read models are behind. */
  async pass(today: string): Promise<MonitorPass | null> {
    const head = await this.store.headPosition();
    if (head !== null) {
      const caughtUp = await Promise.race([this.progress.waitFor(head, this.settings.projectionWaitMs), this.stopping.promise.then(() => false)]);
      if (this.stopped) return null;
      if (!caughtUp) {
        this.logger?.warn(`Obligation monitor: the read models have not reached position ${head} yet; trying again later`);
        return null;
      }
    }
    const runId = uuidv7();
    const memo = new Map<string, { key: string; status: ObligationStatus | null }>();
    let checked = 0;
    let observed = 0;
    let after: string | null = null;
    let slice = performance.now();
    for (;;) {
      const ids = this.contracts.openContractIds(after, this.settings.pageSize);
      for (const id of ids) {
        if (this.stopped) return null;
        checked++;
        if (await this.check(id, today, runId, memo)) observed++;
        if (performance.now() - slice >= this.settings.sliceMs) {
          await yieldToEventLoop();
          slice = performance.now();
        }
      }
      if (ids.length < this.settings.pageSize) break;
      after = ids[ids.length - 1];
    }
    this.memo = memo;
    return { today, checked, observed };
  }

  /** Appends the contract's observation for `today` when its status changed; true when it did. */
  private async check(contractId: string, today: string, runId: string, memo: Map<string, { key: string; status: ObligationStatus | null }>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const tail = await this.tail(contractId);
      // The row and both statuses are of one state (the append below is checked against the tail read above).
      const change = await this.contracts.monitored(contractId);
      if (!change || change.closed) return false;
      const lastDate = tail !== null && tail.position > BigInt(change.position) ? tail.asOf : amsterdamDateOf(change.updatedAt);
      if (lastDate >= today) return false;
      const key = `${change.position}/${lastDate}`;
      const known = memo.get(contractId) ?? this.memo.get(contractId);
      const then = known?.key === key ? known.status : change.statusOn(lastDate);
      memo.set(contractId, { key, status: then });
      const now = change.statusOn(today);
      if (now === then) return false;
      try {
        // The same id at the same place (a concurrent pass wrote it just now) is answered as a retry: fine.
        await this.store.appendToStream(obligationStream(contractId), [observationEvent(contractId, today, now, runId)], { expectedRevision: tail === null ? 'no_stream' : tail.revision });
        return true;
      } catch (error) {
        // Someone else wrote the stream meanwhile: read its tail again and decide again.
        if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
        // The observation of the day is already in the stream, further back: nothing to write.
        if (error instanceof DuplicateEventIdError) return false;
        throw error;
      }
    }
  }

  /** The last observation of the contract, or null when there is none. */
  private async tail(contractId: string): Promise<Tail | null> {
    try {
      const [last] = await this.store.readStream(obligationStream(contractId), { direction: 'backwards', maxCount: 1 });
      if (!last) return null;
      const asOf = (last.data as { asOf?: unknown } | null)?.asOf;
      return { revision: last.revision, position: last.position, asOf: typeof asOf === 'string' ? asOf : '' };
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }
}

function settable(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
