import 'reflect-metadata';
import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { uuidv7 } from '@sroi/event-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import { ApiConfig } from './config/api-config';
import { withAnswerSchemas } from './platform/answer-schemas';
import type { Clock } from './platform/clock';
import { problem } from './platform/problem';
import { sendProblem } from './platform/problem.filter';
import { closeUnusedConnectionsOnClose } from './platform/connection-drain';
import { answerClientError, answerFrameworkError } from './platform/transport-errors';
import { createValidationPipe } from './platform/validation';

const CORRELATION_ID = /^[\w.:@/-]{1,128}$/;

export interface CreateAppOptions {
  logger?: LoggerService | LogLevel[] | false;
  /** The service's clock instead of the system's (tests move "today" with it). */
  clock?: Clock;
}

/** Builds the Nest application on Fastify, configured exactly as the service runs (tests use it too). */
export async function createApp(config: ApiConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // What Fastify and Node refuse before any route runs is problem+json too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, { clock: options.clock }), adapter, {
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  closeUnusedConnectionsOnClose(fastify);
  // A callback hook, not an async one: it runs on every request, and a promise per request shows.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const given = request.headers['x-correlation-id'];
    const id = typeof given === 'string' && CORRELATION_ID.test(given) ? given : uuidv7();
    request.correlationId = id;
    void reply.header('x-correlation-id', id);
    // Request bodies are JSON: anything else is refused before it is parsed (answered here, so done() is not called).
    const type = request.headers['content-type'];
    const hasBody = request.headers['content-length'] !== undefined ? request.headers['content-length'] !== '0' : request.headers['transfer-encoding'] !== undefined;
    if (hasBody && !(typeof type === 'string' && /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type))) {
      sendProblem(reply, problem(415, 'unsupported-media-type', `Request bodies must be application/json, not ${type ?? 'untyped'}`));
      return;
    }
    // The body parser reads bytes as they come: an encoded (compressed) body would be misread.
    const encoding = request.headers['content-encoding'];
    if (hasBody && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      sendProblem(reply, problem(415, 'unsupported-content-encoding', `Request bodies must not be encoded; send plain JSON without Content-Encoding (got ${encoding})`), {
        'accept-encoding': 'identity',
      });
      return;
    }
    done();
  });
  app.useGlobalPipes(createValidationPipe());
  const documentConfig = new DocumentBuilder()
    .setTitle('sroi-ledger')
    .setDescription(
      'Event-sourced ledger of social-return (SROI) obligations in Dutch public procurement. Errors are RFC 9457 problem+json with a machine-readable `code`; money in euro cents (`…Cents`), dates YYYY-MM-DD, instants ISO-8601 UTC. Every POST accepts an `Idempotency-Key`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = withAnswerSchemas(SwaggerModule.createDocument(app, documentConfig));
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
