/**
 * The write side: one CommandBus command per endpoint, each handled by mapping the request to
 * the domain command and running it through ContractCommandService (read, fold, decide, append).
 */
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Injectable } from '@nestjs/common';
import { DomainError, versionInForce, type ContractCommand } from '@sroi/domain';
import { CatalogueRegistry } from '../catalogues/catalogue.registry';
import { ContractCommandService, type CommandContext, type CommandResult } from './contract-command.service';
import type {
  ActivityDto,
  AgreedValueDto,
  CatalogueMigrationDto,
  CloseContractDto,
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

abstract class ContractCommandBase<B> extends Command<CommandResult> {
  constructor(
    readonly contractId: string,
    readonly body: B,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class RegisterContractCommand extends ContractCommandBase<RegisterContractDto> {}
export class ChangeContractValueCommand extends ContractCommandBase<ValueChangeDto> {}
export class ChangeContractPeriodCommand extends ContractCommandBase<PeriodChangeDto> {}
export class MigrateCatalogueCommand extends ContractCommandBase<CatalogueMigrationDto> {}
export class CloseContractCommand extends ContractCommandBase<CloseContractDto> {}
export class RecordHireCommand extends ContractCommandBase<HireDto & { placementId: string }> {}
export class ChangePlacementCommand extends ContractCommandBase<PlacementChangeDto & { placementId: string }> {}
export class EndPlacementCommand extends ContractCommandBase<EndPlacementDto & { placementId: string }> {}
export class RecordPurchaseCommand extends ContractCommandBase<PurchaseDto & { contributionId: string }> {}
export class RecordKnowledgeSharingCommand extends ContractCommandBase<KnowledgeSharingDto & { contributionId: string }> {}
export class RecordActivityCommand extends ContractCommandBase<ActivityDto & { contributionId: string }> {}
export class RecordVerificationCommand extends ContractCommandBase<VerificationDto & { contributionId: string }> {}
export class RecordAgreedValueCommand extends ContractCommandBase<AgreedValueDto & { contributionId: string }> {}
export class WithdrawContributionCommand extends ContractCommandBase<WithdrawalDto & { contributionId: string }> {}

const unknownVersion = (id: string, version: string) =>
  new DomainError('unknown-catalogue-version', `catalogue version ${id}/${version} has not been published`, { catalogue: { catalogueId: id, version } });

@CommandHandler(RegisterContractCommand)
export class RegisterContractHandler implements ICommandHandler<RegisterContractCommand, CommandResult> {
  constructor(
    private readonly commands: ContractCommandService,
    private readonly catalogues: CatalogueRegistry,
  ) {}

  async execute({ contractId, body, ctx }: RegisterContractCommand): Promise<CommandResult> {
    const versions = await this.catalogues.versions(true);
    const catalogue = versions.find((v) => v.catalogueId === body.catalogue.id && v.version === body.catalogue.version);
    if (!catalogue) throw unknownVersion(body.catalogue.id, body.catalogue.version);
    const inForce = versionInForce(versions, body.catalogue.id, body.startDate);
    return this.commands.execute(contractId, ctx, () => ({
      type: 'RegisterContract',
      data: {
        contractId,
        municipality: body.municipality,
        title: body.title,
        tenderReference: body.tenderReference,
        contractor: { kvk: body.contractor.kvk, name: body.contractor.name },
        contractValueCents: body.contractValueCents,
        sroiPercentage: body.sroiPercentage,
        startDate: body.startDate,
        endDate: body.endDate,
        catalogue,
        ...(inForce ? { versionInForceOnStart: { catalogueId: inForce.catalogueId, version: inForce.version } } : {}),
        explicitVersion: body.explicitVersion ?? false,
      },
    }));
  }
}

@CommandHandler(MigrateCatalogueCommand)
export class MigrateCatalogueHandler implements ICommandHandler<MigrateCatalogueCommand, CommandResult> {
  constructor(
    private readonly commands: ContractCommandService,
    private readonly catalogues: CatalogueRegistry,
  ) {}

  async execute({ contractId, body, ctx }: MigrateCatalogueCommand): Promise<CommandResult> {
    const catalogue = await this.catalogues.find(body.catalogue.id, body.catalogue.version, true);
    return this.commands.execute(contractId, ctx, () => {
      if (!catalogue) throw unknownVersion(body.catalogue.id, body.catalogue.version);
      return {
        type: 'MigrateCatalogue',
        data: {
          catalogue,
          effectiveDate: body.effectiveDate,
          ...(body.blockMapping ? { blockMapping: { ...body.blockMapping } } : {}),
          explicitVersion: body.explicitVersion ?? false,
          reason: body.reason,
        },
      };
    });
  }
}

/** A handler whose command maps one-to-one onto a domain command. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function simple<C extends ContractCommandBase<any>>(toDomain: (c: C) => ContractCommand, contributionIdOf?: (c: C) => string) {
  @Injectable()
  class SimpleContractCommandHandler {
    constructor(readonly commands: ContractCommandService) {}
    execute(c: C): Promise<CommandResult> {
      return this.commands.execute(c.contractId, c.ctx, () => toDomain(c), contributionIdOf?.(c));
    }
  }
  return SimpleContractCommandHandler;
}

@CommandHandler(ChangeContractValueCommand)
export class ChangeContractValueHandler extends simple<ChangeContractValueCommand>(({ body: b }) => ({
  type: 'ChangeContractValue',
  data: { contractValueCents: b.contractValueCents, effectiveDate: b.effectiveDate, reason: b.reason },
})) {}

@CommandHandler(ChangeContractPeriodCommand)
export class ChangeContractPeriodHandler extends simple<ChangeContractPeriodCommand>(({ body: b }) => ({
  type: 'ChangeContractPeriod',
  data: { endDate: b.endDate, reason: b.reason },
})) {}

@CommandHandler(CloseContractCommand)
export class CloseContractHandler extends simple<CloseContractCommand>(({ body: b }) => ({ type: 'CloseContract', data: { reason: b.reason } })) {}

@CommandHandler(RecordHireCommand)
export class RecordHireHandler extends simple<RecordHireCommand>(
  ({ body: b }) => ({
    type: 'RecordHire',
    data: {
      placementId: b.placementId,
      candidateRef: b.candidateRef,
      blockCode: b.blockCode,
      bonusCodes: b.bonusCodes ?? [],
      startDate: b.startDate,
      endDate: b.endDate ?? null,
      hoursPerWeek: b.hoursPerWeek,
      permanent: b.permanent,
    },
  }),
  (c) => c.body.placementId,
) {}

@CommandHandler(ChangePlacementCommand)
export class ChangePlacementHandler extends simple<ChangePlacementCommand>(({ body: b }) => ({
  type: 'ChangePlacement',
  data: {
    placementId: b.placementId,
    effectiveDate: b.effectiveDate,
    ...(b.hoursPerWeek !== undefined ? { hoursPerWeek: b.hoursPerWeek } : {}),
    ...(b.permanent !== undefined ? { permanent: b.permanent } : {}),
  },
})) {}

@CommandHandler(EndPlacementCommand)
export class EndPlacementHandler extends simple<EndPlacementCommand>(({ body: b }) => ({
  type: 'EndPlacement',
  data: { placementId: b.placementId, endDate: b.endDate, reason: b.reason },
})) {}

@CommandHandler(RecordPurchaseCommand)
export class RecordPurchaseHandler extends simple<RecordPurchaseCommand>(
  ({ body: b }) => ({
    type: 'RecordPurchase',
    data: {
      contributionId: b.contributionId,
      supplier: { name: b.supplier.name, ...(b.supplier.kvk !== undefined ? { kvk: b.supplier.kvk } : {}) },
      invoiceReference: b.invoiceReference,
      amountExclVatCents: b.amountExclVatCents,
      date: b.date,
      blockCode: b.blockCode,
    },
  }),
  (c) => c.body.contributionId,
) {}

@CommandHandler(RecordKnowledgeSharingCommand)
export class RecordKnowledgeSharingHandler extends simple<RecordKnowledgeSharingCommand>(
  ({ body: b }) => ({
    type: 'RecordKnowledgeSharing',
    data: {
      contributionId: b.contributionId,
      description: b.description,
      date: b.date,
      blockCode: b.blockCode,
      ...(b.hours !== undefined ? { hours: b.hours } : {}),
      ...(b.costCents !== undefined ? { costCents: b.costCents } : {}),
    },
  }),
  (c) => c.body.contributionId,
) {}

@CommandHandler(RecordActivityCommand)
export class RecordActivityHandler extends simple<RecordActivityCommand>(
  ({ body: b }) => ({
    type: 'RecordActivity',
    data: {
      contributionId: b.contributionId,
      description: b.description,
      date: b.date,
      blockCode: b.blockCode,
      ...(b.costCents !== undefined ? { costCents: b.costCents } : {}),
    },
  }),
  (c) => c.body.contributionId,
) {}

@CommandHandler(RecordVerificationCommand)
export class RecordVerificationHandler extends simple<RecordVerificationCommand>(({ body: b }) => ({
  type: 'RecordVerification',
  data: { contributionId: b.contributionId, verdict: b.verdict, ...(b.note !== undefined ? { note: b.note } : {}) },
})) {}

@CommandHandler(RecordAgreedValueCommand)
export class RecordAgreedValueHandler extends simple<RecordAgreedValueCommand>(({ body: b }) => ({
  type: 'RecordAgreedValue',
  data: { contributionId: b.contributionId, valueCents: b.valueCents, note: b.note },
})) {}

@CommandHandler(WithdrawContributionCommand)
export class WithdrawContributionHandler extends simple<WithdrawContributionCommand>(({ body: b }) => ({
  type: 'WithdrawContribution',
  data: { contributionId: b.contributionId, reason: b.reason },
})) {}

export const CONTRACT_COMMAND_HANDLERS = [
  RegisterContractHandler,
  MigrateCatalogueHandler,
  ChangeContractValueHandler,
  ChangeContractPeriodHandler,
  CloseContractHandler,
  RecordHireHandler,
  ChangePlacementHandler,
  EndPlacementHandler,
  RecordPurchaseHandler,
  RecordKnowledgeSharingHandler,
  RecordActivityHandler,
  RecordVerificationHandler,
  RecordAgreedValueHandler,
  WithdrawContributionHandler,
];
