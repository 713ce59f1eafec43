import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsInt, IsObject, IsNotEmpty, IsNumber, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { CatalogueRefDto } from '../contracts/contract.dto';
import { MAX_CENTS } from '../platform/validators';

export class PlannedItemDto {
  @ApiProperty({ example: 'PW' }) @IsString() @IsNotEmpty() @MaxLength(100) blockCode!: string;
  @ApiPropertyOptional({ type: [String], example: ['B-50PLUS'] }) @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) bonusCodes?: string[];
  @ApiPropertyOptional({ example: 24 }) @IsOptional() @IsNumber({ maxDecimalPlaces: 2 }) @Min(0) @Max(168) hoursPerWeek?: number;
  @ApiPropertyOptional({ example: 181, description: 'duration in days (Actual/365)' }) @IsOptional() @IsInt() @Min(1) @Max(36500) days?: number;
  @ApiPropertyOptional({ description: 'or in months (1/12 year each); give days or months, not both' }) @IsOptional() @IsInt() @Min(1) @Max(1200) months?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() permanent?: boolean;
  @ApiPropertyOptional({ example: 40, description: 'hourly blocks: hours' }) @IsOptional() @IsNumber({ maxDecimalPlaces: 2 }) @Min(0) @Max(100_000) hours?: number;
  @ApiPropertyOptional({ example: 1250000, description: 'invoice blocks: amount excl. VAT in cents' }) @IsOptional() @IsInt() @Min(0) @Max(MAX_CENTS) amountCents?: number;
  @ApiPropertyOptional({ example: 1, description: 'per-activity blocks: number of activities' }) @IsOptional() @IsInt() @Min(1) @Max(100_000) count?: number;
}

export class EstimateDto {
  @ApiProperty({ type: CatalogueRefDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => CatalogueRefDto) catalogue!: CatalogueRefDto;
  @ApiProperty({ example: 100000000 }) @IsInt() @Min(0) @Max(MAX_CENTS) contractValueCents!: number;
  @ApiProperty({ example: 5 }) @IsNumber({ maxDecimalPlaces: 2 }) @Min(0.01) @Max(100) sroiPercentage!: number;
  @ApiProperty({ type: [PlannedItemDto] }) @IsArray() @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => PlannedItemDto) items!: PlannedItemDto[];
}
