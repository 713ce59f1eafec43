// Loaded into the benchmarked service (`node -r`), never into the shipped one: how long the
// service itself held each request (from Node's 'request' event, the head parsed, to the answer's
// last byte handed to the socket) and how late its event loop ran, so that a benchmark can tell
// the service's share of a latency from the time the request spent in the load generator and the
// kernel. Plain CommonJS: the service runs as a webpack bundle, without a TypeScript loader.
//
// SIGUSR2 toggles it: the first signal starts a measurement, the second prints one line
// `SERVICE_LATENCY {"requests":n,"p50":ms,"p99":ms,"max":ms,"loopDelayP99":ms,"loopDelayMax":ms}`
// on stdout and stops. The service itself does not listen to SIGUSR2 (it stops on SIGTERM/SIGINT).
'use strict';
const http = require('node:http');
const { createHistogram, monitorEventLoopDelay } = require('node:perf_hooks');

let requests;
let loop;

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

process.on('SIGUSR2', () => {
  if (requests === undefined) {
    requests = createHistogram();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
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
  };
  requests = undefined;
  loop = undefined;
  process.stdout.write(`SERVICE_LATENCY ${JSON.stringify(figures)}\n`);
});
