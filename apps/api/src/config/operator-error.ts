/**
 * A start-up problem the operator resolves (a setting, a folder, a file, a port): printed as its
 * message alone, which names what to change; a stack would only hide it.
 */
export class OperatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
  }
}

/** The message of an unknown error, for an OperatorError that wraps it. */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
