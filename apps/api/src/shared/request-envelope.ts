import { uuidv7 } from '@sroi/event-store';
import type { FastifyRequest } from 'fastify';
import { idempotencyKeyOf } from '../idempotency/idempotency.guard';
import type { CommandEnvelope } from './event-codec';

/** The command envelope of a request: its principal, correlation id, a new command id and its idempotency key. */
export function envelopeOf(request: FastifyRequest, _command: string): CommandEnvelope {
  const principal = request.principal;
  if (!principal) throw new Error('a command needs an authenticated principal');
  return {
    principal: { subject: principal.subject, role: principal.role },
    correlationId: request.correlationId ?? uuidv7(),
    commandId: uuidv7(),
    idempotencyKey: idempotencyKeyOf(request) ?? null,
  };
}
