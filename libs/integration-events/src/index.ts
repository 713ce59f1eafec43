/**
 * @sroi/integration-events — the public integration events of sroi-ledger: their envelope, the
 * types and JSON Schemas of their data, and the pure mapper from internal contract events
 * (and the app's status observations).
 * No I/O, no clock, no framework: ids and the calendar date come in as functions.
 */
export * from './envelope';
export * from './events';
export { PUBLIC_EVENT_ENVELOPE_SCHEMA, PUBLIC_EVENT_SCHEMAS, PUBLIC_EVENT_SCHEMA_LIST, SCHEMA_BASE_URI, publicEventSchemas, schemaId, type JsonSchema, type PublicEventSchemaEntry } from './schemas';
export {
  CONTRACT_STREAM_PREFIX,
  OBLIGATION_STATUS_OBSERVED,
  OBLIGATION_STREAM_PREFIX,
  createMapperState,
  isMappedSource,
  isObservationSource,
  mapContractEvent,
  mapContractStream,
  mapperStateAfter,
  MapperStateFold,
  mapStatusObservation,
  withContract,
  type ContractMapperState,
  type MapperOptions,
  type MapResult,
  type ObligationStatusObservedData,
  type SourceEvent,
} from './mapper';
export { amsterdamDateOf } from './amsterdam-date';
