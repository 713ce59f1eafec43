import { Injectable } from '@nestjs/common';
import { ApiConfig } from '../config/api-config';
import type { Principal } from './principal';
import { loadOrCreateTokens, sha256Hex } from './tokens';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Who an `Authorization` header names: a principal, or why not. */
export type Authentication = { principal: Principal } | { failure: 'missing' | 'unknown' };

/**
 * Bearer tokens of the tokens file (only their SHA-256 is stored). Shared by the guard and the
 * HTTP hooks that must know the caller before Nest's handler runs.
 */
@Injectable()
export class Authenticator {
  private readonly tokens: Map<string, Principal>;
  /** Tokens seen lately and whom they name (null: unknown), so a busy client is not hashed per request. */
  private readonly seen = new Map<string, Principal | null>();

  constructor(config: ApiConfig) {
    this.tokens = loadOrCreateTokens(config.tokensFile);
  }

  authenticate(header: string | string[] | undefined): Authentication {
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) return { failure: 'missing' };
    const principal = this.principalOf(match[1]);
    return principal ? { principal } : { failure: 'unknown' };
  }

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
}
