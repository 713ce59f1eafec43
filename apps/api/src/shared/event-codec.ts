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
    event: { type: r.type, schemaVersion, data: r.data } as unknown as ContractEvent,
    recordedAt: r.recordedAt,
    revision: Number(r.revision),
    position: String(r.position),
  };
}

export function toCatalogueEvent(r: RecordedEvent): CatalogueEvent {
  return { type: r.type, schemaVersion: 1, data: r.data } as unknown as CatalogueEvent;
}
