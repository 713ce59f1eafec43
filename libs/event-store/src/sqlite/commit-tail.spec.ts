import { CommitTail } from './commit-tail';
import type { EventRow } from './stored-event';

const row = (position: number): EventRow => [BigInt(position), `s-${position}`, 0n, `id-${position}`, 'T', '{}', '{}', '2026-12-03T00:00:00.000Z'];
const positions = (rows: EventRow[] | undefined) => rows?.map((r) => Number(r[0]));

describe('CommitTail', () => {
  it('answers the rows after a position only while it holds the event that follows it', () => {
    const tail = new CommitTail(100);
    tail.add([row(5), row(6), row(7)]);
    expect(positions(tail.after(4n, 10))).toEqual([5, 6, 7]);
    expect(positions(tail.after(5n, 1))).toEqual([6]);
    expect(positions(tail.after(6n, 10))).toEqual([7]);
    // before the run (3 is not held: 4 may be anywhere) and at or past its end: read the file
    expect(tail.after(3n, 10)).toBeUndefined();
    expect(tail.after(7n, 10)).toBeUndefined();
    expect(tail.after(9n, 10)).toBeUndefined();
    expect(tail.after(4n, 0)).toBeUndefined();
  });

  it('starts over at a commit that does not follow its last row (another writer committed between)', () => {
    const tail = new CommitTail(100);
    tail.add([row(1), row(2)]);
    tail.add([row(4), row(5)]);
    expect(tail.size).toBe(2);
    expect(tail.after(1n, 10)).toBeUndefined();
    expect(tail.after(2n, 10)).toBeUndefined();
    expect(positions(tail.after(3n, 10))).toEqual([4, 5]);
    // a gap inside one commit's rows as well
    tail.add([row(6), row(8)]);
    expect(positions(tail.after(7n, 10))).toEqual([8]);
    expect(tail.after(5n, 10)).toBeUndefined();
  });

  it('drops the rows every reader has passed, and keeps at most its maximum', () => {
    const tail = new CommitTail(4);
    tail.add([row(1), row(2), row(3)]);
    tail.dropThrough(0n);
    expect(tail.size).toBe(3);
    tail.dropThrough(2n);
    expect(positions(tail.after(2n, 10))).toEqual([3]);
    tail.dropThrough(3n);
    expect(tail.size).toBe(0);
    tail.add([row(4), row(5), row(6), row(7), row(8), row(9)]);
    expect(tail.size).toBe(4);
    expect(tail.after(4n, 10)).toBeUndefined();
    expect(positions(tail.after(5n, 10))).toEqual([6, 7, 8, 9]);
    tail.dropThrough(100n);
    expect(tail.size).toBe(0);
  });
});
