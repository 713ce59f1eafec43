import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SHIPPED_CATALOGUE_VERSIONS, utrecht2019 } from '@sroi/domain';
import { api, contractBody, removeDir, startApp, tempDir, TOKENS, writeTokens, type Api } from './harness';

type Json = Record<string, unknown>;

const COMPONENT = '#/components/schemas/';

/**
 * An OpenAPI 3.0 schema object as JSON Schema: `nullable: true` becomes "the schema, or null", and
 * a reference to a component names it (each component is added to Ajv under its name).
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Json;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT)) return [key, value.slice(COMPONENT.length)];
      if (key === 'properties') return [key, Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v)]))];
      return [key, toJsonSchema(value)];
    }),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

/**
 * The read routes' answers as the OpenAPI document describes them (`/api/docs-json`): real answers
 * of every kind, from a contract driven through the API, validated against the served document's
 * schemas. The schemas are closed (no property beyond the documented ones), so an answer that
 * gains, loses or retypes a field fails here until the document says so too.
 */
describe('OpenAPI: the documented answers of the reads, the planner and the publishing of a catalogue version', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let http: Api;
  let validatorOf: (path: string, method?: 'get' | 'post', status?: string) => ValidateFunction;
  let id: string;
  const reads = ['/v1/contracts', '/v1/contracts/{id}', '/v1/contracts/{id}/status', '/v1/contracts/{id}/history', '/v1/contracts/{id}/replay', '/v1/catalogues', '/v1/catalogues/{catalogueId}/versions/{version}', '/v1/catalogues/{catalogueId}/diff'];

  beforeAll(async () => {
    dir = tempDir();
    writeTokens(dir);
    app = await startApp(dir);
    http = api(app);
    const document = (await http.raw().get('/api/docs-json')).body as { components: { schemas: Json }; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Json }> }> }>> };
    const ajv = new Ajv({ allErrors: true });
    addFormats(ajv);
    for (const [name, schema] of Object.entries(document.components.schemas)) ajv.addSchema(toJsonSchema(schema) as Json, name);
    validatorOf = (path, method = 'get', status = '200') => {
      const schema = document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
      if (!schema || typeof schema['$ref'] !== 'string') throw new Error(`${method} ${path} documents no answer schema for ${status}: ${JSON.stringify(schema)}`);
      const validate = ajv.getSchema(String(schema['$ref']).slice(COMPONENT.length));
      if (!validate) throw new Error(`${method} ${path}: ${String(schema['$ref'])} is not among the document's schemas`);
      return validate;
    };

    // A contract with one contribution of each kind, a verification, a value change, an agreed value and a withdrawal.
    id = (await http.post('/v1/contracts', contractBody({ title: 'Schema check' }))).body.contractId;
    const ok = async (path: string, body: unknown, token: string = TOKENS.advisor) => {
      const r = await http.post(`/v1/contracts/${id}${path}`, body, token);
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { contributionId?: string; position: string };
    };
    const hire = await ok('/hires', { candidateRef: 'SCHEMA-1', blockCode: 'PW', bonusCodes: [], startDate: '2023-02-01', hoursPerWeek: 36, permanent: false }, TOKENS.contractorA);
    await ok(`/hires/${hire.contributionId}/changes`, { effectiveDate: '2023-06-01', permanent: true }, TOKENS.contractorA);
    const purchase = await ok('/purchases', { supplier: { name: 'Reinaerde', kvk: '41188562' }, invoiceReference: 'REI-1', amountExclVatCents: 1_500_000, date: '2023-03-15', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.contractorA);
    const knowledge = await ok('/knowledge-sharing', { description: 'Guest lessons', date: '2023-04-01', blockCode: 'KNOWLEDGE', hours: 12 }, TOKENS.contractorA);
    await ok(`/contributions/${purchase.contributionId}/verification`, { verdict: 'verified', note: 'invoice seen' });
    await ok(`/contributions/${knowledge.contributionId}/withdrawal`, { reason: 'recorded twice' }, TOKENS.contractorA);
    await ok('/value-changes', { contractValueCents: 120_000_000, effectiveDate: '2023-07-01', reason: 'extra lots' });
    await ok('/period-changes', { endDate: '2025-06-30', reason: 'extended' });
  });

  afterAll(async () => {
    await app.close();
    removeDir(dir);
  });

  it('names a schema for each read route, the planner and the publishing', () => {
    for (const path of reads) expect(() => validatorOf(path)).not.toThrow();
    expect(() => validatorOf('/v1/planner/estimate', 'post', '200')).not.toThrow();
    expect(() => validatorOf('/v1/catalogues/{catalogueId}/versions', 'post', '201')).not.toThrow();
  });

  /** Asserts that the answer matches the schema the document names for it. */
  function expectDocumented(label: string, answer: unknown, path: string, method: 'get' | 'post' = 'get', status = '200'): void {
    const validate = validatorOf(path, method, status);
    expect([label, validate(answer) ? 'valid' : validate.errors]).toEqual([label, 'valid']);
  }

  it('the catalogues: the list, every shipped version, diffs, and a version published', async () => {
    const list = await http.get('/v1/catalogues', TOKENS.contractorA);
    expectDocumented('list', list.body, '/v1/catalogues');
    expect(SHIPPED_CATALOGUE_VERSIONS.length).toBeGreaterThan(3);
    for (const v of SHIPPED_CATALOGUE_VERSIONS) {
      const r = await http.get(`/v1/catalogues/${v.catalogueId}/versions/${v.version}`, TOKENS.contractorA);
      expect([v.catalogueId, v.version, r.status]).toEqual([v.catalogueId, v.version, 200]);
      expectDocumented(`${v.catalogueId}/${v.version}`, r.body, '/v1/catalogues/{catalogueId}/versions/{version}');
    }
    const diff = await http.get('/v1/catalogues/utrecht/diff?from=2015&to=2019');
    expect(diff.body.added.length + diff.body.removed.length).toBeGreaterThan(0);
    expectDocumented('diff 2015 → 2019', diff.body, '/v1/catalogues/{catalogueId}/diff');
    const { catalogueId: _id, ...body } = { ...utrecht2019, version: '2026', validFrom: '2026-01-01', replacesVersion: '2019', blocks: utrecht2019.blocks.map(({ replaces: _r, ...b }) => (b.code === 'PW' ? { ...b, valuation: { kind: 'annual', annualCents: 4_200_000 } } : b)), note: 'schema check' };
    const published = await http.post('/v1/catalogues/utrecht/versions', body, TOKENS.admin);
    expect(published.status).toBe(201);
    expectDocumented('published', published.body, '/v1/catalogues/{catalogueId}/versions', 'post', '201');
    const revalued = await http.get('/v1/catalogues/utrecht/diff?from=2019&to=2026');
    expect(revalued.body.revalued.map((c: { code: string }) => c.code)).toEqual(['PW']);
    expectDocumented('diff 2019 → 2026', revalued.body, '/v1/catalogues/{catalogueId}/diff');
  });

  it('the planner', async () => {
    const plan = {
      catalogue: { id: 'utrecht', version: '2019' },
      contractValueCents: 100_000_000,
      sroiPercentage: 5,
      items: [{ blockCode: 'PW', hoursPerWeek: 24, days: 181, permanent: true }, { blockCode: 'SOCIAL-PURCHASE', amountCents: 1_000_000 }, { blockCode: 'KNOWLEDGE', hours: 10 }],
    };
    const r = await http.post('/v1/planner/estimate', plan, TOKENS.contractorA);
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(3);
    expectDocumented('estimate', r.body, '/v1/planner/estimate', 'post', '200');
  });

  it('every answer matches its documented schema', async () => {
    const last = (await http.get(`/v1/contracts/${id}/history`, TOKENS.auditor)).body as { events: { position: string; recordedAt: string }[] };
    const position = last.events[last.events.length - 1].position;
    const firstRecorded = last.events[1].recordedAt;
    const answers: [path: string, url: string, token?: string][] = [
      ['/v1/contracts', `/v1/contracts?minPosition=${position}`],
      ['/v1/contracts', `/v1/contracts?sort=progress&order=desc&pageSize=5&minPosition=${position}`, TOKENS.contractorA],
      ['/v1/contracts/{id}', `/v1/contracts/${id}?minPosition=${position}`],
      ['/v1/contracts/{id}/status', `/v1/contracts/${id}/status`],
      ['/v1/contracts/{id}/status', `/v1/contracts/${id}/status?asOf=2023-05-31`, TOKENS.contractorA],
      ['/v1/contracts/{id}/status', `/v1/contracts/${id}/status?asOf=2023-12-31&include=contributions`],
      ['/v1/contracts/{id}/status', `/v1/contracts/${id}/status?asOf=2023-12-31&knownAt=${encodeURIComponent(firstRecorded)}`, TOKENS.auditor],
      ['/v1/contracts/{id}/history', `/v1/contracts/${id}/history`, TOKENS.auditor],
      ['/v1/contracts/{id}/history', `/v1/contracts/${id}/history?asOf=2023-03-31`],
      ['/v1/contracts/{id}/replay', `/v1/contracts/${id}/replay`, TOKENS.auditor],
      ['/v1/contracts/{id}/replay', `/v1/contracts/${id}/replay?toRevision=0&asOf=2023-01-31`],
    ];
    for (const [path, url, token] of answers) {
      const response = await http.get(url, token);
      expect([url, response.status]).toEqual([url, 200]);
      expectDocumented(url, response.body, path);
    }
    // The answers above were not empty shells: the contract's contributions and events are in them.
    const detailed = (await http.get(`/v1/contracts/${id}/status?asOf=2023-12-31&include=contributions`)).body as { contributions: { counting: string }[] };
    expect(detailed.contributions.map((c) => c.counting).sort()).toEqual(['counted', 'counted', 'withdrawn']);
    expect(last.events).toHaveLength(9);
  });

  it('a schema refuses an answer with a field more, a field less or a field of another type', async () => {
    const validate = validatorOf('/v1/contracts/{id}/status');
    const status = (await http.get(`/v1/contracts/${id}/status`)).body as Json;
    expect(validate(status)).toBe(true);
    expect(validate({ ...status, extra: 1 })).toBe(false);
    const { obligationCents: _dropped, ...without } = status;
    expect(validate(without)).toBe(false);
    expect(validate({ ...status, realisedCents: '100' })).toBe(false);
    expect(validate({ ...status, status: 'fine' })).toBe(false);
    expect(validate({ ...status, knownAt: null })).toBe(true);
  });
});
