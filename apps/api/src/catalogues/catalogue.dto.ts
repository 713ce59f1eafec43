import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
  IsDefined,
  IsObject,
  registerDecorator,
} from 'class-validator';
import { ReadQueryDto } from '../read-side/read-query.dto';
import { BLOCK_CATEGORIES } from '@sroi/domain';
import { IsCalendarDate } from '../platform/validators';

export class CatalogueParametersDto {
  @ApiProperty({ example: 36 }) @IsInt() @Min(1) fteHours!: number;
  @ApiProperty({ example: 10000 }) @IsInt() @Min(0) hourlyRateCents!: number;
  @ApiProperty({ example: 12 }) @IsInt() @Min(0) preStartHireWindowMonths!: number;
  @ApiProperty({ nullable: true, type: Number, example: null }) @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) maxCountedMonths!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: null }) @ValidateIf((_, v) => v !== null) @IsNumber() @Min(0) minHoursPerWeek!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 10000000 }) @ValidateIf((_, v) => v !== null) @IsInt() @Min(0) thresholdCents!: number | null;
}

/** One of the valuation kinds; the domain checks the combination (422 `invalid-catalogue`). */
export class BlockValuationDto {
  @ApiProperty({ enum: ['annual', 'hourly', 'invoice', 'invoice-or-hourly', 'per-activity', 'agreement'] })
  @IsIn(['annual', 'hourly', 'invoice', 'invoice-or-hourly', 'per-activity', 'agreement'])
  kind!: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) annualCents?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) rateCents?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) factorBasisPoints?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) amountCents?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) maxPerDay?: number;
}

export class CatalogueBlockDto {
  @ApiProperty({ example: 'PW' }) @IsString() @Matches(/^[A-Z0-9][A-Z0-9-]*$/) @MaxLength(50) code!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(300) nameNl!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(300) nameEn!: string;
  @ApiProperty({ enum: BLOCK_CATEGORIES }) @IsIn([...BLOCK_CATEGORIES]) category!: (typeof BLOCK_CATEGORIES)[number];
  @ApiProperty({ type: BlockValuationDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => BlockValuationDto) valuation!: BlockValuationDto;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(100) @IsString({ each: true }) replaces?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() permanentBonus?: boolean;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(100) @IsString({ each: true }) appliesTo?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() valuedWithoutHours?: boolean;
  @ApiPropertyOptional({ nullable: true, type: Number }) @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) maxCountedMonths?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) note?: string;
}

/** A whole catalogue version, as published by an administrator. */
export class PublishCatalogueVersionDto {
  @ApiProperty({ example: '2025' }) @IsString() @IsNotEmpty() @MaxLength(50) version!: string;
  @ApiProperty({ example: 'Gemeente Utrecht' }) @IsString() @IsNotEmpty() @MaxLength(300) authority!: string;
  @ApiProperty({ example: '2025-01-01' }) @IsCalendarDate() validFrom!: string;
  @ApiProperty({ nullable: true, type: String, example: '2019' }) @ValidateIf((_, v) => v !== null) @IsString() @IsNotEmpty() replacesVersion!: string | null;
  @ApiProperty({ type: CatalogueParametersDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => CatalogueParametersDto) parameters!: CatalogueParametersDto;
  @ApiProperty({ type: [CatalogueBlockDto] }) @IsArray() @ArrayMaxSize(500) @ValidateNested({ each: true }) @Type(() => CatalogueBlockDto) blocks!: CatalogueBlockDto[];
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'string' } }, example: [] }) @IsArray() @ArrayMaxSize(50) @IsStringLists() exclusiveBonusGroups!: string[][];
  @ApiProperty({ example: 'https://www.utrecht.nl/...' }) @IsString() @IsNotEmpty() @MaxLength(2000) source!: string;
  @ApiProperty({ example: '' }) @IsString() @MaxLength(5000) note!: string;
}

/** `minPosition` as on every GET. */
export class CatalogueDiffQueryDto extends ReadQueryDto {
  @ApiProperty({ example: '2015' }) @IsString() @IsNotEmpty() from!: string;
  @ApiProperty({ example: '2019' }) @IsString() @IsNotEmpty() to!: string;
}

/** A list of lists of strings (each at most 50): a `string[][]` the schema above only describes. */
function IsStringLists(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStringLists',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be a list of lists of block codes' },
      validator: { validate: (value: unknown) => Array.isArray(value) && value.every((g) => Array.isArray(g) && g.length <= 50 && g.every((c) => typeof c === 'string')) },
    });
}
