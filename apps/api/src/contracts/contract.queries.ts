/** The read side: QueryBus queries answered from the read models or from the contract's own stream. */
import { Logger } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { audit, compareInstants, figuresOf, isDomainError, replay, statusOf, type ContractStatus, type RegisteredContract } from '@sroi/domain';
import type { Principal } from '../auth/principal';
import { canSeeContract } from '../auth/principal';
import { ProblemException, notFound } from '../platform/problem';
import { ContractReadModels, type ContractSummary, type PortfolioPage, type PortfolioQuery } from '../projections/read-models';
import { Lru } from '../shared/lru';
import { ContractRepository } from './contract-repository';

/** Statuses computed with every event of the stream known, by contract, revision and asOf. */
const STATUS_CACHE_ENTRIES = 2000;

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

export class GetContractStatusQuery extends Query<ContractStatus> {
  constructor(
    readonly contractId: string,
    readonly principal: Principal,
    readonly asOf: string,
    readonly knownAt: string,
  ) {
    super();
  }
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
    const summary = this.readModels.summary(contractId, today);
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
 * Status on `asOf` as known at `knownAt`, from the contract's own stream. When `knownAt` lies at or
 * after the stream's last recording, the figures depend only on (revision, asOf): those are cached,
 * keyed by the stream's current revision, so a new event is never missed.
 */
@QueryHandler(GetContractStatusQuery)
export class GetContractStatusHandler implements IQueryHandler<GetContractStatusQuery, ContractStatus> {
  private readonly cache = new Lru<string, { status: ContractStatus; municipality: string; contractorKvk: string }>(STATUS_CACHE_ENTRIES);

  constructor(private readonly repository: ContractRepository) {}

  async execute({ contractId, principal, asOf, knownAt }: GetContractStatusQuery): Promise<ContractStatus> {
    const last = await this.repository.lastRecord(contractId);
    if (!last) throw notFound(`Contract ${contractId}`);
    const current = compareInstants(last.recordedAt, knownAt) <= 0;
    const key = `${contractId}\u0000${last.revision}\u0000${asOf}`;
    if (current) {
      const hit = this.cache.get(key);
      if (hit) {
        if (!canSeeContract(principal, hit)) throw notFound(`Contract ${contractId}`);
        return { ...hit.status, knownAt };
      }
    }
    const { history, registered } = await this.repository.historyFor(contractId, principal);
    try {
      const status = statusOf(history, { asOf, knownAt });
      if (current && history[history.length - 1]?.revision === Number(last.revision)) {
        this.cache.set(key, { status, municipality: registered.municipality, contractorKvk: registered.contractor.kvk });
      }
      return status;
    } catch (error) {
      if (isDomainError(error) && error.code === 'contract-not-registered') {
        throw new ProblemException(404, 'not-known-at', `Contract ${contractId} had not been registered at ${knownAt}`, { knownAt });
      }
      throw error;
    }
  }
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
