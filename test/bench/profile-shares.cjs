#!/usr/bin/env node
/**
 * Reads a V8 CPU profile (`node --cpu-prof`, e.g. the service run by bench:api-pair with
 * PAIR_B_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof") and prints where the busy time went, idle
 * samples left out. A tool for finding what to measure, not a measurement: a profiled process is
 * slower, and a profile that makes it fall behind overstates the background work. Judge a change
 * in paired runs or a benchmark with a peer.
 *
 *   node test/bench/profile-shares.cjs timeline <profile> [bucketSeconds=10] [pattern]
 *       busy share per bucket, and the share whose stack matches `pattern` (to find the windows)
 *   node test/bench/profile-shares.cjs shares <profile> [fromS toS] [top=40]
 *       self time by function and by file, and inclusive time by function, between two offsets
 *   node test/bench/profile-shares.cjs under <profile> <fromS> <toS> <functionName> [top=30]
 *       inclusive time of the frames called (at any depth) under that function
 *
 * Shares are of the busy samples in the window (all samples in `timeline`).
 */
'use strict';
const fs = require('node:fs');

const [command, file, ...args] = process.argv.slice(2);
if (!['timeline', 'shares', 'under'].includes(command) || !file) {
  process.stderr.write('usage: profile-shares.cjs timeline|shares|under <profile> [...] (see the comment at the top)\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map();
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
const label = (f) => `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber}`;
const stackOf = (id) => {
  const frames = [];
  for (let at = id; at !== undefined; at = parents.get(at)) frames.push(nodes.get(at).callFrame);
  return frames;
};
const percent = (part, whole) => `${((100 * part) / whole).toFixed(1).padStart(5)}%`;
const top = (map, count, whole) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, n]) => `${percent(n, whole)}  ${key}`)
    .join('\n');
const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

/** Calls `visit(node, offsetSeconds)` for each sample. */
function eachSample(visit) {
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    visit(nodes.get(profile.samples[i]), (t - profile.startTime) / 1e6);
  }
}

if (command === 'timeline') {
  const bucket = Number(args[0] ?? 10);
  const pattern = args[1] === undefined ? null : new RegExp(args[1]);
  const matches = new Map();
  const matching = (id) => {
    if (!matches.has(id)) {
      const f = nodes.get(id).callFrame;
      matches.set(id, pattern.test(f.functionName) || pattern.test(f.url) || (parents.has(id) && matching(parents.get(id))));
    }
    return matches.get(id);
  };
  const rows = new Map();
  eachSample((node, offset) => {
    const k = Math.floor(offset / bucket);
    const row = rows.get(k) ?? { all: 0, idle: 0, matched: 0 };
    row.all++;
    if (node.callFrame.functionName === '(idle)') row.idle++;
    else if (pattern && matching(node.id)) row.matched++;
    rows.set(k, row);
  });
  for (const [k, r] of [...rows].sort((a, b) => a[0] - b[0])) {
    process.stdout.write(`${String(k * bucket).padStart(6)} s  samples ${String(r.all).padStart(6)}  busy ${percent(r.all - r.idle, r.all)}${pattern ? `  matching ${percent(r.matched, r.all)}` : ''}\n`);
  }
} else {
  const [from, to] = command === 'under' || args.length >= 2 ? [Number(args[0]), Number(args[1])] : [-Infinity, Infinity];
  const functionName = command === 'under' ? args[2] : undefined;
  if (command === 'under' && !functionName) throw new Error('under needs <fromS> <toS> <functionName>');
  const count = Number((command === 'under' ? args[3] : args.length >= 2 ? args[2] : args[0]) ?? (command === 'under' ? 30 : 40));
  const self = new Map();
  const byFile = new Map();
  const inclusive = new Map();
  let busy = 0;
  let under = 0;
  eachSample((node, offset) => {
    if (offset < from || offset > to || node.callFrame.functionName === '(idle)') return;
    busy++;
    const stack = stackOf(node.id);
    let frames = stack;
    if (functionName !== undefined) {
      const at = stack.findIndex((f) => f.functionName === functionName);
      if (at < 0) return;
      under++;
      frames = stack.slice(0, at);
    } else {
      add(self, label(node.callFrame));
      const url = node.callFrame.url;
      const where = !url
        ? node.callFrame.functionName
        : url.includes('node_modules/')
          ? url.replace(/.*node_modules\//, 'node_modules/').split('/').slice(0, 3).join('/')
          : url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
      add(byFile, where);
    }
    // each function once per sample, however often it recurs in the stack
    for (const key of new Set(frames.map(label))) add(inclusive, key);
  });
  if (functionName !== undefined) {
    process.stdout.write(`under ${functionName}: ${percent(under, busy)} of ${busy} busy samples\n${top(inclusive, count, busy)}\n`);
  } else {
    process.stdout.write(`${busy} busy samples\n\nself\n${top(self, count, busy)}\n\nself by file\n${top(byFile, count, busy)}\n\ninclusive\n${top(inclusive, count, busy)}\n`);
  }
}
