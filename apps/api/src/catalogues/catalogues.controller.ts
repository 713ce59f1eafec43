import { Body, Controller, Get, Param, Post, Query, Req } from '@nestjs/common';
import { Idempotent } from '../idempotency/idempotency.module';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiIdempotencyKey, ApiProblems } from '../platform/api-docs';
import { answerSchema } from '../platform/answer-schemas';
import { diffCatalogueVersions, type CatalogueVersion } from '@sroi/domain';
import type { FastifyRequest } from 'fastify';
import { Roles } from '../auth/auth.decorators';
import { notFound } from '../platform/problem';
import { envelopeOf } from '../shared/request-envelope';
import { CatalogueRegistry } from './catalogue.registry';
import { CatalogueDiffQueryDto, PublishCatalogueVersionDto } from './catalogue.dto';

@ApiTags('catalogues')
@ApiBearerAuth()
@Idempotent()
@ApiProblems(400, 401, 403, 404, 422)
@Controller('v1/catalogues')
export class CataloguesController {
  constructor(private readonly registry: CatalogueRegistry) {}

  @Get()
  @ApiOkResponse({ description: 'every catalogue with its versions (blocks: how many)', schema: answerSchema('CatalogueList') })
  async list(): Promise<unknown> {
    const byId = new Map<string, CatalogueVersion[]>();
    for (const v of await this.registry.versions()) byId.set(v.catalogueId, [...(byId.get(v.catalogueId) ?? []), v]);
    return {
      items: [...byId.entries()].map(([catalogueId, versions]) => ({
        catalogueId,
        authority: versions[versions.length - 1].authority,
        versions: versions.map((v) => ({ version: v.version, validFrom: v.validFrom, replacesVersion: v.replacesVersion, blocks: v.blocks.length, note: v.note })),
      })),
    };
  }

  @Get(':catalogueId/versions/:version')
  @ApiOkResponse({ description: 'the whole catalogue version, its blocks and what each is worth', schema: answerSchema('CatalogueVersion') })
  async version(@Param('catalogueId') catalogueId: string, @Param('version') version: string): Promise<CatalogueVersion> {
    const v = await this.registry.find(catalogueId, version);
    if (!v) throw notFound(`Catalogue version ${catalogueId}/${version}`);
    return v;
  }

  @Get(':catalogueId/diff')
  @ApiOkResponse({ description: 'what changed from one version to the other', schema: answerSchema('CatalogueDiff') })
  async diff(@Param('catalogueId') catalogueId: string, @Query() query: CatalogueDiffQueryDto): Promise<unknown> {
    const [a, b] = await Promise.all([this.registry.find(catalogueId, query.from), this.registry.find(catalogueId, query.to)]);
    if (!a) throw notFound(`Catalogue version ${catalogueId}/${query.from}`);
    if (!b) throw notFound(`Catalogue version ${catalogueId}/${query.to}`);
    return diffCatalogueVersions(a, b);
  }

  @Post(':catalogueId/versions')
  @ApiCreatedResponse({ description: 'the version is published', schema: answerSchema('CataloguePublished') })
  @ApiIdempotencyKey()
  @Roles('admin')
  async publish(@Param('catalogueId') catalogueId: string, @Body() body: PublishCatalogueVersionDto, @Req() request: FastifyRequest): Promise<unknown> {
    const version = { catalogueId, ...body } as unknown as CatalogueVersion;
    const result = await this.registry.publish(version, envelopeOf(request, 'PublishCatalogueVersion'));
    return { catalogueId, version: body.version, revision: Number(result.revision), position: String(result.position) };
  }
}
