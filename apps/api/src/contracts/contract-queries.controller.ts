import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiProblems } from '../platform/api-docs';
import { Clock } from '../platform/clock';
import { parseInstantParam } from '../platform/time-params';
import type { ContractSummary, PortfolioPage } from '../projections/read-models';
import { ReadQueryDto } from '../read-side/read-query.dto';
import { answerSchema } from '../platform/answer-schemas';
import { HistoryQueryDto, PortfolioQueryDto, ReplayQueryDto, StatusQueryDto } from './contract-query.dto';
import { GetContractHistoryQuery, GetContractStatusQuery, GetContractSummaryQuery, ListContractsQuery, ReplayContractQuery } from './contract.queries';

/**
 * The read side of contracts. Portfolio and summary come from the projections (figures as of
 * today in Europe/Amsterdam); status, history and replay from the contract's own stream.
 */
@ApiTags('contracts: queries')
@ApiBearerAuth()
@ApiProblems(400, 401, 403, 404, 500, 503)
@Controller('v1/contracts')
export class ContractQueriesController {
  constructor(
    private readonly bus: QueryBus,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Roles('advisor', 'contractor', 'auditor')
  @ApiOkResponse({ description: 'a page of the contracts in the token\'s scope, figures as of today', schema: answerSchema('PortfolioPage') })
  list(@Query() q: PortfolioQueryDto, @CurrentPrincipal() principal: Principal): Promise<PortfolioPage> {
    const query = {
      ...(q.municipality !== undefined ? { municipality: q.municipality } : {}),
      ...(q.contractorKvk !== undefined ? { contractorKvk: q.contractorKvk } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.sort !== undefined ? { sort: q.sort } : {}),
      ...(q.order !== undefined ? { order: q.order } : {}),
      page: q.page ?? 1,
      pageSize: q.pageSize ?? 50,
    };
    return this.bus.execute(new ListContractsQuery(query, principal, this.clock.today()));
  }

  @Get(':id')
  @Roles('advisor', 'contractor', 'auditor')
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({ description: 'the contract\'s summary, figures as of today; ETag: the revision', schema: answerSchema('ContractSummary') })
  @ApiResponse({ status: 304, description: 'If-None-Match names the current revision' })
  async summary(@Param('id') id: string, @Query() _q: ReadQueryDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ContractSummary | undefined> {
    const summary = await this.bus.execute(new GetContractSummaryQuery(id, principal, this.clock.today()));
    const etag = `"${summary.revision}"`;
    void reply.header('etag', etag);
    if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
      void reply.status(304);
      return undefined;
    }
    return summary;
  }

  @Get(':id/status')
  @Roles('advisor', 'contractor', 'auditor')
  @ApiOkResponse({ description: 'the figures on asOf as known at knownAt (statusOf of the domain); contributions only with ?include=contributions', schema: answerSchema('ContractStatus') })
  async status(@Param('id') id: string, @Query() q: StatusQueryDto, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const knownAt = parseInstantParam(q.knownAt, 'knownAt', this.clock.now());
    const json = await this.bus.execute(new GetContractStatusQuery(id, principal, q.asOf ?? this.clock.today(), knownAt, q.include === 'contributions'));
    // Already serialised (and cached so): sent as it is.
    void reply.type('application/json; charset=utf-8');
    return json;
  }

  @Get(':id/history')
  @Roles('advisor', 'auditor')
  @ApiOkResponse({ description: 'the audit trail: every event with who recorded it, when, and its effect on the totals as of asOf', schema: answerSchema('ContractHistory') })
  history(@Param('id') id: string, @Query() q: HistoryQueryDto, @CurrentPrincipal() principal: Principal): Promise<unknown> {
    return this.bus.execute(new GetContractHistoryQuery(id, principal, q.asOf));
  }

  @Get(':id/replay')
  @Roles('advisor', 'auditor')
  @ApiOkResponse({ description: 'the state and the figures after each event up to toRevision', schema: answerSchema('ContractReplay') })
  replay(@Param('id') id: string, @Query() q: ReplayQueryDto, @CurrentPrincipal() principal: Principal): Promise<unknown> {
    return this.bus.execute(new ReplayContractQuery(id, principal, q.toRevision, q.asOf));
  }
}

/** `If-None-Match` (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly (`W/"3"` matches `"3"`). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
