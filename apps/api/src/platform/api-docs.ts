import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem';

/** RFC 9457 problem details as every error is answered (see problem.ts). */
const PROBLEM_SCHEMA = {
  type: 'object' as const,
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' as const, example: '/problems/validation-failed' },
    title: { type: 'string' as const },
    status: { type: 'integer' as const },
    detail: { type: 'string' as const },
    code: { type: 'string' as const, description: 'machine-readable, kebab-case' },
    errors: { type: 'array' as const, description: 'validation-failed: the fields and what is wrong with them', items: { type: 'object' as const } },
  },
  additionalProperties: true,
};

const MEANING: Record<number, string> = {
  400: 'the request is not valid: validation-failed (with the fields), malformed-json, invalid-query, invalid-if-match, invalid-idempotency-key, malformed-url',
  401: 'no bearer token, or an unknown one',
  403: 'the token\'s role may not do this',
  404: 'no such resource, or one outside the token\'s scope',
  409: 'concurrency-conflict (read again and retry), idempotency-key-in-progress',
  412: 'precondition-failed: If-Match names another revision',
  413: 'payload-too-large: over 1 MiB',
  415: 'unsupported-media-type (a body that is not JSON), unsupported-content-encoding',
  422: 'a domain refusal, with the domain error\'s code (and details), or idempotency-key-reused',
  500: 'internal-error (logged), or figures-unavailable for a contract whose history cannot be valued',
  503: 'event-store-unavailable, read-models-busy, not-ready, shutting-down (with Retry-After)',
};

/** The problem+json answers a controller or route may give, documented as such in the OpenAPI document. */
export const ApiProblems = (...statuses: number[]): ClassDecorator & MethodDecorator =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: MEANING[status] ?? 'an error', content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_SCHEMA } } })));

/** The `Idempotency-Key` header of a POST (see IdempotencyGuard). */
export const ApiIdempotencyKey = (): ClassDecorator & MethodDecorator =>
  ApiHeader({ name: 'Idempotency-Key', required: false, description: 'retries with the same key and body return the first response and write nothing; the same key with another body is 422 idempotency-key-reused' });
