import { PUBLIC_EVENT_TYPES } from '@sroi/integration-events';
import { ProblemException } from '../../platform/problem';
import { parseLastEventId, parseTypes } from './feed-params';
import { DEFAULT_FEED_SETTINGS, FeedOptions } from './feed.options';
import { droppedFrame, eventFrame } from './sse';

const problemOf = (f: () => unknown): ProblemException => {
  try {
    f();
  } catch (e) {
    if (e instanceof ProblemException) return e;
    throw e;
  }
  throw new Error('no problem thrown');
};

describe('feed parameters', () => {
  it('types: comma-separated public types, blanks and repeats ignored; unknown ones are 400 unknown-event-type', () => {
    expect(parseTypes(undefined)).toBeUndefined();
    expect(parseTypes('')).toBeUndefined();
    expect(parseTypes(' , ')).toBeUndefined();
    expect(parseTypes('contract.registered, contribution.verified,contract.registered')).toEqual(['contract.registered', 'contribution.verified']);
    expect(parseTypes(PUBLIC_EVENT_TYPES.join(','))).toEqual([...PUBLIC_EVENT_TYPES]);
    const p = problemOf(() => parseTypes('contract.registered,Contract.Changed,nope'));
    expect(p.status).toBe(400);
    expect(p.body()).toMatchObject({ code: 'unknown-event-type', unknown: ['Contract.Changed', 'nope'], known: [...PUBLIC_EVENT_TYPES] });
  });

  it('Last-Event-ID: the header wins over ?lastEventId=; empty is absent; anything but a position is 400', () => {
    expect(parseLastEventId(undefined, undefined)).toBeNull();
    expect(parseLastEventId('', '')).toBeNull();
    expect(parseLastEventId('42', undefined)).toBe(42n);
    expect(parseLastEventId(undefined, '7')).toBe(7n);
    expect(parseLastEventId('42', 'garbage')).toBe(42n);
    expect(parseLastEventId('', '7')).toBe(7n);
    expect(parseLastEventId('18446744073709551615', undefined)).toBe(18446744073709551615n);
    for (const bad of ['-1', '1.5', 'abc', '1e3', '0x10', '123456789012345678901', '1, 2']) {
      expect(problemOf(() => parseLastEventId(bad, undefined)).body()).toMatchObject({ status: 400, code: 'invalid-last-event-id', parameter: 'Last-Event-ID' });
    }
    expect(problemOf(() => parseLastEventId(undefined, 'x')).body()).toMatchObject({ code: 'invalid-last-event-id', parameter: 'lastEventId' });
    expect(problemOf(() => parseLastEventId(['1', '2'], undefined)).body()).toMatchObject({ code: 'invalid-last-event-id' });
  });
});

describe('FeedOptions', () => {
  it('has defaults, takes overrides and refuses nonsense', () => {
    expect({ ...new FeedOptions() }).toEqual(DEFAULT_FEED_SETTINGS);
    expect(new FeedOptions({ heartbeatMs: 100 }).heartbeatMs).toBe(100);
    expect(() => new FeedOptions({ pageSize: 0 })).toThrow(/pageSize/);
    expect(() => new FeedOptions({ heartbeatMs: 1.5 })).toThrow(/heartbeatMs/);
    expect(() => new FeedOptions({ maxBufferedBytes: 10 })).toThrow(/maxBufferedBytes/);
  });

  it('reads SROI_FEED_* from the environment', () => {
    const o = FeedOptions.fromEnv({ SROI_FEED_HEARTBEAT_MS: '5000', SROI_FEED_DRAIN_TIMEOUT_MS: ' 10000 ', SROI_FEED_MAX_BUFFERED_BYTES: '65536', SROI_FEED_RETRY_MS: '' });
    expect(o).toMatchObject({ heartbeatMs: 5000, drainTimeoutMs: 10_000, maxBufferedBytes: 65_536, retryMs: DEFAULT_FEED_SETTINGS.retryMs });
    expect(() => FeedOptions.fromEnv({ SROI_FEED_PAGE_SIZE: 'many' })).toThrow(/SROI_FEED_PAGE_SIZE/);
  });
});

describe('SSE frames', () => {
  const entry = { position: 12n, eventId: 'e', type: 'contract.changed' as const, municipality: 'Utrecht', contractId: 'c', json: '{"a":"x\\ny"}' };

  it('an event: id, event, one line of data, blank line', () => {
    expect(eventFrame(entry)).toBe('id: 12\nevent: contract.changed\ndata: {"a":"x\\ny"}\n\n');
  });

  it('re-serialises JSON that spans lines rather than break the framing', () => {
    expect(eventFrame({ ...entry, json: '{\n  "a": 1\n}' })).toBe('id: 12\nevent: contract.changed\ndata: {"a":1}\n\n');
  });

  it('the final message carries no id', () => {
    expect(droppedFrame({ reason: 'shutdown', detail: 'd', lastEventId: '3' })).toBe('event: feed-dropped\ndata: {"reason":"shutdown","detail":"d","lastEventId":"3"}\n\n');
  });
});
