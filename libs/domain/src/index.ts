/**
 * @sroi/domain — the pure domain of sroi-ledger: versioned building-block catalogues, valuation,
 * the contract decider and bitemporal status. No I/O, no clock, no randomness.
 */
export { DomainError, isDomainError } from './shared/errors';
export {
  addDays,
  addMonths,
  assertDate,
  compareDates,
  daysInclusive,
  endOfMonthsPeriod,
  isLeapYear,
  isValidDate,
  maxDate,
  minDate,
  type CalendarDate,
} from './shared/dates';
export { compareInstants, isValidInstant, type Instant } from './shared/instants';
export { TEXT_PROBLEMS, textProblem, type TextProblem } from './shared/text';
export { basisPointsToPercentage, MAX_AMOUNT_CENTS, obligationCents, percentageToBasisPoints, type Cents } from './shared/money';
export { roundHalfUp, type Rational } from './shared/rational';

export * from './catalogues/types';
export {
  defaultMapping,
  diffCatalogueVersions,
  findBlock,
  findVersion,
  getBlock,
  maxCountedMonthsOf,
  permanentBonusOf,
  validateCatalogueVersion,
  versionInForce,
  type BlockChange,
  type CatalogueDiff,
} from './catalogues/catalogue';
export * from './catalogues/shipped';
export {
  decideCatalogue,
  evolveCatalogue,
  initialCatalogueState,
  shippedCatalogueEvents,
  type CatalogueCommand,
  type CatalogueEvent,
  type CatalogueState,
  type CatalogueVersionPublished,
  type PublishCatalogueVersion,
} from './catalogues/stream';

export * from './contract/commands';
export * from './contract/events';
export {
  initialState,
  isRegistered,
  valueInForce,
  type CataloguePeriod,
  type ContractState,
  type ContributionState,
  type OneOffState,
  type PlacementState,
  type PlacementTerms,
  type RegisteredContract,
} from './contract/state';
export { decide, assertPseudonymousRef } from './contract/decide';
export { evolve, fold, IncrementalFold } from './contract/evolve';
export { contributionList, contributionOf, MAP_VIEW_FROM, type Contributions } from './contract/contributions';

export { valueOf, type ContributionInput, type Valuation, type ValuationWindow } from './valuation/value-of';
export type { ContributionValue, ValueLine } from './valuation/engine';

export {
  figuresOf,
  statusLabel,
  type BlockFigures,
  type ContractStatus,
  type ContributionCounting,
  type ContributionFigures,
  type Figures,
  type StatusLabel,
} from './status/figures';
export {
  audit,
  knownAt,
  replay,
  stateKnownAt,
  statusOf,
  type AuditEntry,
  type AuditLine,
  type AuditOptions,
  type ReplayResult,
  type ReplayStep,
  type StatusQuery,
  type Totals,
} from './status/status';

export { estimate, type Estimate, type PlannedItem, type PlannedItemValue } from './planner';
