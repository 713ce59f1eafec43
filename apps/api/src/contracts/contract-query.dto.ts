import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsCalendarDate } from '../platform/validators';
import { ReadQueryDto } from '../read-side/read-query.dto';

/** The last page a portfolio query may ask for: (page − 1) × pageSize stays a safe integer for SQLite's OFFSET. */
export const MAX_PAGE = 1_000_000;

export class PortfolioQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({ example: 'Utrecht' }) @IsOptional() @IsString() @MaxLength(200) municipality?: string;
  @ApiPropertyOptional({ example: '90000017' }) @IsOptional() @Matches(/^\d{8}$/, { message: 'contractorKvk must be 8 digits' }) contractorKvk?: string;
  @ApiPropertyOptional({ enum: ['on-track', 'behind', 'met', 'not-met'] }) @IsOptional() @IsIn(['on-track', 'behind', 'met', 'not-met']) status?: 'on-track' | 'behind' | 'met' | 'not-met';
  @ApiPropertyOptional({ enum: ['title', 'startDate', 'endDate', 'obligationCents', 'realisedCents', 'progress', 'updatedAt'] })
  @IsOptional()
  @IsIn(['title', 'startDate', 'endDate', 'obligationCents', 'realisedCents', 'progress', 'updatedAt'])
  sort?: 'title' | 'startDate' | 'endDate' | 'obligationCents' | 'realisedCents' | 'progress' | 'updatedAt';
  @ApiPropertyOptional({ enum: ['asc', 'desc'] }) @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ default: 1, maximum: MAX_PAGE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE) page?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) pageSize?: number;
}

export class StatusQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({ example: '2023-06-30', description: 'the date the figures are seen at (default: today in Europe/Amsterdam)' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;
  @ApiPropertyOptional({ example: '2024-01-01T00:00:00Z', description: 'only events recorded at or before this instant count (default: now)' })
  @IsOptional()
  @IsString()
  knownAt?: string;
  @ApiPropertyOptional({ enum: ['contributions'], description: 'also list every contribution with its figures (a long answer for a large contract)' })
  @IsOptional()
  @IsIn(['contributions'])
  include?: 'contributions';
}

export class HistoryQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({ example: '2024-12-31', description: 'the date the valuation effects are seen at (default: the contract end date)' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;
}

export class ReplayQueryDto extends HistoryQueryDto {
  @ApiPropertyOptional({ example: 3, description: 'replay up to and including this revision (default: all)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  toRevision?: number;
}
