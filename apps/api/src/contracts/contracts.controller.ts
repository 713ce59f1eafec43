import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { Idempotent } from '../idempotency/idempotency.module';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiIdempotencyKey, ApiProblems } from '../platform/api-docs';
import type { FastifyRequest } from 'fastify';
import { Roles } from '../auth/auth.decorators';
import { sameMunicipality } from '../auth/principal';
import { forbidden } from '../platform/problem';
import { commandContext, newIdFor } from './contract-context';
import type { CommandResult } from './contract-command.service';
import {
  ChangeContractPeriodCommand,
  ChangeContractValueCommand,
  ChangePlacementCommand,
  CloseContractCommand,
  EndPlacementCommand,
  MigrateCatalogueCommand,
  RecordActivityCommand,
  RecordAgreedValueCommand,
  RecordHireCommand,
  RecordKnowledgeSharingCommand,
  RecordPurchaseCommand,
  RecordVerificationCommand,
  RegisterContractCommand,
  WithdrawContributionCommand,
} from './contract.commands';
import {
  ActivityDto,
  AgreedValueDto,
  CatalogueMigrationDto,
  CloseContractDto,
  CommandResultDto,
  EndPlacementDto,
  HireDto,
  KnowledgeSharingDto,
  PeriodChangeDto,
  PlacementChangeDto,
  PurchaseDto,
  RegisterContractDto,
  ValueChangeDto,
  VerificationDto,
  WithdrawalDto,
} from './contract.dto';

const IF_MATCH_HEADER = { name: 'If-Match', required: false, description: 'the revision the command expects, e.g. "3"; a stale one gives 412' };
const CORRELATION_HEADER = { name: 'X-Correlation-Id', required: false, description: 'copied into every event; generated when absent' };

/** The write side of contracts: every command goes through the CommandBus. */
@ApiTags('contracts: commands')
@ApiBearerAuth()
@ApiIdempotencyKey()
@ApiProblems(400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
@ApiHeader(CORRELATION_HEADER)
@Idempotent()
@Controller('v1/contracts')
export class ContractsController {
  constructor(private readonly bus: CommandBus) {}

  @Post()
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor')
  register(@Body() body: RegisterContractDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    const ctx = commandContext(req, 'RegisterContract');
    if (!sameMunicipality(ctx.caller.municipality, body.municipality)) {
      throw forbidden(`An advisor of ${ctx.caller.municipality ?? 'no municipality'} cannot register a contract of ${body.municipality}`);
    }
    // Recorded as the advisor's token spells it ("utrecht " → "Utrecht"): one spelling per municipality in the events.
    const municipality = ctx.caller.municipality as string;
    return this.bus.execute(new RegisterContractCommand(newIdFor(ctx, 'contract'), { ...body, municipality }, ctx));
  }

  @Post(':id/value-changes')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor')
  @ApiHeader(IF_MATCH_HEADER)
  changeValue(@Param('id') id: string, @Body() body: ValueChangeDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new ChangeContractValueCommand(id, body, commandContext(req, 'ChangeContractValue')));
  }

  @Post(':id/period-changes')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor')
  @ApiHeader(IF_MATCH_HEADER)
  changePeriod(@Param('id') id: string, @Body() body: PeriodChangeDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new ChangeContractPeriodCommand(id, body, commandContext(req, 'ChangeContractPeriod')));
  }

  @Post(':id/catalogue-migrations')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor')
  @ApiHeader(IF_MATCH_HEADER)
  migrate(@Param('id') id: string, @Body() body: CatalogueMigrationDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new MigrateCatalogueCommand(id, body, commandContext(req, 'MigrateCatalogue')));
  }

  @Post(':id/close')
  @ApiOkResponse({ type: CommandResultDto })
  @Roles('advisor')
  @HttpCode(200)
  @ApiHeader(IF_MATCH_HEADER)
  close(@Param('id') id: string, @Body() body: CloseContractDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new CloseContractCommand(id, body, commandContext(req, 'CloseContract')));
  }

  @Post(':id/hires')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @ApiHeader(IF_MATCH_HEADER)
  hire(@Param('id') id: string, @Body() body: HireDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    const ctx = commandContext(req, 'RecordHire');
    return this.bus.execute(new RecordHireCommand(id, { ...body, placementId: newIdFor(ctx, 'placement', id) }, ctx));
  }

  @Post(':id/hires/:placementId/changes')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @ApiHeader(IF_MATCH_HEADER)
  changePlacement(@Param('id') id: string, @Param('placementId') placementId: string, @Body() body: PlacementChangeDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new ChangePlacementCommand(id, { ...body, placementId }, commandContext(req, 'ChangePlacement')));
  }

  @Post(':id/hires/:placementId/end')
  @ApiOkResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @HttpCode(200)
  @ApiHeader(IF_MATCH_HEADER)
  endPlacement(@Param('id') id: string, @Param('placementId') placementId: string, @Body() body: EndPlacementDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new EndPlacementCommand(id, { ...body, placementId }, commandContext(req, 'EndPlacement')));
  }

  @Post(':id/purchases')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @ApiHeader(IF_MATCH_HEADER)
  purchase(@Param('id') id: string, @Body() body: PurchaseDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    const ctx = commandContext(req, 'RecordPurchase');
    return this.bus.execute(new RecordPurchaseCommand(id, { ...body, contributionId: newIdFor(ctx, 'contribution', id) }, ctx));
  }

  @Post(':id/knowledge-sharing')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @ApiHeader(IF_MATCH_HEADER)
  knowledgeSharing(@Param('id') id: string, @Body() body: KnowledgeSharingDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    const ctx = commandContext(req, 'RecordKnowledgeSharing');
    return this.bus.execute(new RecordKnowledgeSharingCommand(id, { ...body, contributionId: newIdFor(ctx, 'contribution', id) }, ctx));
  }

  @Post(':id/activities')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @ApiHeader(IF_MATCH_HEADER)
  activity(@Param('id') id: string, @Body() body: ActivityDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    const ctx = commandContext(req, 'RecordActivity');
    return this.bus.execute(new RecordActivityCommand(id, { ...body, contributionId: newIdFor(ctx, 'contribution', id) }, ctx));
  }

  @Post(':id/contributions/:contributionId/verification')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor')
  @ApiHeader(IF_MATCH_HEADER)
  verify(@Param('id') id: string, @Param('contributionId') contributionId: string, @Body() body: VerificationDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new RecordVerificationCommand(id, { ...body, contributionId }, commandContext(req, 'RecordVerification')));
  }

  @Post(':id/contributions/:contributionId/agreed-value')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor')
  @ApiHeader(IF_MATCH_HEADER)
  agreedValue(@Param('id') id: string, @Param('contributionId') contributionId: string, @Body() body: AgreedValueDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new RecordAgreedValueCommand(id, { ...body, contributionId }, commandContext(req, 'RecordAgreedValue')));
  }

  @Post(':id/contributions/:contributionId/withdrawal')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Roles('advisor', 'contractor')
  @ApiHeader(IF_MATCH_HEADER)
  withdraw(@Param('id') id: string, @Param('contributionId') contributionId: string, @Body() body: WithdrawalDto, @Req() req: FastifyRequest): Promise<CommandResult> {
    return this.bus.execute(new WithdrawContributionCommand(id, { ...body, contributionId }, commandContext(req, 'WithdrawContribution')));
  }
}
