import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Clock } from './clock';
import { ProblemFilter } from './problem.filter';
import { HeapCompaction, StartupWork } from './startup-compaction';

/** The clock, the one exception filter (problem+json), and the start-up work with the heap's compaction after it. */
@Global()
@Module({ providers: [Clock, { provide: APP_FILTER, useClass: ProblemFilter }, StartupWork, HeapCompaction], exports: [Clock, StartupWork] })
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
