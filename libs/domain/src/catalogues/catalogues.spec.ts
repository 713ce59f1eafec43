import {
  SHIPPED_CATALOGUE_VERSIONS,
  utrecht2015,
  utrecht2019,
  haaglanden2023,
  harlingen2020,
  hollandRijnland2023,
  rijnvicus2023,
  hilversum2015,
} from './shipped';
import { defaultMapping, diffCatalogueVersions, findBlock, getBlock, maxCountedMonthsOf, validateCatalogueVersion, versionInForce } from './catalogue';
import { decideCatalogue, evolveCatalogue, initialCatalogueState, shippedCatalogueEvents } from './stream';
import type { CatalogueVersion } from './types';
import { DomainError } from '../shared/errors';

const annual = (v: CatalogueVersion) =>
  Object.fromEntries(v.blocks.filter((b) => b.valuation.kind === 'annual').map((b) => [b.code, b.valuation.kind === 'annual' ? b.valuation.annualCents / 100 : 0]));

describe('shipped catalogues', () => {
  it('are all valid, with source and note', () => {
    expect(SHIPPED_CATALOGUE_VERSIONS).toHaveLength(7);
    for (const v of SHIPPED_CATALOGUE_VERSIONS) {
      expect(() => validateCatalogueVersion(v)).not.toThrow();
      expect(v.source.length).toBeGreaterThan(10);
      expect(v.note.length).toBeGreaterThan(10);
    }
  });

  it('hold the published Utrecht 2015 values (13 blocks)', () => {
    expect(utrecht2015.blocks).toHaveLength(13);
    expect(annual(utrecht2015)).toEqual({
      'PW-LT2': 30000, 'PW-GT2': 40000, 'WW-LT1': 15000, 'WW-GT1': 20000, WIA: 30000, BA: 35000,
      'B-PERMANENT': 10000, 'B-50PLUS': 5000, BBL: 15000, BOL: 10000, NUG: 10000,
    });
    expect(getBlock(utrecht2015, 'WSW').valuation).toEqual({ kind: 'invoice', factorBasisPoints: 10000 });
    expect(getBlock(utrecht2015, 'SOCIAL').valuation.kind).toBe('invoice-or-hourly');
    expect(utrecht2015.parameters).toMatchObject({ fteHours: 36, hourlyRateCents: 10000, preStartHireWindowMonths: 12, thresholdCents: 10_000_000 });
  });

  it('hold the published Utrecht 2019 values and replacements', () => {
    expect(annual(utrecht2019)).toEqual({
      PW: 40000, BA: 50000, 'PRO-VSO': 35000, WIA: 40000, WW: 20000, BBL: 35000, BOL: 20000, NUG: 10000,
      'B-50PLUS': 10000, 'B-STATUS': 10000, 'B-PERMANENT': 10000,
    });
    expect(['MOBILITY', 'DEVELOPMENT'].map((c) => getBlock(utrecht2019, c).valuation.kind)).toEqual(['agreement', 'agreement']);
    expect(defaultMapping(utrecht2015, utrecht2019)).toEqual({
      'PW-LT2': 'PW', 'PW-GT2': 'PW', BA: 'BA', WIA: 'WIA', 'WW-LT1': 'WW', 'WW-GT1': 'WW', BBL: 'BBL', BOL: 'BOL', NUG: 'NUG',
      'B-50PLUS': 'B-50PLUS', 'B-PERMANENT': 'B-PERMANENT', WSW: 'SOCIAL-PURCHASE',
    });
    expect(defaultMapping(utrecht2015, utrecht2019).SOCIAL).toBeUndefined();
  });

  it('hold the other published tables', () => {
    expect(annual(hilversum2015)).toEqual({ 'BIJ-LT2': 30000, 'BIJ-GT2': 40000, 'WW-LT1': 10000, 'WW-GT1': 15000, WIA: 30000, WAJONG: 35000, 'B-55PLUS': 5000, BBL: 10000, BOL: 5000 });
    expect(annual(hollandRijnland2023)).toEqual({
      NUG: 5000, 'NUG-AB': 10000, 'BOL-STAGE': 10000, BBL: 25000, 'PRO-VSO': 25000, 'B-PRO-VSO-STAGE': 10000, WW: 15000, WIA: 40000,
      WAJONG: 25000, PW: 30000, 'PW-AB': 50000, WSW: 50000, 'B-55PLUS': 15000,
    });
    expect(getBlock(hollandRijnland2023, 'ACTIVITY').valuation).toEqual({ kind: 'per-activity', amountCents: 100_000, maxPerDay: 1 });
    expect(annual(rijnvicus2023)).toEqual({
      NUG: 5000, 'NUG-AB': 10000, 'BOL-STAGE': 5000, BBL: 25000, 'PRO-VSO': 25000, WW: 10000, WIA: 20000, WAJONG: 25000,
      'PW-LT2': 25000, 'PW-GT2': 30000, 'PW-AB': 50000, WSW: 50000, 'B-55PLUS': 10000,
    });
    expect(annual(haaglanden2023)).toEqual({
      NUG: 5000, 'NUG-YOUTH': 10000, 'STAGE-MBO-HBO': 5000, 'STAGE-PRO-VSO': 7500, 'BBL-2': 25000, 'BBL-3': 15000, WW: 20000, WIA: 30000,
      PW: 40000, BA: 50000, 'B-55PLUS': 10000, 'B-PRO-VSO-HIRE': 25000, 'B-DISABILITY': 10000,
    });
    expect(annual(harlingen2020)).toEqual({
      'PW-LT2': 35000, 'PW-GT2': 40000, 'WW-LT1': 15000, 'WW-GT1': 20000, WIA: 35000, BA: 40000, 'B-50PLUS': 5000, 'B-55PLUS': 7500,
      WEP: 7500, 'BBL-NEW': 15000, 'BBL-EXISTING': 10000, 'STAGE-LOW': 5000, 'STAGE-HIGH': 2500,
    });
    expect(harlingen2020.parameters.minHoursPerWeek).toBe(12);
    expect(harlingen2020.exclusiveBonusGroups).toEqual([['B-50PLUS', 'B-55PLUS']]);
  });

  it('carry the Haaglanden maximum counted periods', () => {
    const m = (c: string) => maxCountedMonthsOf(haaglanden2023, getBlock(haaglanden2023, c));
    expect([m('NUG'), m('WW'), m('WIA'), m('PW'), m('STAGE-PRO-VSO'), m('BBL-2'), m('BBL-3'), m('BA')]).toEqual([12, 12, 24, 24, 24, 24, 36, null]);
  });

  it('mark assumptions visibly', () => {
    for (const v of [utrecht2015, utrecht2019, hilversum2015, rijnvicus2023, harlingen2020]) expect(v.note).toMatch(/assumed/);
  });
});

describe('catalogue functions', () => {
  it('finds the version in force on a date', () => {
    const all = SHIPPED_CATALOGUE_VERSIONS;
    expect(versionInForce(all, 'utrecht', '2019-09-30')?.version).toBe('2015');
    expect(versionInForce(all, 'utrecht', '2019-10-01')?.version).toBe('2019');
    expect(versionInForce(all, 'utrecht', '2014-12-31')).toBeUndefined();
  });

  it('diffs Utrecht 2015 → 2019: added, removed, revalued, replaced', () => {
    const d = diffCatalogueVersions(utrecht2015, utrecht2019);
    expect(d.added.map((b) => b.code).sort()).toEqual(['B-STATUS', 'DEVELOPMENT', 'INITIATIVE', 'KNOWLEDGE', 'MOBILITY', 'PRO-VSO', 'PW', 'SOCIAL-PURCHASE', 'WW'].sort());
    expect(d.removed.map((b) => b.code).sort()).toEqual(['PW-GT2', 'PW-LT2', 'SOCIAL', 'WSW', 'WW-GT1', 'WW-LT1'].sort());
    expect(d.revalued.map((r) => r.code).sort()).toEqual(['B-50PLUS', 'BA', 'BBL', 'BOL', 'WIA'].sort());
    expect(d.replaced.find((r) => r.code === 'PW')?.replaces).toEqual(['PW-LT2', 'PW-GT2']);
    expect(d.parameters).toEqual([]);
    expect(findBlock(utrecht2019, 'NUG')).toBeDefined();
  });

  it('refuses malformed versions', () => {
    const bad = { ...utrecht2019, blocks: [...utrecht2019.blocks, utrecht2019.blocks[0]] };
    expect(() => validateCatalogueVersion(bad)).toThrow(expect.objectContaining({ code: 'invalid-catalogue' }));
    expect(() => validateCatalogueVersion({ ...utrecht2019, validFrom: '2019-13-01' })).toThrow(DomainError);
    expect(() => validateCatalogueVersion({ ...utrecht2019, parameters: { ...utrecht2019.parameters, fteHours: 0 } })).toThrow(DomainError);
    // An id is a path segment of the API: lowercase kebab-case, at most 50 characters.
    expect(() => validateCatalogueVersion({ ...utrecht2019, catalogueId: 'Utrecht' })).toThrow(expect.objectContaining({ code: 'invalid-catalogue' }));
    expect(() => validateCatalogueVersion({ ...utrecht2019, catalogueId: 'u'.repeat(51) })).toThrow(expect.objectContaining({ code: 'invalid-catalogue' }));
    expect(() => validateCatalogueVersion({ ...utrecht2019, catalogueId: 'u'.repeat(50) })).not.toThrow();
  });
});

describe('catalogue stream: CatalogueVersionPublished', () => {
  it('publishes the shipped data as events, one stream per catalogue', () => {
    const events = shippedCatalogueEvents();
    expect(Object.keys(events).sort()).toEqual(['haaglanden', 'harlingen', 'hilversum', 'holland-rijnland', 'rijnvicus', 'utrecht']);
    expect(events.utrecht.map((e) => [e.type, e.schemaVersion, e.data.catalogue.version])).toEqual([
      ['CatalogueVersionPublished', 1, '2015'],
      ['CatalogueVersionPublished', 1, '2019'],
    ]);
  });

  it('refuses a version published twice, a replacement of an unknown version, another catalogue', () => {
    const s1 = decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: utrecht2015 } }, initialCatalogueState).reduce(evolveCatalogue, initialCatalogueState);
    expect(() => decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: utrecht2015 } }, s1)).toThrow(expect.objectContaining({ code: 'catalogue-version-exists' }));
    expect(() => decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: utrecht2019 } }, initialCatalogueState)).toThrow(
      expect.objectContaining({ code: 'unknown-catalogue-version' }),
    );
    expect(() => decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: harlingen2020 } }, s1)).toThrow(expect.objectContaining({ code: 'wrong-catalogue' }));
  });

  it('takes a replacing version valid from the replaced one\'s first day or later, and the correction is then in force', () => {
    const s1 = decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: utrecht2015 } }, initialCatalogueState).reduce(evolveCatalogue, initialCatalogueState);
    const next = (version: string, validFrom: string): CatalogueVersion => ({ ...utrecht2015, version, validFrom, replacesVersion: '2015', blocks: utrecht2015.blocks.map(({ replaces: _r, ...b }) => b) });
    expect(() => decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: next('2000', '2000-01-01') } }, s1)).toThrow(expect.objectContaining({ code: 'invalid-catalogue' }));
    const corrected = next('2015-corrected', utrecht2015.validFrom);
    const s2 = decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: corrected } }, s1).reduce(evolveCatalogue, s1);
    expect(versionInForce(s2.versions, 'utrecht', '2016-06-01')?.version).toBe('2015-corrected');
  });

  it('refuses values no valuation could keep exact, and content that would make blocks unusable', () => {
    const pw = utrecht2019.blocks.find((b) => b.code === 'PW') as CatalogueVersion['blocks'][number];
    const withBlock = (over: Partial<CatalogueVersion['blocks'][number]>): CatalogueVersion => ({ ...utrecht2019, blocks: [...utrecht2019.blocks.filter((b) => b.code !== 'PW'), { ...pw, ...over }] });
    const refused = (v: CatalogueVersion) => expect(() => validateCatalogueVersion(v)).toThrow(expect.objectContaining({ code: 'invalid-catalogue' }));
    refused(withBlock({ valuation: { kind: 'annual', annualCents: 9_000_000_000_000_000 } }));
    refused({ ...utrecht2019, blocks: [...utrecht2019.blocks, { code: 'PUR', nameNl: 'n', nameEn: 'n', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 9_000_000_000_000_000 } }] });
    refused({ ...utrecht2019, parameters: { ...utrecht2019.parameters, hourlyRateCents: 9_000_000_000_000_000 } });
    refused({ ...utrecht2019, parameters: { ...utrecht2019.parameters, minHoursPerWeek: 200 } });
    refused({ ...utrecht2019, parameters: { ...utrecht2019.parameters, minHoursPerWeek: 0.001 } });
    refused({ ...utrecht2019, blocks: [] });
    refused({ ...utrecht2019, version: 'a/b' });
    refused({ ...utrecht2019, exclusiveBonusGroups: [null as unknown as string[]] });
    refused({ ...utrecht2019, exclusiveBonusGroups: ['B-50PLUS' as unknown as string[]] });
    refused(withBlock({ appliesTo: ['BA'] })); // only bonuses apply to blocks
    expect(() => validateCatalogueVersion({ ...utrecht2019, version: '2019.1_b-2' })).not.toThrow();
  });
});
