/**
 * The contract decider: decide(command, state) → events, or a DomainError with a machine-readable
 * code. Pure: ids, dates and the catalogue versions come in with the command.
 */
import { addMonths, assertDate, compareDates, maxDate, type CalendarDate } from '../shared/dates';
import { refuse } from '../shared/errors';
import { TEXT_PROBLEMS, textProblem } from '../shared/text';
import { assertCents, hoursToHundredths, percentageToBasisPoints } from '../shared/money';
import { defaultMapping, findBlock, refLabel, refOf, sameRef, validateCatalogueVersion } from '../catalogues/catalogue';
import type { BlockValuation, CatalogueBlock, CatalogueVersion, CatalogueVersionRef } from '../catalogues/types';
import { contributionList, contributionOf } from './contributions';
import type {
  ChangeContractPeriod,
  ChangeContractValue,
  ChangePlacement,
  CloseContract,
  ContractCommand,
  EndPlacement,
  MigrateCatalogue,
  RecordActivity,
  RecordAgreedValue,
  RecordHire,
  RecordKnowledgeSharing,
  RecordPurchase,
  RecordVerification,
  RegisterContract,
  WithdrawContribution,
} from './commands';
import type { ContractEvent, OneOffInput } from './events';
import {
  codeInPeriod,
  isRegistered,
  periodIndexOn,
  valueInForce,
  type ContractState,
  type ContributionState,
  type PlacementState,
  type RegisteredContract,
} from './state';

// ---------------------------------------------------------------- field checks

/** A required text field (single-line unless `multiline`: reasons, notes, descriptions); see textProblem. */
function text(value: unknown, field: string, max = 500, multiline = false): string {
  if (typeof value !== 'string') refuse('missing-field', `${field} is required`, { field });
  const problem = textProblem(value, multiline);
  if (problem === 'blank') refuse('missing-field', `${field} is required (it holds only white space)`, { field });
  if (value.length > max) refuse('field-too-long', `${field} is longer than ${max} characters`, { field });
  if (problem !== null) refuse('invalid-text', `${field} ${TEXT_PROBLEMS[problem]}`, { field });
  return value;
}

const prose = (value: unknown, field: string, max = 500): string => text(value, field, max, true);

function id(value: unknown, field: string): string {
  const s = text(value, field, 200);
  if (/\s/.test(s)) refuse('invalid-id', `${field} must not contain white space`, { field });
  return s;
}

function kvk(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{8}$/.test(value)) refuse('invalid-kvk', `${field} must be a Dutch Chamber of Commerce (KvK) number of 8 digits`, { field });
  return value;
}

/** A candidate reference is pseudonymous: anything shaped like a BSN (8 or 9 digits) is refused. */
export function assertPseudonymousRef(value: unknown): string {
  const s = id(value, 'candidateRef');
  if (fewAsciiDigits(s)) return s;
  // Checked as a reader sees it: full-width digits are digits, separators do not hide a number.
  const seen = s.normalize('NFKC');
  if (BIRTH_DATE_FORMS.some((form) => form.test(seen))) {
    refuse('candidate-ref-looks-like-birth-date', 'candidateRef looks like a date: use a pseudonymous reference, never a birth date', { field: 'candidateRef' });
  }
  // A number written with separators (123.456.782), an 8- or 9-digit run that passes the eleven
  // test (NL123456782), or one that says it is a BSN. Digit groups are not joined across
  // separators otherwise: a reference such as F-123-45678 would pass the test one time in eleven.
  const compact = seen.replace(/[\s./_:,-]/g, '');
  const bsnRun = [...seen.matchAll(/\d+/g)].some(([run]) => (run.length === 8 || run.length === 9) && passesElevenTest(run));
  if (/^\d{8,9}$/.test(compact) || bsnRun || (/bsn/i.test(seen) && /\d{8,9}/.test(compact))) {
    refuse('candidate-ref-looks-like-bsn', 'candidateRef looks like a BSN (8 or 9 digits): use the pseudonymous reference issued by the contractor or municipality, never a BSN', { field: 'candidateRef' });
  }
  return s;
}

/**
 * True for plain ASCII with fewer than six digits: no date form (six digits at least) nor BSN
 * (eight) can be read in it, and NFKC leaves ASCII as it is. Most references are like this, and
 * they skip the normalisation and the regular expressions (~4 µs a hire, checked when decided and
 * again when published).
 */
function fewAsciiDigits(s: string): boolean {
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    if (c >= 0x30 && c <= 0x39 && ++digits >= 6) return false;
  }
  return true;
}

/** A whole reference that is a date: 1990-05-12, 1990/05/12, 12-05-1990, 12/5/1990, 12.05.1990. */
const BIRTH_DATE_FORMS = [/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$/, /^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$/];

/** The BSN's eleven test ("elfproef") on 8 or 9 digits (8: with a leading zero). */
function passesElevenTest(digits: string): boolean {
  const d = digits.padStart(9, '0');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(d[i]);
  sum -= Number(d[8]);
  return sum % 11 === 0 && Number(d) !== 0;
}

function hours(value: unknown, field: string): number {
  hoursToHundredths(value, field);
  if ((value as number) > 168) refuse('invalid-hours', `${field} cannot exceed 168 hours a week`, { field });
  return value as number;
}

// ---------------------------------------------------------------- state checks

function open(state: ContractState): RegisteredContract {
  if (!isRegistered(state)) refuse('contract-not-registered', 'the contract has not been registered');
  if (state.status === 'closed') refuse('contract-closed', `the contract is closed (${state.closeReason ?? 'no reason'}): nothing can be recorded on it any more`);
  return state;
}

function contribution(c: RegisteredContract, contributionId: unknown): ContributionState {
  const x = contributionOf(c.contributions, id(contributionId, 'contributionId'));
  if (!x) refuse('unknown-contribution', `contribution ${String(contributionId)} is not known on this contract`, { contributionId });
  return x;
}

function liveContribution(c: RegisteredContract, contributionId: unknown): ContributionState {
  const x = contribution(c, contributionId);
  if (x.withdrawn) refuse('already-withdrawn', `contribution ${x.id} has been withdrawn`, { contributionId: x.id });
  return x;
}

function placement(c: RegisteredContract, placementId: unknown): PlacementState {
  const x = liveContribution(c, placementId);
  if (x.kind !== 'placement') refuse('not-a-placement', `contribution ${x.id} is a ${x.kind}, not a placement`, { contributionId: x.id });
  return x;
}

function newId(c: RegisteredContract, value: unknown, field: string): string {
  const s = id(value, field);
  // Keyed by id, a contribution named `__proto__` would set an object's prototype in any reader's code (ours guard against it).
  if (s === '__proto__') refuse('invalid-id', `${field} must not be __proto__`, { field });
  if (contributionOf(c.contributions, s)) refuse('contribution-already-exists', `a contribution with id ${s} already exists on this contract`, { contributionId: s });
  return s;
}

function insideContract(c: RegisteredContract, date: CalendarDate, field: string): void {
  if (compareDates(date, c.startDate) < 0 || compareDates(date, c.endDate) > 0) {
    refuse('date-outside-contract', `${field} ${date} lies outside the contract period ${c.startDate} to ${c.endDate}`, { field, date, startDate: c.startDate, endDate: c.endDate });
  }
}

function blockOf(v: CatalogueVersion, code: unknown, onDate?: CalendarDate): CatalogueBlock {
  const s = text(code, 'blockCode', 100);
  const b = findBlock(v, s);
  if (!b) {
    refuse('unknown-block', `block ${s} does not exist in catalogue ${refLabel(v)}${onDate ? `, the version the contract is valued under on ${onDate}` : ''}`, {
      blockCode: s,
      catalogue: refOf(v),
    });
  }
  return b;
}

function wrongCategory(b: CatalogueBlock, expected: string, v: CatalogueVersion): never {
  refuse('block-wrong-category', `block ${b.code} of ${refLabel(v)} is a ${b.category} block (${b.valuation.kind}); expected ${expected}`, {
    blockCode: b.code,
    category: b.category,
    valuation: b.valuation.kind,
  });
}

const acceptsInvoice = (v: BlockValuation) => v.kind === 'invoice' || v.kind === 'invoice-or-hourly';
const acceptsHours = (v: BlockValuation) => v.kind === 'hourly' || v.kind === 'invoice-or-hourly';

/** Whether a block of a later version can value a contribution of the given input. */
function accepts(b: CatalogueBlock, input: OneOffInput | 'employment' | 'bonus'): boolean {
  switch (input) {
    case 'employment':
      return b.category === 'employment' && b.valuation.kind === 'annual';
    case 'bonus':
      return b.category === 'bonus' && b.valuation.kind === 'annual' && !b.permanentBonus;
    case 'invoice':
      return acceptsInvoice(b.valuation);
    case 'hours':
      return acceptsHours(b.valuation);
    case 'agreement':
      return b.valuation.kind === 'agreement';
    case 'per-activity':
      return b.valuation.kind === 'per-activity';
  }
}

/** What a placement may use a block for, or null for a block of one-off contributions (they never cross a migration). */
function placementInput(b: CatalogueBlock): 'employment' | 'bonus' | null {
  if (accepts(b, 'employment')) return 'employment';
  if (accepts(b, 'bonus')) return 'bonus';
  return null;
}

/** A block a placement uses: its employment block, or one of its bonuses. */
type PlacementUse = { code: string; input: 'employment' | 'bonus' };

const placementUses = (blockCode: string, bonusCodes: readonly string[]): PlacementUse[] => [
  { code: blockCode, input: 'employment' },
  ...bonusCodes.map((code) => ({ code, input: 'bonus' as const })),
];

/**
 * Checks that the blocks a placement uses in period `from` can be followed through every later
 * migration it reaches (an open-ended or long placement recorded after a migration, anchored
 * before it, or an end later than planned), to blocks that can value them there: refuses with the
 * unmapped blocks, or with the ones mapped to a block of another kind (a hire block mapped to a
 * purchase block would leave a placement no figure can be computed for).
 */
function assertMappedForward(c: RegisteredContract, from: number, uses: readonly PlacementUse[], endDate: CalendarDate | null): void {
  const unmapped: string[] = [];
  const incompatible: { blockCode: string; to: string; catalogue: CatalogueVersionRef }[] = [];
  let to = '';
  for (let k = from + 1; k < c.periods.length; k++) {
    if (endDate !== null && compareDates(endDate, c.periods[k].effectiveFrom) < 0) break;
    for (const use of uses) {
      const prev = codeInPeriod(c.periods, use.code, from, k - 1);
      if (prev === undefined) continue;
      const mapped = codeInPeriod(c.periods, use.code, from, k);
      if (mapped === undefined) {
        unmapped.push(prev);
        to = refLabel(c.periods[k].catalogue);
      } else {
        const block = findBlock(c.periods[k].catalogue, mapped);
        if (!block || !accepts(block, use.input)) incompatible.push({ blockCode: prev, to: mapped, catalogue: refOf(c.periods[k].catalogue) });
      }
    }
  }
  if (unmapped.length > 0) {
    refuse('unmapped-blocks', `blocks ${unmapped.join(', ')} have no mapping in the contract's migration to ${to}; the placement runs into that period`, { unmapped });
  }
  if (incompatible.length > 0) {
    const list = incompatible.map((i) => `${i.blockCode} → ${i.to} (${refLabel(i.catalogue)})`).join(', ');
    refuse('block-wrong-category', `the placement runs into a migration that maps ${list} to blocks that cannot value it`, { incompatible });
  }
}

function assertInForce(v: CatalogueVersion, date: CalendarDate, explicit: boolean, inForce?: { catalogueId: string; version: string }): void {
  if (explicit) return;
  if (compareDates(v.validFrom, date) > 0) {
    refuse('catalogue-not-in-force', `catalogue ${refLabel(v)} is valid from ${v.validFrom}, after ${date}; an advisor may name it explicitly`, {
      catalogue: refOf(v),
      date,
    });
  }
  if (inForce && !sameRef(inForce, v)) {
    refuse('catalogue-not-in-force', `catalogue ${refLabel(v)} is not the version in force on ${date} (${inForce.catalogueId}/${inForce.version}); an advisor may name it explicitly`, {
      catalogue: refOf(v),
      inForce,
      date,
    });
  }
}

// ---------------------------------------------------------------- handlers

function register(cmd: RegisterContract, state: ContractState): ContractEvent[] {
  if (isRegistered(state)) refuse('contract-already-registered', `contract ${state.contractId} is already registered`);
  const d = cmd.data;
  const startDate = assertDate(d.startDate, 'startDate');
  const endDate = assertDate(d.endDate, 'endDate');
  if (compareDates(endDate, startDate) < 0) refuse('end-before-start', `the end date ${endDate} lies before the start date ${startDate}`);
  if (!d.contractor || typeof d.contractor !== 'object') refuse('missing-field', 'contractor is required', { field: 'contractor' });
  const catalogue = validateCatalogueVersion(d.catalogue);
  assertInForce(catalogue, startDate, d.explicitVersion === true, d.versionInForceOnStart);
  return [
    {
      type: 'ContractRegistered',
      schemaVersion: 1,
      data: {
        contractId: id(d.contractId, 'contractId'),
        municipality: text(d.municipality, 'municipality', 200),
        title: text(d.title, 'title'),
        tenderReference: text(d.tenderReference, 'tenderReference', 200),
        contractor: { kvk: kvk(d.contractor.kvk, 'contractor.kvk'), name: text(d.contractor.name, 'contractor.name', 200) },
        contractValueCents: assertCents(d.contractValueCents, 'contractValueCents'),
        sroiBasisPoints: percentageToBasisPoints(d.sroiPercentage),
        startDate,
        endDate,
        catalogue,
        explicitVersion: d.explicitVersion === true,
      },
    },
  ];
}

function changeValue(cmd: ChangeContractValue, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const effectiveDate = assertDate(d.effectiveDate, 'effectiveDate');
  insideContract(c, effectiveDate, 'effectiveDate');
  const value = assertCents(d.contractValueCents, 'contractValueCents');
  const previous = valueInForce(c, effectiveDate);
  // It would change no figure on any date: the value in force from then on is this one already.
  if (value === previous) refuse('no-change', `the contract value on ${effectiveDate} is ${value} cents already`);
  return [{ type: 'ContractValueChanged', schemaVersion: 1, data: { contractValueCents: value, previousValueCents: previous, effectiveDate, reason: prose(d.reason, 'reason') } }];
}

function changePeriod(cmd: ChangeContractPeriod, state: ContractState): ContractEvent[] {
  const c = open(state);
  const endDate = assertDate(cmd.data.endDate, 'endDate');
  if (compareDates(endDate, c.startDate) < 0) refuse('end-before-start', `the end date ${endDate} lies before the contract start ${c.startDate}`);
  if (endDate === c.endDate) refuse('no-change', `the contract already ends on ${endDate}`);
  return [{ type: 'ContractPeriodChanged', schemaVersion: 1, data: { endDate, previousEndDate: c.endDate, reason: prose(cmd.data.reason, 'reason') } }];
}

function migrate(cmd: MigrateCatalogue, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const target = validateCatalogueVersion(d.catalogue);
  const effectiveDate = assertDate(d.effectiveDate, 'effectiveDate');
  const last = c.periods.length - 1;
  const current = c.periods[last].catalogue;
  if (sameRef(current, target)) refuse('same-catalogue-version', `the contract is already valued under ${refLabel(target)}`);
  insideContract(c, effectiveDate, 'effectiveDate');
  if (last > 0 && compareDates(effectiveDate, c.periods[last].effectiveFrom) <= 0) {
    refuse('migration-out-of-order', `a migration must take effect after the previous one (${c.periods[last].effectiveFrom})`, { previous: c.periods[last].effectiveFrom });
  }
  assertInForce(target, effectiveDate, d.explicitVersion === true);
  const advisor = d.blockMapping ?? {};
  for (const [from, to] of Object.entries(advisor)) {
    if (!findBlock(current, from)) refuse('unknown-block', `the mapping names ${from}, which is not a block of ${refLabel(current)}`, { blockCode: from, catalogue: refOf(current) });
    const toBlock = findBlock(target, to);
    if (!toBlock) refuse('unknown-block', `the mapping maps ${from} to ${to}, which is not a block of ${refLabel(target)}`, { blockCode: to, catalogue: refOf(target) });
    // Placements follow the mapping across the migration, also ones recorded or ended later: their blocks map to blocks that can value them.
    const input = placementInput(findBlock(current, from) as CatalogueBlock);
    if (input !== null && !accepts(toBlock, input)) {
      refuse('block-wrong-category', `the mapping maps ${from} (${input === 'employment' ? 'an employment' : 'a bonus'} block) to ${to}, which cannot value a placement's ${input}`, {
        incompatible: [{ blockCode: from, to }],
      });
    }
  }
  const mapping: Record<string, string> = {};
  for (const [from, to] of Object.entries({ ...defaultMapping(current, target), ...advisor })) {
    if (findBlock(current, from) && findBlock(target, to)) mapping[from] = to;
  }
  // every block used by a live contribution on or after E must map to a block that can value it
  const unmapped = new Set<string>();
  const incompatible: { blockCode: string; to: string; contributionId: string }[] = [];
  for (const x of contributionList(c.contributions)) {
    if (x.withdrawn) continue;
    const uses: { code: string; input: Parameters<typeof accepts>[1] }[] = [];
    if (x.kind === 'placement') {
      const reaches = x.endDate === null || compareDates(x.endDate, effectiveDate) >= 0;
      if (!reaches) continue;
      uses.push({ code: x.blockCode, input: 'employment' }, ...x.bonusCodes.map((b) => ({ code: b, input: 'bonus' as const })));
    } else {
      if (compareDates(x.date, effectiveDate) < 0) continue;
      uses.push({ code: x.blockCode, input: x.input });
    }
    for (const u of uses) {
      const code = codeInPeriod(c.periods, u.code, x.periodIndex, last);
      if (code === undefined) continue; // cannot happen: earlier migrations mapped it
      const to = mapping[code];
      if (to === undefined) unmapped.add(code);
      else if (!accepts(findBlock(target, to) as CatalogueBlock, u.input)) incompatible.push({ blockCode: code, to, contributionId: x.id });
    }
  }
  if (unmapped.size > 0) {
    const list = [...unmapped].sort();
    refuse('unmapped-blocks', `blocks ${list.join(', ')} of ${refLabel(current)} are used by the contract on or after ${effectiveDate} and have no mapping to ${refLabel(target)}`, {
      unmapped: list,
      from: refOf(current),
      to: refOf(target),
    });
  }
  if (incompatible.length > 0) {
    refuse('block-wrong-category', `the mapping sends ${incompatible.map((i) => `${i.blockCode} → ${i.to}`).join(', ')} to blocks that cannot value the contributions using them`, {
      incompatible,
    });
  }
  return [
    {
      type: 'ContractCatalogueMigrated',
      schemaVersion: 1,
      data: { from: refOf(current), catalogue: target, effectiveDate, blockMapping: mapping, explicitVersion: d.explicitVersion === true, reason: prose(d.reason, 'reason') },
    },
  ];
}

/**
 * The bonus codes of a placement on `main`, checked as recording a hire checks them (and the
 * planner, so that it values no plan the ledger would refuse): bonus blocks valued per year, not
 * the permanent bonus (it follows from `permanent`), each once, applicable to `main`, at most one
 * of each exclusive group.
 */
export function checkBonuses(v: CatalogueVersion, main: CatalogueBlock, codes: readonly unknown[], on?: CalendarDate): string[] {
  const out: string[] = [];
  for (const code of codes) {
    const b = blockOf(v, code, on);
    if (b.permanentBonus) {
      refuse('permanent-bonus-via-flag', `${b.code} is the permanent-contract bonus: it follows from permanent: true (and counts from the day the contract became permanent), do not list it`, { blockCode: b.code });
    }
    if (b.category !== 'bonus') wrongCategory(b, 'a bonus block', v);
    if (b.valuation.kind !== 'annual') wrongCategory(b, 'a bonus valued per year (record cost-based bonuses as an activity with their costs)', v);
    if (out.includes(b.code)) refuse('duplicate-bonus', `bonus ${b.code} is listed twice`, { blockCode: b.code });
    if (b.appliesTo && !b.appliesTo.includes(main.code)) {
      refuse('bonus-not-applicable', `bonus ${b.code} applies only to ${b.appliesTo.join(', ')}, not to ${main.code}`, { blockCode: b.code, appliesTo: [...b.appliesTo] });
    }
    out.push(b.code);
  }
  for (const group of v.exclusiveBonusGroups) {
    const hit = out.filter((c) => group.includes(c));
    if (hit.length > 1) refuse('exclusive-bonuses', `bonuses ${hit.join(' and ')} exclude each other: a person gets one of them`, { bonusCodes: hit });
  }
  return out;
}

function minHours(v: CatalogueVersion, h: number): void {
  const min = v.parameters.minHoursPerWeek;
  if (min !== null && h < min) {
    refuse('below-minimum-hours', `catalogue ${refLabel(v)} counts placements of at least ${min} hours a week; ${h} is below it`, { minHoursPerWeek: min, hoursPerWeek: h });
  }
}

function recordHire(cmd: RecordHire, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const placementId = newId(c, d.placementId, 'placementId');
  const candidateRef = assertPseudonymousRef(d.candidateRef);
  const startDate = assertDate(d.startDate, 'startDate');
  const endDate = d.endDate === undefined || d.endDate === null ? null : assertDate(d.endDate, 'endDate');
  if (endDate !== null && compareDates(endDate, startDate) < 0) refuse('end-before-start', `the placement ends (${endDate}) before it starts (${startDate})`);
  if (compareDates(startDate, c.endDate) > 0) insideContract(c, startDate, 'startDate');
  if (endDate !== null && compareDates(endDate, c.startDate) < 0) {
    refuse('date-outside-contract', `the placement ends (${endDate}) before the contract starts (${c.startDate}): it has no day to count`, { endDate, startDate: c.startDate });
  }
  const first = maxDate(startDate, c.startDate);
  const k = periodIndexOn(c.periods, first);
  const v = c.periods[k].catalogue;
  const window = v.parameters.preStartHireWindowMonths;
  const earliest = addMonths(c.startDate, -window);
  if (compareDates(startDate, earliest) < 0) {
    refuse('hire-too-early', `a person hired before the contract start counts only if hired at most ${window} months before it (on or after ${earliest}); ${startDate} is earlier`, {
      earliest,
      startDate,
      windowMonths: window,
    });
  }
  const block = blockOf(v, d.blockCode, first);
  if (block.category !== 'employment' || block.valuation.kind !== 'annual') wrongCategory(block, 'an employment block', v);
  const h = hours(d.hoursPerWeek, 'hoursPerWeek');
  minHours(v, h);
  if (typeof d.permanent !== 'boolean') refuse('missing-field', 'permanent must be true or false', { field: 'permanent' });
  const bonusCodes = checkBonuses(v, block, d.bonusCodes ?? [], first);
  assertMappedForward(c, k, placementUses(block.code, bonusCodes), endDate);
  return [
    {
      type: 'HireRecorded',
      schemaVersion: 1,
      data: { placementId, candidateRef, catalogue: refOf(v), blockCode: block.code, bonusCodes, startDate, endDate, hoursPerWeek: h, permanent: d.permanent },
    },
  ];
}

function changePlacement(cmd: ChangePlacement, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const p = placement(c, d.placementId);
  const effectiveDate = assertDate(d.effectiveDate, 'effectiveDate');
  if (compareDates(effectiveDate, p.startDate) < 0 || (p.endDate !== null && compareDates(effectiveDate, p.endDate) > 0)) {
    refuse('date-outside-placement', `the change takes effect on ${effectiveDate}, outside the placement (${p.startDate} to ${p.endDate ?? 'open-ended'})`, { effectiveDate });
  }
  insideContract(c, maxDate(effectiveDate, c.startDate), 'effectiveDate');
  if (d.hoursPerWeek === undefined && d.permanent === undefined) refuse('no-change', 'a placement change needs new hours per week or a new permanence');
  const current = [...p.terms].filter((t) => compareDates(t.effectiveDate, effectiveDate) <= 0).pop() ?? p.terms[0];
  const hoursPerWeek = d.hoursPerWeek === undefined ? current.hoursPerWeek : hours(d.hoursPerWeek, 'hoursPerWeek');
  if (d.permanent !== undefined && typeof d.permanent !== 'boolean') refuse('missing-field', 'permanent must be true or false', { field: 'permanent' });
  const permanent = d.permanent ?? current.permanent;
  if (d.hoursPerWeek !== undefined) minHours(c.periods[periodIndexOn(c.periods, maxDate(effectiveDate, c.startDate))].catalogue, hoursPerWeek);
  if (hoursPerWeek === current.hoursPerWeek && permanent === current.permanent) refuse('no-change', `the placement already has these terms on ${effectiveDate}`);
  return [{ type: 'PlacementChanged', schemaVersion: 1, data: { placementId: p.id, effectiveDate, hoursPerWeek, permanent } }];
}

function endPlacement(cmd: EndPlacement, state: ContractState): ContractEvent[] {
  const c = open(state);
  const p = placement(c, cmd.data.placementId);
  if (p.ended) refuse('placement-already-ended', `placement ${p.id} already ended on ${p.endDate}`, { endDate: p.endDate });
  const endDate = assertDate(cmd.data.endDate, 'endDate');
  if (compareDates(endDate, p.startDate) < 0) refuse('end-before-start', `the placement cannot end (${endDate}) before it started (${p.startDate})`);
  if (compareDates(endDate, c.startDate) < 0) {
    refuse('date-outside-contract', `the placement would end (${endDate}) before the contract starts (${c.startDate}): it would have no day to count`, { endDate, startDate: c.startDate });
  }
  // an actual end later than the planned one may run into a migration that did not map the blocks
  assertMappedForward(c, p.periodIndex, placementUses(p.blockCode, p.bonusCodes), endDate);
  return [{ type: 'PlacementEnded', schemaVersion: 1, data: { placementId: p.id, endDate, reason: prose(cmd.data.reason, 'reason') } }];
}

function oneOffContext(c: RegisteredContract, date: unknown) {
  const d = assertDate(date, 'date');
  insideContract(c, d, 'date');
  const v = c.periods[periodIndexOn(c.periods, d)].catalogue;
  return { date: d, v };
}

function recordPurchase(cmd: RecordPurchase, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const contributionId = newId(c, d.contributionId, 'contributionId');
  const { date, v } = oneOffContext(c, d.date);
  const b = blockOf(v, d.blockCode, date);
  if (!(b.category === 'purchase' || b.category === 'hourly') || !acceptsInvoice(b.valuation)) wrongCategory(b, 'a purchase block valued on invoice', v);
  if (!d.supplier || typeof d.supplier !== 'object') refuse('missing-field', 'supplier is required', { field: 'supplier' });
  const supplier = { name: text(d.supplier.name, 'supplier.name', 200), ...(d.supplier.kvk !== undefined ? { kvk: kvk(d.supplier.kvk, 'supplier.kvk') } : {}) };
  return [
    {
      type: 'PurchaseRecorded',
      schemaVersion: 1,
      data: {
        contributionId,
        catalogue: refOf(v),
        blockCode: b.code,
        supplier,
        invoiceReference: text(d.invoiceReference, 'invoiceReference', 200),
        amountExclVatCents: assertCents(d.amountExclVatCents, 'amountExclVatCents'),
        date,
      },
    },
  ];
}

function recordKnowledgeSharing(cmd: RecordKnowledgeSharing, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const contributionId = newId(c, d.contributionId, 'contributionId');
  const { date, v } = oneOffContext(c, d.date);
  const b = blockOf(v, d.blockCode, date);
  if (b.category !== 'hourly') wrongCategory(b, 'an hourly block (knowledge sharing or help to an initiative)', v);
  const hasHours = d.hours !== undefined && d.hours !== null;
  const hasCost = d.costCents !== undefined && d.costCents !== null;
  if (hasHours && hasCost) refuse('ambiguous-amount', 'give either hours or costCents, not both');
  if (!hasHours && !hasCost) refuse('missing-amount', 'give the hours worked or the costs (costCents)');
  if (hasHours && !acceptsHours(b.valuation)) refuse('amount-not-accepted', `block ${b.code} is not valued per hour`, { blockCode: b.code });
  if (hasCost && !acceptsInvoice(b.valuation)) refuse('amount-not-accepted', `block ${b.code} is valued per hour only: give hours`, { blockCode: b.code });
  if (hasHours) hoursToHundredths(d.hours, 'hours');
  return [
    {
      type: 'KnowledgeSharingRecorded',
      schemaVersion: 1,
      data: {
        contributionId,
        catalogue: refOf(v),
        blockCode: b.code,
        description: prose(d.description, 'description'),
        date,
        hours: hasHours ? (d.hours as number) : null,
        costCents: hasCost ? assertCents(d.costCents, 'costCents') : null,
      },
    },
  ];
}

function recordActivity(cmd: RecordActivity, state: ContractState): ContractEvent[] {
  const c = open(state);
  const d = cmd.data;
  const contributionId = newId(c, d.contributionId, 'contributionId');
  const { date, v } = oneOffContext(c, d.date);
  const b = blockOf(v, d.blockCode, date);
  const hasCost = d.costCents !== undefined && d.costCents !== null;
  const costCents = hasCost ? assertCents(d.costCents, 'costCents') : null;
  let valuedBy: 'agreement' | 'per-activity' | 'invoice';
  if (b.valuation.kind === 'agreement') valuedBy = 'agreement';
  else if (b.valuation.kind === 'per-activity') valuedBy = 'per-activity';
  else if ((b.category === 'hourly' || b.category === 'bonus' || b.category === 'agreement') && acceptsInvoice(b.valuation)) {
    if (!hasCost) refuse('missing-amount', `block ${b.code} is valued on its costs: give costCents`, { blockCode: b.code });
    valuedBy = 'invoice';
  } else wrongCategory(b, 'a block for a social activity or by-agreement work', v);
  return [
    {
      type: 'ActivityRecorded',
      schemaVersion: 1,
      data: { contributionId, catalogue: refOf(v), blockCode: b.code, description: prose(d.description, 'description'), date, costCents, valuedBy },
    },
  ];
}

function recordAgreedValue(cmd: RecordAgreedValue, state: ContractState): ContractEvent[] {
  const c = open(state);
  const x = liveContribution(c, cmd.data.contributionId);
  if (x.kind === 'placement' || x.input !== 'agreement') refuse('not-by-agreement', `contribution ${x.id} is valued by its catalogue block, not by agreement`, { contributionId: x.id });
  const valueCents = assertCents(cmd.data.valueCents, 'valueCents', { allowZero: true });
  return [{ type: 'AgreedValueRecorded', schemaVersion: 1, data: { contributionId: x.id, valueCents, note: prose(cmd.data.note, 'note', 2000) } }];
}

function recordVerification(cmd: RecordVerification, state: ContractState): ContractEvent[] {
  const c = open(state);
  const x = liveContribution(c, cmd.data.contributionId);
  const { verdict } = cmd.data;
  if (verdict !== 'verified' && verdict !== 'rejected') refuse('invalid-verdict', `verdict must be 'verified' or 'rejected', got ${JSON.stringify(verdict)}`);
  if (x.verdict === verdict) refuse(verdict === 'verified' ? 'already-verified' : 'already-rejected', `contribution ${x.id} is already ${verdict}`, { contributionId: x.id });
  if (verdict === 'verified') {
    // Optional here: none, or blank, is ''.
    const given = cmd.data.note;
    const note = given === undefined || (typeof given === 'string' && textProblem(given) === 'blank') ? '' : prose(given, 'note', 2000);
    return [{ type: 'ContributionVerified', schemaVersion: 1, data: { contributionId: x.id, note } }];
  }
  return [{ type: 'ContributionRejected', schemaVersion: 1, data: { contributionId: x.id, note: prose(cmd.data.note, 'note (the reason for the rejection)', 2000) } }];
}

function withdraw(cmd: WithdrawContribution, state: ContractState): ContractEvent[] {
  const c = open(state);
  const x = liveContribution(c, cmd.data.contributionId);
  return [{ type: 'ContributionWithdrawn', schemaVersion: 1, data: { contributionId: x.id, reason: prose(cmd.data.reason, 'reason') } }];
}

function close(cmd: CloseContract, state: ContractState): ContractEvent[] {
  open(state);
  return [{ type: 'ContractClosed', schemaVersion: 1, data: { reason: prose(cmd.data.reason, 'reason') } }];
}

/** Decides a command against the state of one contract stream: the events, or a DomainError. */
export function decide(command: ContractCommand, state: ContractState): ContractEvent[] {
  if (!command || typeof command !== 'object' || !('data' in command) || typeof command.data !== 'object' || command.data === null) {
    refuse('invalid-command', 'a command needs a type and a data object');
  }
  switch (command.type) {
    case 'RegisterContract':
      return register(command, state);
    case 'ChangeContractValue':
      return changeValue(command, state);
    case 'ChangeContractPeriod':
      return changePeriod(command, state);
    case 'MigrateCatalogue':
      return migrate(command, state);
    case 'RecordHire':
      return recordHire(command, state);
    case 'ChangePlacement':
      return changePlacement(command, state);
    case 'EndPlacement':
      return endPlacement(command, state);
    case 'RecordPurchase':
      return recordPurchase(command, state);
    case 'RecordKnowledgeSharing':
      return recordKnowledgeSharing(command, state);
    case 'RecordActivity':
      return recordActivity(command, state);
    case 'RecordAgreedValue':
      return recordAgreedValue(command, state);
    case 'RecordVerification':
      return recordVerification(command, state);
    case 'WithdrawContribution':
      return withdraw(command, state);
    case 'CloseContract':
      return close(command, state);
    default:
      return refuse('unknown-command', `unknown command type ${JSON.stringify((command as { type?: unknown }).type)}`);
  }
}

