/** The read side: QueryBus queries answered from the read models or from the contract's own stream. */
import { Logger } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { audit, compareInstants, figuresOf, isDomainError, isRegistered, replay, statusOf, type ContractStatus, type RegisteredContract } from '@sroi/domain';
import type { Principal } from '../auth/principal';
import { canSeeContract } from '../auth/principal';
import { ProblemException, notFound } from '../platform/problem';
import { ContractReadModels, type ContractSummary, type PortfolioPage, type PortfolioQuery } from '../projections/read-models';
import { Lru } from '../shared/lru';
import { ContractRepository } from './contract-repository';

/**
 * Serialised statuses that list every contribution (`?include=contributions`), by contract,
 * revision and asOf: up to 24,000 of them within 128 M characters (one byte each: a 100-event
 * contract's such status is about 20 kB of JSON, so some 6,000 of those).
 */
const STATUS_CACHE_ENTRIES = 24_000;
const STATUS_CACHE_CHARS = 128 * 1024 * 1024;
/** Totals-only answers kept per folded state: today's and a few asOf dates (each a few kB at most, bounded by the catalogue's blocks). */
const TOTALS_PER_STATE = 4;
/** Contracts remembered as asked about, for preparing their answers (as many as the repository caches states). */
const STATE_ANSWERS_ASKED = 12_000;

export class GetContractSummaryQuery extends Query<ContractSummary> {
  constructor(
    readonly contractId: string,
    readonly principal: Principal,
    readonly today: string,
  ) {
    super();
  }
}

export class ListContractsQuery extends Query<PortfolioPage> {
  constructor(
    readonly query: PortfolioQuery,
    readonly principal: Principal,
    readonly today: string,
  ) {
    super();
  }
}

/** Answers the status as serialised JSON (`ContractStatus`): the cached JSON is sent as it is. */
export class GetContractStatusQuery extends Query<string> {
  constructor(
    readonly contractId: string,
    readonly principal: Principal,
    readonly asOf: string,
    readonly knownAt: string,
    /** Whether the answer lists every contribution (`?include=contributions`); by default only the totals, by category and by block. */
    readonly withContributions = false,
  ) {
    super();
  }
}

/** The status without its per-contribution list, unless asked for. */
function answer(status: ContractStatus, withContributions: boolean): Omit<ContractStatus, 'contributions'> {
  if (withContributions) return status;
  const { contributions: _omitted, ...rest } = status;
  return rest;
}

export class GetContractHistoryQuery extends Query<unknown> {
  constructor(
    readonly contractId: string,
    readonly principal: Principal,
    readonly asOf: string | undefined,
  ) {
    super();
  }
}

export class ReplayContractQuery extends Query<unknown> {
  constructor(
    readonly contractId: string,
    readonly principal: Principal,
    readonly toRevision: number | undefined,
    readonly asOf: string | undefined,
  ) {
    super();
  }
}

/** A summary computed from the stream, for a contract the projections have not reached yet. */
export function summaryFromState(c: RegisteredContract, today: string, revision: number, position: string, updatedAt: string): ContractSummary {
  const f = figuresOf(c, today);
  return {
    contractId: c.contractId,
    municipality: c.municipality,
    title: c.title,
    tenderReference: c.tenderReference,
    contractor: { kvk: c.contractor.kvk, name: c.contractor.name },
    catalogue: f.catalogue,
    contractValueCents: f.contractValueCents,
    sroiPercentage: Number(f.sroiPercentage),
    startDate: c.startDate,
    endDate: c.endDate,
    closed: f.closed,
    asOf: today,
    obligationCents: f.obligationCents,
    realisedCents: f.realisedCents,
    committedCents: f.committedCents,
    verifiedCents: f.verifiedCents,
    awaitingAgreement: f.awaitingAgreement,
    status: f.status,
    revision,
    position,
    updatedAt,
  };
}

@QueryHandler(GetContractSummaryQuery)
export class GetContractSummaryHandler implements IQueryHandler<GetContractSummaryQuery, ContractSummary> {
  constructor(
    private readonly readModels: ContractReadModels,
    private readonly repository: ContractRepository,
  ) {}

  async execute({ contractId, principal, today }: GetContractSummaryQuery): Promise<ContractSummary> {
    const summary = await this.readModels.summary(contractId, today);
    if (summary) {
      if (!canSeeContract(principal, { municipality: summary.municipality, contractorKvk: summary.contractor.kvk })) throw notFound(`Contract ${contractId}`);
      return summary;
    }
    // Not projected yet (a write the projections have not reached): answer from the stream.
    const { records, registered } = await this.repository.historyFor(contractId, principal);
    const last = records[records.length - 1];
    return summaryFromState(registered, today, Number(last.revision), String(last.position), last.recordedAt);
  }
}

@QueryHandler(ListContractsQuery)
export class ListContractsHandler implements IQueryHandler<ListContractsQuery, PortfolioPage> {
  constructor(private readonly readModels: ContractReadModels) {}

  async execute({ query, principal, today }: ListContractsQuery): Promise<PortfolioPage> {
    const scoped: PortfolioQuery = { ...query };
    if (principal.role === 'advisor' || principal.role === 'auditor') {
      if (query.municipality !== undefined && query.municipality.trim().toLowerCase() !== principal.municipality?.trim().toLowerCase()) {
        return { items: [], total: 0, page: query.page, pageSize: query.pageSize };
      }
      scoped.municipality = principal.municipality;
    } else if (principal.role === 'contractor') {
      if (query.contractorKvk !== undefined && query.contractorKvk !== principal.contractorKvk) return { items: [], total: 0, page: query.page, pageSize: query.pageSize };
      scoped.contractorKvk = principal.contractorKvk;
    }
    return this.readModels.portfolio(scoped, today);
  }
}

/**
 * Status on `asOf` as known at `knownAt`, from the contract's own stream, answered as serialised
 * JSON. When `knownAt` lies at or after the stream's last recording (the default, now), the
 * status is `figuresOf` the repository's current folded state (cached, brought up to date with
 * the store), and its JSON depends only on (state, asOf) but for the echoed `knownAt`: that JSON
 * is cached, split around `knownAt`. An earlier `knownAt` folds the history recorded by then
 * (`statusOf`).
 *
 * The totals-only answer (the common read) is kept on the folded state object itself (a
 * WeakMap): a new event folds into a new state object, so an answer can never outlive the
 * revision it was computed for, it goes when the state goes, and a read costs no key to build
 * and no string to hash (the string-keyed cache was ~4 % of a status read's CPU). The answers
 * that list every contribution grow with the contract and stay in a size-bounded cache by
 * (contract, revision, asOf).
 */
@QueryHandler(GetContractStatusQuery)
export class GetContractStatusHandler implements IQueryHandler<GetContractStatusQuery, string> {
  private readonly withContributions = new Lru<string, StatusJson>(STATUS_CACHE_ENTRIES, STATUS_CACHE_CHARS, (s) => s.before.length + s.after.length + 64);
  private readonly totals = new WeakMap<RegisteredContract, StatusJson[]>();
  /**
   * Contracts whose totals were asked for (noted when an answer is computed, not on every read):
   * the ones worth preparing again after they change (see StatusWarmer).
   */
  private readonly asked = new Lru<string, true>(STATE_ANSWERS_ASKED);
  /** Totals answers computed (for tests and diagnostics). */
  computed = 0;

  constructor(private readonly repository: ContractRepository) {}

  /**
   * Computes today's totals answer of a contract whose totals have been asked for before, from its
   * current state as cached, ahead of its next read. Does nothing for a contract nobody asked
   * about, or whose state is not cached (its next read loads it).
   */
  async prepare(contractId: string, today: string): Promise<void> {
    if (this.asked.peek(contractId) === undefined || this.repository.peekState(contractId) === undefined) return;
    const current = await this.repository.current(contractId);
    if (current && isRegistered(current.state)) this.totalsJson(contractId, current.state, today, false);
  }

  async execute({ contractId, principal, asOf, knownAt, withContributions }: GetContractStatusQuery): Promise<string> {
    const current = await this.repository.current(contractId);
    if (!current) throw notFound(`Contract ${contractId}`);
    const s = current.state;
    if (!isRegistered(s) || !canSeeContract(principal, { municipality: s.municipality, contractorKvk: s.contractor.kvk })) throw notFound(`Contract ${contractId}`);
    let lastRecordedAt = current.lastRecordedAt;
    if (lastRecordedAt === undefined) {
      // Appended by this process a moment ago: the watcher has not reported its instant yet.
      const last = await this.repository.lastRecord(contractId);
      if (last && last.revision === current.revision) lastRecordedAt = current.lastRecordedAt = last.recordedAt;
    }
    if (lastRecordedAt !== undefined && compareInstants(lastRecordedAt, knownAt) <= 0) {
      const hit = withContributions ? this.withContributionsJson(contractId, current.revision, s, asOf) : this.totalsJson(contractId, s, asOf);
      return hit.before + JSON.stringify(knownAt) + hit.after;
    }
    const { history } = await this.repository.historyFor(contractId, principal);
    try {
      return JSON.stringify(answer(statusOf(history, { asOf, knownAt }), withContributions));
    } catch (error) {
      if (isDomainError(error) && error.code === 'contract-not-registered') {
        throw new ProblemException(404, 'not-known-at', `Contract ${contractId} had not been registered at ${knownAt}`, { knownAt });
      }
      throw error;
    }
  }

  /** `forRead`: computed for a read (which notes the contract as asked about), not prepared ahead of one. */
  private totalsJson(contractId: string, s: RegisteredContract, asOf: string, forRead = true): StatusJson {
    let answers = this.totals.get(s);
    if (answers === undefined) this.totals.set(s, (answers = []));
    // An indexed loop: this runs on every status read, and the iterator version showed in its profile.
    for (let i = 0; i < answers.length; i++) if (answers[i].asOf === asOf) return answers[i];
    const computed = splitAtKnownAt(JSON.stringify(answer(figuresOf(s, asOf, null), false)), asOf);
    this.computed++;
    if (forRead) this.asked.set(contractId, true);
    if (answers.length >= TOTALS_PER_STATE) answers.shift();
    answers.push(computed);
    return computed;
  }

  private withContributionsJson(contractId: string, revision: bigint, s: RegisteredContract, asOf: string): StatusJson {
    const key = `${contractId}\u0000${revision}\u0000${asOf}`;
    let hit = this.withContributions.get(key);
    if (!hit) this.withContributions.set(key, (hit = splitAtKnownAt(JSON.stringify(answer(figuresOf(s, asOf, null), true)), asOf)));
    return hit;
  }
}

/** A status serialised with `"knownAt":null`, split there: the JSON of a knownAt goes in between. */
interface StatusJson {
  asOf: string;
  before: string;
  after: string;
}

const KNOWN_AT_NULL = '"knownAt":null';

/** JSON.stringify escapes every quote inside a string, so the first match is the top-level member. */
function splitAtKnownAt(json: string, asOf: string): StatusJson {
  const at = json.indexOf(KNOWN_AT_NULL);
  if (at < 0) throw new Error('a status without knownAt');
  const cut = at + KNOWN_AT_NULL.length - 'null'.length;
  return { asOf, before: json.slice(0, cut), after: json.slice(cut + 'null'.length) };
}

/** Reads of a history concern placements of vulnerable people: each one is logged for accountability. */
const accessLog = new Logger('HistoryAccess');
const logAccess = (what: string, contractId: string, p: Principal) => accessLog.log(`${what} of contract ${contractId} read by ${p.role} ${p.subject}`);

const actorOf = (metadata: Record<string, unknown>) => (metadata['actor'] ?? null) as { subject: string; role: string } | null;

@QueryHandler(GetContractHistoryQuery)
export class GetContractHistoryHandler implements IQueryHandler<GetContractHistoryQuery, unknown> {
  constructor(private readonly repository: ContractRepository) {}

  async execute({ contractId, principal, asOf }: GetContractHistoryQuery): Promise<unknown> {
    const { records, history, registered } = await this.repository.historyFor(contractId, principal);
    logAccess('audit trail', contractId, principal);
    const entries = audit(history, asOf !== undefined ? { asOf } : {});
    return {
      contractId,
      asOf: asOf ?? registered.endDate,
      events: entries.map((e, i) => {
        const m = records[i].metadata;
        return {
          revision: e.revision,
          position: e.position ?? String(records[i].position),
          eventId: records[i].id,
          type: e.type,
          recordedAt: e.recordedAt,
          actor: actorOf(m),
          correlationId: m['correlationId'] ?? null,
          causationId: m['causationId'] ?? null,
          idempotencyKey: m['idempotencyKey'] ?? null,
          data: e.event.data,
          effect: e.effect,
          before: e.before,
          after: e.after,
          lines: e.lines,
          catalogue: e.catalogue,
        };
      }),
    };
  }
}

@QueryHandler(ReplayContractQuery)
export class ReplayContractHandler implements IQueryHandler<ReplayContractQuery, unknown> {
  constructor(private readonly repository: ContractRepository) {}

  async execute({ contractId, principal, toRevision, asOf }: ReplayContractQuery): Promise<unknown> {
    const { records, history } = await this.repository.historyFor(contractId, principal);
    logAccess('replay', contractId, principal);
    const last = Number(records[records.length - 1].revision);
    if (toRevision !== undefined && toRevision > last) {
      throw new ProblemException(400, 'invalid-query', `toRevision ${toRevision} lies beyond the contract's last revision ${last}`, { parameter: 'toRevision', lastRevision: last });
    }
    const result = replay(history, toRevision, asOf !== undefined ? { asOf } : {});
    return {
      contractId,
      toRevision: toRevision ?? last,
      state: result.state,
      steps: result.steps.map((s) => ({
        revision: s.revision,
        type: s.event.type,
        recordedAt: s.recordedAt,
        actor: actorOf(records[s.index].metadata),
        data: s.event.data,
        status: s.status,
        state: s.state,
      })),
    };
  }
}

export const CONTRACT_QUERY_HANDLERS = [
  GetContractSummaryHandler,
  ListContractsHandler,
  GetContractStatusHandler,
  GetContractHistoryHandler,
  ReplayContractHandler,
];
