import type { CatalogueEvent, ContractEvent, RecordedEvent as DomainRecordedEvent } from '@sroi/domain';
import type { EventData, JsonObject, JsonValue, RecordedEvent } from '@sroi/event-store';
import type { Principal } from '../auth/principal';

/**
 * How domain events are stored: the store's `type` is the event type, `data` the event's data,
 * and `metadata` carries `schemaVersion` with the actor, correlation, causation and idempotency
 * key. Contract streams are `contract-<contractId>`, catalogue streams `catalogue-<catalogueId>`,
 * obligation streams `obligation-<contractId>`.
 */
export const contractStream = (contractId: string): string => `contract-${contractId}`;
export const catalogueStream = (catalogueId: string): string => `catalogue-${catalogueId}`;
export const CONTRACT_STREAM_PREFIX = 'contract-';
export const CATALOGUE_STREAM_PREFIX = 'catalogue-';
/**
 * Obligation streams are `obligation-<contractId>`: the obligation monitor's observations that the
 * date alone changed a contract's status (`ObligationStatusObserved`), kept out of the contract
 * stream so that its revision, and the ETags clients hold, do not change.
 */
export const obligationStream = (contractId: string): string => `obligation-${contractId}`;
export const OBLIGATION_STREAM_PREFIX = 'obligation-';

export interface EventMetadata extends JsonObject {
  schemaVersion: number;
  actor: { subject: string; role: string };
  correlationId: string;
  causationId: string;
  idempotencyKey: string | null;
  command: string;
}

export interface CommandEnvelope {
  principal: Pick<Principal, 'subject' | 'role'> | { subject: string; role: string };
  correlationId: string;
  /** the command's id: the causation id of every event it produces */
  commandId: string;
  idempotencyKey: string | null;
}

export function metadataFor(env: CommandEnvelope, command: string, schemaVersion: number): EventMetadata {
  return {
    schemaVersion,
    actor: { subject: env.principal.subject, role: env.principal.role },
    correlationId: env.correlationId,
    causationId: env.commandId,
    idempotencyKey: env.idempotencyKey,
    command,
  };
}

export function toEventData(event: ContractEvent | CatalogueEvent, metadata: EventMetadata, id?: string): EventData {
  return { ...(id ? { id } : {}), type: event.type, data: event.data as unknown as JsonValue, metadata: { ...metadata, schemaVersion: event.schemaVersion } };
}

/** A stored contract event as the domain's bitemporal functions read it. */
export function toDomainRecorded(r: RecordedEvent): DomainRecordedEvent {
  const schemaVersion = typeof r.metadata['schemaVersion'] === 'number' ? r.metadata['schemaVersion'] : 1;
  return {
    event: { type: r.type, schemaVersion, data: withSharedCatalogue(r.type, r.data) } as unknown as ContractEvent,
    recordedAt: r.recordedAt,
    revision: Number(r.revision),
    position: String(r.position),
  };
}

export function toCatalogueEvent(r: RecordedEvent): CatalogueEvent {
  return { type: r.type, schemaVersion: 1, data: r.data } as unknown as CatalogueEvent;
}

/** Catalogue versions as copied into contract events, one object per distinct content (a handful in all). */
const sharedCatalogues = new Map<string, JsonValue>();
const SHARED_CATALOGUES_MAX = 1_000;

/**
 * A registration or catalogue migration carries a whole catalogue version (~4 kB of JSON, several
 * times that as objects). Every folded state keeps it, so thousands of cached states would each
 * hold their own copy of the same few versions: the event's data is given the one shared object
 * of equal content instead. The domain never mutates a catalogue.
 */
export function withSharedCatalogue(type: string, data: JsonValue): JsonValue {
  if (type !== 'ContractRegistered' && type !== 'ContractCatalogueMigrated') return data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const catalogue = data['catalogue'];
  if (catalogue === null || typeof catalogue !== 'object') return data;
  const key = JSON.stringify(catalogue);
  let shared = sharedCatalogues.get(key);
  if (shared === undefined) {
    if (sharedCatalogues.size >= SHARED_CATALOGUES_MAX) sharedCatalogues.clear();
    sharedCatalogues.set(key, (shared = catalogue));
  }
  return shared === catalogue ? data : { ...data, catalogue: shared };
}
