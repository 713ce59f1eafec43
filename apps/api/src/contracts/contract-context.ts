import { uuidv7 } from '@sroi/event-store';
import type { FastifyRequest } from 'fastify';
import { uuidv5 } from '../platform/ids';
import { badRequest } from '../platform/problem';
import { envelopeOf } from '../shared/request-envelope';
import type { CommandContext } from './contract-command.service';

/** `If-Match: "<revision>"` (also `W/"3"` or a bare `3`), or undefined when absent. */
export function parseIfMatch(request: FastifyRequest): bigint | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined || raw === '') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,19})"?\s*$/.exec(String(raw));
  if (!m) throw badRequest('invalid-if-match', `If-Match must be a revision in quotes, like "3", got ${String(raw)}`);
  return BigInt(m[1]);
}

export function commandContext(request: FastifyRequest, command: string): CommandContext {
  const envelope = envelopeOf(request, command);
  const principal = request.principal;
  if (!principal) throw new Error('no principal');
  const ifMatch = parseIfMatch(request);
  return { ...envelope, caller: principal, ...(ifMatch !== undefined ? { ifMatch } : {}) };
}

/**
 * A new id for what a request creates (contract, contribution). With an Idempotency-Key it is
 * derived from the caller and the key, so a retry after a crash cannot create a second one.
 */
export function newIdFor(ctx: CommandContext, kind: string, scope = ''): string {
  return ctx.idempotencyKey ? uuidv5(`${kind}:${scope}:${ctx.caller.role}:${ctx.caller.subject}:${ctx.idempotencyKey}`) : uuidv7();
}
