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

/** The JSON types (SQLite's `json_type`) each field kind admits. */
const SQL_JSON_TYPES: Record<FieldKind, readonly string[]> = {
  string: ['text'],
  number: ['integer', 'real'],
  boolean: ['true', 'false'],
  object: ['object'],
  array: ['array'],
  'string?': ['text', 'null'],
  'number?': ['integer', 'real', 'null'],
};

/**
 * The checks of {@link decodeContractEvent} as an SQL expression over a row of the SQLite store's
 * `events` table (columns `type`, `data`, `metadata`): 1 when the event passes them, else 0. A
 * rebuild runs it in SQLite over the whole log instead of parsing every event in JavaScript; the
 * events it refuses then go through `decodeContractEvent`, which names the problem. (The two JSON
 * parsers differ on what no writer of this service produces, such as a duplicate key or a number
 * beyond a double: there an event SQLite refuses and JavaScript accepts is applied, and one SQLite
 * accepts is not looked at again.)
 */
export function contractEventCheckSql(): string {
  const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  const cases = [...REQUIRED_FIELDS].map(([type, fields]) => {
    const checks = fields.map(([field, kind]) => `ifnull(json_type(data, ${quote(`$.${field}`)}), '') IN (${SQL_JSON_TYPES[kind].map(quote).join(', ')})`);
    return `WHEN ${quote(type)} THEN ${checks.length ? checks.join(' AND ') : '1'}`;
  });
  // CASE first: the JSON functions raise an error on malformed JSON. ifnull: a missing field's type is NULL, which must fail, not make the whole NULL.
  return `CASE WHEN json_valid(data) AND json_valid(metadata) AND json_type(data) IS 'object' AND json_type(metadata) IS 'object'
      AND (json_type(metadata, '$.schemaVersion') IS NULL OR (json_type(metadata, '$.schemaVersion') IN ('integer', 'real') AND json_extract(metadata, '$.schemaVersion') = 1))
    THEN CASE type ${cases.join(' ')} ELSE 0 END
    ELSE 0 END`;
}
