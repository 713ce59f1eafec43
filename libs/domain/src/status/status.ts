/** Bitemporal status, the audit view and replay, over a recorded history. */
import { assertDate, type CalendarDate } from '../shared/dates';
import { refuse } from '../shared/errors';
import { instantKey } from '../shared/instants';
import type { BlockCategory } from '../catalogues/types';
import type { ContractEvent, RecordedEvent } from '../contract/events';
import { evolve, fold } from '../contract/evolve';
import { initialState, isRegistered, type ContractState } from '../contract/state';
import { figuresOf, type ContractStatus } from './figures';

export interface StatusQuery {
  /** the date the world is seen at (D) */
  readonly asOf: CalendarDate;
  /** the instant up to which recorded events are believed (T); events recorded later are ignored */
  readonly knownAt: string;
}

/** The events of `history` recorded at or before `knownAt`, in stream order. */
export function knownAt(history: readonly RecordedEvent[], instant: string): ContractEvent[] {
  const [ks, kn] = instantKey(instant);
  const out: ContractEvent[] = [];
  for (const e of history) {
    // compareInstants(e.recordedAt, instant) <= 0, with the key of `instant` read once
    const [s, n] = instantKey(e.recordedAt);
    if (s < ks || (s === ks && n <= kn)) out.push(e.event);
  }
  return out;
}

/** The state folded from the events recorded at or before `instant`. */
export function stateKnownAt(history: readonly RecordedEvent[], instant: string): ContractState {
  return fold(knownAt(history, instant));
}

/**
 * Status of a contract on date `asOf` as known at instant `knownAt` (RULES.md, bitemporal).
 * Throws `contract-not-registered` when no registration was recorded by `knownAt`.
 */
export function statusOf(history: readonly RecordedEvent[], query: StatusQuery): ContractStatus {
  assertDate(query.asOf, 'asOf');
  const state = stateKnownAt(history, query.knownAt);
  if (!isRegistered(state)) refuse('contract-not-registered', `no contract registration was recorded at or before ${query.knownAt}`);
  return figuresOf(state, query.asOf, query.knownAt);
}

export interface Totals {
  readonly obligationCents: number;
  readonly realisedCents: number;
  readonly committedCents: number;
  readonly verifiedCents: number;
  readonly awaitingAgreement: number;
}

export interface AuditLine {
  readonly catalogueId: string;
  readonly version: string;
  readonly blockCode: string;
  readonly category: BlockCategory;
  readonly realisedCents: number;
  readonly committedCents: number;
  readonly verifiedCents: number;
  readonly awaitingAgreement: number;
}

export interface AuditEntry {
  /** index in the history (0-based) */
  readonly index: number;
  readonly revision: number;
  readonly position?: string;
  readonly recordedAt: string;
  readonly type: ContractEvent['type'];
  readonly event: ContractEvent;
  readonly before: Totals;
  readonly after: Totals;
  /** after − before, per total */
  readonly effect: Totals;
  /** the effect per catalogue version and block (non-zero lines only) */
  readonly lines: readonly AuditLine[];
  /** the catalogue version in force on asOf after the event */
  readonly catalogue: { readonly id: string; readonly version: string } | null;
}

export interface AuditOptions {
  /** the date the figures are seen at; defaults to the contract end date at the end of the history */
  readonly asOf?: CalendarDate;
}

const ZERO_TOTALS: Totals = { obligationCents: 0, realisedCents: 0, committedCents: 0, verifiedCents: 0, awaitingAgreement: 0 };

const totalsOf = (s: ContractStatus | null): Totals =>
  s
    ? { obligationCents: s.obligationCents, realisedCents: s.realisedCents, committedCents: s.committedCents, verifiedCents: s.verifiedCents, awaitingAgreement: s.awaitingAgreement }
    : ZERO_TOTALS;

const diffTotals = (a: Totals, b: Totals): Totals => ({
  obligationCents: b.obligationCents - a.obligationCents,
  realisedCents: b.realisedCents - a.realisedCents,
  committedCents: b.committedCents - a.committedCents,
  verifiedCents: b.verifiedCents - a.verifiedCents,
  awaitingAgreement: b.awaitingAgreement - a.awaitingAgreement,
});

function lineDiff(before: ContractStatus | null, after: ContractStatus | null): AuditLine[] {
  const m = new Map<string, AuditLine>();
  const key = (l: AuditLine) => `${l.catalogueId}\u0000${l.version}\u0000${l.blockCode}\u0000${l.category}`;
  const put = (s: ContractStatus | null, sign: 1 | -1) => {
    for (const b of s?.byBlock ?? []) {
      const k = key(b);
      const cur = m.get(k) ?? { catalogueId: b.catalogueId, version: b.version, blockCode: b.blockCode, category: b.category, realisedCents: 0, committedCents: 0, verifiedCents: 0, awaitingAgreement: 0 };
      m.set(k, {
        ...cur,
        realisedCents: cur.realisedCents + sign * b.realisedCents,
        committedCents: cur.committedCents + sign * b.committedCents,
        verifiedCents: cur.verifiedCents + sign * b.verifiedCents,
        awaitingAgreement: cur.awaitingAgreement + sign * b.awaitingAgreement,
      });
    }
  };
  put(after, 1);
  put(before, -1);
  return [...m.values()].filter((l) => l.realisedCents !== 0 || l.committedCents !== 0 || l.verifiedCents !== 0 || l.awaitingAgreement !== 0);
}

function defaultAsOf(history: readonly RecordedEvent[]): CalendarDate {
  const s = fold(history.map((e) => e.event));
  if (!isRegistered(s)) refuse('contract-not-registered', 'the history holds no contract registration');
  return s.endDate;
}

/**
 * The audit view: for every event of `history`, in order, what it changed in each total and in
 * each block line as seen on `asOf` (the valuation effect). Each step folds the history up to
 * and including that event, so it shows what a migration or a withdrawal did, line by line.
 */
export function audit(history: readonly RecordedEvent[], options: AuditOptions = {}): AuditEntry[] {
  const asOf = options.asOf ?? defaultAsOf(history);
  assertDate(asOf, 'asOf');
  const out: AuditEntry[] = [];
  let state: ContractState = initialState;
  let before: ContractStatus | null = null;
  history.forEach((rec, index) => {
    state = evolve(state, rec.event);
    const after = isRegistered(state) ? figuresOf(state, asOf, rec.recordedAt) : null;
    out.push({
      index,
      revision: rec.revision ?? index,
      ...(rec.position !== undefined ? { position: rec.position } : {}),
      recordedAt: rec.recordedAt,
      type: rec.event.type,
      event: rec.event,
      before: totalsOf(before),
      after: totalsOf(after),
      effect: diffTotals(totalsOf(before), totalsOf(after)),
      lines: lineDiff(before, after),
      catalogue: after ? after.catalogue : null,
    });
    before = after;
  });
  return out;
}

export interface ReplayStep {
  readonly index: number;
  readonly revision: number;
  readonly recordedAt: string;
  readonly event: ContractEvent;
  /** the state after this event */
  readonly state: ContractState;
  /** the figures on asOf after this event (null before the registration) */
  readonly status: ContractStatus | null;
}

export interface ReplayResult {
  readonly state: ContractState;
  readonly steps: readonly ReplayStep[];
}

/**
 * Replays `history` up to and including revision `toRevision` (all of it when omitted), giving
 * the state and the figures on `asOf` (default: the contract end date) after each event.
 */
export function replay(history: readonly RecordedEvent[], toRevision?: number, options: AuditOptions = {}): ReplayResult {
  const upTo = history.filter((r, i) => toRevision === undefined || (r.revision ?? i) <= toRevision);
  const asOf = options.asOf ?? (upTo.length > 0 ? defaultAsOfOrNull(upTo) : null);
  let state: ContractState = initialState;
  const steps: ReplayStep[] = upTo.map((rec, index) => {
    state = evolve(state, rec.event);
    const status = isRegistered(state) && asOf ? figuresOf(state, asOf, rec.recordedAt) : null;
    return { index, revision: rec.revision ?? index, recordedAt: rec.recordedAt, event: rec.event, state, status };
  });
  return { state, steps };
}

function defaultAsOfOrNull(history: readonly RecordedEvent[]): CalendarDate | null {
  const s = fold(history.map((e) => e.event));
  return isRegistered(s) ? s.endDate : null;
}
