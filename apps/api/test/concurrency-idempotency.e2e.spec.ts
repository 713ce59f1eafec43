import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SqliteEventStore, type EventStore } from '@sroi/event-store';
import { join } from 'node:path';
import { EVENT_STORE } from '../src/event-store/event-store.module';
import { api, contractBody, removeDir, startApp, tempDir, TOKENS, writeTokens, type Api } from './harness';

const hire = (ref: string) => ({ candidateRef: ref, blockCode: 'PW', startDate: '2023-01-01', hoursPerWeek: 24, permanent: false });

describe('concurrency and idempotency', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let http: Api;
  let store: EventStore;

  beforeAll(async () => {
    dir = tempDir();
    writeTokens(dir);
    app = await startApp(dir);
    http = api(app);
    store = app.get<EventStore>(EVENT_STORE);
  });

  afterAll(async () => {
    await app.close();
    removeDir(dir);
  });

  async function newContract(): Promise<string> {
    const r = await http.post('/v1/contracts', contractBody());
    expect(r.status).toBe(201);
    return r.body.contractId as string;
  }

  const eventsOf = async (id: string) => (await store.readStream(`contract-${id}`)).map((e) => e.type);

  /** Makes another writer append to the stream just before each of the next `times` appends. */
  function competingWriter(id: string, times: number): () => void {
    const original = store.appendToStream.bind(store);
    let left = times;
    store.appendToStream = async (streamId, events, options) => {
      if (streamId === `contract-${id}` && left > 0) {
        left--;
        const last = (await store.readStream(streamId, { direction: 'backwards', maxCount: 1 }))[0];
        await original(streamId, [{ type: 'ContractValueChanged', data: { contractValueCents: 100_000_000 + left + 1, previousValueCents: 100_000_000, effectiveDate: '2023-06-01', reason: 'concurrent' }, metadata: { schemaVersion: 1 } }], { expectedRevision: last.revision });
      }
      return original(streamId, events, options);
    };
    return () => {
      store.appendToStream = original;
    };
  }

  it('an append through another store on the same file is in the very next answer, whether a few events or many were appended meanwhile', async () => {
    const id = await newContract();
    await http.get(`/v1/contracts/${id}/status`).expect(200); // its state is cached now
    const other = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
    try {
      const change = (cents: number) => ({ type: 'ContractValueChanged', data: { contractValueCents: cents, previousValueCents: 100_000_000, effectiveDate: '2023-06-01', reason: 'elsewhere' }, metadata: { schemaVersion: 1 } });
      await other.appendToStream(`contract-${id}`, [change(120_000_000)], { expectedRevision: 0n });
      expect((await http.get(`/v1/contracts/${id}/status`).expect(200)).body.contractValueCents).toBe(120_000_000);
      await other.appendToStream('elsewhere-noise', Array.from({ length: 800 }, (_, i) => ({ type: 'Noted', data: { i } })));
      await other.appendToStream(`contract-${id}`, [change(130_000_000)], { expectedRevision: 1n });
      expect((await http.get(`/v1/contracts/${id}/status`).expect(200)).body.contractValueCents).toBe(130_000_000);
      const hired = await http.post(`/v1/contracts/${id}/hires`, hire('ELSEWHERE-1'));
      expect(hired.status).toBe(201);
      expect(hired.body.revision).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('a contract another process has written to since this one cached it: a command is decided again on its current state', async () => {
    // Cached here by the registration and a hire, not read since.
    const id = await newContract();
    const mine = await http.post(`/v1/contracts/${id}/hires`, hire('OTHER-0'));
    expect(mine.status).toBe(201);
    const recorded = (await store.readStream(`contract-${id}`))[1];
    const other = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
    try {
      // Another process records a hire of its own (a copy of this one's, under another placement id)...
      const placementId = 'placement-recorded-elsewhere';
      const data = { ...(recorded.data as Record<string, unknown>), placementId, candidateRef: 'OTHER-1' };
      await other.appendToStream(`contract-${id}`, [{ type: recorded.type, data, metadata: recorded.metadata }], { expectedRevision: 1n });
      // ...and ending it here is not refused as a placement this process has not seen.
      const ended = await http.post(`/v1/contracts/${id}/hires/${placementId}/end`, { endDate: '2023-06-30', reason: 'ended here' });
      expect(ended.status).toBe(200);
      expect(ended.body.revision).toBe(3);
      // Changed elsewhere again: a command that the stale state would allow conflicts on append and is decided again.
      await other.appendToStream(`contract-${id}`, [{ type: 'ContractValueChanged', data: { contractValueCents: 150_000_000, previousValueCents: 100_000_000, effectiveDate: '2023-06-01', reason: 'elsewhere' }, metadata: { schemaVersion: 1 } }], { expectedRevision: 3n });
      const hired = await http.post(`/v1/contracts/${id}/hires`, hire('OTHER-2'));
      expect(hired.status).toBe(201);
      expect(hired.body.revision).toBe(5);
    } finally {
      await other.close();
    }
    expect(await eventsOf(id)).toEqual(['ContractRegistered', 'HireRecorded', 'HireRecorded', 'PlacementEnded', 'ContractValueChanged', 'HireRecorded']);
    // The status read sees it all.
    expect((await http.get(`/v1/contracts/${id}/status`).expect(200)).body.contractValueCents).toBe(150_000_000);
  });

  it('If-Match with the current revision succeeds; a stale one gives 412 and writes nothing', async () => {
    const id = await newContract();
    const ok = await http.post(`/v1/contracts/${id}/hires`, hire('IM-1'), TOKENS.advisor, { 'If-Match': '"0"' });
    expect(ok.status).toBe(201);
    expect(ok.body.revision).toBe(1);
    const stale = await http.post(`/v1/contracts/${id}/hires`, hire('IM-2'), TOKENS.advisor, { 'If-Match': '"0"' });
    expect(stale.status).toBe(412);
    expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stale.body).toMatchObject({ code: 'precondition-failed', expectedRevision: 0, actualRevision: 1 });
    expect(await eventsOf(id)).toEqual(['ContractRegistered', 'HireRecorded']);
    const malformed = await http.post(`/v1/contracts/${id}/hires`, hire('IM-3'), TOKENS.advisor, { 'If-Match': 'yesterday' });
    expect(malformed.status).toBe(400);
  });

  it('If-Match as RFC 9110 reads it: a list matches any of its revisions, * any existing contract, a weak tag never', async () => {
    const id = await newContract();
    const listed = await http.post(`/v1/contracts/${id}/hires`, hire('IM-L1'), TOKENS.advisor, { 'If-Match': '"7", "0"' });
    expect(listed.status).toBe(201);
    const any = await http.post(`/v1/contracts/${id}/hires`, hire('IM-L2'), TOKENS.advisor, { 'If-Match': '*' });
    expect(any.status).toBe(201);
    const weak = await http.post(`/v1/contracts/${id}/hires`, hire('IM-L3'), TOKENS.advisor, { 'If-Match': 'W/"2"' });
    expect(weak.status).toBe(412);
    expect(weak.body).toMatchObject({ code: 'precondition-failed', actualRevision: 2 });
    const staleList = await http.post(`/v1/contracts/${id}/hires`, hire('IM-L4'), TOKENS.advisor, { 'If-Match': '"0", "1"' });
    expect(staleList.status).toBe(412);
    expect(staleList.body).toMatchObject({ expectedRevisions: [0, 1], actualRevision: 2 });
    expect(await eventsOf(id)).toEqual(['ContractRegistered', 'HireRecorded', 'HireRecorded']);
    // * on a contract that does not exist is 404, as without it
    expect((await http.post('/v1/contracts/no-such-contract/hires', hire('IM-L5'), TOKENS.advisor, { 'If-Match': '*' })).status).toBe(404);
  });

  it('a concurrent write between read and append with If-Match gives 412 without a retry', async () => {
    const id = await newContract();
    const restore = competingWriter(id, 1);
    try {
      const r = await http.post(`/v1/contracts/${id}/hires`, hire('IM-4'), TOKENS.advisor, { 'If-Match': '"0"' });
      expect(r.status).toBe(412);
    } finally {
      restore();
    }
    expect(await eventsOf(id)).toEqual(['ContractRegistered', 'ContractValueChanged']);
  });

  it('one concurrent writer: the command is decided again on fresh state and succeeds', async () => {
    const id = await newContract();
    const restore = competingWriter(id, 1);
    try {
      const r = await http.post(`/v1/contracts/${id}/hires`, hire('C-1'));
      expect(r.status).toBe(201);
      expect(r.body.revision).toBe(2);
    } finally {
      restore();
    }
    expect(await eventsOf(id)).toEqual(['ContractRegistered', 'ContractValueChanged', 'HireRecorded']);
  });

  it('a second conflict after the retry gives 409 concurrency-conflict', async () => {
    const id = await newContract();
    const restore = competingWriter(id, 2);
    try {
      const r = await http.post(`/v1/contracts/${id}/hires`, hire('C-2'));
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'concurrency-conflict', status: 409 });
    } finally {
      restore();
    }
    expect(await eventsOf(id)).not.toContain('HireRecorded');
  });

  it('truly concurrent hires: each one either lands once or is answered 409', async () => {
    const id = await newContract();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => http.post(`/v1/contracts/${id}/hires`, hire(`P-${i}`))));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const hires = (await eventsOf(id)).filter((t) => t === 'HireRecorded');
    expect(hires).toHaveLength(statuses.filter((s) => s === 201).length);
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.revision)).size).toBe(hires.length);
  });

  it('the same Idempotency-Key and body returns the first response and writes one event', async () => {
    const id = await newContract();
    const first = await http.post(`/v1/contracts/${id}/hires`, hire('ID-1'), TOKENS.contractorA, { 'Idempotency-Key': 'hire-id-1' });
    expect(first.status).toBe(201);
    // same body, other key order: still the same request
    const again = await http.post(`/v1/contracts/${id}/hires`, { permanent: false, hoursPerWeek: 24, startDate: '2023-01-01', blockCode: 'PW', candidateRef: 'ID-1' }, TOKENS.contractorA, { 'Idempotency-Key': 'hire-id-1' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await eventsOf(id)).filter((t) => t === 'HireRecorded')).toHaveLength(1);

    const other = await http.post(`/v1/contracts/${id}/hires`, hire('ID-2'), TOKENS.contractorA, { 'Idempotency-Key': 'hire-id-1' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency-key-reused');
    // the key belongs to the caller: another principal may use the same key
    const advisor = await http.post(`/v1/contracts/${id}/hires`, hire('ID-1'), TOKENS.advisor, { 'Idempotency-Key': 'hire-id-1' });
    expect(advisor.status).toBe(201);
    expect(advisor.body.contributionId).not.toBe(first.body.contributionId);

    const history = await http.get(`/v1/contracts/${id}/history`);
    expect(history.body.events[1].idempotencyKey).toBe('hire-id-1');
  });

  it('concurrent duplicates with one key execute once', async () => {
    const id = await newContract();
    const results = await Promise.all(Array.from({ length: 6 }, () => http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'DUP', amountExclVatCents: 1000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.advisor, { 'Idempotency-Key': 'dup-purchase' })));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect((await eventsOf(id)).filter((t) => t === 'PurchaseRecorded')).toHaveLength(1);
  });

  it('a refused command does not consume its key; registration with a key is idempotent too', async () => {
    const id = await newContract();
    const refused = await http.post(`/v1/contracts/${id}/hires`, { ...hire('K-1'), blockCode: 'NOPE' }, TOKENS.advisor, { 'Idempotency-Key': 'k-refused' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('unknown-block');
    const again = await http.post(`/v1/contracts/${id}/hires`, { ...hire('K-1'), blockCode: 'NOPE' }, TOKENS.advisor, { 'Idempotency-Key': 'k-refused' });
    expect(again.status).toBe(422);
    const a = await http.post('/v1/contracts', contractBody(), TOKENS.advisor, { 'Idempotency-Key': 'register-1' });
    const b = await http.post('/v1/contracts', contractBody(), TOKENS.advisor, { 'Idempotency-Key': 'register-1' });
    expect(b.body).toEqual(a.body);
    const bad = await http.post('/v1/contracts', contractBody(), TOKENS.advisor, { 'Idempotency-Key': 'bad key with spaces' });
    expect(bad.status).toBe(400);
  });

  it('a key is held only past the checks of its caller: a refusal by role (403) or validation (400) leaves it free', async () => {
    const id = await newContract();
    // 403 comes first (the contractor may not close a contract): the key is not reserved
    const forbidden = await http.post(`/v1/contracts/${id}/close`, { reason: 'done' }, TOKENS.contractorA, { 'Idempotency-Key': 'k-checks' });
    expect(forbidden.status).toBe(403);
    // 400 after the reservation: the key is released
    const invalid = await http.post(`/v1/contracts/${id}/hires`, { ...hire('C-1'), hoursPerWeek: 'many' }, TOKENS.contractorA, { 'Idempotency-Key': 'k-checks' });
    expect([invalid.status, invalid.body.code]).toEqual([400, 'validation-failed']);
    const hired = await http.post(`/v1/contracts/${id}/hires`, hire('C-1'), TOKENS.contractorA, { 'Idempotency-Key': 'k-checks' });
    expect(hired.status).toBe(201);
    // now the key is the hire's: the close it was first tried with is another request
    const reused = await http.post(`/v1/contracts/${id}/close`, { reason: 'done' }, TOKENS.contractorA, { 'Idempotency-Key': 'k-checks' });
    expect([reused.status, reused.body.code]).toEqual([403, 'forbidden']);
    expect((await eventsOf(id)).filter((t) => t === 'HireRecorded')).toHaveLength(1);
  });

  it('a replay is the first answer as it was sent: its status, type and body, for a 200 route too', async () => {
    const id = await newContract();
    const first = await http.post(`/v1/contracts/${id}/hires`, hire('R-1'), TOKENS.advisor, { 'Idempotency-Key': 'k-replay' });
    const again = await http.post(`/v1/contracts/${id}/hires`, hire('R-1'), TOKENS.advisor, { 'Idempotency-Key': 'k-replay' });
    expect([again.status, again.headers['content-type'], again.text]).toEqual([201, first.headers['content-type'], first.text]);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.headers['idempotent-replayed']).toBe('true');

    const plan = { catalogue: { id: 'utrecht', version: '2019' }, contractValueCents: 100_000_000, sroiPercentage: 5, items: [{ blockCode: 'PW', hoursPerWeek: 36, months: 12 }] };
    const estimate = await http.post('/v1/planner/estimate', plan, TOKENS.contractorA, { 'Idempotency-Key': 'k-plan' });
    const estimateAgain = await http.post('/v1/planner/estimate', plan, TOKENS.contractorA, { 'Idempotency-Key': 'k-plan' });
    expect(estimate.status).toBe(200);
    expect([estimateAgain.status, estimateAgain.headers['idempotent-replayed'], estimateAgain.body]).toEqual([200, 'true', estimate.body]);
  });

  it('every POST of the service takes an Idempotency-Key (each route found in the OpenAPI document)', async () => {
    const document = (await http.get('/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const posts = Object.keys(document.paths).filter((path) => document.paths[path]['post'] !== undefined);
    expect(posts.length).toBeGreaterThanOrEqual(15);
    const tooLong = 'k'.repeat(256); // refused by the idempotency guard (after authentication) before validation or the route looks at the request
    for (const path of posts) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const codes = new Set<string>();
      for (const token of Object.values(TOKENS)) codes.add(String((await http.post(url, {}, token, { 'Idempotency-Key': tooLong })).body.code));
      expect({ path, checked: codes.has('invalid-idempotency-key') }).toEqual({ path, checked: true });
    }
  });
});
