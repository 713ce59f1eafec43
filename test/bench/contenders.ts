/**
 * The two engines the event store benchmark compares, behind one small interface so that the
 * harness drives both the same way: our `SqliteEventStore` (better-sqlite3, synchronous) and
 * emmett-sqlite (node-sqlite3, asynchronous), each on its own file.
 */
import {
  appendToStream as emmettAppendToStream,
  getSQLiteEventStore,
  readMessagesBatch,
  sqliteConnection,
  type SQLiteConnection,
  type SQLiteEventStore as EmmettSQLiteEventStore,
} from '@event-driven-io/emmett-sqlite';
import { SqliteEventStore, type EventData, type JsonObject } from '@sroi/event-store';

/** A small event, as the harness hands it to either engine. */
export interface BenchEvent {
  type: string;
  data: { contractId: string; hours: number; valueCents: number };
  metadata: JsonObject;
}

/** What the harness learns of an engine's durability settings, read back from its connection. */
export interface DurabilityReport {
  sqliteVersion: string;
  /** SQLITE_DEFAULT_SYNCHRONOUS / SQLITE_DEFAULT_WAL_SYNCHRONOUS the library was compiled with. */
  compiledDefaults: string;
  journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  notes: string;
}

export interface Contender {
  readonly label: string;
  /**
   * Appends `events` to `streamId`, which holds `eventsInStream` events already; the engine turns
   * that into its own expected-revision form (an exact revision, or "no stream" when 0), as an
   * application tracking its streams would, and checks the revision it gets back.
   */
  append(streamId: string, events: BenchEvent[], eventsInStream: number): Promise<void>;
  /** Reads the whole global log ($all) in order; returns how many events it saw. */
  readAll(): Promise<number>;
  durability(): Promise<DurabilityReport>;
  close(): Promise<void>;
}

const SYNCHRONOUS_FULL = 2;

/** Our engine at its defaults (WAL, synchronous=FULL). */
export class OursContender implements Contender {
  readonly label = 'ours (SqliteEventStore, better-sqlite3)';
  private readonly store: SqliteEventStore;

  constructor(private readonly file: string) {
    this.store = new SqliteEventStore({ path: file });
  }

  async append(streamId: string, events: BenchEvent[], eventsInStream: number): Promise<void> {
    const result = await this.store.appendToStream(streamId, events as EventData[], {
      expectedRevision: eventsInStream === 0 ? 'no_stream' : BigInt(eventsInStream - 1),
    });
    if (result.nextExpectedRevision !== BigInt(eventsInStream + events.length - 1)) {
      throw new Error(`ours: ${streamId} is at revision ${result.nextExpectedRevision}, not ${eventsInStream + events.length - 1}`);
    }
  }

  async readAll(): Promise<number> {
    let count = 0;
    let previous = 0n;
    for await (const event of this.store.readAll()) {
      if (event.position <= previous) throw new Error(`ours: $all is out of order at position ${event.position}`);
      previous = event.position;
      count++;
    }
    return count;
  }

  async durability(): Promise<DurabilityReport> {
    // journal_mode is a property of the file: any connection reads it back.
    const Database = (await import('better-sqlite3')).default;
    const probe = new Database(this.file, { readonly: true });
    try {
      const options = (probe.pragma('compile_options') as { compile_options: string }[]).map((row) => row.compile_options);
      return {
        sqliteVersion: String(probe.prepare('SELECT sqlite_version()').pluck().get()),
        compiledDefaults: synchronousDefaults(options),
        journalMode: String(probe.pragma('journal_mode', { simple: true })),
        synchronous: this.store.synchronousMode(),
        notes: 'SqliteEventStore sets journal_mode=WAL and synchronous=FULL by default',
      };
    } finally {
      probe.close();
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** emmett-sqlite's stream version counts events (0 = no stream); ours is the 0-based last revision. */
function emmettExpected(eventsInStream: number): bigint {
  return BigInt(eventsInStream);
}

/** `sqlite3.Database#run` is asynchronous; the connection helper wraps it in a promise. */
async function pragma(connection: SQLiteConnection, name: string): Promise<string> {
  const row = await connection.querySingle<Record<string, unknown>>(`PRAGMA ${name}`);
  return row ? String(Object.values(row)[0]) : '';
}

function synchronousDefaults(compileOptions: string[]): string {
  const pick = (name: string) => compileOptions.find((option) => option.startsWith(`${name}=`)) ?? `${name} unset`;
  return `${pick('DEFAULT_SYNCHRONOUS')}, ${pick('DEFAULT_WAL_SYNCHRONOUS')}`;
}

async function peerReport(connection: SQLiteConnection, notes: string): Promise<DurabilityReport> {
  const options = await connection.query<{ compile_options: string }>('PRAGMA compile_options');
  const version = await connection.querySingle<{ v: string }>('SELECT sqlite_version() AS v');
  return {
    sqliteVersion: version?.v ?? '?',
    compiledDefaults: synchronousDefaults(options.map((row) => row.compile_options)),
    journalMode: await pragma(connection, 'journal_mode'),
    synchronous: Number(await pragma(connection, 'synchronous')),
    notes,
  };
}

/**
 * emmett-sqlite 0.38.5 on one long-lived connection (the default peer mode).
 *
 * Its `getSQLiteEventStore` facade opens a new sqlite3 connection for every operation on a file
 * database and closes it afterwards, which leaves no connection to set a PRAGMA on and pays an
 * open/close per append. The package also exports the functions the facade calls —
 * `sqliteConnection`, `appendToStream(connection, …)` and `readMessagesBatch(connection, …)`
 * (its global-position reader, the only public way to read the whole log: 0.38.5 has no $all
 * iterator, and its consumer API adds a checkpoint write per message and a ≥50 ms poll between
 * batches) — so this mode keeps one connection open, puts it in WAL with synchronous=FULL, and
 * calls those. That is the fastest durable way to use the package, hence the fairest peer.
 */
export class EmmettConnectionContender implements Contender {
  readonly label = 'peer (emmett-sqlite 0.38.5, node-sqlite3, one connection)';
  private connection: SQLiteConnection | undefined;

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<EmmettConnectionContender> {
    const contender = new EmmettConnectionContender(file);
    // sqliteConnection itself issues `PRAGMA journal_mode = WAL` (without waiting for it).
    const connection = sqliteConnection({ fileName: file });
    contender.connection = connection;
    await connection.command('PRAGMA journal_mode = WAL');
    await connection.command('PRAGMA synchronous = FULL');
    // What getSQLiteEventStore does on first use: create the tables when missing.
    const { createEventStoreSchema } = await import('@event-driven-io/emmett-sqlite');
    await createEventStoreSchema(connection);
    return contender;
  }

  private get db(): SQLiteConnection {
    if (!this.connection) throw new Error('emmett connection is closed');
    return this.connection;
  }

  async append(streamId: string, events: BenchEvent[], eventsInStream: number): Promise<void> {
    const streamType = streamId.split('-')[0];
    const result = await emmettAppendToStream(this.db, streamId, streamType, events, {
      expectedStreamVersion: emmettExpected(eventsInStream),
    });
    if (!result.success) throw new Error(`peer: append to ${streamId} failed its expected version ${eventsInStream}`);
    if (result.nextStreamPosition !== BigInt(eventsInStream + events.length)) {
      throw new Error(`peer: ${streamId} is at version ${result.nextStreamPosition}, not ${eventsInStream + events.length}`);
    }
  }

  async readAll(): Promise<number> {
    return readAllThroughBatches(this.db);
  }

  async durability(): Promise<DurabilityReport> {
    return peerReport(
      this.db,
      "emmett's sqliteConnection sets only journal_mode=WAL; the bench also sets synchronous=FULL on the connection",
    );
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    connection.close();
    // SQLiteConnection.close does not wait: give node-sqlite3 a moment to finish closing the file.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * emmett-sqlite 0.38.5 through its public facade, `getSQLiteEventStore({ fileName })`, exactly as
 * its documentation shows (BENCH_PEER=facade). Each append opens and closes a connection; no
 * PRAGMA can be set on it, so it runs at node-sqlite3's compiled default, which is FULL. The log
 * is read with `readMessagesBatch` on a separate connection, the facade having no $all read.
 */
export class EmmettFacadeContender implements Contender {
  readonly label = 'peer (emmett-sqlite 0.38.5, getSQLiteEventStore facade)';
  private readonly store: EmmettSQLiteEventStore;

  constructor(private readonly file: string) {
    this.store = getSQLiteEventStore({ fileName: file });
  }

  async append(streamId: string, events: BenchEvent[], eventsInStream: number): Promise<void> {
    const result = await this.store.appendToStream(streamId, events, {
      expectedStreamVersion: emmettExpected(eventsInStream),
    });
    if (result.nextExpectedStreamVersion !== BigInt(eventsInStream + events.length)) {
      throw new Error(`peer: ${streamId} is at version ${result.nextExpectedStreamVersion}`);
    }
  }

  async readAll(): Promise<number> {
    const connection = sqliteConnection({ fileName: this.file });
    try {
      return await readAllThroughBatches(connection);
    } finally {
      connection.close();
    }
  }

  async durability(): Promise<DurabilityReport> {
    const connection = sqliteConnection({ fileName: this.file });
    try {
      return await peerReport(
        connection,
        'a fresh connection per operation, at the compiled defaults (read back on a probe connection)',
      );
    } finally {
      connection.close();
    }
  }

  async close(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Peer's $all: `readMessagesBatch` page after page, in global-position order. */
async function readAllThroughBatches(connection: SQLiteConnection, batchSize = 1000): Promise<number> {
  let after = 0n;
  let count = 0;
  for (;;) {
    const batch = await readMessagesBatch(connection, { after, batchSize });
    for (const message of batch.messages) {
      if (message.metadata.globalPosition <= after) {
        throw new Error(`peer: $all is out of order at position ${message.metadata.globalPosition}`);
      }
      after = message.metadata.globalPosition;
      count++;
    }
    if (!batch.areEventsLeft) return count;
  }
}

export function isDurable(report: DurabilityReport): boolean {
  return report.journalMode.toLowerCase() === 'wal' && report.synchronous >= SYNCHRONOUS_FULL;
}
