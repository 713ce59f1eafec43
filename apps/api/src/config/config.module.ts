import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ApiConfig } from './api-config';

/** Provides the one `ApiConfig` of the process; tests pass their own (temporary data folder, port 0). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ApiConfig = ApiConfig.fromEnv()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: ApiConfig, useValue: config }], exports: [ApiConfig] };
  }
}
