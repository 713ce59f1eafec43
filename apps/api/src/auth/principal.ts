export const ROLES = ['advisor', 'contractor', 'auditor', 'admin', 'integrator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from the bearer token. */
export interface Principal {
  subject: string;
  role: Role;
  /** advisor, auditor and integrator: the municipality whose contracts (or public events) they see */
  municipality?: string;
  /** contractor: the KvK number whose contracts it sees */
  contractorKvk?: string;
}

/** One line of the tokens file: only the token's SHA-256 is stored. */
export interface TokenEntry extends Principal {
  tokenSha256: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    correlationId?: string;
  }
}

/** The same name, ignoring case and surrounding space; the common case (the very same text) without making new strings. */
const same = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && (a === b || a.trim().toLowerCase() === b.trim().toLowerCase());

/** Whether `p` may see a contract of `municipality` awarded to `contractorKvk`. */
export function canSeeContract(p: Principal, contract: { municipality: string; contractorKvk: string }): boolean {
  switch (p.role) {
    case 'advisor':
    case 'auditor':
      return same(p.municipality, contract.municipality);
    case 'contractor':
      return p.contractorKvk !== undefined && p.contractorKvk === contract.contractorKvk;
    default:
      return false;
  }
}

export const sameMunicipality = same;
