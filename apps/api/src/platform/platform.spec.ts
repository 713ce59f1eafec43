import { createHash } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';
import { DomainError } from '@sroi/domain';
import { EventStoreUnavailableError, WrongExpectedVersionError } from '@sroi/event-store';
import { SROI_NAMESPACE, uuidv5 } from './ids';
import { ProblemException, RetryLaterError } from './problem';
import { toProblem } from './problem.filter';
import { PortfolioQueryDto } from '../contracts/contract-query.dto';
import { parseBigIntParam, parseDateParam, parseInstantParam } from './time-params';
import { createValidationPipe } from './validation';

describe('problem mapping', () => {
  const silent = { warn: jest.fn(), error: jest.fn() } as never;

  it('maps each kind of error to its status and code', () => {
    expect(toProblem(new DomainError('unmapped-blocks', 'blocks X are unmapped', { unmapped: ['X'] })).body).toEqual({
      type: '/problems/unmapped-blocks',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'blocks X are unmapped',
      code: 'unmapped-blocks',
      unmapped: ['X'],
    });
    expect(toProblem(new WrongExpectedVersionError('contract-1', 3n, 4n)).body).toMatchObject({ status: 409, code: 'concurrency-conflict', actualRevision: 4 });
    const unavailable = toProblem(new EventStoreUnavailableError('locked'), silent);
    expect(unavailable.body).toMatchObject({ status: 503, code: 'event-store-unavailable' });
    const busy = toProblem(new RetryLaterError('read-models-busy', 'logged only', 'Try again', 2), silent);
    expect(busy.body).toMatchObject({ status: 503, code: 'read-models-busy', detail: 'Try again' });
    expect(busy.headers).toEqual({ 'retry-after': '2' });
    expect(unavailable.headers['retry-after']).toBe('1');
    expect(toProblem(new ProblemException(412, 'precondition-failed', 'stale')).body).toMatchObject({ status: 412, code: 'precondition-failed' });
    expect(toProblem(new BadRequestException('nope')).body).toMatchObject({ status: 400, code: 'bad-request' });
  });

  it('answers anything else 500 internal-error, logged, without the message or stack', () => {
    const logger = { error: jest.fn() };
    const { body } = toProblem(new Error('secret detail at /srv/app.js:1'), logger as never);
    expect(body).toEqual({ type: '/problems/internal-error', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred; it has been logged', code: 'internal-error' });
    expect(logger.error).toHaveBeenCalled();
  });

  it('never lets a domain detail override the standard members', () => {
    expect(toProblem(new DomainError('x', 'y', { status: 200, field: 'f' })).body).toMatchObject({ status: 422, field: 'f' });
  });
});

describe('query parameters', () => {
  it('reads dates, instants (offsets converted to UTC) and positions, refusing anything else with 400', () => {
    expect(parseDateParam(undefined, 'asOf', '2026-01-01')).toBe('2026-01-01');
    expect(parseDateParam('2024-02-29', 'asOf', 'x')).toBe('2024-02-29');
    expect(() => parseDateParam('2023-02-29', 'asOf', 'x')).toThrow(ProblemException);
    expect(parseInstantParam('2024-03-01T12:00:00Z', 'knownAt', 'x')).toBe('2024-03-01T12:00:00Z');
    expect(parseInstantParam('2024-03-01T13:00:00+01:00', 'knownAt', 'x')).toBe('2024-03-01T12:00:00.000Z');
    expect(() => parseInstantParam('2024-03-01', 'knownAt', 'x')).toThrow(ProblemException);
    expect(parseBigIntParam('18446744073709551615', 'minPosition')).toBe(18446744073709551615n);
    expect(() => parseBigIntParam('1e3', 'minPosition')).toThrow(ProblemException);
  });
});

describe('uuidv5', () => {
  it('matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is the RFC\'s construction for any name and namespace: SHA-1 of the namespace\'s bytes and the name in UTF-8, version 5, variant 10', () => {
    // The RFC's steps, spelled out: the hash's first 16 bytes, with the version and variant bits set.
    const reference = (name: string, namespace: string): string => {
      const b = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16);
      b[6] = (b[6] & 0x0f) | 0x50;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };
    const namespaces = [SROI_NAMESPACE, '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '0b7f3c52-1f4e-4d8a-9a57-3c1e6d2f8b94'];
    const names = ['', 'a', 'Súdwest-Fryslân', '日本語', '🙂/0', ...Array.from({ length: 200 }, (_, i) => `0193a6c2-7d3e-7b1a-9c4e-${String(i).padStart(12, '0')}/${i % 3}`)];
    const variants = new Set<string>();
    for (const namespace of namespaces) {
      for (const name of names) {
        const id = uuidv5(name, namespace);
        expect(id).toBe(reference(name, namespace));
        expect(id[14]).toBe('5');
        variants.add(id[19]);
      }
    }
    expect([...variants].sort()).toEqual(['8', '9', 'a', 'b']);
    expect(uuidv5('a')).toBe(reference('a', SROI_NAMESPACE));
  });
});

describe('the validation pipe on query strings', () => {
  const pipe = createValidationPipe();
  const meta = { type: 'query' as const, metatype: PortfolioQueryDto, data: undefined };

  it('gives a new, equal instance for a query validated before, transformed as the first time', async () => {
    const first = (await pipe.transform({ page: '2', status: 'behind' }, meta)) as PortfolioQueryDto;
    const again = (await pipe.transform({ page: '2', status: 'behind' }, meta)) as PortfolioQueryDto;
    expect(first).toBeInstanceOf(PortfolioQueryDto);
    expect(again).toBeInstanceOf(PortfolioQueryDto);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(again.page).toBe(2);
    // what a handler does to its DTO does not leak into the next request's
    again.page = 99;
    expect(((await pipe.transform({ page: '2', status: 'behind' }, meta)) as PortfolioQueryDto).page).toBe(2);
  });

  it('refuses a bad query every time, and an unknown parameter', async () => {
    for (let i = 0; i < 2; i++) await expect(pipe.transform({ page: '0' }, meta)).rejects.toBeInstanceOf(ProblemException);
    for (let i = 0; i < 2; i++) await expect(pipe.transform({ pages: '1' }, meta)).rejects.toBeInstanceOf(ProblemException);
    expect(await pipe.transform({}, meta)).toEqual(new PortfolioQueryDto());
  });
});
