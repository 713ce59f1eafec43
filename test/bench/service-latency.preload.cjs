// Loaded into the benchmarked service (`node -r`), never into the shipped one: how long the
// service itself held each request (from Node's 'request' event, the head parsed, to the answer's
// last byte handed to the socket) and how late its event loop ran, so that a benchmark can tell
// the service's share of a latency from the time the request spent in the load generator and the
// kernel. Plain CommonJS: the service runs as a webpack bundle, without a TypeScript loader.
//
// It also subscribes to the event store's diagnostics channels (libs/event-store, diagnostics.ts):
// how long each append waited for its durable commit (the queue, the commit, and any finishing WAL
// checkpoint ahead of it), and each finishing checkpoint's time.
//
// SIGUSR2 toggles it: the first signal starts a measurement, the second prints one line
// `SERVICE_LATENCY {"requests":n,"p50":ms,"p99":ms,"max":ms,"loopDelayP99":ms,"loopDelayMax":ms,
// "appends":n,"appendWaitP50":ms,"appendWaitP99":ms,"appendWaitMax":ms,"finishes":n,
// "finishesComplete":n,"finishP50":ms,"finishMax":ms,"finishTotal":ms}`
// on stdout and stops. The service itself does not listen to SIGUSR2 (it stops on SIGTERM/SIGINT).
'use strict';
const http = require('node:http');
const { subscribe } = require('node:diagnostics_channel');
const { createHistogram, monitorEventLoopDelay } = require('node:perf_hooks');

let requests;
let loop;
let appendWaits;
let finishes;

// The channels' names as libs/event-store/src/sqlite/diagnostics.ts gives them.
subscribe('sroi:event-store:commit', (message) => {
  if (appendWaits === undefined) return;
  for (const wait of message.waitsMs) appendWaits.record(Math.max(1, Math.round(wait * 1e6)));
});
subscribe('sroi:event-store:finishing-checkpoint', (message) => {
  if (finishes !== undefined) finishes.push(message);
});

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (name, ...args) {
  if (name === 'request' && requests !== undefined) {
    const response = args[1];
    const started = process.hrtime.bigint();
    const histogram = requests;
    response.once('finish', () => histogram.record(Math.max(1, Number(process.hrtime.bigint() - started))));
  }
  return emit.call(this, name, ...args);
};

const ms = (nanoseconds) => Math.round(nanoseconds / 1e5) / 10;
const round1 = (milliseconds) => Math.round(milliseconds * 10) / 10;

process.on('SIGUSR2', () => {
  if (requests === undefined) {
    requests = createHistogram();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    appendWaits = createHistogram();
    finishes = [];
    return;
  }
  loop.disable();
  const figures = {
    requests: requests.count,
    p50: ms(requests.percentile(50)),
    p99: ms(requests.percentile(99)),
    max: ms(requests.max),
    loopDelayP99: ms(loop.percentile(99)),
    loopDelayMax: ms(loop.max),
    appends: appendWaits.count,
    appendWaitP50: ms(appendWaits.percentile(50)),
    appendWaitP99: ms(appendWaits.percentile(99)),
    appendWaitMax: ms(appendWaits.max),
    finishes: finishes.length,
    finishesComplete: finishes.filter((f) => f.complete).length,
    finishP50: finishes.length === 0 ? 0 : round1(finishes.map((f) => f.durationMs).sort((a, b) => a - b)[Math.floor(finishes.length / 2)]),
    finishMax: round1(Math.max(0, ...finishes.map((f) => f.durationMs))),
    finishTotal: round1(finishes.reduce((sum, f) => sum + f.durationMs, 0)),
  };
  requests = undefined;
  loop = undefined;
  appendWaits = undefined;
  finishes = undefined;
  process.stdout.write(`SERVICE_LATENCY ${JSON.stringify(figures)}\n`);
});
