import { HttpStatus, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ProblemException } from '../platform/problem';
import { IdempotencyStore } from './idempotency.store';

/** Nest's metadata key of @HttpCode. */
const HTTP_CODE_METADATA = '__httpCode__';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const IN_PROGRESS_WAIT_MS = 10_000;

/** JSON with object keys sorted, so the fingerprint ignores key order and white space. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The request's idempotency key, validated, or undefined when the header is absent. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!KEY_PATTERN.test(key)) throw new ProblemException(400, 'invalid-idempotency-key', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
  return key;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `Idempotency-Key` on POST: the same key with the same body (same principal, same route) gets
 * the first successful response again and nothing is executed; the same key with another body
 * gets 422 `idempotency-key-reused`. A failed attempt releases the key, so it may be retried.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'POST') return next.handle();
    const key = idempotencyKeyOf(request);
    if (key === undefined) return next.handle();
    const subject = request.principal ? `${request.principal.role}:${request.principal.subject}` : 'anonymous';
    const path = request.url.split('?')[0];
    const fingerprint = createHash('sha256').update(`POST ${path}\n${canonicalJson(request.body)}`).digest('hex');
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.run(subject, key, fingerprint, status, reply, () => lastValueFrom(next.handle())));
  }

  private async run(subject: string, key: string, fingerprint: string, status: number, reply: FastifyReply, execute: () => Promise<unknown>): Promise<unknown> {
    let reservation = this.store.reserve(subject, key, fingerprint);
    const deadline = Date.now() + IN_PROGRESS_WAIT_MS;
    while (reservation.kind === 'in-progress' && Date.now() < deadline) {
      await sleep(25);
      reservation = this.store.lookup(subject, key);
      if (reservation.kind === 'reserved') reservation = this.store.reserve(subject, key, fingerprint);
    }
    switch (reservation.kind) {
      case 'mismatch':
        throw new ProblemException(422, 'idempotency-key-reused', 'This Idempotency-Key was used with another request body or route; use a new key for a new request', { idempotencyKey: key });
      case 'in-progress':
        throw new ProblemException(409, 'idempotency-key-in-progress', 'A request with this Idempotency-Key is still being processed; retry shortly', { idempotencyKey: key });
      case 'replay':
        void reply.header('idempotent-replayed', 'true');
        return reservation.response.body;
      case 'reserved':
        break;
    }
    try {
      const body = await execute();
      this.store.completeWith(subject, key, { status, body });
      return body;
    } catch (error) {
      this.store.release(subject, key);
      throw error;
    }
  }
}

