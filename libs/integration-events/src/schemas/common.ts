/** Building blocks of the JSON Schemas (draft 2020-12) of the public integration events. */
import { PUBLIC_EVENT_TYPES } from '../envelope';

/** A JSON Schema document or subschema (plain JSON data). */
export type JsonSchema = { readonly [key: string]: unknown };

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
export const SCHEMA_BASE_URI = 'https://sroi-ledger.example/schemas/integration/';

/** `https://sroi-ledger.example/schemas/integration/<name>.v<version>.json` */
export const schemaId = (name: string, version = 1): string => `${SCHEMA_BASE_URI}${name}.v${version}.json`;

/** An object whose properties are all required and that allows no others. */
export function closedObject(properties: Record<string, JsonSchema>, extra: Record<string, unknown> = {}): JsonSchema {
  return { type: 'object', ...extra, required: Object.keys(properties), additionalProperties: false, properties };
}

export const ref = (name: string, extra: Record<string, unknown> = {}): JsonSchema => ({ $ref: `#/$defs/${name}`, ...extra });
export const nullable = (schema: JsonSchema, description?: string): JsonSchema => ({ ...(description ? { description } : {}), anyOf: [schema, { type: 'null' }] });

export const VALUATION_DESCRIPTION =
  'What the ledger says the contribution is worth right after the event, under the catalogue version(s) in force ' +
  '(after a migration: the old version before its effective date, the new one from it) and the valuation rules of sroi-ledger, ' +
  'rounded once, half up, to whole euro cents. asOf is the Europe/Amsterdam date of occurredAt. ' +
  'realisedCents: counted up to and including asOf (placement days up to asOf, a one-off dated on or before asOf). ' +
  'committedCents: realised plus what a placement running on asOf will still accrue up to its planned end (or the contract end when open-ended); ' +
  'a placement starting after asOf and a one-off dated after asOf count 0 in both. ' +
  "atContractEndCents: the contribution's realised value on the contract end date as known at the event, i.e. its value over its whole recorded term inside the contract period if nothing changes. " +
  'All three are 0 for a withdrawn or rejected contribution, for a by-agreement contribution without an agreed value (awaitingAgreement true), ' +
  "for one dated outside the contract period, and for a per-activity contribution beyond the day's maximum.";

/** The $defs every schema carries (each schema is self-contained: no reference leaves the document). */
export const COMMON_DEFS: Record<string, JsonSchema> = {
  date: { type: 'string', format: 'date', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'calendar date YYYY-MM-DD (Europe/Amsterdam)' },
  instant: {
    type: 'string',
    format: 'date-time',
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
    description: 'ISO-8601 instant in UTC',
  },
  cents: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'integer euro cents' },
  count: { type: 'integer', minimum: 0 },
  hours: { type: 'number', exclusiveMinimum: 0, description: 'hours, at most two decimals' },
  catalogueRef: closedObject({ id: { type: 'string', minLength: 1 }, version: { type: 'string', minLength: 1 } }, { description: 'a catalogue version' }),
  blockRef: closedObject(
    {
      code: { type: 'string', minLength: 1 },
      category: { enum: ['employment', 'bonus', 'purchase', 'hourly', 'agreement'] },
      nameNl: { type: 'string' },
      nameEn: { type: 'string' },
    },
    { description: 'a building block of the catalogue version, with its published names' },
  ),
  status: { enum: ['on-track', 'behind', 'met', 'not-met'] },
  contributionKind: { enum: ['hire', 'purchase', 'knowledge-sharing', 'activity'] },
  valuation: closedObject(
    {
      asOf: ref('date'),
      realisedCents: ref('cents'),
      committedCents: ref('cents'),
      atContractEndCents: ref('cents'),
      awaitingAgreement: { type: 'boolean', description: 'a by-agreement contribution without an agreed value yet' },
    },
    { description: VALUATION_DESCRIPTION },
  ),
};

const ENVELOPE_PROPERTIES: Record<string, JsonSchema> = {
  id: {
    type: 'string',
    format: 'uuid',
    description: "Stable id: UUIDv5 of the source event's id and this event's index among the public events it yields. The same on every replay and retry: use it to deduplicate.",
  },
  type: { type: 'string' },
  schemaVersion: { const: 1, description: "Version of this type's schema; a breaking change gets a new version." },
  sourcePosition: { type: 'string', pattern: '^(0|[1-9][0-9]*)$', description: 'Global position (decimal string) of the internal event this public event derives from.' },
  occurredAt: ref('instant', { description: 'Instant the source event was recorded.' }),
  contractId: { type: 'string', minLength: 1 },
  municipality: { type: 'string', minLength: 1, description: 'The contracting authority.' },
  contractor: closedObject({ kvk: { type: 'string', pattern: '^[0-9]{8}$', description: 'Chamber of Commerce (KvK) number' }, name: { type: 'string' } }),
};

/** The schema of one public event type: the envelope with this type's `data`. */
export function envelopeSchema(type: string, description: string, data: JsonSchema): JsonSchema {
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: schemaId(type),
    title: `${type} v1`,
    description,
    ...closedObject({ ...ENVELOPE_PROPERTIES, type: { const: type }, data }),
    $defs: COMMON_DEFS,
  };
}

/** The envelope common to every type, with `data` left open: for generic consumers. */
export const PUBLIC_EVENT_ENVELOPE_SCHEMA: JsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: schemaId('envelope'),
  title: 'Public integration event envelope v1',
  description: 'The envelope every public integration event has; data depends on type (see the schema of each type).',
  ...closedObject({
    ...ENVELOPE_PROPERTIES,
    type: { enum: [...PUBLIC_EVENT_TYPES] },
    data: { type: 'object' },
  }),
  $defs: COMMON_DEFS,
};
