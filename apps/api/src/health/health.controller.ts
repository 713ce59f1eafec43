import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { EventStore } from '@sroi/event-store';
import { Public } from '../auth/auth.decorators';
import { EVENT_STORE } from '../event-store/event-store.module';
import { ProblemException } from '../platform/problem';
import { PublisherHandle, reportOf } from '../integration/publisher/publisher-handle';
import { ProjectionHealth } from '../projections/projection-health';

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** Liveness and readiness; public. */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionHealth,
    @Optional() private readonly publisher?: PublisherHandle,
  ) {}

  /** The integration publisher runs in the background: reported, not waited for. */
  private integration(): unknown {
    if (!this.publisher) return undefined;
    const { state, caughtUp, lastPublishedPosition, publishedEvents, lastError } = reportOf(this.publisher);
    return { state, caughtUp, lastPublishedPosition, publishedEvents, lastError };
  }

  /** Liveness: the process answers and the projections have not stopped on an error. */
  @Get('health')
  health(): unknown {
    if (!this.projections.isHealthy()) {
      throw new ProblemException(503, 'projections-failed', 'The projections stopped on an error; see /ready and the log', { projections: this.projections.report() });
    }
    if (this.publisher?.state === 'failed') {
      throw new ProblemException(503, 'integration-publisher-failed', 'The integration publisher stopped on an error; see /ready and the log', { integration: this.integration() });
    }
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<unknown> {
    let head: bigint | null;
    try {
      head = await withTimeout(this.store.headPosition(), READY_TIMEOUT_MS);
    } catch (error) {
      throw new ProblemException(503, 'not-ready', `The event store (${this.store.engine}) does not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    const eventStore = { engine: this.store.engine, headPosition: head === null ? null : String(head) };
    const projections = this.projections.report();
    if (!projections.ready) {
      throw new ProblemException(503, 'not-ready', `The projections are not caught up yet (${projections.state})`, { eventStore, projections }, { 'retry-after': '1' });
    }
    return { status: 'ready', eventStore, projections, integration: this.integration() };
  }
}
