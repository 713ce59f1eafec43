/**
 * RFC 9457 problem details: every error the service answers is `application/problem+json`
 * `{ type, title, status, detail, code, ...extras }` with a machine-readable kebab-case `code`.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const problemType = (code: string): string => `/problems/${code}`;

export function problem(status: number, code: string, detail: string, extras: Record<string, unknown> = {}): ProblemBody {
  const body: ProblemBody = { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code };
  for (const [k, v] of Object.entries(extras)) if (!(k in body)) body[k] = v;
  return body;
}

/** Thrown anywhere in the service to answer with a given problem. */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extras: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
  }

  body(): ProblemBody {
    return problem(this.status, this.code, this.detail, this.extras);
  }
}

/**
 * A part of the service that cannot answer now but may in a moment (503 with `Retry-After`). Its
 * message is for the log; `detail` is what the caller reads.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export const notFound = (what: string): ProblemException => new ProblemException(404, 'not-found', `${what} was not found`);
export const forbidden = (detail: string): ProblemException => new ProblemException(403, 'forbidden', detail);
export const badRequest = (code: string, detail: string, extras: Record<string, unknown> = {}): ProblemException =>
  new ProblemException(400, code, detail, extras);
