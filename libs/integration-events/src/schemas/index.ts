/**
 * JSON Schemas (draft 2020-12) of the public integration events, one per type, each a complete,
 * self-contained schema of the envelope with that type's `data`.
 */
import { PUBLIC_EVENT_TYPES, type PublicEventType } from '../envelope';
import { closedObject, envelopeSchema, nullable, ref, type JsonSchema } from './common';

export { PUBLIC_EVENT_ENVELOPE_SCHEMA, SCHEMA_BASE_URI, schemaId, type JsonSchema } from './common';

const id = { type: 'string', minLength: 1 };
const contributionRef = { contributionId: id, kind: ref('contributionKind') };

const contractRegistered = envelopeSchema(
  'contract.registered',
  'A contract with a social-return obligation was registered. Emitted once per contract, first.',
  closedObject({
    title: { type: 'string' },
    tenderReference: { type: 'string' },
    contractValueCents: ref('cents'),
    sroiPercentage: { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,2})?$', description: "decimal percent: '5', '2.5', '7.25'" },
    sroiBasisPoints: { type: 'integer', minimum: 1, maximum: 10000, description: 'the same percentage in hundredths of a percent: 5% = 500' },
    obligationCents: ref('cents', { description: 'contract value × percentage, rounded half up' }),
    startDate: ref('date'),
    endDate: ref('date', { description: 'inclusive' }),
    catalogue: ref('catalogueRef', { description: 'the catalogue version the contract is valued under from its start' }),
  }),
);

const contractChanged = envelopeSchema(
  'contract.changed',
  "A contract's value, period or catalogue version changed, or it was closed. data.change tells which.",
  {
    type: 'object',
    required: ['change'],
    properties: { change: { enum: ['value', 'period', 'catalogue-migrated', 'closed'] } },
    oneOf: [
      closedObject({
        change: { const: 'value' },
        effectiveDate: ref('date'),
        contractValueCents: ref('cents'),
        previousValueCents: ref('cents'),
        obligationCents: ref('cents', { description: 'the obligation at the new value, in force from effectiveDate' }),
      }),
      closedObject({ change: { const: 'period' }, endDate: ref('date', { description: 'the new end date (inclusive)' }), previousEndDate: ref('date') }),
      closedObject({
        change: { const: 'catalogue-migrated' },
        effectiveDate: ref('date', { description: 'days and one-off items from this date on are valued under the new version' }),
        from: ref('catalogueRef'),
        to: ref('catalogueRef'),
        blockMapping: { type: 'object', additionalProperties: { type: 'string' }, description: 'block codes of `from` → block codes of `to`, as applied' },
      }),
      closedObject({ change: { const: 'closed' } }),
    ],
  },
);

const common = {
  contributionId: id,
  catalogue: ref('catalogueRef', { description: 'the catalogue version whose block codes the contribution was recorded in' }),
  block: ref('blockRef'),
  valuation: ref('valuation'),
};

const contributionRecorded = envelopeSchema(
  'contribution.recorded',
  'A contribution was recorded: a hire (placement), a purchase from a social enterprise, knowledge sharing or hours, or an activity (custom or by agreement). data.kind tells which.',
  {
    type: 'object',
    required: ['kind'],
    properties: { kind: ref('contributionKind') },
    oneOf: [
      closedObject({
        ...common,
        kind: { const: 'hire' },
        candidateRef: { type: 'string', minLength: 1, description: 'pseudonymous reference issued by the contractor or municipality; never a BSN, name or birth date' },
        bonusCodes: { type: 'array', items: { type: 'string' }, description: 'bonus blocks of the same catalogue version' },
        startDate: ref('date'),
        endDate: nullable(ref('date'), 'planned end (inclusive), null when open-ended'),
        hoursPerWeek: ref('hours'),
        permanent: { type: 'boolean' },
      }),
      closedObject({
        ...common,
        kind: { const: 'purchase' },
        date: ref('date'),
        supplier: closedObject({ name: { type: 'string' }, kvk: nullable({ type: 'string', pattern: '^[0-9]{8}$' }) }, { description: 'the supplier: a social enterprise or sheltered workshop' }),
        invoiceReference: { type: 'string' },
        amountExclVatCents: ref('cents'),
      }),
      closedObject({ ...common, kind: { const: 'knowledge-sharing' }, date: ref('date'), hours: nullable(ref('hours')), costCents: nullable(ref('cents')) }),
      closedObject({
        ...common,
        kind: { const: 'activity' },
        date: ref('date'),
        costCents: nullable(ref('cents'), 'informational for a by-agreement activity'),
        valuedBy: { enum: ['agreement', 'per-activity', 'invoice'] },
      }),
    ],
  },
);

const contributionChanged = envelopeSchema(
  'contribution.changed',
  "A contribution changed: a placement's hours or permanence, a placement ended, an agreed value was recorded, or the contribution was withdrawn. data.change tells which; data.valuation is the value after the change.",
  {
    type: 'object',
    required: ['change'],
    properties: { change: { enum: ['placement-changed', 'placement-ended', 'agreed-value', 'withdrawn'] } },
    oneOf: [
      closedObject({
        ...contributionRef,
        change: { const: 'placement-changed' },
        effectiveDate: ref('date'),
        hoursPerWeek: ref('hours'),
        permanent: { type: 'boolean' },
        valuation: ref('valuation'),
      }),
      closedObject({ ...contributionRef, change: { const: 'placement-ended' }, endDate: ref('date', { description: 'the actual last day (inclusive)' }), valuation: ref('valuation') }),
      closedObject({ ...contributionRef, change: { const: 'agreed-value' }, agreedValueCents: ref('cents', { description: 'replaces any earlier agreed value' }), valuation: ref('valuation') }),
      closedObject({ ...contributionRef, change: { const: 'withdrawn' }, valuation: ref('valuation', { description: 'all zero: a withdrawn contribution counts 0' }) }),
    ],
  },
);

const contributionVerified = envelopeSchema(
  'contribution.verified',
  "An advisor verified a contribution (the latest verdict wins). Its realised value now counts as verified.",
  closedObject({ ...contributionRef, previousVerdict: nullable({ const: 'rejected' }), valuation: ref('valuation') }),
);

const contributionRejected = envelopeSchema(
  'contribution.rejected',
  'An advisor rejected a contribution (the latest verdict wins): it counts 0 until verified later. The reason is not published (free text).',
  closedObject({ ...contributionRef, previousVerdict: nullable({ const: 'verified' }), valuation: ref('valuation') }),
);

const obligationStatusChanged = envelopeSchema(
  'obligation.status-changed',
  "The contract's obligation status differs from the one last reported: evaluated after every internal event of the contract, on the Europe/Amsterdam date of occurredAt (asOf) with everything recorded up to and including that event. The first one (from null) follows contract.registered.",
  closedObject({
    from: nullable(ref('status'), 'the status last reported; null for the first one'),
    to: ref('status'),
    asOf: ref('date'),
    figures: closedObject(
      {
        contractValueCents: ref('cents', { description: 'the contract value in force on asOf' }),
        obligationCents: ref('cents'),
        realisedCents: ref('cents'),
        committedCents: ref('cents'),
        verifiedCents: ref('cents'),
        awaitingAgreement: ref('count', { description: 'by-agreement contributions without an agreed value' }),
        elapsedDays: ref('count'),
        contractDays: ref('count'),
      },
      { description: "the contract's figures on asOf, as in its status" },
    ),
  }),
);

/** The schema of each public event type (schemaVersion 1). */
export const PUBLIC_EVENT_SCHEMAS: Readonly<Record<PublicEventType, JsonSchema>> = {
  'contract.registered': contractRegistered,
  'contract.changed': contractChanged,
  'contribution.recorded': contributionRecorded,
  'contribution.changed': contributionChanged,
  'contribution.verified': contributionVerified,
  'contribution.rejected': contributionRejected,
  'obligation.status-changed': obligationStatusChanged,
};

export interface PublicEventSchemaEntry {
  readonly type: PublicEventType;
  readonly schemaVersion: 1;
  readonly schema: JsonSchema;
}

/** What GET /v1/integration/schemas serves: every type with its schema version and schema, in PUBLIC_EVENT_TYPES order. */
export const PUBLIC_EVENT_SCHEMA_LIST: readonly PublicEventSchemaEntry[] = PUBLIC_EVENT_TYPES.map((type) => ({ type, schemaVersion: 1 as const, schema: PUBLIC_EVENT_SCHEMAS[type] }));

/** The same list, as a function. */
export const publicEventSchemas = (): readonly PublicEventSchemaEntry[] => PUBLIC_EVENT_SCHEMA_LIST;
