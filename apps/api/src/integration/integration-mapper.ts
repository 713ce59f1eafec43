import { evolve, isRegistered, type ContractState } from '@sroi/domain';
import { amsterdamDateOf, mapContractEvent, MapperStateFold, withContract, type ContractMapperState, type MapperOptions } from '@sroi/integration-events';
import { CONTRACT_STREAM_PREFIX } from '../shared/event-codec';
import { uuidv5 } from '../platform/ids';
import type { PublicEventMapper, StateFold } from './publisher/integration-publisher';

/** Namespace of the public events' ids (a fixed random UUID): UUIDv5 of `<source event id>/<index>`. */
export const INTEGRATION_EVENT_NAMESPACE = '0b7f3c52-1f4e-4d8a-9a57-3c1e6d2f8b94';

export const publicEventId = (sourceEventId: string, index: number): string => uuidv5(`${sourceEventId}/${index}`, INTEGRATION_EVENT_NAMESPACE);

/** The library's pure mapper with the service's ids (UUIDv5) and dates (Europe/Amsterdam). */
export const integrationMapper: PublicEventMapper<ContractMapperState> = (state, source) =>
  mapContractEvent(state, source, { idFor: publicEventId, dateOf: amsterdamDateOf });

/**
 * The mapper, taking the state after each contract event from `folded` (the write side's cache of
 * folded states) when it holds exactly that one: the state one event further than the mapper's,
 * folded from the same stream, so equal to what evolve would make. Then both hold one object
 * instead of two equal ones, and the mapper does not fold the event again.
 */
export function sharingIntegrationMapper(folded: (contractId: string) => ContractState | undefined): PublicEventMapper<ContractMapperState> {
  const advance: MapperOptions['advance'] = (before, event, source) => {
    const held = folded(source.streamId.slice(CONTRACT_STREAM_PREFIX.length));
    return held !== undefined && held.seq === before.seq + 1 ? held : evolve(before, event);
  };
  const options: MapperOptions = { idFor: publicEventId, dateOf: amsterdamDateOf, advance };
  return (state, source) => mapContractEvent(state, source, options);
}

/**
 * Folds events published before into a mapper state without mapping them again (the publisher's
 * cache miss and warm-up). With `folded`, a result whose contract state the write side holds as
 * well (the same contract, as many events folded) takes the write side's object, as the sharing
 * mapper does.
 */
export function integrationStateFold(folded?: (contractId: string) => ContractState | undefined): (state?: unknown) => StateFold {
  return (state) => {
    const fold = new MapperStateFold({ dateOf: amsterdamDateOf }, state as ContractMapperState | undefined);
    if (!folded) return fold;
    return {
      add: (source) => fold.add(source),
      result: () => {
        const r = fold.result();
        const held = isRegistered(r.contract) ? folded(r.contract.contractId) : undefined;
        return held !== undefined && held.seq === r.contract.seq ? withContract(r, held) : r;
      },
    };
  };
}
