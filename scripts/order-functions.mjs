// Names the wasm's functions in an order that compresses better, for
// `wasm-opt --reorder-functions-by-name` (scripts/build.sh) to sort the
// code section by.
//
//   node scripts/order-functions.mjs <in.wasm> <out.wasm> <wasm-opt> [feature flags...]
//
// Why: gzip finds repeats only within its last 32 KB, and best among what it
// saw just before. rustc lays functions out roughly by crate and module, so
// a function often sits far from the ones whose code it resembles (the drop
// glue of one type beside a JSON writer, say). Putting each function after
// the ones it resembles took 925 B off the shipped wasm's gzip on
// December 5 (59,570 -> 58,645 B), with no change to any function. The
// order matters: wasm-opt's own --reorder-functions (most-called first, for
// short call indices) made the same build's gzip 1.3 KB larger.
//
// How: greedily, from a first function, the next one is the function left
// whose body deflates best, relative to its size alone, with the last
// WINDOW bytes laid out as the dictionary. A small window won over gzip's
// full 32 KB (shipped wasm, at -ocimfs=40, with 1 KB: 59,293 B; 2 KB:
// 59,221; 4 KB: 59,281; 8 KB: 59,440): deflate codes a near match in fewer
// bits. The search
// deflates each pair once per step, about 800 x 800 / 2 small bodies: a
// few seconds.
//
// Where the greedy path starts changes its end by a few hundred bytes of
// gzip (eight starts spread over the functions gave 58,636 to 58,862 B on
// December 5), so it starts from STARTS places, two at a time in worker
// threads, and keeps the layout that packs smallest in the form the
// script-tag bundle downloads (scripts/pack-wasm.mjs: the code as streams,
// packed by unpack/'s packer; the budget's measure). The order helped
// LZMA too, when the module travelled as LZMA: without it the module
// packed 723 B larger on December 5's ninth session, and picking by LZMA
// rather than by gzip -9, from eight starts rather than four, took 57 B
// more off (43,992 -> 43,935 B).
//
// Only the name section changes before wasm-opt: it is replaced by names
// `f00000`, `f00001`, ... in the chosen order, which wasm-opt sorts the code
// section by and then strips.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { deflateRawSync } from 'node:zlib';

import { packImage, splitCode } from './pack-wasm.mjs';
import { leb as readLeb, lebBytes as leb, readWasm } from './wasm-sizes.mjs';

const WINDOW = 2048;
// Where the greedy path starts, as fractions of the function count.
const STARTS = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875];

/** The sections to keep (all but the name section), the count of imported functions, and the function bodies. */
function parse(bytes) {
  const { imports, functions } = readWasm(bytes);
  // readWasm's bodies start with their length; the search compares code.
  const bodies = functions.map(({ body }) => body.subarray(readLeb(body, 0)[1]));
  const kept = [];
  let offset = 8;
  while (offset < bytes.length) {
    const start = offset;
    const id = bytes[offset++];
    let size;
    [size, offset] = readLeb(bytes, offset);
    const end = offset + size;
    const [length, at] = id === 0 ? readLeb(bytes, offset) : [0, offset];
    if (id !== 0 || Buffer.from(bytes.subarray(at, at + length)).toString() !== 'name') kept.push(bytes.subarray(start, end));
    offset = end;
  }
  return { kept, importedFunctions: imports, bodies };
}

/** Body indices in the order to lay them out, the path starting at body `first`. */
function gzipFriendlyOrder(bodies, first) {
  const alone = bodies.map((body) => deflateRawSync(body, { level: 9 }).length);
  const placed = new Uint8Array(bodies.length);
  const order = [first];
  placed[first] = 1;
  let tail = Buffer.from(bodies[first]);
  for (let step = 1; step < bodies.length; step++) {
    const dictionary = tail.subarray(Math.max(0, tail.length - WINDOW));
    let best = -1;
    let bestSaving = -Infinity;
    for (let candidate = 0; candidate < bodies.length; candidate++) {
      if (placed[candidate]) continue;
      const after = deflateRawSync(bodies[candidate], { level: 9, dictionary }).length;
      const saving = (alone[candidate] - after) / alone[candidate];
      if (saving > bestSaving) {
        bestSaving = saving;
        best = candidate;
      }
    }
    placed[best] = 1;
    order.push(best);
    tail = Buffer.concat([dictionary, bodies[best]]);
  }
  return order;
}

/** The module with a name section naming each function by its place in `order`. */
function namedInOrder(bytes, kept, importedFunctions, order) {
  const rank = new Array(order.length);
  order.forEach((body, position) => {
    rank[body] = position;
  });
  // Name section, function names subsection (id 1): a vector of (index, name).
  const width = String(order.length).length;
  const names = [...leb(order.length)];
  for (let body = 0; body < order.length; body++) {
    const name = Buffer.from(`f${String(rank[body]).padStart(width, '0')}`);
    names.push(...leb(importedFunctions + body), ...leb(name.length), ...name);
  }
  const content = [...leb(4), ...Buffer.from('name'), 1, ...leb(names.length), ...names];
  const nameSection = Buffer.from([0, ...leb(content.length), ...content]);
  return Buffer.concat([bytes.subarray(0, 8), ...kept, nameSection]);
}

if (!isMainThread) {
  const { bodies, first } = workerData;
  parentPort.postMessage(gzipFriendlyOrder(bodies.map((body) => Buffer.from(body)), first));
} else {
  const [input, output, wasmOpt, ...features] = process.argv.slice(2);
  if (!input || !output || !wasmOpt) {
    console.error('usage: node scripts/order-functions.mjs <in.wasm> <out.wasm> <wasm-opt> [feature flags...]');
    process.exit(2);
  }
  const bytes = readFileSync(input);
  const { kept, importedFunctions, bodies } = parse(bytes);
  if (bodies.length === 0) throw new Error(`${input} has no code section`);
  const firsts = [...new Set(STARTS.map((fraction) => Math.floor(fraction * bodies.length)))];
  // Two at a time: the machines this builds on have two cores.
  const orders = [];
  for (let at = 0; at < firsts.length; at += 2) {
    orders.push(
      ...(await Promise.all(
        firsts.slice(at, at + 2).map(
          (first) =>
            new Promise((resolve, reject) => {
              const worker = new Worker(new URL(import.meta.url), { workerData: { bodies, first } });
              worker.once('message', resolve);
              worker.once('error', reject);
            }),
        ),
      )),
    );
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'rewind-order-'));
  try {
    let best = null;
    orders.forEach((order, index) => {
      const named = path.join(scratch, `named-${index}.wasm`);
      const sorted = path.join(scratch, `sorted-${index}.wasm`);
      writeFileSync(named, namedInOrder(bytes, kept, importedFunctions, order));
      execFileSync(wasmOpt, ['--reorder-functions-by-name', '--strip-debug', ...features, named, '-o', sorted]);
      const packedBytes = packImage(splitCode(readFileSync(sorted))).length;
      if (!best || packedBytes < best.packedBytes) best = { sorted, packedBytes, first: firsts[index] };
    });
    writeFileSync(output, readFileSync(best.sorted));
    console.log(`  kept the order from function ${best.first} of ${bodies.length}: ${best.packedBytes} B packed`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
