import { Module } from '@nestjs/common';
import { CataloguesModule } from '../catalogues/catalogues.module';
import { ContractsModule } from '../contracts/contracts.module';
import { DemoLoader } from './demo.loader';

@Module({ imports: [CataloguesModule, ContractsModule], providers: [DemoLoader] })
export class DemoModule {}
