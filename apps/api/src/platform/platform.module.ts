import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Clock } from './clock';
import { ProblemFilter } from './problem.filter';

/** The clock and the one exception filter (problem+json). */
@Global()
@Module({ providers: [Clock, { provide: APP_FILTER, useClass: ProblemFilter }], exports: [Clock] })
export class PlatformModule {
  /**
   * With `clock` as the service's clock (tests move the date with a subclass of Clock); the system
   * clock without. (A dynamic module's providers are registered after the static ones: this one
   * replaces the `Clock` above.)
   */
  static forRoot(clock?: Clock): DynamicModule {
    return { module: PlatformModule, providers: clock ? [{ provide: Clock, useValue: clock }] : [] };
  }
}
