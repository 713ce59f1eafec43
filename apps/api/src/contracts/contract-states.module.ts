import { Global, Module } from '@nestjs/common';
import { ContractStates } from '../projections/read-models';
import { ContractRepository } from './contract-repository';

/**
 * The contracts' folded states, for the write side (commands, status) and the read side (the
 * figures the read models snapshot): one ContractRepository, whose cache both share.
 */
@Global()
@Module({
  providers: [ContractRepository, { provide: ContractStates, useExisting: ContractRepository }],
  exports: [ContractRepository, ContractStates],
})
export class ContractStatesModule {}
