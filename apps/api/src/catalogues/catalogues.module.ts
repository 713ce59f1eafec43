import { Module } from '@nestjs/common';
import { CatalogueRegistry } from './catalogue.registry';
import { CatalogueSeeder } from './catalogue.seeder';
import { CataloguesController } from './catalogues.controller';

@Module({ controllers: [CataloguesController], providers: [CatalogueRegistry, CatalogueSeeder], exports: [CatalogueRegistry] })
export class CataloguesModule {}
