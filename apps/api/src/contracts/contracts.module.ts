import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CataloguesModule } from '../catalogues/catalogues.module';
import { StartupWork } from '../platform/startup-compaction';
import { ContractCommandService } from './contract-command.service';
import { ContractQueriesController } from './contract-queries.controller';
import { ContractRepository } from './contract-repository';
import { CONTRACT_COMMAND_HANDLERS } from './contract.commands';
import { CONTRACT_QUERY_HANDLERS } from './contract.queries';
import { ContractsController } from './contracts.controller';
import { StatusFastPath } from './status-fast-path';
import { StatusWarmer } from './status-warmer';

@Module({
  imports: [CqrsModule, CataloguesModule],
  controllers: [ContractsController, ContractQueriesController],
  providers: [ContractCommandService, StatusFastPath, StatusWarmer, ...CONTRACT_COMMAND_HANDLERS, ...CONTRACT_QUERY_HANDLERS],
  exports: [ContractCommandService],
})
export class ContractsModule implements OnModuleInit {
  constructor(
    @Inject(ContractRepository) private readonly repository: ContractRepository,
    @Inject(StartupWork) private readonly startupWork: StartupWork,
  ) {}

  onModuleInit(): void {
    this.startupWork.register('contract state cache', () => this.repository.isWarm());
  }
}
