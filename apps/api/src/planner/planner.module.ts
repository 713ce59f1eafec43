import { Module } from '@nestjs/common';
import { CataloguesModule } from '../catalogues/catalogues.module';
import { PlannerController } from './planner.controller';

@Module({ imports: [CataloguesModule], controllers: [PlannerController] })
export class PlannerModule {}
