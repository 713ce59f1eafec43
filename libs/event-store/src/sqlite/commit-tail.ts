import type { EventRow } from './stored-event';

/**
 * The events one connection committed last, as the rows a read of the log would give, for the
 * subscriptions at the head. After each commit every such subscription asks for the events after
 * the position it has reached, which are the ones just committed: the store hands them from here
 * instead of reading them back from the file (those reads took ~5 % of the service's event loop
 * at 2,000 hires a second).
 *
 * Only an unbroken run of positions is kept. Positions are integers, so a run from p + 1 to q
 * holds every event of the log in (p, q], whoever else writes to the file. A commit of another
 * connection, thread or process shows as a gap: the tail then starts over, and a subscription it
 * does not cover reads the file as before. It never answers "nothing new" either: a subscription
 * at its end reads the file, where another writer's later commits are.
 *
 * Rows are dropped once every subscription has asked past them (kept longer, they would survive
 * the young generation's collections and be copied to the old one), and beyond `max` rows.
 */
export class CommitTail {
  private rows: EventRow[] = [];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.rows.length;
  }

  /** A commit's events, in position order; one that does not follow the last row starts the tail over. */
  add(rows: readonly EventRow[]): void {
    for (const row of rows) {
      const n = this.rows.length;
      if (n > 0 && row[0] !== this.rows[n - 1][0] + 1n) this.rows = [];
      this.rows.push(row);
    }
    if (this.rows.length > this.max) this.rows = this.rows.slice(this.rows.length - this.max);
  }

  /**
   * Up to `limit` rows after `after`, when the tail holds the event that follows `after`; else
   * undefined (the caller reads the file).
   */
  after(after: bigint, limit: number): EventRow[] | undefined {
    const n = this.rows.length;
    if (n === 0 || limit <= 0) return undefined;
    const first = this.rows[0][0];
    if (after < first - 1n || after >= this.rows[n - 1][0]) return undefined;
    const from = Number(after - first + 1n);
    return this.rows.slice(from, from + limit);
  }

  /** Drops the rows at or before `position`: every subscription has asked for what follows them. */
  dropThrough(position: bigint): void {
    const n = this.rows.length;
    if (n === 0 || this.rows[0][0] > position) return;
    // Copied rather than spliced in place: what is left is a commit or two.
    this.rows = position >= this.rows[n - 1][0] ? [] : this.rows.slice(Number(position - this.rows[0][0] + 1n));
  }

  clear(): void {
    this.rows = [];
  }
}
