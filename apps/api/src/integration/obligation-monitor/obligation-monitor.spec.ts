import { addDays, type ContractCommand } from '@sroi/domain';
import { StreamNotFoundError, type RecordedEvent, type SqliteEventStore } from '@sroi/event-store';
import { amsterdamDateOf } from '@sroi/integration-events';
import { obligationStream } from '../../shared/event-codec';
import { Ledger, openStore, tempDir } from '../../projections/testing/ledger';
import { caughtUp, readModelsIn, type ReadModelsFixture } from '../../projections/testing/read-models.fixture';
import { MONITOR_ACTOR, ObligationMonitor, ObligationMonitorOptions, observationEvent, observationId, type ObligationMonitorSettings } from './obligation-monitor';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;
let fixture: ReadModelsFixture;
const monitors: ObligationMonitor[] = [];

/**
 * The events are recorded at the real instant, so the contracts' periods are set around the real
 * date (`base`): the monitor's clock is then moved forward from it.
 */
let base: string;
let today: string;

async function observations(contractId: string): Promise<RecordedEvent[]> {
  try {
    return await store.readStream(obligationStream(contractId));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
}

function monitor(settings: Partial<ObligationMonitorSettings> = {}, progress = fixture.runner): ObligationMonitor {
  const m = new ObligationMonitor(store, fixture.readModels, progress, () => today, { sliceMs: 0, pageSize: 2, ...settings });
  monitors.push(m);
  return m;
}

async function projected(): Promise<void> {
  await caughtUp(fixture.runner, store);
}

beforeEach(async () => {
  tmp = tempDir('sroi-monitor-');
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
  base = amsterdamDateOf(new Date().toISOString());
  today = base;
  // a: starts in 10 days, nothing recorded: on track until it starts, then behind, then not met.
  await ledger.register('a', { startDate: addDays(base, 10), endDate: addDays(base, 100) });
  // b: running, its obligation met by a purchase: met whatever the date.
  await ledger.register('b', { startDate: addDays(base, -10), endDate: addDays(base, 100) });
  await ledger.purchase('b', 'k-1', 6_000_000, addDays(base, -5));
  // c: like a, but closed: not observed.
  await ledger.register('c', { startDate: addDays(base, 10), endDate: addDays(base, 100) });
  await ledger.execute('c', { type: 'CloseContract', data: { reason: 'gestopt' } } as ContractCommand);
  // d: ended long ago: not met, and stays so.
  await ledger.register('d', { startDate: '2020-01-01', endDate: '2020-12-31' });
  fixture = readModelsIn(tmp.dir, store);
  fixture.runner.start();
  await projected();
});

afterEach(async () => {
  for (const m of monitors.splice(0)) await m.stop();
  await fixture.close();
  await store.close();
  tmp.remove();
});

describe('ObligationMonitor', () => {
  it('on a date change, appends one observation per contract whose status changed: none for unchanged or closed ones', async () => {
    const m = monitor();
    // The day of the events: nothing changed by the date since.
    expect(await m.pass(today)).toEqual({ today, checked: 3, observed: 0 });
    for (const id of ['a', 'b', 'c', 'd']) expect(await observations(id)).toEqual([]);

    today = addDays(base, 15);
    expect(await m.pass(today)).toEqual({ today, checked: 3, observed: 1 });
    const [observed, ...more] = await observations('a');
    expect(more).toEqual([]);
    expect(observed).toMatchObject({
      streamId: 'obligation-a',
      revision: 0n,
      id: observationId('a', today),
      type: 'ObligationStatusObserved',
      data: { contractId: 'a', asOf: today, status: 'behind' },
      metadata: { schemaVersion: 1, actor: MONITOR_ACTOR, idempotencyKey: null, command: 'ObserveObligationStatus' },
    });
    expect(typeof observed.metadata['correlationId']).toBe('string');
    for (const id of ['b', 'c', 'd']) expect(await observations(id)).toEqual([]);
    // The contract streams are untouched (their revision is the clients' ETag).
    expect((await ledger.history('a')).length).toBe(1);

    // After its end: not met, observed against the last observation (behind).
    today = addDays(base, 101);
    expect(await m.pass(today)).toEqual({ today, checked: 3, observed: 1 });
    expect((await observations('a')).map((e) => e.data)).toEqual([
      { contractId: 'a', asOf: addDays(base, 15), status: 'behind' },
      { contractId: 'a', asOf: today, status: 'not-met' },
    ]);
  });

  it('writes nothing twice: not on a second pass of the day, not after a restart, not by a second instance at the same time', async () => {
    today = addDays(base, 15);
    const first = monitor();
    first.start();
    await first.tick();
    expect(first.lastCompletedPass).toEqual({ today, checked: 3, observed: 1 });
    // Same date: tick does not even look again; a pass that does finds the observation there.
    await first.tick();
    expect(first.lastCompletedPass).toEqual({ today, checked: 3, observed: 1 });
    expect(await first.pass(today)).toEqual({ today, checked: 3, observed: 0 });
    await first.stop();

    // A restart the same day.
    const second = monitor();
    second.start();
    await second.tick();
    expect(second.lastCompletedPass).toEqual({ today, checked: 3, observed: 0 });
    await second.stop();
    expect(await observations('a')).toHaveLength(1);

    // Two instances deciding at the same time, the next day... nothing changed (still behind).
    today = addDays(base, 16);
    const [x, y] = await Promise.all([monitor().pass(today), monitor().pass(today)]);
    expect([x?.observed, y?.observed]).toEqual([0, 0]);
    // ...and after the end, when it did: one observation, though both may have appended it (the
    // same id at the same place is an idempotent retry).
    today = addDays(base, 101);
    await Promise.all([monitor().pass(today), monitor().pass(today), monitor().pass(today)]);
    expect((await observations('a')).map((e) => e.id)).toEqual([observationId('a', addDays(base, 15)), observationId('a', today)]);
  });

  it('decides again when another writer moved the stream between its read and its append', async () => {
    today = addDays(base, 101);
    // Another instance writes the observation of an earlier day just after this one read the tail.
    const real = store.appendToStream.bind(store);
    let interfered = false;
    jest.spyOn(store, 'appendToStream').mockImplementation(async (stream, events, options) => {
      if (!interfered && stream === 'obligation-a') {
        interfered = true;
        await real(stream, [observationEvent('a', addDays(base, 15), 'behind', 'other-instance')], { expectedRevision: 'no_stream' });
      }
      return real(stream, events, options);
    });
    expect(await monitor().pass(today)).toMatchObject({ observed: 1 });
    expect((await observations('a')).map((e) => [e.data, e.metadata['correlationId'] === 'other-instance'])).toEqual([
      [{ contractId: 'a', asOf: addDays(base, 15), status: 'behind' }, true],
      [{ contractId: 'a', asOf: today, status: 'not-met' }, false],
    ]);
  });

  it('a contract event after the last observation is the last thing said about the contract: its date counts', async () => {
    today = addDays(base, 15);
    await monitor().pass(today);
    // A purchase recorded now (on the real date, `base`), dated in the contract's period, that meets
    // the obligation from base + 12. The publisher evaluates the status on the purchase's own date:
    // on track (nothing realised yet on `base`). On base + 16 it is met: that must be observed,
    // though on the last observation's date (base + 15) it would be met already.
    await ledger.purchase('a', 'k-1', 6_000_000, addDays(base, 12));
    await projected();
    today = addDays(base, 16);
    expect(await monitor().pass(today)).toMatchObject({ observed: 1 });
    expect((await observations('a')).map((e) => e.data)).toEqual([
      { contractId: 'a', asOf: addDays(base, 15), status: 'behind' },
      { contractId: 'a', asOf: today, status: 'met' },
    ]);
    // Met stays met: nothing more.
    today = addDays(base, 200);
    expect(await monitor().pass(today)).toMatchObject({ observed: 0 });
  });

  it('does nothing while the read models are behind the store, and tries again at the next check', async () => {
    today = addDays(base, 15);
    const m = monitor({}, { waitFor: () => Promise.resolve(false) } as never);
    expect(await m.pass(today)).toBeNull();
    await m.tick();
    expect(m.lastCompletedPass).toBeNull();
    expect(await observations('a')).toEqual([]);
  });

  it('yields to the event loop while it works', async () => {
    for (let i = 0; i < 10; i++) await ledger.register(`z-${i}`, { startDate: addDays(base, 10), endDate: addDays(base, 100) });
    await projected();
    today = addDays(base, 15);
    const order: string[] = [];
    const pass = monitor({ sliceMs: 0 })
      .pass(today)
      .then((p) => order.push(`pass ${p?.observed}`));
    setImmediate(() => order.push('other work'));
    await pass;
    expect(order).toEqual(['other work', 'pass 11']);
  });

  it('stops at its next contract, and a stop during its wait for the read models ends the wait', async () => {
    today = addDays(base, 15);
    const waiting = monitor({}, { waitFor: () => new Promise(() => undefined) } as never);
    waiting.start();
    await waiting.stop();
    expect(waiting.lastCompletedPass).toBeNull();
  });

  it('reads its check interval from SROI_OBLIGATION_CHECK_MS and refuses nonsense', () => {
    expect(ObligationMonitorOptions.fromEnv({}).checkIntervalMs).toBe(60_000);
    expect(ObligationMonitorOptions.fromEnv({ SROI_OBLIGATION_CHECK_MS: '250' }).checkIntervalMs).toBe(250);
    expect(() => ObligationMonitorOptions.fromEnv({ SROI_OBLIGATION_CHECK_MS: 'soon' })).toThrow("SROI_OBLIGATION_CHECK_MS must be a whole number of milliseconds of at least 1, not 'soon'");
  });
});
