// A console call's arguments as rewind records them (src/web/page.js's
// describeArguments): the rrweb/console@1 payload, a JSON array of each
// argument's JSON text, held to the caps of src/core/console.rs. In Node,
// with the caps the wasm hands it; tests/e2e/console.test.mjs records real
// calls in the browsers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { describeArguments } from '../../src/web/page.js';

// The caps as src/core/console.rs defines them.
const consoleRs = readFileSync(new URL('../../src/core/console.rs', import.meta.url), 'utf8');
const cap = (name) => Number(consoleRs.match(new RegExp(`pub const ${name}: (?:u32|usize) = ([\\d_]+);`))[1].replaceAll('_', ''));
const MAX_DEPTH = cap('MAX_DEPTH');
const MAX_MEMBERS = cap('MAX_MEMBERS');
const MAX_ARGUMENT_CHARS = cap('MAX_ARGUMENT_CHARS');
const MAX_EVENT_CHARS = cap('MAX_EVENT_CHARS');

/** The recorded arguments of `console.log(...args)`, as JSON texts. */
function recorded(...args) {
  // What the console wrapper hands over: [level, error, ...arguments].
  const payload = describeArguments(['log', new Error(), ...args], MAX_DEPTH, MAX_MEMBERS, MAX_ARGUMENT_CHARS, MAX_EVENT_CHARS);
  const texts = JSON.parse(payload);
  assert.ok(Array.isArray(texts) && texts.every((text) => typeof text === 'string'), payload.slice(0, 80));
  return texts;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('arguments that fit are kept as their JSON texts; console.log() records none', () => {
  assert.deepEqual(recorded('a', { b: [1, 2] }, null), ['"a"', '{"b":[1,2]}', 'null']);
  assert.deepEqual(recorded(), []);
  // What rrweb's console replay does with each.
  assert.deepEqual(recorded('saved', 7, [true]).map((text) => JSON.parse(text)), ['saved', 7, [true]]);
});

test('a long argument that is not a string becomes a JSON string of its first characters', () => {
  const texts = recorded(['é'.repeat(MAX_ARGUMENT_CHARS)], 1);
  assert.equal(texts.length, 2);
  const cut = JSON.parse(texts[0]);
  assert.equal(typeof cut, 'string');
  assert.equal(cut.length, MAX_ARGUMENT_CHARS + 1);
  assert.ok(cut.startsWith('["éé') && cut.endsWith('\u2026'), cut.slice(0, 20));
  assert.equal(texts[1], '1');
});

test('a long string argument is cut into the same string, never inside an escape', () => {
  const line = 'TypeError: cart is empty\n    at checkout (shop.js:1:1)'.repeat(200);
  const [text] = recorded(line);
  assert.ok(text.length <= MAX_ARGUMENT_CHARS + 2, `${text.length}`);
  const value = JSON.parse(text);
  assert.ok(value.startsWith('TypeError: cart is empty\n'), value.slice(0, 60));
  assert.ok(value.endsWith('\u2026'));
  // Wherever the cut falls: in a \u0001, a \n, an escaped backslash or quote.
  for (let shift = 0; shift < 8; shift++) {
    const padded = 'x'.repeat(shift) + '\u0001\n\\"'.repeat(2000);
    const [cutText] = recorded(padded);
    const cut = JSON.parse(cutText);
    assert.ok(padded.startsWith(cut.slice(0, -1)), `shift ${shift}: ${cutText.slice(-12)}`);
    assert.ok(cut.endsWith('\u2026'));
  }
});

test('a cut never splits a character outside the basic plane', () => {
  // Prefixes that put the cut on either half of a pair, as a string and
  // inside an array (a quote is two characters of JSON).
  for (const prefix of ['', 'x', '"', 'x"']) {
    const emoji = prefix + '😀'.repeat(MAX_ARGUMENT_CHARS);
    for (const argument of [emoji, [emoji]]) {
      const [text] = recorded(argument);
      const cut = JSON.parse(text);
      assert.equal(typeof cut, 'string');
      assert.ok(!LONE_SURROGATE.test(text) && !LONE_SURROGATE.test(cut), `${JSON.stringify(prefix)}: ${JSON.stringify(cut.slice(-4))}`);
      assert.ok(cut.endsWith('\u2026'));
    }
  }
});

test('arguments past the event cap are counted, not kept', () => {
  const item = 'x'.repeat(MAX_ARGUMENT_CHARS - 2);
  const texts = recorded(...Array(7).fill(item));
  const kept = Math.floor(MAX_EVENT_CHARS / MAX_ARGUMENT_CHARS);
  assert.equal(texts.length, kept + 1);
  assert.ok(texts.slice(0, kept).every((text) => text === JSON.stringify(item)));
  assert.equal(JSON.parse(texts[kept]), `\u2026 ${7 - kept} more arguments`);
  const total = texts.reduce((sum, text) => sum + text.length, 0);
  assert.ok(total <= MAX_EVENT_CHARS + 40, `${total}`);
  // A long argument counts as the cut it is recorded as.
  assert.equal(recorded('y'.repeat(MAX_ARGUMENT_CHARS * 3), 2).length, 2);
});
