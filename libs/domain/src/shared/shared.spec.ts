import { addDays, addMonths, compareDates, daysInclusive, endOfMonthsPeriod, fromDayNumber, isValidDate, toDayNumber } from './dates';
import { compareInstants, isValidInstant } from './instants';
import { allocate, parseScaledDecimal, rat, roundHalfUp } from './rational';
import { basisPointsToPercentage, obligationCents, percentageToBasisPoints } from './money';
import { DomainError } from './errors';

describe('calendar dates', () => {
  it('validates real dates only', () => {
    expect(isValidDate('2024-02-29')).toBe(true);
    expect(isValidDate('2023-02-29')).toBe(false);
    expect(isValidDate('2023-13-01')).toBe(false);
    expect(isValidDate('2023-1-01')).toBe(false);
    expect(isValidDate(20230101)).toBe(false);
  });
  it('round-trips day numbers', () => {
    expect(toDayNumber('1970-01-01')).toBe(0);
    for (const d of ['1900-03-01', '2000-02-29', '2023-12-31', '2100-01-01']) expect(fromDayNumber(toDayNumber(d))).toBe(d);
  });
  it('adds days and months, clamping to the end of the month', () => {
    expect(addDays('2023-12-31', 1)).toBe('2024-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addMonths('2023-01-01', -12)).toBe('2022-01-01');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
  });
  it('counts days inclusively', () => {
    expect(daysInclusive('2023-01-01', '2023-06-30')).toBe(181);
    expect(daysInclusive('2024-01-01', '2024-12-31')).toBe(366);
    expect(daysInclusive('2024-01-02', '2024-01-01')).toBe(0);
    expect(compareDates('2023-01-02', '2023-01-10')).toBe(-1);
  });
  it('ends an N-month period the day before the same calendar day N months later', () => {
    expect(endOfMonthsPeriod('2023-07-01', 12)).toBe('2024-06-30');
    expect(endOfMonthsPeriod('2023-03-15', 1)).toBe('2023-04-14');
    expect(endOfMonthsPeriod('2023-01-31', 1)).toBe('2023-02-28');
  });
});

describe('instants', () => {
  it('compares ISO UTC instants of different precision exactly', () => {
    expect(compareInstants('2024-01-01T10:00:00Z', '2024-01-01T10:00:00.000Z')).toBe(0);
    expect(compareInstants('2024-01-01T10:00:00.0000001Z', '2024-01-01T10:00:00Z')).toBe(1);
    expect(compareInstants('2023-12-31T23:59:59.999Z', '2024-01-01T00:00:00Z')).toBe(-1);
    expect(isValidInstant('2024-01-01T10:00:00+01:00')).toBe(false);
    expect(isValidInstant('2024-02-30T10:00:00Z')).toBe(false);
  });
});

describe('exact arithmetic', () => {
  it('rounds half up', () => {
    expect(roundHalfUp(rat(5, 2))).toBe(3n);
    expect(roundHalfUp(rat(249, 100))).toBe(2n);
    expect(roundHalfUp(rat(-5, 2))).toBe(-2n);
  });
  it('allocates a rounded total over parts by largest remainder', () => {
    expect(allocate(10n, [rat(10, 3), rat(10, 3), rat(10, 3)])).toEqual([4n, 3n, 3n]);
    expect(allocate(3n, [rat(3, 2), rat(3, 2)])).toEqual([2n, 1n]);
  });
  it('parses decimals exactly', () => {
    expect(parseScaledDecimal(2.5, 2)).toBe(250n);
    expect(parseScaledDecimal('7.25', 2)).toBe(725n);
    expect(parseScaledDecimal(0.125, 2)).toBeUndefined();
    expect(parseScaledDecimal(-1, 2)).toBeUndefined();
  });
});

describe('money', () => {
  it('keeps percentages as basis points', () => {
    expect(percentageToBasisPoints(5)).toBe(500);
    expect(percentageToBasisPoints(2.5)).toBe(250);
    expect(percentageToBasisPoints('7.25')).toBe(725);
    expect(basisPointsToPercentage(725)).toBe('7.25');
    expect(basisPointsToPercentage(250)).toBe('2.5');
    for (const bad of [0, 2.555, -1, 101, 'five', NaN]) expect(() => percentageToBasisPoints(bad as number)).toThrow(DomainError);
  });
  it('computes the obligation rounded half up', () => {
    expect(obligationCents(100_000_000, 500)).toBe(5_000_000);
    expect(obligationCents(12_345, 250)).toBe(309); // 308.625
    expect(obligationCents(Number.MAX_SAFE_INTEGER, 725)).toBe(653_021_945_968_722); // no float overflow
  });
});
