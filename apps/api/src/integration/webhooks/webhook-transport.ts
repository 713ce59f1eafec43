import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

export interface PostResult {
  /** The response's status, or null when none came (timeout, connection error, refused address). */
  statusCode: number | null;
  durationMs: number;
  /** Why the attempt failed (null for a 2xx): the error, or the status and the start of the body. */
  error: string | null;
}

export interface PostOptions {
  timeoutMs: number;
  /** Resolves the host name (and refuses forbidden addresses): the socket connects to what it returns. */
  lookup: LookupFunction;
  /** Aborts the attempt (on shutdown). */
  signal?: AbortSignal;
}

/** Bytes of a response body kept for the error of a failed attempt. */
const ERROR_BODY_BYTES = 256;

const describe = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : (e.message ?? String(error));
};

/**
 * One POST of a webhook: no redirects are followed (a 3xx is a failure, like every non-2xx), no
 * connection is reused (each attempt resolves and checks the address anew), and the timeout covers
 * the whole attempt, from the connect to the status line of a 2xx, or to the end (the first 256 bytes) of another
 * response, whose start is kept as the error.
 */
export function postWebhook(url: URL, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    let statusCode: number | null = null;
    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve({ statusCode, durationMs: elapsed(), error });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body, 'utf8')) },
      agent: false,
      lookup: options.lookup,
    });
    const timer = setTimeout(() => finish(`timeout after ${options.timeoutMs} ms${statusCode === null ? '' : ` (status ${statusCode} received)`}`), options.timeoutMs);
    const onAbort = (): void => finish('aborted: the dispatcher stopped');
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) onAbort();
    req.on('error', (error) => finish(describe(error)));
    req.on('response', (res: IncomingMessage) => {
      statusCode = res.statusCode ?? null;
      // A 2xx is a delivery as soon as its status line arrives; the body is not waited for.
      if (statusCode !== null && statusCode >= 200 && statusCode < 300) return finish(null);
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => {
        const text = Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
        const location = statusCode !== null && statusCode >= 300 && statusCode < 400 && res.headers.location ? ` (redirect to ${String(res.headers.location).slice(0, 200)} not followed)` : '';
        finish(`HTTP ${statusCode}${location}${text ? `: ${text}` : ''}`);
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= ERROR_BODY_BYTES) done();
      });
      res.on('end', done);
      res.on('error', (error) => finish(describe(error)));
    });
    req.end(body, 'utf8');
  });
}
