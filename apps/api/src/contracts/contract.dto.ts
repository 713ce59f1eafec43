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
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
  IsDefined,
  IsObject,
} from 'class-validator';
import { IsCalendarDate, IsStorableText, IsStringRecord, MAX_CENTS } from '../platform/validators';

const Text = (max = 500, multiline = false) => (target: object, key: string) => {
  IsString()(target, key);
  IsNotEmpty()(target, key);
  MaxLength(max)(target, key);
  IsStorableText(multiline)(target, key);
};
/** Reasons, notes, descriptions: may span lines. */
const Prose = (max = 500) => Text(max, true);
const Cents = () => (target: object, key: string) => {
  IsInt()(target, key);
  Min(0)(target, key);
  Max(MAX_CENTS)(target, key);
};
const Hours = () => (target: object, key: string) => {
  IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false })(target, key);
  Min(0)(target, key);
  Max(168)(target, key);
};

export class ContractorDto {
  @ApiProperty({ example: '90000017', description: 'KvK number, 8 digits' }) @Matches(/^\d{8}$/, { message: 'kvk must be 8 digits' }) kvk!: string;
  @ApiProperty({ example: 'Van Lier & Roos Advocaten' }) @Text(200) name!: string;
}

export class CatalogueRefDto {
  @ApiProperty({ example: 'utrecht' }) @Text(100) id!: string;
  @ApiProperty({ example: '2019' }) @Text(50) version!: string;
}

export class RegisterContractDto {
  @ApiProperty({ example: 'Utrecht' }) @Text(200) municipality!: string;
  @ApiProperty({ example: 'Kerstmarkt 2025' }) @Text() title!: string;
  @ApiProperty({ example: 'UTR-2025-0042' }) @Text(200) tenderReference!: string;
  @ApiProperty({ type: ContractorDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => ContractorDto) contractor!: ContractorDto;
  @ApiProperty({ example: 100000000, description: 'contract value in euro cents' }) @Cents() contractValueCents!: number;
  @ApiProperty({ example: 5, description: 'decimal percent, at most two decimals' })
  @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(100)
  sroiPercentage!: number;
  @ApiProperty({ example: '2023-01-01' }) @IsCalendarDate() startDate!: string;
  @ApiProperty({ example: '2024-12-31' }) @IsCalendarDate() endDate!: string;
  @ApiProperty({ type: CatalogueRefDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => CatalogueRefDto) catalogue!: CatalogueRefDto;
  @ApiPropertyOptional({ description: 'the advisor names a version other than the one in force on the start date on purpose' })
  @IsOptional()
  @IsBoolean()
  explicitVersion?: boolean;
}

export class ValueChangeDto {
  @ApiProperty({ example: 120000000 }) @Cents() contractValueCents!: number;
  @ApiProperty({ example: '2024-01-01' }) @IsCalendarDate() effectiveDate!: string;
  @ApiProperty({ example: 'extra work ordered' }) @Prose() reason!: string;
}

export class PeriodChangeDto {
  @ApiProperty({ example: '2025-06-30' }) @IsCalendarDate() endDate!: string;
  @ApiProperty({ example: 'contract extended' }) @Prose() reason!: string;
}

export class CatalogueMigrationDto {
  @ApiProperty({ type: CatalogueRefDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => CatalogueRefDto) catalogue!: CatalogueRefDto;
  @ApiProperty({ example: '2019-10-01' }) @IsCalendarDate() effectiveDate!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { SOCIAL: 'SOCIAL-PURCHASE' } })
  @IsOptional()
  @IsStringRecord(/^[A-Z0-9][A-Z0-9-]*$/)
  blockMapping?: Record<string, string>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() explicitVersion?: boolean;
  @ApiProperty({ example: 'agreed with the contractor' }) @Prose() reason!: string;
}

export class CloseContractDto {
  @ApiProperty({ example: 'final report accepted' }) @Prose() reason!: string;
}

export class HireDto {
  @ApiProperty({ example: 'CAND-0001', description: 'pseudonymous reference: never a BSN, name or birth date' }) @Text(200) candidateRef!: string;
  @ApiProperty({ example: 'PW' }) @Text(100) blockCode!: string;
  @ApiPropertyOptional({ type: [String], example: [] }) @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) bonusCodes?: string[];
  @ApiProperty({ example: '2023-01-01' }) @IsCalendarDate() startDate!: string;
  @ApiPropertyOptional({ example: '2023-06-30', nullable: true, type: String }) @IsOptional() @ValidateIf((_, v) => v !== null) @IsCalendarDate() endDate?: string | null;
  @ApiProperty({ example: 24 }) @Hours() hoursPerWeek!: number;
  @ApiProperty({ example: false }) @IsBoolean() permanent!: boolean;
}

export class PlacementChangeDto {
  @ApiProperty({ example: '2023-04-01' }) @IsCalendarDate() effectiveDate!: string;
  @ApiPropertyOptional({ example: 32 }) @IsOptional() @Hours() hoursPerWeek?: number;
  @ApiPropertyOptional({ example: true }) @IsOptional() @IsBoolean() permanent?: boolean;
}

export class EndPlacementDto {
  @ApiProperty({ example: '2023-06-30' }) @IsCalendarDate() endDate!: string;
  @ApiProperty({ example: 'contract ended' }) @Prose() reason!: string;
}

export class SupplierDto {
  @ApiProperty({ example: 'Reinaerde' }) @Text(200) name!: string;
  @ApiPropertyOptional({ example: '30123456' }) @IsOptional() @Matches(/^\d{8}$/, { message: 'kvk must be 8 digits' }) kvk?: string;
}

export class PurchaseDto {
  @ApiProperty({ type: SupplierDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => SupplierDto) supplier!: SupplierDto;
  @ApiProperty({ example: 'INV-2025-117' }) @Text(200) invoiceReference!: string;
  @ApiProperty({ example: 1250000 }) @Cents() amountExclVatCents!: number;
  @ApiProperty({ example: '2023-12-15' }) @IsCalendarDate() date!: string;
  @ApiProperty({ example: 'SOCIAL-PURCHASE' }) @Text(100) blockCode!: string;
}

export class KnowledgeSharingDto {
  @ApiProperty({ example: 'Workshop on job applications' }) @Prose() description!: string;
  @ApiProperty({ example: '2023-03-01' }) @IsCalendarDate() date!: string;
  @ApiProperty({ example: 'KNOWLEDGE' }) @Text(100) blockCode!: string;
  @ApiPropertyOptional({ example: 8 }) @IsOptional() @Hours() hours?: number;
  @ApiPropertyOptional() @IsOptional() @Cents() costCents?: number;
}

export class ActivityDto {
  @ApiProperty({ example: 'Bicycle lessons for newcomers' }) @Prose() description!: string;
  @ApiProperty({ example: '2023-05-01' }) @IsCalendarDate() date!: string;
  @ApiProperty({ example: 'MOBILITY' }) @Text(100) blockCode!: string;
  @ApiPropertyOptional() @IsOptional() @Cents() costCents?: number;
}

export class VerificationDto {
  @ApiProperty({ enum: ['verified', 'rejected'] }) @IsIn(['verified', 'rejected']) verdict!: 'verified' | 'rejected';
  @ApiPropertyOptional({ example: 'employment contract and UWV statement seen' }) @IsOptional() @IsString() @MaxLength(2000) note?: string;
}

export class AgreedValueDto {
  @ApiProperty({ example: 500000 }) @Cents() valueCents!: number;
  @ApiProperty({ example: 'agreed in the progress meeting' }) @Prose(2000) note!: string;
}

export class WithdrawalDto {
  @ApiProperty({ example: 'recorded twice' }) @Prose() reason!: string;
}

export class CommandResultDto {
  @ApiProperty() contractId!: string;
  @ApiProperty({ description: 'stream revision after the command (the next If-Match)' }) revision!: number;
  @ApiProperty({ description: 'global position of the last event written, a decimal string: pass it as ?minPosition= to read your write' }) position!: string;
  @ApiPropertyOptional({ description: 'the contribution created (for a hire: the placement id)' }) contributionId?: string;
}
