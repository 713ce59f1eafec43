import { Global, Module, UseGuards } from '@nestjs/common';
import { IdempotencyAnswers, IdempotencyGuard } from './idempotency.guard';
import { IdempotencyStore } from './idempotency.store';

@Global()
@Module({
  providers: [IdempotencyStore, IdempotencyGuard, IdempotencyAnswers],
  exports: [IdempotencyStore, IdempotencyGuard],
})
export class IdempotencyModule {}

/**
 * `Idempotency-Key` for the POSTs of a controller. Every controller with a POST carries it (a test
 * walks the routes). It runs after the global authentication guard, which names the key's owner.
 */
export const Idempotent = (): ClassDecorator & MethodDecorator => UseGuards(IdempotencyGuard);
