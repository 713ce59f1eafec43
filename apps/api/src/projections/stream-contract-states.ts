import { evolve, initialState, isRegistered, type ContractState, type RegisteredContract } from '@sroi/domain';
import { StreamNotFoundError, type EventStore, type RecordedEvent } from '@sroi/event-store';
import { contractStream, toDomainRecorded } from '../shared/event-codec';
import { ContractStates } from './read-models';

/** Folds events of a contract stream, in order, from revision 0; null when they do not register a contract. */
export function foldContractRecords(records: readonly RecordedEvent[]): RegisteredContract | null {
  let state: ContractState = initialState;
  for (const r of records) state = evolve(state, toDomainRecorded(r).event);
  return isRegistered(state) ? state : null;
}

/** A contract's state after the event at `revision`, read from its stream and folded (no cache); null when the stream holds no such event. */
export async function readContractStateAt(store: EventStore, contractId: string, revision: number): Promise<RegisteredContract | null> {
  let records: RecordedEvent[];
  try {
    records = await store.readStream(contractStream(contractId), { maxCount: revision + 1 });
  } catch (error) {
    if (error instanceof StreamNotFoundError) return null;
    throw error;
  }
  return records.length === revision + 1 ? foldContractRecords(records) : null;
}

/**
 * {@link ContractStates} that reads every state from the store and keeps none: for the read side
 * on its own (a module or test without the write side). The service uses the ContractRepository,
 * whose cache holds the states the commands and status reads fold anyway.
 */
export class StreamContractStates extends ContractStates {
  constructor(private readonly store: EventStore) {
    super();
  }

  peek(): RegisteredContract | undefined {
    return undefined;
  }

  stateAt(contractId: string, revision: number): Promise<RegisteredContract | null> {
    return readContractStateAt(this.store, contractId, revision);
  }
}
