import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Clock } from './clock';
import { ProblemFilter } from './problem.filter';

/** The clock and the one exception filter (problem+json). */
@Global()
@Module({ providers: [Clock, { provide: APP_FILTER, useClass: ProblemFilter }], exports: [Clock] })
export class PlatformModule {}
