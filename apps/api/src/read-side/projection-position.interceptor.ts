import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, mergeMap, tap, type Observable } from 'rxjs';
import { parseBigIntParam } from '../platform/time-params';
import { ProjectionProgress } from '../projections/read-models';

/** How long `?minPosition=` waits for the projections before answering anyway. */
export const MIN_POSITION_WAIT_MS = 5000;

/**
 * On every GET: `?minPosition=N` first waits (at most 5 s) for the projections to apply N and
 * answers `X-Projection-Caught-Up: true|false`; every answer carries `X-Projection-Position`, the
 * projections' last applied position ('' before the first event).
 */
@Injectable()
export class ProjectionPositionInterceptor implements NestInterceptor {
  constructor(private readonly progress: ProjectionProgress) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'GET') return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const raw = (request.query as Record<string, string | undefined> | undefined)?.['minPosition'];
    const min = parseBigIntParam(raw, 'minPosition');
    const setPosition = () => {
      const p = this.progress.lastAppliedPosition();
      void reply.header('x-projection-position', p === null ? '' : String(p));
    };
    if (min === undefined) {
      // The common read: no promise, no extra operator.
      setPosition();
      return next.handle().pipe(tap({ next: setPosition }));
    }
    return from(this.progress.waitFor(min, MIN_POSITION_WAIT_MS)).pipe(
      mergeMap((caughtUp) => {
        void reply.header('x-projection-caught-up', String(caughtUp));
        setPosition();
        return next.handle().pipe(tap({ next: setPosition }));
      }),
    );
  }
}
