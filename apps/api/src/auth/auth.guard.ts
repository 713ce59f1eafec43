import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../platform/problem';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { Authenticator } from './authenticator';
import type { Role } from './principal';

/** What a route asks of its caller, from its decorators (fixed once the app is built). */
interface Access {
  public: boolean;
  roles: Role[] | undefined;
}

/** Bearer tokens from the tokens file: 401 without a known token, 403 for a role not allowed. */
@Injectable()
export class AuthGuard implements CanActivate {
  /** By handler: the reflector's lookups cost more than the rest of the check. */
  private readonly access = new WeakMap<object, Access>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  private accessOf(context: ExecutionContext): Access {
    const handler = context.getHandler();
    let access = this.access.get(handler);
    if (!access) {
      const targets = [handler, context.getClass()];
      access = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      };
      this.access.set(handler, access);
    }
    return access;
  }

  canActivate(context: ExecutionContext): boolean {
    const access = this.accessOf(context);
    if (access.public) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authentication = this.authenticator.authenticate(request.headers.authorization);
    if ('failure' in authentication) {
      if (authentication.failure === 'missing') throw new ProblemException(401, 'unauthorized', 'Send Authorization: Bearer <token>', {}, { 'www-authenticate': 'Bearer realm="sroi-ledger"' });
      throw new ProblemException(401, 'unauthorized', 'Unknown token', {}, { 'www-authenticate': 'Bearer realm="sroi-ledger", error="invalid_token"' });
    }
    const { principal } = authentication;
    request.principal = principal;
    if (access.roles && !access.roles.includes(principal.role)) {
      throw new ProblemException(403, 'forbidden', `The role ${principal.role} may not do this (allowed: ${access.roles.join(', ')})`, { role: principal.role });
    }
    return true;
  }
}
