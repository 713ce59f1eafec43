import { amsterdamDateOf, mapContractEvent, MapperStateFold, type ContractMapperState } from '@sroi/integration-events';
import { uuidv5 } from '../platform/ids';
import type { PublicEventMapper, StateFold } from './publisher/integration-publisher';

/** Namespace of the public events' ids (a fixed random UUID): UUIDv5 of `<source event id>/<index>`. */
export const INTEGRATION_EVENT_NAMESPACE = '0b7f3c52-1f4e-4d8a-9a57-3c1e6d2f8b94';

export const publicEventId = (sourceEventId: string, index: number): string => uuidv5(`${sourceEventId}/${index}`, INTEGRATION_EVENT_NAMESPACE);

/** The library's pure mapper with the service's ids (UUIDv5) and dates (Europe/Amsterdam). */
export const integrationMapper: PublicEventMapper<ContractMapperState> = (state, source) =>
  mapContractEvent(state, source, { idFor: publicEventId, dateOf: amsterdamDateOf });

/** Folds events published before into a mapper state without mapping them again (the publisher's cache miss and warm-up). */
export const integrationStateFold = (state?: unknown): StateFold => new MapperStateFold({ dateOf: amsterdamDateOf }, state as ContractMapperState | undefined);
