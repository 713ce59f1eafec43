import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { isDomainError } from '@sroi/domain';
import { EventStoreUnavailableError, StreamNotFoundError, WrongExpectedVersionError } from '@sroi/event-store';
import type { FastifyReply } from 'fastify';
import { IdempotentReplay, sendReplay } from '../idempotency/idempotency.guard';
import { PROBLEM_CONTENT_TYPE, problem, ProblemException, RetryLaterError, type ProblemBody } from './problem';

const HTTP_CODES: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
};

/** Fastify's own errors (body parsing, content type) carry a statusCode and an FST_ code. */
interface FastifyishError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Maps every error to one problem+json body; anything unexpected is logged and answered 500. */
export function toProblem(error: unknown, logger?: Logger): { body: ProblemBody; headers: Record<string, string> } {
  if (error instanceof ProblemException) return { body: error.body(), headers: error.headers };
  if (isDomainError(error)) return { body: problem(422, error.code, error.message, { ...(error.details ?? {}) }), headers: {} };
  if (error instanceof WrongExpectedVersionError) {
    return {
      body: problem(409, 'concurrency-conflict', 'The contract was changed by another request at the same time; read it again and retry', {
        actualRevision: typeof error.actual === 'bigint' ? Number(error.actual) : null,
      }),
      headers: {},
    };
  }
  if (error instanceof StreamNotFoundError) return { body: problem(404, 'not-found', 'The resource was not found'), headers: {} };
  if (error instanceof EventStoreUnavailableError) {
    logger?.warn(`event store unavailable: ${error.message}`);
    return { body: problem(503, 'event-store-unavailable', 'The event store is unavailable; retry shortly'), headers: { 'retry-after': '1' } };
  }
  if (error instanceof RetryLaterError) {
    logger?.warn(error.message);
    return { body: problem(503, error.code, error.detail), headers: { 'retry-after': String(error.retryAfterSeconds) } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status >= 500) logger?.error(error.message, error.stack);
    const detail = status === 404 ? 'No such resource' : error.message;
    const code = status === 400 && /JSON/i.test(error.message) ? 'malformed-json' : (HTTP_CODES[status] ?? (status >= 500 ? 'internal-error' : 'bad-request'));
    return { body: problem(status, code, status >= 500 ? 'Internal error' : detail), headers: {} };
  }
  const f = error as FastifyishError;
  if (error instanceof Error && typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    const code = f.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError || /JSON/i.test(error.message) ? 'malformed-json' : (HTTP_CODES[f.statusCode] ?? 'bad-request');
    return { body: problem(f.statusCode, code, error.message), headers: {} };
  }
  logger?.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { body: problem(500, 'internal-error', 'An unexpected error occurred; it has been logged'), headers: {} };
}

export function sendProblem(reply: FastifyReply, body: ProblemBody, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof IdempotentReplay) return sendReplay(reply, error.response);
    const { body, headers } = toProblem(error, this.logger);
    sendProblem(reply, body, headers);
  }
}
