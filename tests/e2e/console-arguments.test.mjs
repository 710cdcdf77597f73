// Console calls and uncaught errors as rewind records them: the data of
// rrweb's console plugin event (rrweb/console@1), which src/web/page.js's
// consoleCall and describeUncaught write, each argument as its JSON text,
// held to the caps of src/core/console.rs and page.js. In Node, with the
// caps the wasm hands over; tests/e2e/console.test.mjs records real calls
// and errors in the browsers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { consoleCall, describeUncaught } from '../../src/web/page.js';

// The caps as src/core/console.rs defines them.
const consoleRs = readFileSync(new URL('../../src/core/console.rs', import.meta.url), 'utf8');
const cap = (name) => Number(consoleRs.match(new RegExp(`pub const ${name}: (?:u32|usize) = ([\\d_]+);`))[1].replaceAll('_', ''));
const MAX_DEPTH = cap('MAX_DEPTH');
const MAX_MEMBERS = cap('MAX_MEMBERS');
const MAX_ARGUMENT_CHARS = cap('MAX_ARGUMENT_CHARS');
const MAX_EVENT_CHARS = cap('MAX_EVENT_CHARS');

/** The event data of a console call as the wrapper hands it over: [level, error, ...arguments]. */
function recordedCall(call) {
  const data = JSON.parse(consoleCall(call, MAX_DEPTH, MAX_MEMBERS, MAX_ARGUMENT_CHARS, MAX_EVENT_CHARS));
  assert.equal(data.plugin, 'rrweb/console@1');
  assert.deepEqual(Object.keys(data.payload), ['level', 'trace', 'payload']);
  const texts = data.payload.payload;
  assert.ok(Array.isArray(texts) && texts.every((text) => typeof text === 'string'), JSON.stringify(texts).slice(0, 80));
  return data.payload;
}

/** The recorded arguments of `console.log(...args)`, as JSON texts. */
const recorded = (...args) => recordedCall(['log', new Error(), ...args]).payload;

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

test("a call's trace is its caller's frames: the Error line and the wrapper's frame left out", () => {
  const v8 = 'Error\n    at console.warn (https://cdn.example/rewind.js:1:200)\n    at save (https://app.example/app.js:10:5)\n\n    at https://app.example/app.js:20:1';
  assert.deepEqual(recordedCall(['warn', { stack: v8 }, 'saved']), {
    level: 'warn',
    trace: ['at save (https://app.example/app.js:10:5)', 'at https://app.example/app.js:20:1'],
    payload: ['"saved"'],
  });
  const firefox = 'warn@https://cdn.example/rewind.js:1:200\nsave@https://app.example/app.js:10:5\n';
  assert.deepEqual(recordedCall(['warn', { stack: firefox }]).trace, ['save@https://app.example/app.js:10:5']);
  assert.deepEqual(recordedCall(['error', { stack: 'Error' }]).trace, []);
  assert.deepEqual(recordedCall(['info', { stack: '' }]).trace, []);
  assert.deepEqual(recordedCall(['log', {}]).trace, [], 'no stack');
  const throwing = { get stack() { throw new Error('no'); } };
  assert.deepEqual(recordedCall(['log', throwing, 1]), { level: 'log', trace: [], payload: ['1'] });
});

// Node has no ErrorEvent: a stand-in of its shape (the browsers' own is
// tested in tests/e2e/console.test.mjs and sentry.test.mjs).
class StandInErrorEvent extends Event {
  constructor(message, error) {
    super('error');
    this.message = message;
    this.error = error;
  }
}

test('an uncaught error is an event at level error: its message as the argument, its stack as the trace', () => {
  globalThis.ErrorEvent ??= StandInErrorEvent;
  const error = new TypeError('x is undefined');
  error.stack = 'TypeError: x is undefined\n    at f (https://s.example/app.js:1:2)\n\n   at g (app.js:3:4)  \n';
  assert.deepEqual(JSON.parse(describeUncaught(new ErrorEvent('TypeError: x is undefined', error))), {
    plugin: 'rrweb/console@1',
    payload: {
      level: 'error',
      trace: ['at f (https://s.example/app.js:1:2)', 'at g (app.js:3:4)'],
      payload: ['"TypeError: x is undefined"'],
    },
  });
  const quoted = 'bad "quote"\nline ü';
  const data = JSON.parse(describeUncaught(new ErrorEvent(quoted, null)));
  assert.deepEqual(data.payload.trace, []);
  assert.equal(JSON.parse(data.payload.payload[0]), quoted, 'each argument is a JSON text');
  assert.equal(describeUncaught(new Event('error')), undefined, 'not an error event');
});

test("an uncaught error's message, stack lines and their length are capped", () => {
  globalThis.ErrorEvent ??= StandInErrorEvent;
  // As page.js caps them.
  const pageJs = readFileSync(new URL('../../src/web/page.js', import.meta.url), 'utf8');
  const limit = (name) => Number(pageJs.match(new RegExp(`const ${name} = (\\d+);`))[1]);
  const [messageChars, lines, lineChars] = ['MAX_ERROR_MESSAGE_CHARS', 'MAX_STACK_LINES', 'MAX_STACK_LINE_CHARS'].map(limit);
  const error = new Error('e');
  error.stack = Array(lines + 5).fill('x'.repeat(lineChars + 1)).join('\n');
  const data = JSON.parse(describeUncaught(new ErrorEvent('é'.repeat(messageChars + 10), error)));
  assert.equal(data.payload.trace.length, lines);
  assert.ok(data.payload.trace.every((line) => line === 'x'.repeat(lineChars)));
  assert.equal(JSON.parse(data.payload.payload[0]), 'é'.repeat(messageChars));
  // A cut between the halves of a pair keeps neither.
  const emoji = JSON.parse(JSON.parse(describeUncaught(new ErrorEvent('x' + '😀'.repeat(messageChars), null))).payload.payload[0]);
  assert.equal(emoji, 'x' + '😀'.repeat(messageChars / 2 - 1));
});
