import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiConfig } from '../config/api-config';
import { ProblemException } from '../platform/problem';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import type { Principal, Role } from './principal';
import { loadOrCreateTokens, sha256Hex } from './tokens';

/** Bearer tokens from the tokens file: 401 without a known token, 403 for a role not allowed. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly tokens: Map<string, Principal>;

  constructor(
    private readonly reflector: Reflector,
    config: ApiConfig,
  ) {
    this.tokens = loadOrCreateTokens(config.tokensFile);
  }

  /** Tokens seen lately and whom they name (null: unknown), so a busy client is not hashed per request. */
  private readonly seen = new Map<string, Principal | null>();

  private principalOf(token: string): Principal | undefined {
    let principal = this.seen.get(token);
    if (principal === undefined) {
      principal = this.tokens.get(sha256Hex(token)) ?? null;
      // Bounded: a flood of made-up tokens only empties it.
      if (this.seen.size >= 10_000) this.seen.clear();
      this.seen.set(token, principal);
    }
    return principal ?? undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const challenge = { 'www-authenticate': 'Bearer realm="sroi-ledger"' };
    if (!match) throw new ProblemException(401, 'unauthorized', 'Send Authorization: Bearer <token>', {}, challenge);
    const principal = this.principalOf(match[1]);
    if (!principal) throw new ProblemException(401, 'unauthorized', 'Unknown token', {}, { 'www-authenticate': 'Bearer realm="sroi-ledger", error="invalid_token"' });
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ProblemException(403, 'forbidden', `The role ${principal.role} may not do this (allowed: ${roles.join(', ')})`, { role: principal.role });
    }
    return true;
  }
}
