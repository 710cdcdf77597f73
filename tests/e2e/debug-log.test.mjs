// The debug log's lines as a developer reads them in the console: the wasm
// names each line by src/web/log.rs's `Note` and hands over its values, and
// src/web/page.js's debugLine writes the words. In Node, with the variants'
// order read from log.rs, so a line added or moved on one side only fails
// here; tests/e2e/wire.test.mjs reads real lines from a recording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { debugLine } from '../../src/web/page.js';

const logRs = readFileSync(new URL('../../src/web/log.rs', import.meta.url), 'utf8');
const noteEnum = logRs.match(/pub enum Note \{([\s\S]*?)\n\}/)[1];
/** The `Note` variants, in order: their places are the numbers the wasm passes. */
const NOTES = [...noteEnum.matchAll(/^\s{4}([A-Z]\w*)(?: = 0)?,$/gm)].map((match) => match[1]);

// Each line with texts 'dev/s1' and 'dev/s2' and numbers 3, 40, 500, 6000,
// and whether it is a warning.
const EXPECTED = {
  Started: ['replay dev/s1', false],
  StartedUnsampled: ['replay dev/s1 is outside sampleRate: nothing is recorded', false],
  ContinuesUnsampled: ['replay dev/s1 continues as dev/s2 (outside sampleRate: nothing is recorded)', false],
  BufferSent: ['dev/s1: buffer sent, 3 chunks reaching back 40 ms', false],
  FirstSnapshotFailed: ['first dev/s1', true],
  CheckoutFailed: ['checkout failed: dev/s1', true],
  ReplaySnapshotFailed: ['replay dev/s1: dev/s2', true],
  SnapshotTaken: ['full snapshot taken: 3 nodes in 40 slice(s)', false],
  TooDeep: ['3 elements nest deeper than 40 levels; their children were not recorded', true],
  SessionEnded: ['session ended; replay dev/s1 continues as dev/s2', false],
  Identified: ['identified: replay dev/s1 continues as dev/s2', false],
  BufferTrimmed: ['buffer: dropped its 3 oldest segment(s); 40 bytes kept', false],
  Sealed: ['sealed dev/s1#3: 40 events, 500 bytes raw, 6000 gzip', false],
  SealedPlain: ["sealed dev/s1#3: 40 events, 500 bytes raw, for the courier's worker to compress", false],
  Continues: ['replay dev/s1 continues as dev/s2', false],
};

/** What debugLine wrote to the console for `note`: [method, text] calls. */
function linesOf(note) {
  const written = [];
  const saved = { log: console.log, warn: console.warn };
  console.log = (...args) => written.push(['log', ...args]);
  console.warn = (...args) => written.push(['warn', ...args]);
  try {
    debugLine(note, 'dev/s1', 'dev/s2', 3, 40, 500, 6000);
  } finally {
    Object.assign(console, saved);
  }
  return written;
}

test('every Note of log.rs has its line in page.js, in the same place', () => {
  assert.deepEqual(NOTES, Object.keys(EXPECTED), 'log.rs names the lines this test knows, in this order');
  NOTES.forEach((name, place) => {
    const [text, warns] = EXPECTED[name];
    assert.deepEqual(linesOf(place), [[warns ? 'warn' : 'log', `[rewind] ${text}`]], name);
  });
});

test('a console that throws, or none, costs the page nothing', () => {
  const saved = console.log;
  console.log = () => {
    throw new Error('a page console that throws');
  };
  try {
    assert.doesNotThrow(() => debugLine(0, 'dev/s1', '', NaN, NaN, NaN, NaN));
  } finally {
    console.log = saved;
  }
});
