import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

/** Every GET may wait for the projections to reach a position (a command's `position`; see ProjectionPositionHooks). */
export class ReadQueryDto {
  @ApiPropertyOptional({ description: 'wait (at most 5 s) until the projections have applied this position', example: '42' })
  @IsOptional()
  @Matches(/^\d{1,20}$/, { message: 'minPosition must be a position, a non-negative whole number' })
  minPosition?: string;
}
