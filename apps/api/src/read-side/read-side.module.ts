import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ProjectionsModule } from '../projections/projections.module';
import { ProjectionPositionInterceptor } from './projection-position.interceptor';

/** The projections (read models, progress, health) for the rest of the service, and the position header. */
@Global()
@Module({
  imports: [ProjectionsModule],
  providers: [{ provide: APP_INTERCEPTOR, useClass: ProjectionPositionInterceptor }],
  exports: [ProjectionsModule],
})
export class ReadSideModule {}
