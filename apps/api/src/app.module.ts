import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { CataloguesModule } from './catalogues/catalogues.module';
import { ApiConfig } from './config/api-config';
import { ConfigModule } from './config/config.module';
import { ContractStatesModule } from './contracts/contract-states.module';
import { ContractsModule } from './contracts/contracts.module';
import { DemoModule } from './demo/demo.module';
import { EventStoreModule } from './event-store/event-store.module';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { IntegrationModule } from './integration/integration.module';
import { PlannerModule } from './planner/planner.module';
import type { Clock } from './platform/clock';
import { PlatformModule } from './platform/platform.module';
import { ReadSideModule } from './read-side/read-side.module';

@Module({})
export class AppModule {
  /** `clock` replaces the service's clock (tests: a clock whose date can be moved). */
  static forRoot(config: ApiConfig = ApiConfig.fromEnv(), options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        EventStoreModule,
        PlatformModule.forRoot(options.clock),
        AuthModule,
        IdempotencyModule,
        ContractStatesModule,
        ReadSideModule,
        HealthModule,
        CataloguesModule,
        ContractsModule,
        PlannerModule,
        IntegrationModule.forRoot(),
        DemoModule,
      ],
    };
  }
}
