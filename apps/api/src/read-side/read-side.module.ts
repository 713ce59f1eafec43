import { Global, Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module';
import { ProjectionPositionHooks } from './projection-position.hooks';

/** The projections (read models, progress, health) for the rest of the service, and the position header. */
@Global()
@Module({
  imports: [ProjectionsModule],
  providers: [ProjectionPositionHooks],
  exports: [ProjectionsModule],
})
export class ReadSideModule {}
