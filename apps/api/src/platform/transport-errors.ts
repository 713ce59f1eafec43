import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemBody } from './problem';
import { sendProblem } from './problem.filter';

const logger = new Logger('Transport');

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook or route runs (a path that
 * is not valid percent-encoding, a path parameter over `maxParamLength`). Without it Fastify
 * answers these in a JSON shape of its own, not problem+json.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return sendProblem(reply, problem(400, 'malformed-url', 'The request path is not valid percent-encoding (RFC 3986), such as a % not followed by two hex digits'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // No identifier of this service is that long: it names nothing, as an unknown id does.
      return sendProblem(reply, problem(404, 'not-found', 'No such resource (a path segment is longer than any identifier here)'));
    default:
      logger.error(`${error.code}: ${error.message}`);
      return sendProblem(reply, problem(500, 'internal-error', 'An unexpected error occurred; it has been logged'));
  }
}

/** The problem for a request Node's HTTP parser refused, or null when there is nobody to answer. */
export function clientErrorProblem(error: NodeJS.ErrnoException): ProblemBody | null {
  if (error.code === 'ECONNRESET') return null;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem(408, 'request-timeout', 'The request did not arrive in time');
  if (error.code === 'HPE_HEADER_OVERFLOW') return problem(431, 'headers-too-large', `The request line and header fields exceed ${maxHeaderSize} bytes`);
  return problem(400, 'malformed-request', 'The request is not valid HTTP/1.1');
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (header fields too large,
 * not HTTP at all, too slow to arrive) never reaches Fastify's routing, so it is answered on the
 * socket, which is then closed, as Node and Fastify do, but as problem+json.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const body = socket.destroyed ? null : clientErrorProblem(error);
  if (body && socket.writable) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.status} ${body.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
