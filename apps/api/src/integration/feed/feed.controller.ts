import { Controller, Get, Inject, Optional, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import type { EventStore } from '@sroi/event-store';
import { EVENT_STORE } from '../../event-store/event-store.module';
import { forbidden, PROBLEM_CONTENT_TYPE, ProblemException } from '../../platform/problem';
import { parseLastEventId, parseTypes } from './feed-params';
import { FeedQueryDto } from './feed-query.dto';
import { FeedService } from './feed.service';
import { FEED_DROPPED_EVENT } from './sse';

const problemResponse = (description: string) => ({
  description: `${description} (problem+json, see the other endpoints' errors)`,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { type: 'object' as const, required: ['type', 'title', 'status', 'detail', 'code'] } } },
});

const FEED_DESCRIPTION = [
  'Server-Sent Events of the public integration events of the caller\'s municipality, in the order of the store\'s global log: the history from the start (or after `Last-Event-ID`), then live, with no gap and no duplicate.',
  '',
  'Each message: `id:` the event\'s position (decimal; send it back as `Last-Event-ID` to resume), `event:` its public type, `data:` the `PublicEventEnvelope` as one line of JSON.',
  'The stream starts with `retry:`; `: heartbeat` comments keep an idle connection open through proxies.',
  `A client that does not keep up (its connection does not drain in time, or too many bytes wait for it) is dropped: a final \`event: ${FEED_DROPPED_EVENT}\` whose data is \`{ reason, detail, lastEventId }\`, then the response ends; reconnect with \`Last-Event-ID\`. The same happens when the service shuts down (reason \`shutdown\`).`,
  '',
  'Errors are answered as problem+json before the stream starts.',
].join('\n');

/** `GET /v1/integration/feed`: thin; the streaming is FeedService's. */
@ApiTags('integration')
@ApiBearerAuth()
@Controller('v1/integration')
export class FeedController {
  constructor(
    private readonly feed: FeedService,
    // The service's store (global); a feed module on its own has none and does not check the start.
    @Optional() @Inject(EVENT_STORE) private readonly store?: EventStore,
  ) {}

  @Get('feed')
  @Roles('integrator')
  @ApiOperation({ summary: 'Stream the public integration events (Server-Sent Events)', description: FEED_DESCRIPTION })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id (wins over `?lastEventId=`); a malformed one is 400 `invalid-last-event-id`.' })
  @ApiOkResponse({
    description: 'The event stream',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example: 'retry: 3000\n\nid: 42\nevent: contract.registered\ndata: {"id":"…","type":"contract.registered","schemaVersion":1,…}\n\n: heartbeat\n\n',
      },
    },
  })
  @ApiBadRequestResponse(problemResponse('`unknown-event-type`, `invalid-last-event-id` or `validation-failed`'))
  @ApiUnprocessableEntityResponse(problemResponse('`feed-start-beyond-log`: the Last-Event-ID lies beyond the end of the event log'))
  @ApiUnauthorizedResponse(problemResponse('No or an unknown bearer token'))
  @ApiForbiddenResponse(problemResponse('Not an integrator'))
  @ApiServiceUnavailableResponse(problemResponse('The service is shutting down'))
  async stream(@Query() q: FeedQueryDto, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (principal.municipality === undefined || principal.municipality.trim() === '') throw forbidden('This integrator token has no municipality');
    const types = parseTypes(q.types);
    const after = parseLastEventId(request.headers['last-event-id'], q.lastEventId);
    if (after !== null && this.store) {
      // No event of this feed lies beyond the store's log: such an id names nothing (another
      // store, a reset one), and waiting for it would skip every event up to it without a word.
      // An id between what this instance's integration log holds and the head is waited for.
      const head = await this.store.headPosition();
      if (head === null || after > head) {
        throw new ProblemException(422, 'feed-start-beyond-log', `Last-Event-ID ${after} is beyond the end of the event log (${head ?? 'empty'}): no event of this feed has that id; reconnect without it to start from the beginning`, {
          lastPosition: head === null ? null : String(head),
        });
      }
    }
    this.feed.stream(
      {
        subject: principal.subject,
        municipality: principal.municipality,
        after,
        ...(types !== undefined ? { types } : {}),
        ...(q.contractId !== undefined ? { contractId: q.contractId } : {}),
      },
      reply,
    );
  }
}
