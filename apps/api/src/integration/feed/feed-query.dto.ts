import { ApiPropertyOptional } from '@nestjs/swagger';
import { PUBLIC_EVENT_TYPES } from '@sroi/integration-events';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ReadQueryDto } from '../../read-side/read-query.dto';

/** A repeated parameter (`?types=a&types=b`) counts as one comma-separated list. */
const joinRepeated = ({ value }: { value: unknown }): unknown => (Array.isArray(value) ? value.join(',') : value);

/** `minPosition` as on every GET: the stream starts once the projections (the integration log among them) have applied it. */
export class FeedQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({
    description: `Only these public event types, comma-separated (default: every type). Known: ${PUBLIC_EVENT_TYPES.join(', ')}; an unknown type is 400 \`unknown-event-type\`.`,
    example: 'contract.registered,contribution.recorded',
  })
  @IsOptional()
  @Transform(joinRepeated)
  @IsString()
  @MaxLength(2000)
  types?: string;

  @ApiPropertyOptional({ description: 'Only the events of this contract', example: '0190a5b2-7c1e-7d3a-9f00-2b3c4d5e6f70' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  contractId?: string;

  @ApiPropertyOptional({
    description: 'Resume after this event id, for clients that cannot send the `Last-Event-ID` header (browsers, on the first request); the header wins when both are given.',
    example: '42',
  })
  @IsOptional()
  @IsString()
  lastEventId?: string;
}
