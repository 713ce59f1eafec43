/**
 * The public integration events: a small, versioned contract with integrators, separate from the
 * internal (domain) events so the inside can change without breaking subscribers.
 */
export const PUBLIC_EVENT_TYPES = [
  'contract.registered',
  'contract.changed',
  'contribution.recorded',
  'contribution.changed',
  'contribution.verified',
  'contribution.rejected',
  'obligation.status-changed',
] as const;

export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

export const isPublicEventType = (type: string): type is PublicEventType => (PUBLIC_EVENT_TYPES as readonly string[]).includes(type);

/** Every public event has this envelope; `data` depends on `type` (see the JSON Schemas). */
export interface PublicEventEnvelope<T extends PublicEventType = PublicEventType, D = Record<string, unknown>> {
  /** Stable id (UUIDv5 of the source event's id and the event's index among those it yields): the same on every replay and retry. */
  id: string;
  type: T;
  /** Version of this type's schema; a breaking change gets a new version. */
  schemaVersion: 1;
  /** Global position (decimal string) of the internal event this public event derives from. */
  sourcePosition: string;
  /** Instant the source event was recorded, ISO-8601 UTC. */
  occurredAt: string;
  contractId: string;
  municipality: string;
  contractor: { kvk: string; name: string };
  data: D;
}
