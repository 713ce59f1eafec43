/**
 * Speed of the name-based ids the integration publisher makes for every public event: the
 * service's `uuidv5` (one-shot `hash` of one buffer) against its peer in the same process, the
 * RFC's construction with a streaming Hash object (`createHash().update().update().digest()`, what
 * the service did before), on the same names, in alternating rounds. Not part of the tests.
 *
 *   npm run bench:ids
 */
import { createHash } from 'node:crypto';
// The service's own functions: an app is no library to import by scope, and this measures it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { INTEGRATION_EVENT_NAMESPACE, publicEventId } from '../../apps/api/src/integration/integration-mapper';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { uuidv5 } from '../../apps/api/src/platform/ids';

function streamingUuidv5(name: string, namespace: string): string {
  const b = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Names as the publisher makes them: `<source event id (UUIDv7)>/<index>`.
const names = Array.from({ length: 10_000 }, (_, i) => `0193a6c2-7d3e-7${(i % 4096).toString(16).padStart(3, '0')}-9c4e-${String(i).padStart(12, '0')}/${i % 2}`);
for (const name of names) {
  if (uuidv5(name, INTEGRATION_EVENT_NAMESPACE) !== streamingUuidv5(name, INTEGRATION_EVENT_NAMESPACE)) throw new Error(`the two differ for ${name}`);
}
if (publicEventId('x', 0) !== streamingUuidv5('x/0', INTEGRATION_EVENT_NAMESPACE)) throw new Error('publicEventId is not the UUIDv5 of <id>/<index>');

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 8);
const PER_ROUND = 200_000;
const contenders: [string, (name: string) => string][] = [
  ['uuidv5 (one-shot hash)', (name) => uuidv5(name, INTEGRATION_EVENT_NAMESPACE)],
  ['peer: streaming Hash object', (name) => streamingUuidv5(name, INTEGRATION_EVENT_NAMESPACE)],
];
const times = new Map<string, number[]>(contenders.map(([label]) => [label, []]));
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  // alternate the order, so that neither always runs first in a round
  for (const [label, make] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) sink += make(names[i % names.length]).length;
    times.get(label)?.push(Number(process.hrtime.bigint() - started) / PER_ROUND);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ours = median(times.get(contenders[0][0]) ?? []);
const peer = median(times.get(contenders[1][0]) ?? []);
console.log(`name-based ids (UUIDv5), ${ROUNDS} alternating rounds of ${PER_ROUND.toLocaleString('en')} ids, medians (checksum ${sink % 1000}):`);
console.log(`  ${contenders[0][0]}: ${ours.toFixed(0)} ns an id`);
console.log(`  ${contenders[1][0]}: ${peer.toFixed(0)} ns an id`);
console.log(`  ratio: ${(peer / ours).toFixed(2)}x the peer's speed`);
