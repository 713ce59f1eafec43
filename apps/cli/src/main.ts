import { eventStoreConfigFromEnv, openEventStore } from '@sroi/event-store';
import { reportStore } from './store-report';

const USAGE = `Usage: sroi-ledger <command>

Commands:
  info    open the event store (EVENTSTORE_CONNECTION_STRING, or SQLite in SROI_DATA_DIR,
          default ./data) and report what it holds`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command !== 'info') {
    process.stderr.write(`${command ? `Unknown command '${command}'.\n` : ''}${USAGE}\n`);
    return 2;
  }
  const config = eventStoreConfigFromEnv();
  const store = await openEventStore(config);
  try {
    const where = config.engine === 'sqlite' ? config.path : config.connectionString.replace(/\/\/[^@/]*@/, '//***@');
    const report = await reportStore(store);
    process.stdout.write(`sroi-ledger event store (${report.engine}) at ${where}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`sroi-ledger: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
