import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { utrecht2019 } from '@sroi/domain';
import { connect, type AddressInfo } from 'node:net';
import { api, contractBody, KVK_A, KVK_B, removeDir, startApp, tempDir, TOKENS, writeTokens, type Api } from './harness';

describe('who may do what, validation, catalogues, planner, OpenAPI', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let http: Api;
  let contractA: string;
  let contractB: string;
  let lastPosition: string;

  beforeAll(async () => {
    dir = tempDir();
    writeTokens(dir);
    app = await startApp(dir);
    http = api(app);
    contractA = (await http.post('/v1/contracts', contractBody({ contractor: { kvk: KVK_A, name: 'A B.V.' } }))).body.contractId;
    const b = await http.post('/v1/contracts', contractBody({ contractor: { kvk: KVK_B, name: 'B B.V.' } }));
    contractB = b.body.contractId;
    lastPosition = b.body.position;
  });

  /**
   * The contract stream's last revision, from its history (read from the stream itself): the
   * summary is a projection that may not have applied the previous test's write yet.
   */
  const streamRevision = async (id: string): Promise<number | string> => {
    const history = await http.get(`/v1/contracts/${id}/history`);
    expect(history.status).toBe(200);
    const events = history.body.events as Array<{ revision: number | string }>;
    expect(events.length).toBeGreaterThan(0);
    return events[events.length - 1].revision;
  };

  afterAll(async () => {
    await app.close();
    removeDir(dir);
  });

  describe('authentication', () => {
    it('401 without a token or with an unknown one; health endpoints are public', async () => {
      const none = await http.raw().get(`/v1/contracts/${contractA}`);
      expect(none.status).toBe(401);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(none.body.code).toBe('unauthorized');
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await http.get(`/v1/contracts/${contractA}`, 'not-a-token')).status).toBe(401);
      expect((await http.raw().post('/v1/contracts').send(contractBody())).status).toBe(401);
      expect((await http.raw().get('/health')).status).toBe(200);
      const ready = await http.raw().get('/ready');
      expect([200, 503]).toContain(ready.status);
    });
  });

  describe('contractor', () => {
    it('sees and records on its own contracts only (another contractor\'s is 404)', async () => {
      expect((await http.get(`/v1/contracts/${contractA}/status`, TOKENS.contractorA)).status).toBe(200);
      // a status computed (and cached) for one principal is not served to another
      expect((await http.get(`/v1/contracts/${contractA}/status`, TOKENS.contractorB)).status).toBe(404);
      const other = await http.get(`/v1/contracts/${contractB}/status`, TOKENS.contractorA);
      expect(other.status).toBe(404);
      expect(other.body.code).toBe('not-found');
      expect((await http.get(`/v1/contracts/${contractB}?minPosition=${lastPosition}`, TOKENS.contractorA)).status).toBe(404);
      const hire = { candidateRef: 'X-1', blockCode: 'PW', startDate: '2023-01-01', hoursPerWeek: 36, permanent: false };
      expect((await http.post(`/v1/contracts/${contractB}/hires`, hire, TOKENS.contractorA)).status).toBe(404);
      expect((await http.post(`/v1/contracts/${contractA}/hires`, hire, TOKENS.contractorA)).status).toBe(201);
      const list = await http.get(`/v1/contracts?minPosition=${lastPosition}`, TOKENS.contractorA);
      expect(list.body.items.map((s: { contractId: string }) => s.contractId)).toEqual([contractA]);
      expect((await http.get(`/v1/contracts?contractorKvk=${KVK_B}`, TOKENS.contractorA)).body.items).toEqual([]);
    });

    it('may not verify, migrate, close, register or read the audit trail (403)', async () => {
      expect((await http.post(`/v1/contracts/${contractA}/contributions/x/verification`, { verdict: 'verified' }, TOKENS.contractorA)).status).toBe(403);
      expect((await http.post(`/v1/contracts/${contractA}/close`, { reason: 'done' }, TOKENS.contractorA)).status).toBe(403);
      expect((await http.post('/v1/contracts', contractBody(), TOKENS.contractorA)).status).toBe(403);
      expect((await http.get(`/v1/contracts/${contractA}/history`, TOKENS.contractorA)).status).toBe(403);
    });
  });

  describe('auditor', () => {
    it('reads everything of its municipality, history and replay included, and writes nothing (403)', async () => {
      expect((await http.get(`/v1/contracts/${contractB}/history`, TOKENS.auditor)).status).toBe(200);
      expect((await http.get(`/v1/contracts/${contractA}/replay`, TOKENS.auditor)).status).toBe(200);
      const list = await http.get(`/v1/contracts?minPosition=${lastPosition}`, TOKENS.auditor);
      expect(list.body.total).toBe(2);
      const write = await http.post(`/v1/contracts/${contractA}/purchases`, { supplier: { name: 'R' }, invoiceReference: 'I', amountExclVatCents: 1, date: '2023-01-02', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.auditor);
      expect(write.status).toBe(403);
      expect(write.body.code).toBe('forbidden');
    });
  });

  describe('advisor', () => {
    it('of another municipality: the contracts are 404, registering for Utrecht is 403', async () => {
      expect((await http.get(`/v1/contracts/${contractA}/status`, TOKENS.advisorElsewhere)).status).toBe(404);
      expect((await http.post(`/v1/contracts/${contractA}/close`, { reason: 'x' }, TOKENS.advisorElsewhere)).status).toBe(404);
      expect((await http.post('/v1/contracts', contractBody(), TOKENS.advisorElsewhere)).status).toBe(403);
      expect((await http.get(`/v1/contracts?minPosition=${lastPosition}`, TOKENS.advisorElsewhere)).body.total).toBe(0);
    });

    it('registers its municipality in any case or spacing, recorded as its token spells it, and finds it in the portfolio', async () => {
      const before = (await http.get(`/v1/contracts?minPosition=${lastPosition}`)).body.total as number;
      const r = await http.post('/v1/contracts', contractBody({ municipality: ' UTRECHT ', tenderReference: 'UTR-SPELLING-1' }));
      expect(r.status).toBe(201);
      const summary = await http.get(`/v1/contracts/${r.body.contractId}?minPosition=${r.body.position}`);
      expect(summary.body.municipality).toBe('Utrecht');
      const mine = await http.get(`/v1/contracts?minPosition=${r.body.position}&pageSize=500`);
      expect(mine.body.total).toBe(before + 1);
      expect(mine.body.items.map((i: { contractId: string }) => i.contractId)).toContain(r.body.contractId);
      // The filter compares names as the scope check does.
      const filtered = await http.get(`/v1/contracts?municipality=${encodeURIComponent(' utrecht')}&pageSize=500`, TOKENS.auditor);
      expect(filtered.body.total).toBe(before + 1);
    });

    it('may not publish catalogue versions; admin may not read contracts', async () => {
      expect((await http.post('/v1/catalogues/utrecht/versions', {}, TOKENS.advisor)).status).toBe(403);
      expect((await http.get(`/v1/contracts/${contractA}`, TOKENS.admin)).status).toBe(403);
    });
  });

  describe('validation', () => {
    it('unknown fields, wrong types and impossible dates are 400 problem+json with the field errors', async () => {
      const r = await http.post('/v1/contracts', { ...contractBody(), startDate: '2023-02-30', contractValueCents: 12.5, contractor: { kvk: '123', name: '' }, extra: true });
      expect(r.status).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ type: '/problems/validation-failed', title: 'Bad Request', status: 400, code: 'validation-failed' });
      const fields = r.body.errors.map((e: { field: string }) => e.field).sort();
      expect(fields).toEqual(['contractValueCents', 'contractor.kvk', 'contractor.name', 'extra', 'startDate']);
    });

    it('names each field\'s problem once, also where two rules say the same', async () => {
      const r = await http.post(`/v1/contracts/${contractA}/hires`, { candidateRef: 'X-1' });
      expect(r.status).toBe(400);
      const blockCode = (r.body.errors as { field: string; messages: string[] }[]).find((e) => e.field === 'blockCode');
      expect(blockCode?.messages).toContain('blockCode must be a string');
      expect(blockCode?.messages.length).toBe(new Set(blockCode?.messages).size);
      expect(r.body.detail.match(/blockCode must be a string/g)).toHaveLength(1);
    });

    it('text the domain would not store is 400 with the field: control characters, blank or invisible text, a name over 200 characters', async () => {
      const cases: [string, unknown, string][] = [
        [`/v1/contracts/${contractA}/value-changes`, { contractValueCents: 30_000_000, effectiveDate: '2024-01-01', reason: '\u0000\u001b[31m\r\nINJECT' }, 'reason'],
        [`/v1/contracts/${contractA}/value-changes`, { contractValueCents: 30_000_000, effectiveDate: '2024-01-01', reason: '   ' }, 'reason'],
        [`/v1/contracts/${contractA}/value-changes`, { contractValueCents: 30_000_000, effectiveDate: '2024-01-01', reason: '\u200b' }, 'reason'],
        [`/v1/contracts/${contractA}/activities`, { description: '\ud800', date: '2024-01-01', blockCode: 'MOBILITY' }, 'description'],
        [`/v1/contracts/${contractA}/hires`, { candidateRef: 'C\u0000\u0007X', blockCode: 'PW', startDate: '2024-01-01', hoursPerWeek: 36, permanent: false }, 'candidateRef'],
        ['/v1/contracts', contractBody({ tenderReference: 'LONG-NAME', contractor: { kvk: KVK_A, name: 'n'.repeat(250) } }), 'contractor.name'],
      ];
      const before = await streamRevision(contractA);
      for (const [path, body, field] of cases) {
        const r = await http.post(path, body);
        expect(r.status).toBe(400);
        expect(r.body.code).toBe('validation-failed');
        expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await streamRevision(contractA)).toBe(before);
      // a reason may span lines
      expect((await http.post(`/v1/contracts/${contractA}/value-changes`, { contractValueCents: 31_000_000, effectiveDate: '2024-01-01', reason: 'Meerwerk:\n- hal B' })).status).toBe(201);
    });

    it('a malformed JSON body is a 400 problem', async () => {
      const r = await http.raw().post('/v1/contracts').set({ Authorization: `Bearer ${TOKENS.advisor}`, 'Content-Type': 'application/json' }).send('{"title": ');
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('malformed-json');
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('a body too large is 413 and a body that is not JSON 415, both problem+json', async () => {
      const big = await http.post('/v1/contracts', { ...contractBody(), title: 'x'.repeat(1_100_000) });
      expect(big.status).toBe(413);
      expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
      const text = await http.raw().post('/v1/contracts').set({ Authorization: `Bearer ${TOKENS.advisor}`, 'Content-Type': 'text/plain' }).send('hello');
      expect(text.status).toBe(415);
      expect(text.body.code).toBe('unsupported-media-type');
      expect(text.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('an encoded (compressed) body is 415 with Accept-Encoding: identity, and nothing is written', async () => {
      const before = await streamRevision(contractA);
      // Plain JSON that claims to be gzip: read as it comes, it would have been recorded.
      const r = await http.post(`/v1/contracts/${contractA}/value-changes`, { contractValueCents: 30_000_000, effectiveDate: '2024-01-01', reason: 'raise' }, TOKENS.advisor, { 'Content-Encoding': 'gzip' });
      expect(r.status).toBe(415);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.headers['accept-encoding']).toBe('identity');
      expect(r.body).toMatchObject({ status: 415, code: 'unsupported-content-encoding' });
      expect(await streamRevision(contractA)).toBe(before);
      // identity is no encoding at all
      const plan = { catalogue: { id: 'utrecht', version: '2019' }, contractValueCents: 100_000_000, sroiPercentage: 5, items: [{ blockCode: 'SOCIAL-PURCHASE', amountCents: 1_000_000 }] };
      expect((await http.post('/v1/planner/estimate', plan, TOKENS.contractorA, { 'Content-Encoding': 'identity' })).status).toBe(200);
    });

    it('a path that is not valid percent-encoding is 400, an over-long id 404, both problem+json', async () => {
      const bad = await http.get('/v1/contracts/%ZZ/status');
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(bad.body).toMatchObject({ type: '/problems/malformed-url', status: 400, code: 'malformed-url' });
      const long = await http.get(`/v1/contracts/${'a'.repeat(150)}/status`);
      expect(long.status).toBe(404);
      expect(long.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(long.body).toMatchObject({ status: 404, code: 'not-found' });
    });

    it('what the HTTP parser refuses (headers too large, not HTTP) is answered problem+json on the socket', async () => {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      const exchange = (raw: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.end(raw));
          let answer = '';
          socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
          socket.on('close', () => resolve(answer)).on('error', reject);
        });
      const parse = (answer: string) => {
        const [head, body] = answer.split('\r\n\r\n');
        return { statusLine: head.split('\r\n')[0], head, body: JSON.parse(body) as Record<string, unknown> };
      };
      const tooLarge = parse(await exchange(`GET /v1/contracts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.advisor}\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`));
      expect(tooLarge.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      expect(tooLarge.head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
      expect(tooLarge.body).toMatchObject({ type: '/problems/headers-too-large', status: 431, code: 'headers-too-large' });
      const garbage = parse(await exchange('HELLO THERE\r\n\r\n'));
      expect(garbage.statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(garbage.body).toMatchObject({ status: 400, code: 'malformed-request' });
      const badLength = parse(await exchange('POST /v1/contracts HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'));
      expect(badLength.body).toMatchObject({ status: 400, code: 'malformed-request' });
      // The server goes on answering.
      expect((await http.get(`/v1/contracts/${contractA}`)).status).toBe(200);
    });

    it('bad query parameters are 400; unknown routes 404; a domain refusal 422 with its code', async () => {
      expect((await http.get(`/v1/contracts/${contractA}/status?asOf=2023-13-01`)).body).toMatchObject({ status: 400, code: 'validation-failed' });
      expect((await http.get(`/v1/contracts/${contractA}/status?knownAt=yesterday`)).body).toMatchObject({ status: 400, code: 'invalid-query' });
      // impossible dates and times are refused, not rolled over into the next day or month
      for (const knownAt of ['2026-02-30T00:00:00Z', '2026-02-30T00:00:00%2B01:00', '2026-12-02T24:00:00Z', '2026-12-02T10:00%2B24:00']) {
        expect((await http.get(`/v1/contracts/${contractA}/status?knownAt=${knownAt}`)).body).toMatchObject({ status: 400, code: 'invalid-query', parameter: 'knownAt' });
      }
      expect((await http.get(`/v1/contracts/${contractA}/status?minPosition=-1`)).status).toBe(400);
      expect((await http.get(`/v1/contracts/${contractA}/status?colour=red`)).status).toBe(400);
      // A page number too large for an offset is refused, not a 500 from SQLite; a page past the end is empty.
      expect((await http.get('/v1/contracts?page=99999999999999999999')).body).toMatchObject({ status: 400, code: 'validation-failed' });
      expect((await http.get('/v1/contracts?page=1000001')).status).toBe(400);
      const pastTheEnd = await http.get('/v1/contracts?page=1000000&pageSize=500');
      expect(pastTheEnd.status).toBe(200);
      expect(pastTheEnd.body.items).toEqual([]);
      const missing = await http.get('/v1/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await http.get('/v1/contracts/no-such-contract/status')).status).toBe(404);
      const refused = await http.post(`/v1/contracts/${contractA}/hires`, { candidateRef: '123456782', blockCode: 'PW', startDate: '2023-01-01', hoursPerWeek: 36, permanent: false });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'candidate-ref-looks-like-bsn', field: 'candidateRef' });
      // Names every object inherits are no contribution ids: unknown, and nothing is written.
      const before = await streamRevision(contractA);
      for (const name of ['constructor', 'toString', '__proto__']) {
        const verdict = await http.post(`/v1/contracts/${contractA}/contributions/${name}/verification`, { verdict: 'verified', note: 'x' });
        expect([name, verdict.status, verdict.body.code]).toEqual([name, 422, 'unknown-contribution']);
        const change = await http.post(`/v1/contracts/${contractA}/hires/${name}/changes`, { effectiveDate: '2023-06-01', hoursPerWeek: 30 });
        expect([name, change.status, change.body.code]).toEqual([name, 422, 'unknown-contribution']);
      }
      expect(await streamRevision(contractA)).toBe(before);
    });

    it('every query reports the projections\' last applied position', async () => {
      const r = await http.get(`/v1/contracts/${contractA}/status`);
      expect(r.headers['x-projection-position']).toMatch(/^\d*$/);
      const c = await http.get('/v1/catalogues');
      expect(c.headers['x-projection-position']).toBeDefined();
    });
  });

  describe('catalogues', () => {
    it('lists the shipped versions, returns one, diffs two', async () => {
      const list = await http.get('/v1/catalogues', TOKENS.contractorA);
      expect(list.status).toBe(200);
      const utrecht = list.body.items.find((c: { catalogueId: string }) => c.catalogueId === 'utrecht');
      expect(utrecht.versions.map((v: { version: string }) => v.version)).toEqual(['2015', '2019']);
      const v = await http.get('/v1/catalogues/utrecht/versions/2019');
      expect(v.body.blocks.find((b: { code: string }) => b.code === 'PW').valuation).toEqual({ kind: 'annual', annualCents: 4_000_000 });
      expect((await http.get('/v1/catalogues/utrecht/versions/1999')).status).toBe(404);
      const diff = await http.get('/v1/catalogues/utrecht/diff?from=2015&to=2019');
      expect(diff.status).toBe(200);
      expect(diff.body.added.map((b: { code: string }) => b.code)).toContain('PW');
      expect(diff.body.removed.map((b: { code: string }) => b.code)).toContain('PW-LT2');
      expect((await http.get('/v1/catalogues/utrecht/diff?from=2015')).status).toBe(400);
    });

    it('an admin publishes a new version, which contracts can then use; publishing it twice is 422', async () => {
      const { catalogueId: _id, ...body } = { ...utrecht2019, version: '2025', validFrom: '2025-01-01', replacesVersion: '2019', blocks: utrecht2019.blocks.map(({ replaces: _r, ...b }) => b), note: 'test' };
      const r = await http.post('/v1/catalogues/utrecht/versions', body, TOKENS.admin, { 'Idempotency-Key': 'publish-2025' });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ catalogueId: 'utrecht', version: '2025', revision: 2 });
      const again = await http.post('/v1/catalogues/utrecht/versions', body, TOKENS.admin);
      expect(again.status).toBe(422);
      expect(again.body.code).toBe('catalogue-version-exists');
      const reg = await http.post('/v1/contracts', contractBody({ startDate: '2025-02-01', endDate: '2026-01-31', catalogue: { id: 'utrecht', version: '2025' } }));
      expect(reg.status).toBe(201);
      const stale = await http.post('/v1/contracts', contractBody({ startDate: '2025-02-01', endDate: '2026-01-31', catalogue: { id: 'utrecht', version: '2019' } }));
      expect(stale.status).toBe(422);
      expect(stale.body.code).toBe('catalogue-not-in-force');
      const invalid = await http.post('/v1/catalogues/utrecht/versions', { ...body, version: '2026', blocks: [{ ...body.blocks[0], valuation: { kind: 'annual' } }] }, TOKENS.admin);
      expect(invalid.status).toBe(422);
      expect(invalid.body.code).toBe('invalid-catalogue');
      // values no valuation could keep exact are refused when published, not found out when a contribution is valued
      const huge = await http.post('/v1/catalogues/probe-big/versions', { ...body, version: '1', replacesVersion: null, blocks: [{ code: 'PUR', nameNl: 'n', nameEn: 'n', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 9_000_000_000_000_000 } }] }, TOKENS.admin);
      expect(huge.body).toMatchObject({ status: 422, code: 'invalid-catalogue' });
      const groups = await http.post('/v1/catalogues/probe-groups/versions', { ...body, version: '1', replacesVersion: null, exclusiveBonusGroups: [null] }, TOKENS.admin);
      expect(groups.body).toMatchObject({ status: 400, code: 'validation-failed' });
      const noParameters = await http.post('/v1/catalogues/probe-params/versions', { ...body, version: '1', replacesVersion: null, parameters: undefined }, TOKENS.admin);
      expect(noParameters.body).toMatchObject({ status: 400, code: 'validation-failed' });
    });

    it('diff: missing versions are 400 (not a 404 for "undefined"); ?minPosition= is taken as on every GET', async () => {
      expect((await http.get('/v1/catalogues/utrecht/diff')).body).toMatchObject({ status: 400, code: 'validation-failed' });
      expect((await http.get('/v1/catalogues/utrecht/diff')).body).toMatchObject({ status: 400, code: 'validation-failed' });
      expect((await http.get(`/v1/catalogues/utrecht/diff?from=2015&to=2019&minPosition=${lastPosition}`)).status).toBe(200);
    });
  });

  describe('missing objects and huge counts', () => {
    it('a body without a required nested object is 400 with the field, not 500', async () => {
      const { contractor: _c, ...withoutContractor } = contractBody({ tenderReference: 'NO-CONTRACTOR' });
      const { catalogue: _k, ...withoutCatalogue } = contractBody({ tenderReference: 'NO-CATALOGUE' });
      for (const [path, body, field, token] of [
        ['/v1/contracts', withoutContractor, 'contractor', TOKENS.advisor],
        ['/v1/contracts', withoutCatalogue, 'catalogue', TOKENS.advisor],
        [`/v1/contracts/${contractA}/purchases`, { invoiceReference: 'I', amountExclVatCents: 100, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' }, 'supplier', TOKENS.advisor],
        ['/v1/planner/estimate', { contractValueCents: 1, sroiPercentage: 5, items: [] }, 'catalogue', TOKENS.contractorA],
      ] as const) {
        const r = await http.post(path, body, token);
        expect([path, r.status, r.body.code]).toEqual([path, 400, 'validation-failed']);
        expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });

    it('the planner refuses hours and counts beyond what it can value exactly', async () => {
      const plan = (item: Record<string, unknown>, catalogue = { id: 'utrecht', version: '2019' }) => http.post('/v1/planner/estimate', { catalogue, contractValueCents: 100_000_000, sroiPercentage: 5, items: [item] }, TOKENS.contractorA);
      expect((await plan({ blockCode: 'INITIATIVE', hours: 1_000_000_000_000 })).body).toMatchObject({ status: 400, code: 'validation-failed' });
      expect((await plan({ blockCode: 'ACTIVITY', count: 100_000_000_000 }, { id: 'holland-rijnland', version: '2023' })).body).toMatchObject({ status: 400, code: 'validation-failed' });
      expect((await plan({ blockCode: 'INITIATIVE', hours: 100_000 })).status).toBe(200);
    });
  });

  describe('planner', () => {
    it('estimates a plan against the obligation and writes nothing', async () => {
      const r = await http.post(
        '/v1/planner/estimate',
        { catalogue: { id: 'utrecht', version: '2019' }, contractValueCents: 100_000_000, sroiPercentage: 5, items: [{ blockCode: 'PW', hoursPerWeek: 24, days: 181 }, { blockCode: 'SOCIAL-PURCHASE', amountCents: 1_000_000 }] },
        TOKENS.contractorA,
      );
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ obligationCents: 5_000_000, totalCents: 2_322_374, shortfallCents: 2_677_626, meetsObligation: false });
      expect(r.body.items.map((i: { valueCents: number }) => i.valueCents)).toEqual([1_322_374, 1_000_000]);
    });
  });

  describe('OpenAPI', () => {
    it('serves the document at /api/docs-json and the UI at /api/docs', async () => {
      const json = await http.raw().get('/api/docs-json');
      expect(json.status).toBe(200);
      expect(json.body.openapi).toMatch(/^3\./);
      expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/v1/contracts', '/v1/contracts/{id}/status', '/v1/contracts/{id}/hires', '/v1/planner/estimate', '/v1/catalogues/{catalogueId}/diff']));
      expect(json.body.components.schemas.RegisterContractDto.properties.contractValueCents).toBeDefined();
      const ui = await http.raw().get('/api/docs');
      expect(ui.status).toBe(200);
      expect(ui.text).toMatch(/swagger/i);
    });

    it('documents the errors as problem+json, the Idempotency-Key of every POST, and each command\'s status code', async () => {
      const { paths } = (await http.raw().get('/api/docs-json')).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }>; parameters?: { name: string; in: string }[] }>> };
      const posts = Object.entries(paths).flatMap(([path, ops]) => (ops['post'] ? [[path, ops['post']] as const] : []));
      expect(posts.length).toBeGreaterThan(15);
      for (const [path, op] of posts) {
        expect([path, op.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')]).toEqual([path, true]);
        for (const status of ['400', '401', '403', '422']) expect([path, status, Object.keys(op.responses[status]?.content ?? {})]).toEqual([path, status, ['application/problem+json']]);
      }
      const hires = paths['/v1/contracts/{id}/hires']['post'].responses;
      expect(Object.keys(hires)).toEqual(expect.arrayContaining(['201', '409', '412']));
      const close = paths['/v1/contracts/{id}/close']['post'].responses;
      expect(close['200']).toBeDefined();
      expect(close['201']).toBeUndefined();
      expect(Object.keys(paths['/v1/contracts/{id}/status']['get'].responses)).toEqual(expect.arrayContaining(['200', '404']));
    });
  });
});
