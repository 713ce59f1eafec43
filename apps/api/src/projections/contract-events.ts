import { CONTRACT_EVENT_TYPES, type ContractEvent, type ContractEventType } from '@sroi/domain';
import type { RecordedEvent } from '@sroi/event-store';

/**
 * Stream naming shared with the write side: one stream per contract, `contract-<contractId>`;
 * catalogue streams are `catalogue-<catalogueId>`. The store event's `type` is the domain event's
 * type and its `data` the domain event's data; `metadata.schemaVersion`, when present, must be 1.
 */
export const CONTRACT_STREAM_PREFIX = 'contract-';

export const contractStreamId = (contractId: string): string => `${CONTRACT_STREAM_PREFIX}${contractId}`;

export const isContractStream = (streamId: string): boolean => streamId.startsWith(CONTRACT_STREAM_PREFIX);

export const contractIdOf = (streamId: string): string => streamId.slice(CONTRACT_STREAM_PREFIX.length);

/** An event of a contract stream that the projections cannot apply. Never skipped: it stops them. */
export class MalformedContractEventError extends Error {
  readonly code = 'malformed-contract-event';
  constructor(
    readonly event: Pick<RecordedEvent, 'streamId' | 'revision' | 'position' | 'type'>,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot apply ${event.type} at revision ${event.revision} of '${event.streamId}' (position ${event.position}): ${reason}`, options);
    this.name = 'MalformedContractEventError';
  }
}

type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string?' | 'number?';

const ID = { contributionId: 'string' } as const;
const CATALOGUE_REF = { catalogue: 'object', blockCode: 'string' } as const;

/** The fields each event needs to be folded, and their JSON kinds ('?' also allows null). */
const REQUIRED: Record<ContractEventType, Record<string, FieldKind>> = {
  ContractRegistered: {
    contractId: 'string',
    municipality: 'string',
    title: 'string',
    tenderReference: 'string',
    contractor: 'object',
    contractValueCents: 'number',
    sroiBasisPoints: 'number',
    startDate: 'string',
    endDate: 'string',
    catalogue: 'object',
  },
  ContractValueChanged: { contractValueCents: 'number', effectiveDate: 'string' },
  ContractPeriodChanged: { endDate: 'string' },
  ContractCatalogueMigrated: { catalogue: 'object', effectiveDate: 'string', blockMapping: 'object' },
  HireRecorded: {
    placementId: 'string',
    candidateRef: 'string',
    ...CATALOGUE_REF,
    bonusCodes: 'array',
    startDate: 'string',
    endDate: 'string?',
    hoursPerWeek: 'number',
    permanent: 'boolean',
  },
  PlacementChanged: { placementId: 'string', effectiveDate: 'string', hoursPerWeek: 'number', permanent: 'boolean' },
  PlacementEnded: { placementId: 'string', endDate: 'string' },
  PurchaseRecorded: { ...ID, ...CATALOGUE_REF, supplier: 'object', invoiceReference: 'string', amountExclVatCents: 'number', date: 'string' },
  KnowledgeSharingRecorded: { ...ID, ...CATALOGUE_REF, description: 'string', date: 'string', hours: 'number?', costCents: 'number?' },
  ActivityRecorded: { ...ID, ...CATALOGUE_REF, description: 'string', date: 'string', costCents: 'number?', valuedBy: 'string' },
  AgreedValueRecorded: { ...ID, valueCents: 'number' },
  ContributionVerified: ID,
  ContributionRejected: ID,
  ContributionWithdrawn: ID,
  ContractClosed: { reason: 'string' },
};

const KNOWN_TYPES = new Set<string>(CONTRACT_EVENT_TYPES);

/** REQUIRED as arrays, built once (decoding is on the hot path of every catch-up and rebuild). */
const REQUIRED_FIELDS = new Map<string, readonly (readonly [string, FieldKind])[]>(
  Object.entries(REQUIRED).map(([type, fields]) => [type, Object.entries(fields) as [string, FieldKind][]]),
);

/** Events that create a contribution, and events that refer to an existing one. */
export const CREATES_CONTRIBUTION = new Set<ContractEventType>(['HireRecorded', 'PurchaseRecorded', 'KnowledgeSharingRecorded', 'ActivityRecorded']);
export const REFERS_TO_CONTRIBUTION = new Set<ContractEventType>([
  'PlacementChanged',
  'PlacementEnded',
  'AgreedValueRecorded',
  'ContributionVerified',
  'ContributionRejected',
  'ContributionWithdrawn',
]);

function hasKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string?':
      return value === null || typeof value === 'string';
    case 'number?':
      return value === null || (typeof value === 'number' && Number.isFinite(value));
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === kind;
  }
}

/** The domain event carried by a store event of a contract stream, checked enough to be folded. */
export function decodeContractEvent(recorded: RecordedEvent): ContractEvent {
  const fail = (reason: string): never => {
    throw new MalformedContractEventError(recorded, reason);
  };
  const required = REQUIRED_FIELDS.get(recorded.type);
  if (!required || !KNOWN_TYPES.has(recorded.type)) return fail(`unknown event type '${recorded.type}'`);
  const schemaVersion = recorded.metadata['schemaVersion'];
  if (schemaVersion !== undefined && schemaVersion !== 1) fail(`unsupported schemaVersion ${JSON.stringify(schemaVersion)}`);
  const data = recorded.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('data is not an object');
  const type = recorded.type as ContractEventType;
  for (const [field, kind] of required) {
    if (!hasKind(data[field], kind)) fail(`data.${field} must be ${kind.endsWith('?') ? `${kind.slice(0, -1)} or null` : `a(n) ${kind}`}`);
  }
  return { type, schemaVersion: 1, data } as unknown as ContractEvent;
}

/** The contribution an event creates or refers to, if any. */
export function contributionIdOf(event: ContractEvent): string | undefined {
  const data = event.data as { placementId?: string; contributionId?: string };
  return data.placementId ?? data.contributionId;
}
