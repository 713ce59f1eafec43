import { uuidv7 } from '@sroi/event-store';
import type { FastifyRequest } from 'fastify';
import { uuidv5 } from '../platform/ids';
import { badRequest } from '../platform/problem';
import { envelopeOf } from '../shared/request-envelope';
import type { CommandContext } from './contract-command.service';

/** What an `If-Match` header asks (RFC 9110 §13.1.1): that the contract exists (`*`), or that it is at one of these revisions. */
export type IfMatch = '*' | readonly bigint[];

const ENTITY_TAG = /^(W\/)?"(\d{1,19})"$/;

/**
 * `If-Match: "<revision>"`, a list of them, or `*`; undefined when absent. A weak tag (`W/"3"`)
 * never matches (If-Match compares strongly), so it only narrows the list; a bare `3` is taken as
 * `"3"`. Anything else is 400.
 */
export function parseIfMatch(request: FastifyRequest): IfMatch | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined || raw === '') return undefined;
  const value = String(raw).trim();
  if (value === '*') return '*';
  const revisions: bigint[] = [];
  for (const part of value.split(',')) {
    const tag = part.trim();
    const m = ENTITY_TAG.exec(tag) ?? (/^\d{1,19}$/.test(tag) ? [tag, undefined, tag] : null);
    if (!m) throw badRequest('invalid-if-match', `If-Match must be a revision in quotes, like "3" (or a list of them, or *), got ${String(raw)}`);
    if (m[1] === undefined) revisions.push(BigInt(m[2]));
  }
  return revisions;
}

/** Whether a contract at `revision` (null: none) satisfies If-Match. */
export function ifMatchHolds(ifMatch: IfMatch, revision: bigint | null): boolean {
  if (revision === null) return false;
  return ifMatch === '*' || ifMatch.includes(revision);
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
