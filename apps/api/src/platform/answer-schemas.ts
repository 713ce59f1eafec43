/**
 * The answers of the read routes (contracts, catalogues, planner) as OpenAPI 3.0 schema objects,
 * named in the document's `components.schemas` (see `withAnswerSchemas`) so that a client
 * generator gets one type each.
 * The answers are plain objects computed by the domain (`figuresOf`, `audit`, `replay`) and the
 * read models, not DTO classes, so their schemas are written here; a test validates real answers
 * of every kind against the served document, so they cannot drift apart unnoticed.
 */
import { BLOCK_CATEGORIES, CONTRACT_EVENT_TYPES, type ContributionCounting, type ContributionFigures, type StatusLabel, type ValuationKind } from '@sroi/domain';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const cents = (description: string): Schema => ({ type: 'integer', description: `${description} (euro cents)` });
const date = (description: string): Schema => ({ type: 'string', format: 'date', description: `${description} (YYYY-MM-DD)` });
const instant = (description: string): Schema => ({ type: 'string', format: 'date-time', description: `${description} (ISO-8601 UTC)` });
const text = (description: string): Schema => ({ type: 'string', description });
const position = (description: string): Schema => ({ type: 'string', pattern: '^\\d+$', description: `${description} (decimal)` });
const closedObject = (properties: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  type: 'object',
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  properties,
  additionalProperties: false,
});

/**
 * The values of a domain union, as a schema's enum. A record of each value, so that the compiler
 * refuses a list that misses a value the domain adds, or names one it does not have.
 */
const enumOf = <T extends string>(values: Record<T, true>, description?: string): Schema => ({ type: 'string', enum: Object.keys(values), ...(description ? { description } : {}) });
const STATUS_LABELS: Record<StatusLabel, true> = { 'on-track': true, behind: true, met: true, 'not-met': true };
const CONTRIBUTION_KINDS: Record<ContributionFigures['kind'], true> = { placement: true, purchase: true, 'knowledge-sharing': true, activity: true };
const COUNTINGS: Record<ContributionCounting, true> = { counted: true, withdrawn: true, rejected: true, 'awaiting-agreement': true, 'not-counted-same-day': true, 'outside-period': true, future: true };
const VALUATION_KINDS: Record<ValuationKind, true> = { annual: true, hourly: true, invoice: true, 'invoice-or-hourly': true, 'per-activity': true, agreement: true };

const STATUS_LABEL: Schema = enumOf(STATUS_LABELS, 'met: realised ≥ obligation; not-met: after the end without; on-track: realised keeps pace with the elapsed share of the period; behind otherwise');
const CATEGORY: Schema = { type: 'string', enum: [...BLOCK_CATEGORIES] };
const CATALOGUE_REF: Schema = closedObject({ id: text('catalogue id, e.g. utrecht'), version: text('catalogue version, e.g. 2019') });

const FIGURES = {
  realisedCents: cents('value realised on asOf'),
  committedCents: cents('value committed by the recorded contributions over their whole term'),
  verifiedCents: cents('realised value of the verified contributions'),
  awaitingAgreement: { type: 'integer', description: 'contributions valued by agreement that have no agreed value yet' },
};

const ACTOR: Schema = { ...closedObject({ subject: text('who'), role: text('in which role') }), nullable: true, description: 'who recorded it (the token\'s subject and role)' };

const TOTALS = { obligationCents: cents('the obligation'), ...FIGURES };

const CONTRACT_SCHEMAS = {
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
    kind: enumOf(CONTRIBUTION_KINDS),
    catalogueId: text('catalogue id'),
    version: text('catalogue version'),
    blockCode: text('the block'),
    realisedCents: cents('realised on asOf'),
    committedCents: cents('committed over its whole term'),
    verified: { type: 'boolean' },
    counting: enumOf(COUNTINGS),
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
    position: position('the global position of the last event'),
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
    position: position('global position'),
    eventId: text('the event id'),
    type: { type: 'string', enum: [...CONTRACT_EVENT_TYPES] },
    recordedAt: instant('when it was recorded'),
    actor: ACTOR,
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
    actor: ACTOR,
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
/** The catalogues' and the planner's answers (CATALOGUES.md of the domain reference; `@sroi/domain`'s catalogue types). */
const VALUATION: Schema = {
  type: 'object',
  required: ['kind'],
  description: 'annual: annualCents per FTE-year; hourly: hours × (rateCents or the version\'s hourlyRateCents); invoice: amount × factorBasisPoints / 10,000; invoice-or-hourly: either; per-activity: amountCents, at most maxPerDay a day; agreement: worth 0 until a value is agreed',
  properties: {
    kind: enumOf(VALUATION_KINDS),
    annualCents: { type: 'integer' },
    rateCents: { type: 'integer' },
    factorBasisPoints: { type: 'integer' },
    amountCents: { type: 'integer' },
    maxPerDay: { type: 'integer' },
  },
  additionalProperties: false,
};
const CODES: Schema = { type: 'array', items: { type: 'string' } };
const VERSION_REF: Schema = closedObject({ catalogueId: text('the catalogue'), version: text('the version') });
const BLOCK_CHANGE: Schema = closedObject({ code: text('the block'), before: ref('CatalogueBlock'), after: ref('CatalogueBlock') });

const CATALOGUE_SCHEMAS = {
  CatalogueList: closedObject({
    items: {
      type: 'array',
      items: closedObject({
        catalogueId: text('the catalogue'),
        authority: text('who publishes it (of its latest version)'),
        versions: {
          type: 'array',
          items: closedObject({
            version: text('the version'),
            validFrom: date('in force from'),
            replacesVersion: { type: 'string', nullable: true, description: 'the version it replaces' },
            blocks: { type: 'integer', description: 'how many blocks it has' },
            note: text('assumptions and remarks'),
          }),
        },
      }),
    },
  }),
  CatalogueBlock: closedObject(
    {
      code: text('stable block code, used in contracts and events'),
      nameNl: text('name in Dutch'),
      nameEn: text('name in English'),
      category: CATEGORY,
      valuation: VALUATION,
      replaces: { ...CODES, description: 'codes of the replaced version this block replaces (the default migration mapping)' },
      permanentBonus: { type: 'boolean', description: 'the permanent-contract bonus' },
      appliesTo: { ...CODES, description: 'a bonus only for placements on these employment blocks' },
      valuedWithoutHours: { type: 'boolean', description: 'valued per year without hours (hours = FTE hours)' },
      maxCountedMonths: { type: 'integer', nullable: true, description: 'longest counted period of a placement on this block (null: unlimited)' },
      note: text('assumptions and remarks'),
    },
    ['replaces', 'permanentBonus', 'appliesTo', 'valuedWithoutHours', 'maxCountedMonths', 'note'],
  ),
  CatalogueVersion: closedObject({
    catalogueId: text('the catalogue'),
    version: text('the version'),
    authority: text('who publishes it'),
    validFrom: date('in force from'),
    replacesVersion: { type: 'string', nullable: true, description: 'the version it replaces' },
    parameters: closedObject({
      fteHours: { type: 'number', description: 'hours of a full-time week' },
      hourlyRateCents: cents('rate of the hourly blocks'),
      preStartHireWindowMonths: { type: 'integer', description: 'how long before the contract start a hire may have started' },
      maxCountedMonths: { type: 'integer', nullable: true, description: 'longest counted period of a placement (null: unlimited)' },
      minHoursPerWeek: { type: 'number', nullable: true, description: 'least hours a week of a placement (null: none)' },
      thresholdCents: { type: 'integer', nullable: true, description: 'contract value from which social return applies (informative)' },
    }),
    blocks: { type: 'array', items: ref('CatalogueBlock') },
    exclusiveBonusGroups: { type: 'array', items: CODES, description: 'groups of bonuses of which a placement may carry one' },
    source: text('where the values were published'),
    note: text('assumptions and remarks'),
  }),
  CatalogueDiff: closedObject({
    from: VERSION_REF,
    to: VERSION_REF,
    added: { type: 'array', items: ref('CatalogueBlock') },
    removed: { type: 'array', items: ref('CatalogueBlock') },
    revalued: { type: 'array', items: BLOCK_CHANGE, description: 'same code, another valuation' },
    changed: { type: 'array', items: BLOCK_CHANGE, description: 'same code and valuation, other names, category or rules' },
    replaced: { type: 'array', items: closedObject({ code: text('the block of `to`'), replaces: CODES }) },
    parameters: { type: 'array', items: closedObject({ name: text('the parameter'), before: { description: 'its value in `from` (any JSON value)' }, after: { description: 'its value in `to`' } }) },
  }),
  CataloguePublished: closedObject({
    catalogueId: text('the catalogue'),
    version: text('the version published'),
    revision: { type: 'integer', description: 'revision of the catalogue stream' },
    position: position('global position'),
  }),
  PlannerEstimate: closedObject({
    catalogue: CATALOGUE_REF,
    obligationCents: cents('the obligation'),
    items: {
      type: 'array',
      items: closedObject({
        blockCode: text('the block'),
        category: CATEGORY,
        valueCents: cents('what the item is worth'),
        awaitingAgreement: { type: 'boolean', description: 'a by-agreement block: worth 0 until a value is agreed' },
      }),
    },
    totalCents: cents('what the plan is worth'),
    shortfallCents: cents('what the plan leaves of the obligation (0 when it meets it)'),
    meetsObligation: { type: 'boolean' },
  }),
};

const SCHEMAS = { ...CONTRACT_SCHEMAS, ...CATALOGUE_SCHEMAS } satisfies Record<string, Schema>;

export type AnswerSchemaName = keyof typeof SCHEMAS;

export const answerSchema = (name: AnswerSchemaName): Schema => ref(name);

/** The OpenAPI document with the answers' schemas among its components. */
export function withAnswerSchemas<D extends { components?: { schemas?: Record<string, unknown> } }>(document: D): D {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  return document;
}
