import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { isPublicEventType, PUBLIC_EVENT_ENVELOPE_SCHEMA, publicEventSchemas } from '@sroi/integration-events';
import { Public } from '../auth/auth.decorators';
import { notFound } from '../platform/problem';

/** The JSON Schemas (draft 2020-12) of the public integration events: public, like any published contract. */
@ApiTags('integration')
@Public()
@Controller('v1/integration/schemas')
export class IntegrationSchemasController {
  @Get()
  @ApiOkResponse({ description: 'The envelope schema and one schema per public event type and version' })
  list(): unknown {
    return { envelope: PUBLIC_EVENT_ENVELOPE_SCHEMA, schemas: publicEventSchemas() };
  }

  @Get(':type')
  @ApiOkResponse({ description: 'The JSON Schema of one public event type (its current version)' })
  one(@Param('type') type: string): unknown {
    if (!isPublicEventType(type)) throw notFound(`Public event type '${type}'`);
    const entry = publicEventSchemas().find((s) => s.type === type);
    if (!entry) throw notFound(`Public event type '${type}'`);
    return entry.schema;
  }
}
