/**
 * The answers of the contract read routes as OpenAPI 3.0 schema objects, named in the document's
 * `components.schemas` (see `withAnswerSchemas`) so that a client generator gets one type each.
 * The answers are plain objects computed by the domain (`figuresOf`, `audit`, `replay`) and the
 * read models, not DTO classes, so their schemas are written here; a test validates real answers
 * of every kind against the served document, so they cannot drift apart unnoticed.
 */
import { BLOCK_CATEGORIES, CONTRACT_EVENT_TYPES } from '@sroi/domain';

type Schema = Record<string, unknown>;

export type AnswerSchemaName =
  | 'ContractFigures'
  | 'ContractTotals'
  | 'BlockFigures'
  | 'ContributionFigures'
  | 'ContractStatus'
  | 'ContractSummary'
  | 'PortfolioPage'
  | 'AuditLine'
  | 'AuditEntry'
  | 'ContractHistory'
  | 'ReplayStep'
  | 'ContractReplay';

const ref = (name: AnswerSchemaName): Schema => ({ $ref: `#/components/schemas/${name}` });
const cents = (description: string): Schema => ({ type: 'integer', description: `${description} (euro cents)` });
const date = (description: string): Schema => ({ type: 'string', format: 'date', description: `${description} (YYYY-MM-DD)` });
const instant = (description: string): Schema => ({ type: 'string', format: 'date-time', description: `${description} (ISO-8601 UTC)` });
const text = (description: string): Schema => ({ type: 'string', description });
const closedObject = (properties: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  type: 'object',
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  properties,
  additionalProperties: false,
});

const STATUS_LABEL: Schema = { type: 'string', enum: ['on-track', 'behind', 'met', 'not-met'], description: 'met: realised ≥ obligation; not-met: after the end without; on-track: realised keeps pace with the elapsed share of the period; behind otherwise' };
const CATEGORY: Schema = { type: 'string', enum: [...BLOCK_CATEGORIES] };
const CATALOGUE_REF: Schema = closedObject({ id: text('catalogue id, e.g. utrecht'), version: text('catalogue version, e.g. 2019') });

const FIGURES = {
  realisedCents: cents('value realised on asOf'),
  committedCents: cents('value committed by the recorded contributions over their whole term'),
  verifiedCents: cents('realised value of the verified contributions'),
  awaitingAgreement: { type: 'integer', description: 'contributions valued by agreement that have no agreed value yet' },
};

const TOTALS = { obligationCents: cents('the obligation'), ...FIGURES };

const SCHEMAS: Record<AnswerSchemaName, Schema> = {
  ContractFigures: closedObject(FIGURES),
  ContractTotals: closedObject(TOTALS),
  BlockFigures: closedObject({
    catalogueId: text('catalogue id'),
    version: text('catalogue version'),
    blockCode: text('the block'),
    category: CATEGORY,
    nameNl: text('the block name in Dutch'),
    nameEn: text('the block name in English'),
    ...FIGURES,
  }),
  ContributionFigures: closedObject({
    contributionId: text('the contribution (a hire: its placement id)'),
    kind: { type: 'string', enum: ['placement', 'purchase', 'knowledge-sharing', 'activity'] },
    catalogueId: text('catalogue id'),
    version: text('catalogue version'),
    blockCode: text('the block'),
    realisedCents: cents('realised on asOf'),
    committedCents: cents('committed over its whole term'),
    verified: { type: 'boolean' },
    counting: { type: 'string', enum: ['counted', 'withdrawn', 'rejected', 'awaiting-agreement', 'not-counted-same-day', 'outside-period', 'future'] },
  }),
  ContractStatus: closedObject(
    {
      contractId: text('the contract'),
      asOf: date('the date the figures are seen at'),
      knownAt: { ...instant('what was recorded by this instant counts'), nullable: true },
      catalogue: { ...CATALOGUE_REF, description: 'the catalogue version in force on asOf' },
      contractValueCents: cents('the contract value in force on asOf'),
      sroiPercentage: { type: 'string', description: 'the social-return percentage, exact (e.g. "5" or "2.5")' },
      sroiBasisPoints: { type: 'integer', description: 'the percentage in hundredths of a percent' },
      startDate: date('start of the contract'),
      endDate: date('end of the contract (in force on asOf)'),
      obligationCents: cents('the obligation'),
      ...FIGURES,
      status: STATUS_LABEL,
      elapsedDays: { type: 'integer', description: 'days of the period elapsed on asOf' },
      contractDays: { type: 'integer', description: 'days of the period' },
      closed: { type: 'boolean' },
      byCategory: closedObject(Object.fromEntries(BLOCK_CATEGORIES.map((c) => [c, ref('ContractFigures')]))),
      byBlock: { type: 'array', items: ref('BlockFigures') },
      contributions: { type: 'array', items: ref('ContributionFigures'), description: 'only with ?include=contributions' },
    },
    ['contributions'],
  ),
  ContractSummary: closedObject({
    contractId: text('the contract'),
    municipality: text('the municipality, as the registering advisor\'s token spells it'),
    title: text('title of the contract'),
    tenderReference: text('the tender reference'),
    contractor: closedObject({ kvk: text('KvK number (8 digits)'), name: text('contractor name') }),
    catalogue: CATALOGUE_REF,
    contractValueCents: cents('the contract value in force today'),
    sroiPercentage: { type: 'number', description: 'the social-return percentage' },
    startDate: date('start of the contract'),
    endDate: date('end of the contract'),
    closed: { type: 'boolean' },
    asOf: date('the date the figures are computed for: today (Europe/Amsterdam)'),
    obligationCents: cents('the obligation'),
    ...FIGURES,
    status: STATUS_LABEL,
    revision: { type: 'integer', description: 'the stream revision of the last event (the ETag)' },
    position: { type: 'string', pattern: '^\\d+$', description: 'the global position of the last event, decimal' },
    updatedAt: instant('when the last event was recorded'),
  }),
  PortfolioPage: closedObject({
    items: { type: 'array', items: ref('ContractSummary') },
    total: { type: 'integer', description: 'contracts matching the filters' },
    page: { type: 'integer' },
    pageSize: { type: 'integer' },
  }),
  AuditLine: closedObject({ catalogueId: text('catalogue id'), version: text('catalogue version'), blockCode: text('the block'), category: CATEGORY, ...FIGURES }),
  AuditEntry: closedObject({
    revision: { type: 'integer' },
    position: { type: 'string', pattern: '^\\d+$', description: 'global position, decimal' },
    eventId: text('the event id'),
    type: { type: 'string', enum: [...CONTRACT_EVENT_TYPES] },
    recordedAt: instant('when it was recorded'),
    actor: { ...closedObject({ subject: text('who'), role: text('in which role') }), nullable: true },
    correlationId: { type: 'string', nullable: true },
    causationId: { type: 'string', nullable: true },
    idempotencyKey: { type: 'string', nullable: true, description: 'the request\'s Idempotency-Key' },
    data: { type: 'object', description: 'the event as recorded (see the domain README)' },
    effect: { allOf: [ref('ContractTotals')], description: 'after − before' },
    before: ref('ContractTotals'),
    after: ref('ContractTotals'),
    lines: { type: 'array', items: ref('AuditLine'), description: 'the effect per catalogue version and block (non-zero lines only)' },
    catalogue: { ...CATALOGUE_REF, nullable: true, description: 'the catalogue version in force on asOf after the event' },
  }),
  ContractHistory: closedObject({
    contractId: text('the contract'),
    asOf: date('the date each event\'s effect is seen at (default the contract\'s end)'),
    events: { type: 'array', items: ref('AuditEntry') },
  }),
  ReplayStep: closedObject({
    revision: { type: 'integer' },
    type: { type: 'string', enum: [...CONTRACT_EVENT_TYPES] },
    recordedAt: instant('when it was recorded'),
    actor: { ...closedObject({ subject: text('who'), role: text('in which role') }), nullable: true },
    data: { type: 'object', description: 'the event as recorded' },
    // OpenAPI 3.0 ignores what stands beside a $ref: nullable and the description go around it.
    status: { allOf: [ref('ContractStatus')], nullable: true, description: 'the figures on asOf after this event, as known when it was recorded' },
    state: { type: 'object', description: 'the domain\'s folded state after this event' },
  }),
  ContractReplay: closedObject({
    contractId: text('the contract'),
    toRevision: { type: 'integer' },
    state: { type: 'object', description: 'the domain\'s folded state after toRevision' },
    steps: { type: 'array', items: ref('ReplayStep') },
  }),
};

/** A reference to one of the answers' schemas, for `@ApiOkResponse({ schema })`. */
export const answerSchema = (name: AnswerSchemaName): Schema => ref(name);

/** The OpenAPI document with the answers' schemas among its components. */
export function withAnswerSchemas<D extends { components?: { schemas?: Record<string, unknown> } }>(document: D): D {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  return document;
}
