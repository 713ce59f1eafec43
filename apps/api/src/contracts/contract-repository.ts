import { Inject, Injectable } from '@nestjs/common';
import { evolve, initialState, isRegistered, type ContractEvent, type ContractState, type RecordedEvent as DomainRecordedEvent, type RegisteredContract } from '@sroi/domain';
import { StreamNotFoundError, type EventStore, type RecordedEvent } from '@sroi/event-store';
import type { Principal } from '../auth/principal';
import { canSeeContract } from '../auth/principal';
import { EVENT_STORE } from '../event-store/event-store.module';
import { notFound } from '../platform/problem';
import { contractStream, toDomainRecorded } from '../shared/event-codec';
import { Lru } from '../shared/lru';

/** Folded states kept for the write side; each use reads only the events after the cached revision. */
const STATE_CACHE_ENTRIES = 5000;

export interface LoadedContract {
  state: ContractState;
  /** revision of the stream's last event, or null when the stream does not exist */
  revision: bigint | null;
}

export interface ContractHistory {
  records: RecordedEvent[];
  history: DomainRecordedEvent[];
  registered: RegisteredContract;
}

/**
 * Reads contract streams (`contract-<id>`) and folds them with the domain's `evolve`. Folded
 * states are cached by revision; the store stays the truth: every load reads the events recorded
 * after the cached revision (by any process) and folds them in.
 */
@Injectable()
export class ContractRepository {
  private readonly states = new Lru<string, { state: ContractState; revision: bigint }>(STATE_CACHE_ENTRIES);

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** The last event of the stream, or null when it does not exist. */
  async lastRecord(contractId: string): Promise<RecordedEvent | null> {
    try {
      return (await this.store.readStream(contractStream(contractId), { direction: 'backwards', maxCount: 1 }))[0] ?? null;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }

  /** Remembers the state after a successful append of `events` on top of `loaded`. */
  remember(contractId: string, loaded: LoadedContract, events: readonly ContractEvent[], revision: bigint): void {
    if (loaded.revision !== null && revision !== loaded.revision + BigInt(events.length)) return;
    this.states.set(contractId, { state: events.reduce(evolve, loaded.state), revision });
  }

  async records(contractId: string): Promise<RecordedEvent[] | null> {
    try {
      return await this.store.readStream(contractStream(contractId));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }

  async load(contractId: string): Promise<LoadedContract> {
    const cached = this.states.get(contractId);
    if (cached) {
      const newer = await this.store.readStream(contractStream(contractId), { fromRevision: cached.revision + 1n });
      if (newer.length === 0) return { state: cached.state, revision: cached.revision };
      let state = cached.state;
      for (const r of newer) state = evolve(state, toDomainRecorded(r).event);
      const loaded = { state, revision: newer[newer.length - 1].revision };
      this.states.set(contractId, loaded);
      return loaded;
    }
    const records = await this.records(contractId);
    if (!records || records.length === 0) return { state: initialState, revision: null };
    let state: ContractState = initialState;
    for (const r of records) state = evolve(state, toDomainRecorded(r).event);
    const loaded = { state, revision: records[records.length - 1].revision };
    this.states.set(contractId, loaded);
    return loaded;
  }

  /** The whole history of a contract the principal may see; 404 otherwise. */
  async historyFor(contractId: string, principal: Principal): Promise<ContractHistory> {
    const records = await this.records(contractId);
    const history = (records ?? []).map(toDomainRecorded);
    let state: ContractState = initialState;
    for (const r of history) state = evolve(state, r.event);
    if (!records || !isRegistered(state) || !canSeeContract(principal, { municipality: state.municipality, contractorKvk: state.contractor.kvk })) {
      throw notFound(`Contract ${contractId}`);
    }
    return { records, history, registered: state };
  }
}
