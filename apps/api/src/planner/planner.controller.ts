import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Idempotent } from '../idempotency/idempotency.module';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiIdempotencyKey, ApiProblems } from '../platform/api-docs';
import { answerSchema } from '../platform/answer-schemas';
import { DomainError, estimate, type Estimate, type PlannedItem } from '@sroi/domain';
import { CatalogueRegistry } from '../catalogues/catalogue.registry';
import { EstimateDto } from './planner.dto';

/** The contractor's what-if: what a plan of blocks is worth against the obligation. Writes nothing. */
@ApiTags('planner')
@ApiBearerAuth()
@Idempotent()
@ApiIdempotencyKey()
@ApiProblems(400, 401, 403, 422)
@Controller('v1/planner')
export class PlannerController {
  constructor(private readonly catalogues: CatalogueRegistry) {}

  @Post('estimate')
  @ApiOkResponse({ description: 'what each planned item and the plan are worth against the obligation; nothing is written', schema: answerSchema('PlannerEstimate') })
  @HttpCode(200)
  async estimate(@Body() body: EstimateDto): Promise<Estimate> {
    const version = await this.catalogues.find(body.catalogue.id, body.catalogue.version);
    if (!version) throw new DomainError('unknown-catalogue-version', `catalogue version ${body.catalogue.id}/${body.catalogue.version} has not been published`);
    const items: PlannedItem[] = body.items.map((i) => Object.fromEntries(Object.entries(i).filter(([, v]) => v !== undefined)) as unknown as PlannedItem);
    return estimate(version, body.contractValueCents, body.sroiPercentage, items);
  }
}
