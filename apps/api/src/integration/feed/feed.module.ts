import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { FeedController } from './feed.controller';
import { FeedOptions, type FeedSettings } from './feed.options';
import { FeedService } from './feed.service';

export interface FeedModuleDependencies {
  /** Modules that export `IntegrationLog`, when it is not provided globally. */
  imports?: ModuleMetadata['imports'];
}

/**
 * `GET /v1/integration/feed`, the Server-Sent Events feed of public integration events. Needs an
 * `IntegrationLog` provider: global, or exported by a module passed in `imports`.
 */
@Module({})
export class FeedModule {
  static forRoot(options: FeedOptions | Partial<FeedSettings> = FeedOptions.fromEnv(), dependencies: FeedModuleDependencies = {}): DynamicModule {
    const feedOptions = options instanceof FeedOptions ? options : new FeedOptions(options);
    return {
      module: FeedModule,
      imports: dependencies.imports ?? [],
      controllers: [FeedController],
      providers: [{ provide: FeedOptions, useValue: feedOptions }, FeedService],
      exports: [FeedService],
    };
  }

  /** The module with the defaults overridden from the environment (`SROI_FEED_*`, see FeedOptions.fromEnv). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, dependencies: FeedModuleDependencies = {}): DynamicModule {
    return FeedModule.forRoot(FeedOptions.fromEnv(env), dependencies);
  }
}
