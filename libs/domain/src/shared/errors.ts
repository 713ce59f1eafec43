/**
 * A refusal of the domain: a machine-readable kebab-case `code`, a clear English message and,
 * where useful, a `details` object (e.g. the list of unmapped blocks of a migration).
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    Object.setPrototypeOf(this, DomainError.prototype);
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

export function refuse(code: string, message: string, details?: Record<string, unknown>): never {
  throw new DomainError(code, message, details);
}
