import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  TimeoutError,
  EVENT_TYPE,
  STREAM_NAME,
  StreamDeletedError,
  StreamNotFoundError as ClientStreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  type RegexFilter,
  type PrefixesFilter,
} from '@eventstore/db-client';
import { WrongExpectedVersion } from '@eventstore/db-client/generated/shared_pb';
import {
  EventStoreUnavailableError,
  InvalidAppendError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../errors';
import type { EventData } from '../port';
import {
  UNKNOWN_POSITION,
  compareClientPositions,
  escapeRegex,
  fromClientRecordedEvent,
  fromClientResolvedEvent,
  isSystemEvent,
  isTransientError,
  isUnavailableError,
  mapClientError,
  matchesFilter,
  MissingPositionError,
  planFilter,
  positionFromAppendResult,
  positionFromClient,
  positionToClient,
  toClientEventData,
  toClientExpectedRevision,
  toData,
  toMetadata,
  toRecordedAt,
  typeFilterRegex,
} from './mapping';
import { validateAppend } from '../validation';
import { clientResolvedEvent, ticksFor, type GrpcRecordSpec } from './test-support';

const ID = '0190f5a2-3b4c-7d5e-8f60-718293a4b5c6';

function record(overrides: Partial<GrpcRecordSpec> = {}): GrpcRecordSpec {
  return {
    streamId: 'obligation-42',
    revision: 3n,
    id: ID,
    type: 'ObligationRegistered',
    data: JSON.stringify({ amount: '125000.00', tender: 'T-1' }),
    metadata: JSON.stringify({ correlationId: 'c-1' }),
    createdTicks: ticksFor(Date.UTC(2024, 10, 5, 13, 45, 6, 789), 4_321n),
    commit: 10_240n,
    prepare: 10_240n,
    ...overrides,
  };
}

describe('expected revisions', () => {
  it('maps each expectation to the client constant or the revision itself', () => {
    expect(toClientExpectedRevision('any')).toBe('any');
    expect(toClientExpectedRevision('no_stream')).toBe('no_stream');
    expect(toClientExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(toClientExpectedRevision(0n)).toBe(0n);
    expect(toClientExpectedRevision(9_007_199_254_740_993n)).toBe(9_007_199_254_740_993n);
    expect(toClientExpectedRevision()).toBe('any');
  });
});

describe('positions', () => {
  it('sends a port position as equal commit and prepare positions', () => {
    expect(positionToClient(4_096n)).toEqual({ commit: 4_096n, prepare: 4_096n });
  });

  it('takes the commit position of a client position', () => {
    expect(positionFromClient({ commit: 777n, prepare: 777n })).toBe(777n);
    expect(positionFromClient({ commit: 2n ** 63n + 5n, prepare: 2n ** 63n + 5n })).toBe(2n ** 63n + 5n);
  });

  it('treats a missing, unset (0) or "unknown" (max uint64) position as absent, falling back to the read commit position', () => {
    expect(positionFromClient(undefined)).toBeUndefined();
    expect(positionFromClient({ commit: 0n, prepare: 0n })).toBeUndefined();
    expect(positionFromClient({ commit: UNKNOWN_POSITION, prepare: UNKNOWN_POSITION })).toBeUndefined();
    expect(positionFromClient(undefined, 55n)).toBe(55n);
    expect(positionFromClient({ commit: UNKNOWN_POSITION, prepare: UNKNOWN_POSITION }, 56n)).toBe(56n);
  });

  it('orders client positions by commit, then prepare', () => {
    expect(compareClientPositions({ commit: 1n, prepare: 1n }, { commit: 2n, prepare: 0n })).toBe(-1);
    expect(compareClientPositions({ commit: 2n, prepare: 3n }, { commit: 2n, prepare: 1n })).toBe(1);
    expect(compareClientPositions({ commit: 2n, prepare: 2n }, { commit: 2n, prepare: 2n })).toBe(0);
  });

  it('takes the position of an append from the commit position the server reported', () => {
    expect(
      positionFromAppendResult({ success: true, nextExpectedRevision: 4n, position: { commit: 900n, prepare: 900n } }),
    ).toBe(900n);
    expect(positionFromAppendResult({ success: true, nextExpectedRevision: 4n })).toBeUndefined();
  });
});

describe('recorded events, through the client’s own protobuf conversion', () => {
  it('maps every field', () => {
    const resolved = clientResolvedEvent(record());
    expect(fromClientResolvedEvent(resolved)).toEqual({
      streamId: 'obligation-42',
      revision: 3n,
      position: 10_240n,
      id: ID,
      type: 'ObligationRegistered',
      data: { amount: '125000.00', tender: 'T-1' },
      metadata: { correlationId: 'c-1' },
      recordedAt: '2024-11-05T13:45:06.789Z',
    });
  });

  it('converts created (ticks since the Unix epoch, a Date in the client) to ISO-8601 UTC with milliseconds', () => {
    const resolved = clientResolvedEvent(record({ createdTicks: ticksFor(Date.UTC(1999, 0, 2, 3, 4, 5, 6), 9_999n) }));
    expect(resolved.event?.created).toBeInstanceOf(Date);
    expect(fromClientResolvedEvent(resolved)?.recordedAt).toBe('1999-01-02T03:04:05.006Z');
    expect(toRecordedAt(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });

  it('reads empty metadata as {}', () => {
    const resolved = clientResolvedEvent(record({ metadata: '' }));
    expect(resolved.event?.metadata).toBeUndefined();
    expect(fromClientResolvedEvent(resolved)?.metadata).toEqual({});
  });

  it('reads unparseable or non-object metadata as {}', () => {
    expect(fromClientResolvedEvent(clientResolvedEvent(record({ metadata: 'not json' })))?.metadata).toEqual({});
    expect(fromClientResolvedEvent(clientResolvedEvent(record({ metadata: '[1,2]' })))?.metadata).toEqual({});
    expect(toMetadata(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(toMetadata(null)).toEqual({});
  });

  it('keeps JSON data of any shape, and big numbers as the JSON parser reads them', () => {
    for (const data of [[1, 'two', null], 'text', 12.5, true, null, { nested: { deep: [{}] } }]) {
      const resolved = clientResolvedEvent(record({ data: JSON.stringify(data) }));
      expect(fromClientResolvedEvent(resolved)?.data).toEqual(data);
    }
  });

  it('decodes binary data that is JSON, and hands other bytes over as base64', () => {
    const json = clientResolvedEvent(record({ contentType: 'application/octet-stream', data: '{"x":1}' }));
    expect(fromClientResolvedEvent(json)?.data).toEqual({ x: 1 });
    const bytes = clientResolvedEvent(
      record({ contentType: 'application/octet-stream', data: Uint8Array.from([0xff, 0x00, 0x10]) }),
    );
    expect(fromClientResolvedEvent(bytes)?.data).toBe('/wAQ');
    expect(toData(new Uint8Array())).toBeNull();
  });

  it('skips system events and links', () => {
    expect(fromClientResolvedEvent(clientResolvedEvent(record({ streamId: '$settings' })))).toBeNull();
    expect(fromClientResolvedEvent(clientResolvedEvent(record({ type: '$metadata' })))).toBeNull();
    expect(
      fromClientResolvedEvent(
        clientResolvedEvent(record({ streamId: '$ce-obligation', type: '$>', data: '3@obligation-42' })),
      ),
    ).toBeNull();
    expect(
      fromClientResolvedEvent(clientResolvedEvent(record(), record({ streamId: '$ce-obligation', type: '$>' }))),
    ).toBeNull();
    expect(fromClientResolvedEvent({})).toBeNull();
  });

  it('takes the read’s commit position when the record carries none, and refuses an event without any', () => {
    const eventOf = (resolved: ReturnType<typeof clientResolvedEvent>) => {
      if (!resolved.event) throw new Error('no event');
      return resolved.event;
    };
    const withoutRecordPosition = clientResolvedEvent(record({ commit: undefined, prepare: undefined }));
    // An unset protobuf field reads as 0: the client reports position 0/0, which no event can have.
    expect(withoutRecordPosition.event?.position).toEqual({ commit: 0n, prepare: 0n });
    expect(fromClientRecordedEvent(eventOf(withoutRecordPosition), 321n).position).toBe(321n);
    expect(() => fromClientRecordedEvent(eventOf(withoutRecordPosition))).toThrow(MissingPositionError);
    const unknown = clientResolvedEvent(record({ commit: UNKNOWN_POSITION, prepare: UNKNOWN_POSITION }));
    expect(() => fromClientRecordedEvent(eventOf(unknown))).toThrow(MissingPositionError);
  });
});

describe('system events', () => {
  it('recognises system streams and system event types', () => {
    expect(isSystemEvent({ streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' })).toBe(true);
    expect(isSystemEvent({ streamId: '$$obligation-1', type: '$metadata' })).toBe(true);
    expect(isSystemEvent({ streamId: 'obligation-1', type: '$>' })).toBe(true);
    expect(isSystemEvent({ streamId: 'obligation-1', type: 'ObligationRegistered' })).toBe(false);
    expect(isSystemEvent({ streamId: 'a$b', type: 'x$' })).toBe(false);
  });
});

describe('filters', () => {
  it('builds an anchored, escaped regex matching exactly the given types', () => {
    const regex = typeFilterRegex(['Obligation.Registered', 'Paid(v2)', 'A|B', 'x+y*', '[z]', 'c#1']);
    const compiled = new RegExp(regex);
    for (const type of ['Obligation.Registered', 'Paid(v2)', 'A|B', 'x+y*', '[z]', 'c#1']) {
      expect(compiled.test(type)).toBe(true);
    }
    for (const type of ['ObligationXRegistered', 'Obligation.Registered2', 'xObligation.Registered', 'A', 'B', 'Paidv2', 'z', '$>']) {
      expect(compiled.test(type)).toBe(false);
    }
    expect(regex).toBe('^(?:Obligation\\.Registered|Paid\\(v2\\)|A\\|B|x\\+y\\*|\\[z\\]|c\\#1)$');
    expect(escapeRegex('a\\b^c$')).toBe('a\\\\b\\^c\\$');
    expect(() => typeFilterRegex([])).toThrow();
  });

  it('excludes system event types on the server when nothing is asked', () => {
    const plan = planFilter(undefined);
    expect(plan.server).toMatchObject({ filterOn: EVENT_TYPE, regex: '^[^$].*' });
    expect(plan.client).toBeUndefined();
  });

  it('filters stream prefixes on the server', () => {
    const plan = planFilter({ streamPrefixes: ['obligation-', 'contribution-'] });
    expect(plan.server.filterOn).toBe(STREAM_NAME);
    expect((plan.server as PrefixesFilter).prefixes).toEqual(['obligation-', 'contribution-']);
    expect(plan.client).toBeUndefined();
  });

  it('filters exact event types on the server with a regex', () => {
    const plan = planFilter({ eventTypes: ['ObligationRegistered', 'Paid'] });
    expect(plan.server.filterOn).toBe(EVENT_TYPE);
    expect((plan.server as RegexFilter).regex).toBe('^(?:ObligationRegistered|Paid)$');
    expect(plan.client).toBeUndefined();
  });

  it('filters prefixes on the server and types on the client when both are given', () => {
    const plan = planFilter({ streamPrefixes: ['obligation-'], eventTypes: ['Paid'] });
    expect(plan.server.filterOn).toBe(STREAM_NAME);
    expect(plan.client).toEqual({ eventTypes: ['Paid'] });
  });

  it('keeps nothing for an empty list, on the client side', () => {
    const plan = planFilter({ eventTypes: [] });
    expect(plan.client).toEqual({ eventTypes: [] });
    expect(matchesFilter({ streamId: 'a', type: 'T' }, plan.client)).toBe(false);
  });

  it('matches events on prefixes and exact types together', () => {
    const filter = { streamPrefixes: ['obligation-'], eventTypes: ['Paid'] };
    expect(matchesFilter({ streamId: 'obligation-1', type: 'Paid' }, filter)).toBe(true);
    expect(matchesFilter({ streamId: 'obligation-1', type: 'PaidLate' }, filter)).toBe(false);
    expect(matchesFilter({ streamId: 'contribution-1', type: 'Paid' }, filter)).toBe(false);
    expect(matchesFilter({ streamId: 'x', type: 'y' }, undefined)).toBe(true);
  });
});

describe('events to append', () => {
  it('builds a JSON event, keeping a given id', () => {
    const event = toClientEventData({ id: ID, type: 'Paid', data: { a: 1 }, metadata: { by: 'me' } });
    expect(event).toEqual({ id: ID, contentType: 'application/json', type: 'Paid', data: { a: 1 }, metadata: { by: 'me' } });
  });

  it('generates a UUIDv7 when no id is given and writes {} as metadata', () => {
    const event = toClientEventData({ type: 'Paid', data: null });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event.metadata).toEqual({});
    expect(event.data).toBeNull();
  });

  it('refuses what the SQLite engine refuses', () => {
    const ok: EventData[] = [{ type: 'T', data: {} }];
    expect(() => validateAppend('', ok, 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('$system', ok, 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('s', [], 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('s', ok, -1n)).toThrow(InvalidAppendError);
    expect(() => validateAppend('s', [{ type: '', data: {} }], 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('s', [{ id: 'not-a-uuid', type: 'T', data: {} }], 'any')).toThrow(InvalidAppendError);
    expect(() =>
      validateAppend('s', [{ id: ID, type: 'T', data: {} }, { id: ID.toUpperCase(), type: 'T', data: {} }], 'any'),
    ).toThrow(InvalidAppendError);
    expect(() => validateAppend('s', [{ type: 'T', data: undefined as never }], 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('s', [{ id: ID, type: 'T', data: {} }], 0n)).not.toThrow();
  });
});

describe('errors', () => {
  function clientWrongExpectedVersion(details: WrongExpectedVersion): ClientWrongExpectedVersionError {
    return ClientWrongExpectedVersionError.fromWrongExpectedVersion(details, 'obligation-42');
  }

  it('maps a wrong expected version on an existing stream, keeping the caller’s expectation', () => {
    const details = new WrongExpectedVersion();
    details.setCurrentStreamRevision('7');
    details.setExpectedStreamPosition('5');
    const mapped = mapClientError(clientWrongExpectedVersion(details), { streamId: 'obligation-42', expected: 5n });
    expect(mapped).toBeInstanceOf(WrongExpectedVersionError);
    expect(mapped).toMatchObject({ streamId: 'obligation-42', expected: 5n, actual: 7n, code: 'wrong-expected-version' });
  });

  it('reports a stream that does not exist as actual no_stream', () => {
    const details = new WrongExpectedVersion();
    details.setCurrentNoStream();
    details.setExpectedStreamExists();
    const mapped = mapClientError(clientWrongExpectedVersion(details), {
      streamId: 'obligation-42',
      expected: 'stream_exists',
    });
    expect(mapped).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
  });

  it('maps the append-path form of the client error (built from the response, not the metadata)', () => {
    const error = new ClientWrongExpectedVersionError(undefined, {
      streamName: 'obligation-42',
      expected: 'no_stream',
      current: 0n,
    });
    expect(mapClientError(error, { streamId: 'obligation-42', expected: 'no_stream' })).toMatchObject({
      streamId: 'obligation-42',
      expected: 'no_stream',
      actual: 0n,
    });
    const noStream = new ClientWrongExpectedVersionError(undefined, {
      streamName: 'obligation-42',
      expected: 3n,
      current: -1n,
    });
    expect(mapClientError(noStream, { streamId: 'obligation-42', expected: 3n })).toMatchObject({ actual: 'no_stream' });
  });

  it('maps stream not found and a deleted stream to StreamNotFoundError', () => {
    const notFound = mapClientError(new ClientStreamNotFoundError(undefined, 'obligation-9'), { streamId: 'obligation-9' });
    expect(notFound).toBeInstanceOf(StreamNotFoundError);
    expect(notFound).toMatchObject({ streamId: 'obligation-9', code: 'stream-not-found' });
    expect(mapClientError(new ClientStreamNotFoundError(undefined, 'named'))).toMatchObject({ streamId: 'named' });
    expect(mapClientError(StreamDeletedError.fromStreamName('gone'), {})).toBeInstanceOf(StreamNotFoundError);
  });

  it('maps unavailability, deadlines and raw gRPC code 14 to EventStoreUnavailableError', () => {
    const unavailable = new UnavailableError(undefined, 'UNAVAILABLE: No connection established');
    const mapped = mapClientError(unavailable);
    expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
    expect((mapped as Error).cause).toBe(unavailable);
    expect(mapClientError(new DeadlineExceededError(undefined, 'deadline'))).toBeInstanceOf(EventStoreUnavailableError);
    const raw = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: '' });
    expect(isUnavailableError(raw)).toBe(true);
    expect(mapClientError(raw)).toBeInstanceOf(EventStoreUnavailableError);
  });

  it('maps a timeout or a cancelled call to EventStoreUnavailableError (an append\'s outcome unknown), an append over the size limit to InvalidAppendError', () => {
    for (const error of [new TimeoutError(undefined, 'commit timeout'), new CancelledError(undefined, 'Cancelled on client')]) {
      const mapped = mapClientError(error);
      expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
      expect((mapped as Error).message).toMatch(/may or may not have been committed/);
      expect((mapped as Error).cause).toBe(error);
    }
    const tooLarge = Object.assign(new MaxAppendSizeExceededError(undefined, 1_048_576), { maxAppendSize: 1_048_576 });
    const mapped = mapClientError(tooLarge);
    expect(mapped).toBeInstanceOf(InvalidAppendError);
    expect((mapped as Error).message).toContain('1048576 bytes');
  });

  it('leaves other errors alone', () => {
    const denied = new AccessDeniedError(undefined, 'denied');
    expect(mapClientError(denied)).toBe(denied);
    const plain = new Error('boom');
    expect(mapClientError(plain)).toBe(plain);
  });

  it('classifies which subscription failures are worth a resubscription', () => {
    expect(isTransientError(new UnavailableError(undefined, 'x'))).toBe(true);
    expect(isTransientError(Object.assign(new Error('13 INTERNAL'), { code: 13 }))).toBe(true);
    expect(isTransientError(new Error('premature close'))).toBe(true);
    expect(isTransientError(new AccessDeniedError(undefined, 'denied'))).toBe(false);
    expect(isTransientError(Object.assign(new Error('3 INVALID_ARGUMENT'), { code: 3 }))).toBe(false);
  });
});
