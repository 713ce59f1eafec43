import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CatalogueRegistry } from './catalogue.registry';

/** Publishes the shipped catalogue versions into an empty store at start-up. */
@Injectable()
export class CatalogueSeeder implements OnApplicationBootstrap {
  constructor(private readonly registry: CatalogueRegistry) {}

  onApplicationBootstrap(): Promise<void> {
    return this.registry.ensureShipped();
  }
}
