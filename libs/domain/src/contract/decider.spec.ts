import { given, registerCommand, registered, run } from '../testing/gwt';
import { utrecht2015, utrecht2019, harlingen2020, hollandRijnland2023, haaglanden2023 } from '../catalogues/shipped';
import type { ContractCommand, RecordHire } from './commands';
import type { ContractEvent } from './events';
import { decide } from './decide';
import { evolve, fold, IncrementalFold } from './evolve';
import { initialState, type PlacementState, type RegisteredContract } from './state';

const reg = registered();
const hireCmd = (over: Partial<RecordHire['data']> = {}): RecordHire => ({
  type: 'RecordHire',
  data: { placementId: 'p-1', candidateRef: 'cand-7f3a', blockCode: 'PW', bonusCodes: [], startDate: '2023-02-01', hoursPerWeek: 24, permanent: false, ...over },
});
const hired = run([hireCmd()], [reg]);
const purchase = (over: Record<string, unknown> = {}): ContractCommand =>
  ({
    type: 'RecordPurchase',
    data: { contributionId: 'k-1', supplier: { name: 'Sociale Onderneming BV', kvk: '87654321' }, invoiceReference: 'F-2023-001', amountExclVatCents: 500_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE', ...over },
  }) as ContractCommand;
const activity = (over: Record<string, unknown> = {}): ContractCommand =>
  ({ type: 'RecordActivity', data: { contributionId: 'a-1', description: 'Busvervoer doelgroep', date: '2023-04-01', blockCode: 'MOBILITY', ...over } }) as ContractCommand;
const withMobility = run([activity()], [reg]);
const ev = <T extends ContractEvent['type']>(type: T, data: Extract<ContractEvent, { type: T }>['data']) => ({ type, schemaVersion: 1, data }) as ContractEvent;
const closed = [...hired, ev('ContractClosed', { reason: 'Eindrapportage afgerond' })];

describe('RegisterContract', () => {
  it('registers a contract with the catalogue version copied in and the percentage in basis points', () => {
    given([]).when(registerCommand({ sroiPercentage: '2.5' })).then([
      ev('ContractRegistered', {
        contractId: 'c-1',
        municipality: 'Utrecht',
        title: 'Onderhoud openbare ruimte',
        tenderReference: 'UTR-2022-041',
        contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
        contractValueCents: 100_000_000,
        sroiBasisPoints: 250,
        startDate: '2023-01-01',
        endDate: '2024-12-31',
        catalogue: utrecht2019,
        explicitVersion: false,
      }),
    ]);
  });
  it('refuses a second registration', () => given([reg]).when(registerCommand()).then({ error: 'contract-already-registered' }));
  it('refuses an end before the start', () => given([]).when(registerCommand({ endDate: '2022-12-31' })).then({ error: 'end-before-start' }));
  it('refuses a KvK number that is not 8 digits', () =>
    given([]).when(registerCommand({ contractor: { kvk: '1234567', name: 'X' } })).then({ error: 'invalid-kvk' }));
  it('refuses a percentage with more than two decimals', () => given([]).when(registerCommand({ sroiPercentage: 2.555 })).then({ error: 'invalid-percentage' }));
  it('refuses a non-integer contract value', () => given([]).when(registerCommand({ contractValueCents: 10.5 })).then({ error: 'invalid-amount' }));
  it('refuses an invalid date', () => given([]).when(registerCommand({ startDate: '2023-02-30' })).then({ error: 'invalid-date' }));
  it('refuses a missing title', () => given([]).when(registerCommand({ title: ' ' })).then({ error: 'missing-field' }));
  it('refuses a version not yet in force on the start date', () =>
    given([]).when(registerCommand({ startDate: '2019-01-01', endDate: '2020-12-31' })).then({ error: 'catalogue-not-in-force' }));
  it('refuses a version other than the one the caller found in force', () =>
    given([])
      .when(registerCommand({ versionInForceOnStart: { catalogueId: 'utrecht', version: '2019' } }, utrecht2015))
      .then({ error: 'catalogue-not-in-force' }));
  it('accepts another version when an advisor names it explicitly', () => {
    const [e] = decide(registerCommand({ explicitVersion: true, versionInForceOnStart: { catalogueId: 'utrecht', version: '2019' } }, utrecht2015), initialState);
    expect(e).toMatchObject({ type: 'ContractRegistered', data: { explicitVersion: true, catalogue: { version: '2015' } } });
  });
  it('refuses a malformed catalogue', () =>
    given([]).when(registerCommand({ catalogue: { ...utrecht2019, blocks: [...utrecht2019.blocks, utrecht2019.blocks[0]] } })).then({ error: 'invalid-catalogue' }));
});

describe('commands before registration and after closing', () => {
  it('refuses any command on an unregistered contract', () => given([]).when(hireCmd()).then({ error: 'contract-not-registered' }));
  it.each<ContractCommand>([
    hireCmd({ placementId: 'p-2' }),
    purchase(),
    { type: 'ChangeContractValue', data: { contractValueCents: 1, effectiveDate: '2023-06-01', reason: 'x' } },
    { type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified' } },
    { type: 'CloseContract', data: { reason: 'again' } },
  ])('refuses $type on a closed contract', (cmd) => given(closed).when(cmd).then({ error: 'contract-closed' }));
});

describe('ChangeContractValue', () => {
  it('records the new value with its effective date and the previous value', () =>
    given([reg])
      .when({ type: 'ChangeContractValue', data: { contractValueCents: 120_000_000, effectiveDate: '2023-07-01', reason: 'Meerwerk' } })
      .then([ev('ContractValueChanged', { contractValueCents: 120_000_000, previousValueCents: 100_000_000, effectiveDate: '2023-07-01', reason: 'Meerwerk' })]));
  it('refuses an effective date outside the contract', () =>
    given([reg]).when({ type: 'ChangeContractValue', data: { contractValueCents: 1, effectiveDate: '2025-01-01', reason: 'x' } }).then({ error: 'date-outside-contract' }));
  it('refuses an amount above EUR 100 billion (totals stay exact)', () => {
    given([reg]).when({ type: 'ChangeContractValue', data: { contractValueCents: 10_000_000_000_001, effectiveDate: '2023-07-01', reason: 'x' } }).then({ error: 'invalid-amount' });
    given([reg]).when(purchase({ amountExclVatCents: Number.MAX_SAFE_INTEGER })).then({ error: 'invalid-amount' });
    expect(decide(purchase({ amountExclVatCents: 10_000_000_000_000 }), fold([reg]))).toHaveLength(1);
  });
  it('refuses a zero value', () =>
    given([reg]).when({ type: 'ChangeContractValue', data: { contractValueCents: 0, effectiveDate: '2023-07-01', reason: 'x' } }).then({ error: 'invalid-amount' }));
  it('refuses a change without a reason', () =>
    given([reg]).when({ type: 'ChangeContractValue', data: { contractValueCents: 5, effectiveDate: '2023-07-01', reason: '' } }).then({ error: 'missing-field' }));
  it('refuses the value already in force on the effective date (it would change nothing)', () => {
    given([reg]).when({ type: 'ChangeContractValue', data: { contractValueCents: 100_000_000, effectiveDate: '2023-07-01', reason: 'x' } }).then({ error: 'no-change' });
    const raised = run([{ type: 'ChangeContractValue', data: { contractValueCents: 120_000_000, effectiveDate: '2023-07-01', reason: 'Meerwerk' } }], [reg]);
    // back to the old value before the raise is a change; the raised value after it is not
    expect(decide({ type: 'ChangeContractValue', data: { contractValueCents: 120_000_000, effectiveDate: '2023-03-01', reason: 'eerder' } }, fold(raised))).toHaveLength(1);
    given(raised).when({ type: 'ChangeContractValue', data: { contractValueCents: 120_000_000, effectiveDate: '2023-09-01', reason: 'x' } }).then({ error: 'no-change' });
  });
});

describe('ChangeContractPeriod', () => {
  it('records the new end date', () =>
    given([reg])
      .when({ type: 'ChangeContractPeriod', data: { endDate: '2025-06-30', reason: 'Verlenging' } })
      .then([ev('ContractPeriodChanged', { endDate: '2025-06-30', previousEndDate: '2024-12-31', reason: 'Verlenging' })]));
  it('refuses an end before the start', () =>
    given([reg]).when({ type: 'ChangeContractPeriod', data: { endDate: '2022-12-31', reason: 'x' } }).then({ error: 'end-before-start' }));
  it('refuses the same end date', () => given([reg]).when({ type: 'ChangeContractPeriod', data: { endDate: '2024-12-31', reason: 'x' } }).then({ error: 'no-change' }));
});

describe('MigrateCatalogue', () => {
  const reg15 = registered({ startDate: '2019-01-01', endDate: '2020-12-31' }, utrecht2015);
  const on15 = run(
    [
      { type: 'RecordHire', data: { placementId: 'p-1', candidateRef: 'cand-1', blockCode: 'PW-LT2', bonusCodes: ['B-50PLUS'], startDate: '2019-01-01', hoursPerWeek: 36, permanent: false } },
      { type: 'RecordKnowledgeSharing', data: { contributionId: 'k-1', description: 'Gastlessen', date: '2020-03-01', blockCode: 'SOCIAL', hours: 10 } },
    ],
    [reg15],
  );
  const migrate = (over: Record<string, unknown> = {}): ContractCommand =>
    ({ type: 'MigrateCatalogue', data: { catalogue: utrecht2019, effectiveDate: '2020-01-01', reason: 'Overgang op het vereenvoudigde model', ...over } }) as ContractCommand;

  it('refuses a migration that leaves used blocks unmapped, with the list', () =>
    given(on15).when(migrate()).then({ error: 'unmapped-blocks', details: { unmapped: ['SOCIAL'] } }));
  it('migrates with the declared replacements completed by the advisor', () => {
    const events = decide(migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE' } }), fold(on15));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ContractCatalogueMigrated',
      schemaVersion: 1,
      data: { from: { catalogueId: 'utrecht', version: '2015' }, effectiveDate: '2020-01-01', catalogue: { version: '2019' }, blockMapping: { 'PW-LT2': 'PW', 'B-50PLUS': 'B-50PLUS', SOCIAL: 'KNOWLEDGE', WSW: 'SOCIAL-PURCHASE' } },
    });
  });
  it('does not require a mapping for blocks used only before the effective date', () => {
    const early = run([{ type: 'RecordKnowledgeSharing', data: { contributionId: 'k-1', description: 'Gastles', date: '2019-03-01', blockCode: 'SOCIAL', hours: 10 } }], [reg15]);
    expect(decide(migrate(), fold(early))).toHaveLength(1);
  });
  it('refuses a mapping to a block that cannot value the contribution', () =>
    given(on15).when(migrate({ blockMapping: { SOCIAL: 'SOCIAL-PURCHASE' } })).then({ error: 'block-wrong-category' }));
  it('refuses a mapping of a placement block to a block that cannot value a placement, used or not', () => {
    const empty = run([], [reg15]);
    given(empty).when(migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE', NUG: 'SOCIAL-PURCHASE' } })).then({ error: 'block-wrong-category', details: { incompatible: [{ blockCode: 'NUG', to: 'SOCIAL-PURCHASE' }] } });
    given(empty).when(migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE', 'B-50PLUS': 'MOBILITY' } })).then({ error: 'block-wrong-category' });
    given(empty).when(migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE', NUG: 'B-STATUS' } })).then({ error: 'block-wrong-category' });
    // an employment block to another employment block, a one-off block to anything: fine
    expect(decide(migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE', NUG: 'PW' } }), fold(empty))).toHaveLength(1);
  });
  it('refuses a hire or a later end running into a stored migration that maps its block to one that cannot value it', () => {
    // A migration as an earlier version let it be stored (events are never edited): NUG → SOCIAL-PURCHASE.
    const good = run([migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE', NUG: 'PW' } })], [reg15]);
    const stored = good.map((e) => (e.type === 'ContractCatalogueMigrated' ? { ...e, data: { ...e.data, blockMapping: { ...e.data.blockMapping, NUG: 'SOCIAL-PURCHASE' } } } : e));
    const hire = (endDate: string | null): ContractCommand => ({
      type: 'RecordHire',
      data: { placementId: 'p-7', candidateRef: 'cand-7', blockCode: 'NUG', startDate: '2019-01-01', endDate, hoursPerWeek: 36, permanent: false },
    });
    given(stored).when(hire(null)).then({ error: 'block-wrong-category', details: { incompatible: [{ blockCode: 'NUG', to: 'SOCIAL-PURCHASE' }] } });
    given(stored).when(hire('2020-06-30')).then({ error: 'block-wrong-category' });
    const planned = run([hire('2019-06-30')], stored);
    given(planned).when({ type: 'EndPlacement', data: { placementId: 'p-7', endDate: '2020-06-30', reason: 'bleef langer' } }).then({ error: 'block-wrong-category' });
    // ending it before the migration stays possible
    expect(decide({ type: 'EndPlacement', data: { placementId: 'p-7', endDate: '2019-05-31', reason: 'eerder' } }, fold(planned))).toHaveLength(1);
  });
  it('refuses a mapping naming unknown blocks', () => {
    given(on15).when(migrate({ blockMapping: { SOCIAL: 'NOPE' } })).then({ error: 'unknown-block' });
    given(on15).when(migrate({ blockMapping: { NOPE: 'PW' } })).then({ error: 'unknown-block' });
  });
  it('refuses a migration to the current version', () => given(on15).when(migrate({ catalogue: utrecht2015 })).then({ error: 'same-catalogue-version' }));
  it('refuses an effective date outside the contract', () => given(on15).when(migrate({ effectiveDate: '2021-01-01' })).then({ error: 'date-outside-contract' }));
  it('refuses a version not in force on the effective date unless named explicitly', () => {
    given(on15).when(migrate({ effectiveDate: '2019-06-01', blockMapping: { SOCIAL: 'KNOWLEDGE' } })).then({ error: 'catalogue-not-in-force' });
    expect(decide(migrate({ effectiveDate: '2019-06-01', blockMapping: { SOCIAL: 'KNOWLEDGE' }, explicitVersion: true }), fold(on15))).toHaveLength(1);
  });
  it('refuses a migration taking effect before the previous one', () => {
    const once = run([migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE' } })], on15);
    given(once).when(migrate({ catalogue: { ...utrecht2019, version: '2019b', replacesVersion: '2019' }, effectiveDate: '2019-12-01', explicitVersion: true })).then({ error: 'migration-out-of-order' });
  });
  it('refuses a late hire before E whose block the migration does not map', () => {
    const migrated = run([migrate({ blockMapping: { SOCIAL: 'KNOWLEDGE' } })], run([], [reg15]));
    // BA is mapped by default; a hire on 2015 SOCIAL-less PW-GT2 is mapped too; craft a migration without defaults:
    const bare = run([migrate({ catalogue: { ...utrecht2019, blocks: utrecht2019.blocks.map(({ replaces: _r, ...b }) => b) }, blockMapping: { 'PW-LT2': 'PW' } })], [reg15]);
    given(bare)
      .when({ type: 'RecordHire', data: { placementId: 'p-9', candidateRef: 'cand-9', blockCode: 'WIA', startDate: '2019-05-01', hoursPerWeek: 36, permanent: false } })
      .then({ error: 'unmapped-blocks', details: { unmapped: ['WIA'] } });
    // a hire on the old version's block that ends before E needs no mapping
    expect(
      decide({ type: 'RecordHire', data: { placementId: 'p-9', candidateRef: 'cand-9', blockCode: 'WIA', startDate: '2019-05-01', endDate: '2019-12-31', hoursPerWeek: 36, permanent: false } }, fold(bare)),
    ).toHaveLength(1);
    expect(migrated.length).toBe(2);
    // ... but ending it later than planned, past E, is refused for the same reason
    const planned = run([{ type: 'RecordHire', data: { placementId: 'p-9', candidateRef: 'cand-9', blockCode: 'WIA', startDate: '2019-05-01', endDate: '2019-12-31', hoursPerWeek: 36, permanent: false } }], bare);
    given(planned).when({ type: 'EndPlacement', data: { placementId: 'p-9', endDate: '2020-03-31', reason: 'later dan gepland' } }).then({ error: 'unmapped-blocks', details: { unmapped: ['WIA'] } });
  });
});

describe('RecordHire', () => {
  it('records a placement naming the catalogue version and blocks', () =>
    given([reg])
      .when(hireCmd({ bonusCodes: ['B-STATUS'], endDate: '2023-12-31' }))
      .then([
        ev('HireRecorded', {
          placementId: 'p-1',
          candidateRef: 'cand-7f3a',
          catalogue: { catalogueId: 'utrecht', version: '2019' },
          blockCode: 'PW',
          bonusCodes: ['B-STATUS'],
          startDate: '2023-02-01',
          endDate: '2023-12-31',
          hoursPerWeek: 24,
          permanent: false,
        }),
      ]));
  it('accepts a hire up to 12 months before the start', () => expect(decide(hireCmd({ startDate: '2022-01-01' }), fold([reg]))).toHaveLength(1));
  it('refuses a hire more than 12 months before the start', () =>
    given([reg]).when(hireCmd({ startDate: '2021-12-31' })).then({ error: 'hire-too-early', details: { earliest: '2022-01-01' } }));
  it('refuses a hire starting after the contract end', () => given([reg]).when(hireCmd({ startDate: '2025-01-01' })).then({ error: 'date-outside-contract' }));
  it('refuses a pre-start hire that ended before the start', () =>
    given([reg]).when(hireCmd({ startDate: '2022-05-01', endDate: '2022-12-31' })).then({ error: 'date-outside-contract' }));
  it('refuses an end before the start', () => given([reg]).when(hireCmd({ endDate: '2023-01-31' })).then({ error: 'end-before-start' }));
  it('refuses an unknown block', () => given([reg]).when(hireCmd({ blockCode: 'PW-LT2' })).then({ error: 'unknown-block' }));
  it('refuses a block of the wrong category', () => given([reg]).when(hireCmd({ blockCode: 'SOCIAL-PURCHASE' })).then({ error: 'block-wrong-category' }));
  it('refuses an employment block as a bonus', () => given([reg]).when(hireCmd({ bonusCodes: ['BA'] })).then({ error: 'block-wrong-category' }));
  it('refuses an unknown bonus', () => given([reg]).when(hireCmd({ bonusCodes: ['B-55PLUS'] })).then({ error: 'unknown-block' }));
  it('refuses a bonus listed twice', () => given([reg]).when(hireCmd({ bonusCodes: ['B-STATUS', 'B-STATUS'] })).then({ error: 'duplicate-bonus' }));
  it('refuses the permanent bonus in the bonus list (it follows from permanent)', () =>
    given([reg]).when(hireCmd({ bonusCodes: ['B-PERMANENT'] })).then({ error: 'permanent-bonus-via-flag' }));
  it('refuses a duplicate placement id', () => given(hired).when(hireCmd()).then({ error: 'contribution-already-exists' }));
  it('refuses a candidateRef that looks like a BSN', () => {
    given([reg]).when(hireCmd({ candidateRef: '123456782' })).then({ error: 'candidate-ref-looks-like-bsn' });
    given([reg]).when(hireCmd({ candidateRef: '1234.56.782' })).then({ error: 'candidate-ref-looks-like-bsn' });
    given([reg]).when(hireCmd({ candidateRef: '12345678' })).then({ error: 'candidate-ref-looks-like-bsn' });
  });
  it('refuses a candidateRef that looks like a birth date', () => {
    // the shortest forms too: six digits (fewer cannot be a date, and such references skip the checks)
    for (const candidateRef of ['1990-04-12', '12/05/1990', '12-05-1990', '12.5.1990', '1990/04/12', '1990-5-1', '1.5.1990']) {
      given([reg]).when(hireCmd({ candidateRef })).then({ error: 'candidate-ref-looks-like-birth-date' });
    }
  });
  it('finds a BSN behind a prefix, separators or full-width digits (a number passing the eleven test)', () => {
    for (const candidateRef of ['BSN123456782', 'bsn:123456782', 'bsn-123-456-782', 'NL123456782', '123/456/782', '1234_567_82', '\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18\uFF12']) {
      given([reg]).when(hireCmd({ candidateRef })).then({ error: 'candidate-ref-looks-like-bsn' });
    }
    // pseudonymous references with numbers that are no BSN stay possible
    for (const candidateRef of ['H-1', 'CAND-12345', 'CAND-0001', 'UWV-2024-000123', 'KAN123456789', 'X-1234-5678', 'F-123-45678', 'F-1234-56782']) {
      expect(decide(hireCmd({ candidateRef }), fold([reg]))).toHaveLength(1);
    }
  });
  it('refuses control characters, unpaired surrogates and invisible-only text; a reason may span lines', () => {
    given([reg]).when(hireCmd({ candidateRef: 'C\u0000X' })).then({ error: 'invalid-text' });
    given([reg]).when(activity({ description: '\ud800' })).then({ error: 'invalid-text' });
    given([reg]).when(activity({ description: 'Bus\u001b[31m' })).then({ error: 'invalid-text' });
    given([reg]).when(activity({ description: '\u200b\u00a0 ' })).then({ error: 'missing-field' });
    given([reg]).when({ type: 'ChangeContractValue', data: { contractValueCents: 5, effectiveDate: '2023-07-01', reason: '\u200b' } }).then({ error: 'missing-field' });
    given([]).when(registerCommand({ title: 'Kerst\nmarkt' })).then({ error: 'invalid-text' });
    expect(decide({ type: 'ChangeContractValue', data: { contractValueCents: 5, effectiveDate: '2023-07-01', reason: 'Meerwerk:\n- hal B\n- hal C\t(2x)' } }, fold([reg]))).toHaveLength(1);
  });
  it('refuses zero or fractional-cent hours', () => {
    given([reg]).when(hireCmd({ hoursPerWeek: 0 })).then({ error: 'invalid-hours' });
    given([reg]).when(hireCmd({ hoursPerWeek: 24.125 })).then({ error: 'invalid-hours' });
  });
  describe('Harlingen rules', () => {
    const h = registered({ startDate: '2021-01-01', endDate: '2022-12-31' }, harlingen2020);
    it('refuses fewer than 12 hours a week', () => given([h]).when(hireCmd({ blockCode: 'PW-LT2', startDate: '2021-02-01', hoursPerWeek: 11.5 })).then({ error: 'below-minimum-hours' }));
    it('refuses the 50+ and 55+ bonuses together', () =>
      given([h]).when(hireCmd({ blockCode: 'PW-LT2', startDate: '2021-02-01', bonusCodes: ['B-50PLUS', 'B-55PLUS'] })).then({ error: 'exclusive-bonuses' }));
  });
  it('refuses a bonus on a block it does not apply to (Holland Rijnland PrO/VSO bonus)', () => {
    const hr = registered({ startDate: '2024-01-01', endDate: '2024-12-31' }, hollandRijnland2023);
    given([hr]).when(hireCmd({ blockCode: 'WW', bonusCodes: ['B-PRO-VSO-STAGE'] })).then({ error: 'bonus-not-applicable' });
    expect(decide(hireCmd({ blockCode: 'PRO-VSO', bonusCodes: ['B-PRO-VSO-STAGE'] }), fold([hr]))).toHaveLength(1);
  });
  it('refuses a cost-based bonus in the bonus list (Haaglanden training costs)', () => {
    const hg = registered({ startDate: '2024-01-01', endDate: '2024-12-31' }, haaglanden2023);
    given([hg]).when(hireCmd({ blockCode: 'WW', bonusCodes: ['B-TRAINING'] })).then({ error: 'block-wrong-category' });
  });
});

describe('ChangePlacement', () => {
  it('records the full terms after the change', () =>
    given(hired)
      .when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-06-01', permanent: true } })
      .then([ev('PlacementChanged', { placementId: 'p-1', effectiveDate: '2023-06-01', hoursPerWeek: 24, permanent: true })]));
  it('refuses a change before the placement started', () =>
    given(hired).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-01-31', hoursPerWeek: 32 } }).then({ error: 'date-outside-placement' }));
  it('refuses a change after the contract end', () =>
    given(hired).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2025-01-01', hoursPerWeek: 32 } }).then({ error: 'date-outside-contract' }));
  it('refuses a change that changes nothing', () => {
    given(hired).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-06-01' } }).then({ error: 'no-change' });
    given(hired).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-06-01', hoursPerWeek: 24 } }).then({ error: 'no-change' });
  });
  it('refuses an unknown placement', () =>
    given(hired).when({ type: 'ChangePlacement', data: { placementId: 'p-x', effectiveDate: '2023-06-01', hoursPerWeek: 30 } }).then({ error: 'unknown-contribution' }));
  it('refuses a change to a contribution that is not a placement', () =>
    given(run([purchase()], [reg])).when({ type: 'ChangePlacement', data: { placementId: 'k-1', effectiveDate: '2023-06-01', hoursPerWeek: 30 } }).then({ error: 'not-a-placement' }));
  it('refuses hours below the catalogue minimum', () => {
    const h = run([hireCmd({ blockCode: 'PW-LT2', startDate: '2021-02-01' })], [registered({ startDate: '2021-01-01', endDate: '2022-12-31' }, harlingen2020)]);
    given(h).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2021-06-01', hoursPerWeek: 8 } }).then({ error: 'below-minimum-hours' });
  });
});

describe('EndPlacement', () => {
  it('records the end', () =>
    given(hired)
      .when({ type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2023-09-30', reason: 'Contract niet verlengd' } })
      .then([ev('PlacementEnded', { placementId: 'p-1', endDate: '2023-09-30', reason: 'Contract niet verlengd' })]));
  it('refuses an end before the start', () =>
    given(hired).when({ type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2023-01-15', reason: 'x' } }).then({ error: 'end-before-start' }));
  it('refuses an end before the contract starts (the placement, hired before it, would have no day to count)', () => {
    const early = run([hireCmd({ placementId: 'p-2', candidateRef: 'cand-2', startDate: '2022-06-01', endDate: undefined })], [reg]);
    given(early).when({ type: 'EndPlacement', data: { placementId: 'p-2', endDate: '2022-10-01', reason: 'x' } }).then({ error: 'date-outside-contract' });
    expect(decide({ type: 'EndPlacement', data: { placementId: 'p-2', endDate: '2023-01-01', reason: 'x' } }, fold(early))).toHaveLength(1);
  });
  it('refuses ending twice', () => {
    const ended = run([{ type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2023-09-30', reason: 'x' } }], hired);
    given(ended).when({ type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2023-10-30', reason: 'x' } }).then({ error: 'placement-already-ended' });
    given(ended).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-10-01', hoursPerWeek: 30 } }).then({ error: 'date-outside-placement' });
  });
});

describe('RecordPurchase', () => {
  it('records a purchase', () =>
    given([reg]).when(purchase()).then([
      ev('PurchaseRecorded', {
        contributionId: 'k-1',
        catalogue: { catalogueId: 'utrecht', version: '2019' },
        blockCode: 'SOCIAL-PURCHASE',
        supplier: { name: 'Sociale Onderneming BV', kvk: '87654321' },
        invoiceReference: 'F-2023-001',
        amountExclVatCents: 500_000,
        date: '2023-03-01',
      }),
    ]));
  it('refuses a purchase on a non-purchase block', () => given([reg]).when(purchase({ blockCode: 'PW' })).then({ error: 'block-wrong-category' }));
  it('refuses a purchase on an hourly-only block', () => given([reg]).when(purchase({ blockCode: 'INITIATIVE' })).then({ error: 'block-wrong-category' }));
  it('accepts a purchase on a block that takes invoice or hours (Utrecht 2015 SOCIAL)', () =>
    expect(decide(purchase({ blockCode: 'SOCIAL', date: '2019-03-01' }), fold([registered({ startDate: '2019-01-01', endDate: '2019-12-31' }, utrecht2015)]))).toHaveLength(1));
  it('refuses a date outside the contract', () => given([reg]).when(purchase({ date: '2022-12-31' })).then({ error: 'date-outside-contract' }));
  it('refuses a zero amount', () => given([reg]).when(purchase({ amountExclVatCents: 0 })).then({ error: 'invalid-amount' }));
  it('refuses an invalid supplier KvK', () => given([reg]).when(purchase({ supplier: { name: 'X', kvk: 'abc' } })).then({ error: 'invalid-kvk' }));
  it('refuses a duplicate id', () => given(run([purchase()], [reg])).when(purchase()).then({ error: 'contribution-already-exists' }));
});

describe('RecordKnowledgeSharing', () => {
  const ks = (over: Record<string, unknown> = {}): ContractCommand =>
    ({ type: 'RecordKnowledgeSharing', data: { contributionId: 'h-1', description: 'Gastlessen mbo', date: '2023-05-01', blockCode: 'INITIATIVE', hours: 12.5, ...over } }) as ContractCommand;
  it('records hours', () =>
    given([reg]).when(ks()).then([
      ev('KnowledgeSharingRecorded', { contributionId: 'h-1', catalogue: { catalogueId: 'utrecht', version: '2019' }, blockCode: 'INITIATIVE', description: 'Gastlessen mbo', date: '2023-05-01', hours: 12.5, costCents: null }),
    ]));
  it('records costs on a block that accepts them', () =>
    expect(decide(ks({ blockCode: 'KNOWLEDGE', hours: undefined, costCents: 80_000 }), fold([reg]))[0]).toMatchObject({ data: { hours: null, costCents: 80_000 } }));
  it('refuses costs on an hourly-only block', () => given([reg]).when(ks({ hours: undefined, costCents: 100 })).then({ error: 'amount-not-accepted' }));
  it('refuses both hours and costs, or neither', () => {
    given([reg]).when(ks({ blockCode: 'KNOWLEDGE', costCents: 100 })).then({ error: 'ambiguous-amount' });
    given([reg]).when(ks({ hours: undefined })).then({ error: 'missing-amount' });
  });
  it('refuses a non-hourly block', () => given([reg]).when(ks({ blockCode: 'MOBILITY' })).then({ error: 'block-wrong-category' }));
  it('refuses a date outside the contract', () => given([reg]).when(ks({ date: '2025-01-01' })).then({ error: 'date-outside-contract' }));
});

describe('RecordActivity', () => {
  it('records by-agreement work', () =>
    given([reg]).when(activity({ costCents: 150_000 })).then([
      ev('ActivityRecorded', { contributionId: 'a-1', catalogue: { catalogueId: 'utrecht', version: '2019' }, blockCode: 'MOBILITY', description: 'Busvervoer doelgroep', date: '2023-04-01', costCents: 150_000, valuedBy: 'agreement' }),
    ]));
  it('records a per-activity contribution (Holland Rijnland)', () => {
    const hr = registered({ startDate: '2024-01-01', endDate: '2024-12-31' }, hollandRijnland2023);
    expect(decide(activity({ blockCode: 'ACTIVITY', date: '2024-03-01' }), fold([hr]))[0]).toMatchObject({ data: { valuedBy: 'per-activity' } });
  });
  it('records cost-based training support as an activity (Haaglanden B-TRAINING)', () => {
    const hg = registered({ startDate: '2024-01-01', endDate: '2024-12-31' }, haaglanden2023);
    expect(decide(activity({ blockCode: 'B-TRAINING', date: '2024-03-01', costCents: 250_000 }), fold([hg]))[0]).toMatchObject({ data: { valuedBy: 'invoice' } });
    given([hg]).when(activity({ blockCode: 'B-TRAINING', date: '2024-03-01' })).then({ error: 'missing-amount' });
  });
  it('refuses an employment or purchase block', () => {
    given([reg]).when(activity({ blockCode: 'PW' })).then({ error: 'block-wrong-category' });
    given([reg]).when(activity({ blockCode: 'SOCIAL-PURCHASE', costCents: 100 })).then({ error: 'block-wrong-category' });
  });
  it('refuses a missing description', () => given([reg]).when(activity({ description: '' })).then({ error: 'missing-field' }));
});

describe('RecordAgreedValue', () => {
  it('records the agreed value', () =>
    given(withMobility)
      .when({ type: 'RecordAgreedValue', data: { contributionId: 'a-1', valueCents: 300_000, note: 'Afgesproken met adviseur' } })
      .then([ev('AgreedValueRecorded', { contributionId: 'a-1', valueCents: 300_000, note: 'Afgesproken met adviseur' })]));
  it('refuses an agreed value on a contribution valued by its block', () =>
    given(hired).when({ type: 'RecordAgreedValue', data: { contributionId: 'p-1', valueCents: 1, note: 'x' } }).then({ error: 'not-by-agreement' }));
  it('refuses an unknown contribution', () =>
    given(withMobility).when({ type: 'RecordAgreedValue', data: { contributionId: 'zz', valueCents: 1, note: 'x' } }).then({ error: 'unknown-contribution' }));
  it('refuses a negative value', () =>
    given(withMobility).when({ type: 'RecordAgreedValue', data: { contributionId: 'a-1', valueCents: -1, note: 'x' } }).then({ error: 'invalid-amount' }));
});

describe('RecordVerification', () => {
  it('verifies', () =>
    given(hired)
      .when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified', note: 'UWV-verklaring gezien' } })
      .then([ev('ContributionVerified', { contributionId: 'p-1', note: 'UWV-verklaring gezien' })]));
  it('rejects, with a reason', () => {
    given(hired)
      .when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'rejected', note: 'Geen doelgroepverklaring' } })
      .then([ev('ContributionRejected', { contributionId: 'p-1', note: 'Geen doelgroepverklaring' })]);
    given(hired).when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'rejected' } }).then({ error: 'missing-field' });
  });
  it('refuses verification of an unknown contribution', () =>
    given(hired).when({ type: 'RecordVerification', data: { contributionId: 'p-x', verdict: 'verified' } }).then({ error: 'unknown-contribution' }));
  it('refuses the same verdict twice and an invalid verdict', () => {
    const v = run([{ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified' } }], hired);
    given(v).when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified' } }).then({ error: 'already-verified' });
    const r = run([{ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'rejected', note: 'x' } }], hired);
    given(r).when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'rejected', note: 'x' } }).then({ error: 'already-rejected' });
    given(hired).when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'ok' as 'verified' } }).then({ error: 'invalid-verdict' });
  });
});

describe('WithdrawContribution', () => {
  const withdrawn = run([{ type: 'WithdrawContribution', data: { contributionId: 'p-1', reason: 'Dubbel ingevoerd' } }], hired);
  it('withdraws', () =>
    given(hired)
      .when({ type: 'WithdrawContribution', data: { contributionId: 'p-1', reason: 'Dubbel ingevoerd' } })
      .then([ev('ContributionWithdrawn', { contributionId: 'p-1', reason: 'Dubbel ingevoerd' })]));
  it('refuses withdrawing twice', () => given(withdrawn).when({ type: 'WithdrawContribution', data: { contributionId: 'p-1', reason: 'x' } }).then({ error: 'already-withdrawn' }));
  it('refuses verifying, changing or ending a withdrawn contribution', () => {
    given(withdrawn).when({ type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified' } }).then({ error: 'already-withdrawn' });
    given(withdrawn).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-06-01', hoursPerWeek: 30 } }).then({ error: 'already-withdrawn' });
    given(withdrawn).when({ type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2023-06-01', reason: 'x' } }).then({ error: 'already-withdrawn' });
  });
  it('refuses an unknown contribution', () => given([reg]).when({ type: 'WithdrawContribution', data: { contributionId: 'x', reason: 'x' } }).then({ error: 'unknown-contribution' }));
});

describe('CloseContract', () => {
  it('closes', () => given(hired).when({ type: 'CloseContract', data: { reason: 'Eindrapportage afgerond' } }).then([ev('ContractClosed', { reason: 'Eindrapportage afgerond' })]));
  it('refuses closing an unregistered contract', () => given([]).when({ type: 'CloseContract', data: { reason: 'x' } }).then({ error: 'contract-not-registered' }));
});

describe('decide and evolve', () => {
  it('refuses an unknown command', () => given([reg]).when({ type: 'Nope', data: {} } as unknown as ContractCommand).then({ error: 'unknown-command' }));
  it('refuses a command without data', () => given([reg]).when({ type: 'CloseContract' } as unknown as ContractCommand).then({ error: 'invalid-command' }));
  it('refuses ids with white space and over-long fields', () => {
    given([reg]).when(hireCmd({ placementId: 'p 1' })).then({ error: 'invalid-id' });
    given([reg]).when(activity({ description: 'x'.repeat(501) })).then({ error: 'field-too-long' });
  });
  it('keeps every event at schema version 1 and folds deterministically', () => {
    for (const e of hired) expect(e.schemaVersion).toBe(1);
    expect(hired.reduce(evolve, initialState)).toEqual(hired.reduce(evolve, initialState));
  });
});

describe('IncrementalFold (fold one event at a time)', () => {
  const history = [
    ...hired,
    ...run([purchase(), hireCmd({ placementId: 'p-2', candidateRef: 'cand-8b1c' })], hired).slice(hired.length),
  ];
  const history2 = [...history, ev('PlacementEnded', { placementId: 'p-1', endDate: '2023-09-30', reason: 'Contract voltooid' })];

  it('gives what evolve gives, event by event', () => {
    const folding = new IncrementalFold();
    history2.forEach((e, i) => {
      folding.add(e);
      expect(folding.peek()).toEqual(history2.slice(0, i + 1).reduce(evolve, initialState));
    });
    expect(folding.state()).toEqual(fold(history2));
  });

  it('never writes into a state it has handed out, nor into the state it started from', () => {
    const start = fold(hired);
    const startCopy = structuredClone(start);
    const folding = new IncrementalFold(start);
    folding.add(history[hired.length]);
    const handedOut = folding.state();
    const handedOutCopy = structuredClone(handedOut);
    for (const e of history2.slice(hired.length + 1)) folding.add(e);
    expect(start).toEqual(startCopy);
    expect(handedOut).toEqual(handedOutCopy);
    expect(folding.state()).toEqual(fold(history2));
  });
});

describe("ids named like an object's inherited properties", () => {
  const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf'];
  // Few contributions (a plain object) and many (the persistent view, from MAP_VIEW_FROM on).
  const many = run(
    Array.from({ length: 40 }, (_, i) => hireCmd({ placementId: `p-${i + 1}`, candidateRef: `cand-${i}` })),
    [reg],
  );
  for (const [label, history] of [
    ['a contract with one contribution', hired],
    ['a contract with 40 contributions', many],
  ] as const) {
    it(`are no contributions on ${label}: refused as unknown, never taken for one`, () => {
      for (const name of names) {
        given(history).when({ type: 'RecordVerification', data: { contributionId: name, verdict: 'verified' } }).then({ error: 'unknown-contribution' });
        given(history).when({ type: 'WithdrawContribution', data: { contributionId: name, reason: 'x' } }).then({ error: 'unknown-contribution' });
        given(history).when({ type: 'RecordAgreedValue', data: { contributionId: name, valueCents: 1, note: 'x' } }).then({ error: 'unknown-contribution' });
        given(history).when({ type: 'ChangePlacement', data: { placementId: name, effectiveDate: '2023-06-01', hoursPerWeek: 30 } }).then({ error: 'unknown-contribution' });
        given(history).when({ type: 'EndPlacement', data: { placementId: name, endDate: '2023-06-01', reason: 'x' } }).then({ error: 'unknown-contribution' });
      }
    });
    it(`are new ids on ${label}, and then known; __proto__ is refused as an id`, () => {
      given(history).when(purchase({ contributionId: '__proto__' })).then({ error: 'invalid-id' });
      given(history).when(hireCmd({ placementId: '__proto__', candidateRef: 'cand-proto' })).then({ error: 'invalid-id' });
      for (const name of names.filter((n) => n !== '__proto__')) {
        const recorded = run([purchase({ contributionId: name })], history);
        given(history).when(purchase({ contributionId: name })).then([recorded[recorded.length - 1]]);
        given(recorded).when(purchase({ contributionId: name })).then({ error: 'contribution-already-exists' });
        given(recorded)
          .when({ type: 'RecordVerification', data: { contributionId: name, verdict: 'verified' } })
          .then([ev('ContributionVerified', { contributionId: name, note: '' })]);
      }
    });
  }
});

describe('what the folded contributions share (the service holds every contract\u2019s state)', () => {
  // As the store hands events over: parsed from JSON, each with objects of its own.
  const stored = (events: readonly ContractEvent[]): ContractEvent[] => events.map((e) => JSON.parse(JSON.stringify(e)) as ContractEvent);
  const history = stored(
    run(
      [
        hireCmd(),
        hireCmd({ placementId: 'p-2', candidateRef: 'cand-8b1c', bonusCodes: ['B-50PLUS'] }),
        hireCmd({ placementId: 'p-3', candidateRef: 'cand-9d2e' }),
        purchase(),
        purchase({ contributionId: 'k-2', invoiceReference: 'F-2023-002' }),
        activity(),
      ],
      [reg],
    ),
  );
  const state = fold(history) as RegisteredContract;
  const c = state.contributions;

  it('one catalogue version reference for all contributions that name that version, equal to what each event named', () => {
    expect(c['p-1'].catalogue).toEqual({ catalogueId: 'utrecht', version: '2019' });
    for (const id of ['p-2', 'p-3', 'k-1', 'k-2', 'a-1']) expect(c[id].catalogue).toBe(c['p-1'].catalogue);
    // across contracts too, and the shared one cannot be written to
    const other = fold(stored(run([hireCmd()], [registered()]))) as RegisteredContract;
    expect(other.contributions['p-1'].catalogue).toBe(c['p-1'].catalogue);
    expect(Object.isFrozen(c['p-1'].catalogue)).toBe(true);
  });

  it('one empty list of bonuses for the hires without any; a hire with bonuses keeps its own', () => {
    const [p1, p2, p3] = ['p-1', 'p-2', 'p-3'].map((id) => c[id] as PlacementState);
    expect(p1.bonusCodes).toEqual([]);
    expect(p3.bonusCodes).toBe(p1.bonusCodes);
    expect(Object.isFrozen(p1.bonusCodes)).toBe(true);
    expect(p2.bonusCodes).toEqual(['B-50PLUS']);
  });

  it('a purchase\u2019s description is the supplier and the invoice, as before', () => {
    expect(c['k-1']).toMatchObject({ description: 'Sociale Onderneming BV, invoice F-2023-001' });
    expect(c['k-2']).toMatchObject({ description: 'Sociale Onderneming BV, invoice F-2023-002' });
  });

  it('folding one event at a time and all at once give equal states', () => {
    expect(history.reduce(evolve, initialState)).toEqual(state);
  });
});
