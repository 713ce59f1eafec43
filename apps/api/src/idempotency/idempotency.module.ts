import { Global, Module, UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

@Global()
@Module({
  providers: [IdempotencyStore, IdempotencyInterceptor],
  exports: [IdempotencyStore, IdempotencyInterceptor],
})
export class IdempotencyModule {}

/**
 * `Idempotency-Key` for the POSTs of a controller. Every controller with a POST carries it (a test
 * walks the routes); it is not global, because a global interceptor wraps every GET in rxjs too.
 */
export const Idempotent = (): ClassDecorator & MethodDecorator => UseInterceptors(IdempotencyInterceptor);
