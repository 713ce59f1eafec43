import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventStore } from '@sroi/event-store';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateTokens, sha256Hex } from '../src/auth/tokens';
import { DEMO_CONTRACTS } from '../src/demo/demo-data';
import { ContractRepository } from '../src/contracts/contract-repository';
import { EVENT_STORE } from '../src/event-store/event-store.module';
import { ContractStates } from '../src/projections/read-models';
import { StartupWork } from '../src/platform/startup-compaction';
import { api, contractBody, removeDir, startApp, tempDir, TOKENS, writeTokens } from './harness';

/** Events written by commands and seeding (contract and catalogue streams); the service's own background writers (integration publisher, obligation monitor) are left out: they run on their own schedule. */
async function countEvents(app: NestFastifyApplication): Promise<number> {
  let n = 0;
  for await (const _ of app.get<EventStore>(EVENT_STORE).readAll({ filter: { streamPrefixes: ['contract-', 'catalogue-'] } })) n++;
  return n;
}

describe('restart persistence', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('a new app on the same folder loses nothing: events, read models, idempotency keys; projections resume', async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeTokens(dir);
    let app = await startApp(dir);
    let http = api(app);
    const reg = await http.post('/v1/contracts', contractBody(), TOKENS.advisor, { 'Idempotency-Key': 'restart-reg' });
    const id = reg.body.contractId as string;
    const hire = await http.post(`/v1/contracts/${id}/hires`, { candidateRef: 'R-1', blockCode: 'PW', startDate: '2023-01-01', endDate: '2023-06-30', hoursPerWeek: 24, permanent: false }, TOKENS.advisor, { 'Idempotency-Key': 'restart-hire' });
    const before = await http.get(`/v1/contracts/${id}?minPosition=${hire.body.position}`);
    expect(before.headers['x-projection-caught-up']).toBe('true');
    const statusBefore = (await http.get(`/v1/contracts/${id}/status?asOf=2023-06-30`)).body;
    const historyBefore = (await http.get(`/v1/contracts/${id}/history`)).body;
    const events = await countEvents(app);
    await app.close();

    app = await startApp(dir);
    http = api(app);
    expect(await countEvents(app)).toBe(events);
    const summary = await http.get(`/v1/contracts/${id}?minPosition=${hire.body.position}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual(before.body);
    expect((await http.get(`/v1/contracts/${id}/status?asOf=2023-06-30`)).body).toEqual({ ...statusBefore, knownAt: expect.any(String) });
    expect((await http.get(`/v1/contracts/${id}/history`)).body).toEqual(historyBefore);

    // idempotency keys survive the restart
    const replayed = await http.post('/v1/contracts', contractBody(), TOKENS.advisor, { 'Idempotency-Key': 'restart-reg' });
    expect(replayed.body).toEqual(reg.body);
    expect(await countEvents(app)).toBe(events);

    // the projections resume after their checkpoint and apply what comes next
    const purchase = await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'R', amountExclVatCents: 50_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' });
    const after = await http.get(`/v1/contracts/${id}?minPosition=${purchase.body.position}`);
    expect(after.headers['x-projection-caught-up']).toBe('true');
    expect(after.body.revision).toBe(2);
    expect(BigInt(after.headers['x-projection-position'])).toBeGreaterThanOrEqual(BigInt(purchase.body.position));
    await app.close();
  });
});

describe('start-up work', () => {
  it('the cache warm-ups and catch-ups register, and all of them end (the heap is compacted after them)', async () => {
    const dir = tempDir();
    try {
      writeTokens(dir);
      const app = await startApp(dir, true);
      try {
        const work = app.get(StartupWork);
        expect(work.names().sort()).toEqual(['contract state cache', 'integration publisher catch-up', 'projections catch-up']);
        const deadline = Date.now() + 10_000;
        while (work.pending().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(work.pending()).toEqual([]);
      } finally {
        await app.close();
      }
    } finally {
      removeDir(dir);
    }
  });

  it('one contract-state cache serves the commands, the status reads and the read models: started once, warmed once', async () => {
    const dir = tempDir();
    const init = jest.spyOn(ContractRepository.prototype, 'onModuleInit');
    try {
      writeTokens(dir);
      const app = await startApp(dir, true);
      try {
        expect(init).toHaveBeenCalledTimes(1);
        const repository = app.get(ContractRepository);
        expect(init.mock.contexts[0]).toBe(repository);
        // The read models' states are that repository's (its cached state, no read of the store).
        const states = app.get(ContractStates);
        const id = DEMO_CONTRACTS[0].contractId;
        const deadline = Date.now() + 10_000;
        let current = await repository.current(id);
        while (current === null && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          current = await repository.current(id);
        }
        expect(current).not.toBeNull();
        expect(states.peek(id, Number(current?.revision))).toBe(current?.state);
      } finally {
        await app.close();
      }
    } finally {
      init.mockRestore();
      removeDir(dir);
    }
  });
});

describe('demo data and demo tokens', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('loads the Utrecht demo contracts into an empty store once, the law firm\'s Christmas market with Reinaerde among them', async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeTokens(dir);
    let app = await startApp(dir, true);
    let http = api(app);
    const law = DEMO_CONTRACTS.find((c) => c.slug === 'law-firm-christmas-market');
    if (!law) throw new Error('no law firm in the demo data');
    const history = await http.get(`/v1/contracts/${law.contractId}/history`);
    expect(history.status).toBe(200);
    const purchase = history.body.events.find((e: { type: string }) => e.type === 'PurchaseRecorded');
    expect(purchase.data.supplier.name).toBe('Reinaerde');
    const head = await app.get<EventStore>(EVENT_STORE).headPosition();
    const list = await http.get(`/v1/contracts?minPosition=${head}`);
    expect(list.body.total).toBe(DEMO_CONTRACTS.length);
    const events = await countEvents(app);
    await app.close();

    app = await startApp(dir, true);
    http = api(app);
    expect(await countEvents(app)).toBe(events);
    await app.close();
  });

  it('completes a demo load that a first start left half done (a crash in the middle), and adds nothing to a store with contracts of its own', async () => {
    const demoStream = (c: (typeof DEMO_CONTRACTS)[number]) => `contract-${c.contractId}`;
    const eventsOf = async (store: EventStore, stream: string) => (await store.readStream(stream).catch(() => [])).map((e) => e.type);
    // The whole demo, as a start that was not stopped loads it.
    const full = tempDir();
    dirs.push(full);
    writeTokens(full);
    let app = await startApp(full, true);
    let store = app.get<EventStore>(EVENT_STORE);
    const complete = new Map<string, string[]>();
    for (const c of DEMO_CONTRACTS) complete.set(c.slug, await eventsOf(store, demoStream(c)));
    const first = DEMO_CONTRACTS[0];
    const begun = (await store.readStream(demoStream(first))).slice(0, 2);
    await app.close();

    // A store where the first start got that far: the first contract's first two steps, nothing else.
    const half = tempDir();
    dirs.push(half);
    writeTokens(half);
    app = await startApp(half, false);
    store = app.get<EventStore>(EVENT_STORE);
    await store.appendToStream(demoStream(first), begun.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata })), { expectedRevision: 'no_stream' });
    await app.close();
    app = await startApp(half, true);
    store = app.get<EventStore>(EVENT_STORE);
    for (const c of DEMO_CONTRACTS) expect([c.slug, await eventsOf(store, demoStream(c))]).toEqual([c.slug, complete.get(c.slug)]);
    await app.close();

    // A store with a contract of its own gets no demo contract.
    const own = tempDir();
    dirs.push(own);
    writeTokens(own);
    app = await startApp(own, false);
    await api(app).post('/v1/contracts', contractBody()).expect(201);
    await app.close();
    app = await startApp(own, true);
    store = app.get<EventStore>(EVENT_STORE);
    for (const c of DEMO_CONTRACTS) expect(await eventsOf(store, demoStream(c))).toEqual([]);
    await app.close();
  });

  it('with no tokens file, creates one with a demo token per role (hashes only) and prints the tokens once', () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, 'tokens.json');
    const printed: string[] = [];
    const tokens = loadOrCreateTokens(file, (t) => printed.push(t));
    expect(existsSync(file)).toBe(true);
    expect(printed).toHaveLength(1);
    const shown = [...printed[0].matchAll(/(sroi_[a-z]+_[\w-]+)/g)].map((m) => m[1]);
    expect(shown).toHaveLength(5);
    const stored = readFileSync(file, 'utf8');
    for (const t of shown) {
      expect(stored).not.toContain(t);
      expect(tokens.get(sha256Hex(t))).toBeDefined();
    }
    expect([...tokens.values()].map((p) => p.role).sort()).toEqual(['admin', 'advisor', 'auditor', 'contractor', 'integrator']);
    loadOrCreateTokens(file, (t) => printed.push(t));
    expect(printed).toHaveLength(1);
  });
});
