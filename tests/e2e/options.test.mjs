// start()'s options, and the other calls' arguments, as js/options.js
// checks them before the wasm loads or is called: in Node, each rule,
// message and normalized value; that the sampling decision reads ids by
// the same rules; and in Chromium, that start() rejects a bad option
// without fetching the wasm, and that the calls refuse bad arguments with
// the same words whether the session is recorded or outside sampleRate. That the wasm applies
// what passed is tested natively (src/core/options.rs) and in the browser
// (tests/web.rs, whose recorders start through checkOptions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import {
  checkCustomTag,
  checkOptions,
  checkReplayIds,
  checkUserId,
  CONSOLE_LEVELS,
  dataJson,
  editDistance,
  idProblem,
  KNOWN_OPTIONS,
  traitsJson,
} from '../../js/options.js';
import { parseId } from '../../js/sampling.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';

/** A page as checkOptions reads it: its address, and a selector parser. */
const PAGE = {
  location: { href: 'https://shop.example/a/page.html' },
  document: {
    querySelector(selector) {
      if (/[[(]$|^>|,,/.test(selector)) throw new SyntaxError(`'${selector}' is not a valid selector`);
      return null;
    },
  },
};
const emit = () => {};
const check = (options) => checkOptions(options, PAGE);
const rejection = (options) => {
  try {
    check(options);
  } catch (error) {
    assert.ok(error instanceof Error);
    return error.message;
  }
  assert.fail(`${JSON.stringify(options)} must be rejected`);
};

/** Values each kind takes, and what the wasm is handed for each. */
function accepted(takes) {
  if (Array.isArray(takes)) return [[takes[0], takes[0]], [takes[1], takes[1]]];
  return {
    flag: [[true, true], [false, false]],
    text: [[' .chosen ', '.chosen']],
    token: [['token-1', 'token-1']],
    device: [['device-1', 'device-1']],
    session: [['session-1', 'session-1'], [1_700_000_000_000, '1700000000000']],
    mode: [['buffer', 'buffer'], ['normal', 'normal']],
    levels: [[['log'], 1], [['warn', 'error', 'warn'], 12], [[], 0]],
    function: [[emit, emit]],
  }[takes];
}

test('every option takes values of its kind, normalized, and refuses others naming what it takes', () => {
  for (const [name, takes, expected] of KNOWN_OPTIONS) {
    const base = name === 'emit' ? { endpoint: 'https://in.example/' } : { emit };
    for (const [value, normalized] of accepted(takes)) {
      const checked = check({ ...base, [name]: value });
      // The endpoint comes back absolute: its own test says how.
      if (name !== 'endpoint') assert.deepEqual(checked[name], normalized, `${name} ${String(value)}`);
    }
    for (const [wrong, described] of [[{}, 'object'], [null, 'null'], [Symbol('s'), 'symbol'], [10n, 'bigint']]) {
      assert.equal(rejection({ ...base, [name]: wrong }), `rewind option '${name}' must be ${expected}, got ${described}`);
    }
    // The words name the bounds the table checks.
    if (Array.isArray(takes)) assert.ok(expected.includes(` from ${takes[0]} to ${takes[1]}`), `${name}: ${expected}`);
  }
});

test('numbers are checked against their bounds, whole where the option counts', () => {
  assert.equal(rejection({ sampleRate: 1.5 }), "rewind option 'sampleRate' must be a number from 0 to 1 (default 1), got 1.5");
  assert.match(rejection({ emit, sampleRate: NaN }), /got NaN$/);
  assert.match(rejection({ emit, flushIntervalMs: '5s' }), /got '5s'$/);
  assert.match(rejection({ emit, bufferMs: 1000 }), /from 5000 to 600000/);
  assert.match(rejection({ emit, checkoutEveryNth: 2.5 }), /^rewind option 'checkoutEveryNth' must be a whole number/);
  assert.equal(check({ emit, checkoutEveryNth: 3 }).checkoutEveryNth, 3);
  assert.equal(rejection({ emit, maskAllInputs: 'no' }), "rewind option 'maskAllInputs' must be a boolean (default true), got 'no'");
  assert.equal(rejection({ endpoint: 'https://in.example/', emit: {} }), "rewind option 'emit' must be a function called with each event, got object");
});

test('text is trimmed and must not be blank; the mode and console methods are named ones', () => {
  for (const key of ['endpoint', 'maskTextSelector', 'blockSelector', 'ignoreSelector']) {
    assert.match(rejection({ emit, [key]: '  ' }), new RegExp(`^rewind option '${key}' must be .*, got '  '$`));
  }
  assert.equal(check({ emit, blockSelector: ' .ad ' }).blockSelector, '.ad');
  assert.match(rejection({ emit, apiKey: 'two words' }), /^rewind option 'apiKey' must be a string of printable ASCII/);
  assert.match(rejection({ emit, apiKey: 'clé' }), /^rewind option 'apiKey'/);
  const mode = rejection({ emit, mode: 'lazy' });
  assert.ok(mode.startsWith("rewind option 'mode' must be 'normal'") && mode.endsWith("got 'lazy'"), mode);
  const levels = rejection({ emit, captureConsole: ['warn', 'table'] });
  assert.ok(levels.includes('log info warn error debug assert trace') && levels.endsWith("got ['warn', 'table']"), levels);
  assert.match(rejection({ emit, captureConsole: true }), /got boolean$/);
  assert.match(rejection({ emit, captureConsole: ['warn', 3] }), /got array$/);
  // The bits are CONSOLE_LEVELS's indexes (src/core/options.rs reads them so).
  assert.equal(check({ emit, captureConsole: CONSOLE_LEVELS }).captureConsole, 2 ** CONSOLE_LEVELS.length - 1);
});

test('ids are checked by the rules and words of the wasm, and the sampling decision reads them alike', () => {
  assert.equal(rejection({ emit, deviceId: 'a/b' }), "rewind option deviceId 'a/b' contains '/' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : =");
  assert.equal(rejection({ emit, deviceId: '' }), 'rewind option deviceId is empty: it needs 1 to 128 of a-z A-Z 0-9 _ - . | @ : =');
  assert.equal(rejection({ emit, sessionId: 'x'.repeat(129) }), 'rewind option sessionId is 129 characters long: at most 128 are allowed');
  // By code points, with Rust's escapes.
  assert.equal(idProblem('deviceId', 'ab😀c'), "deviceId 'ab😀c' contains '\\u{1f600}' at position 3: allowed are a-z A-Z 0-9 _ - . | @ : =");
  assert.equal(idProblem('deviceId', "it's"), "deviceId 'it's' contains '\\'' at position 3: allowed are a-z A-Z 0-9 _ - . | @ : =");
  assert.equal(idProblem('deviceId', 'a\tb'), "deviceId 'a\tb' contains '\\t' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : =");
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.equal(
      rejection({ emit, sessionId: bad }),
      `rewind option sessionId ${bad} is not a whole number from 0 to 2^53-1: pass a whole number or a string of a-z A-Z 0-9 _ - . | @ : =`,
    );
  }
  assert.equal(check({ emit, sessionId: 2 ** 53 - 1 }).sessionId, '9007199254740991');
  assert.match(rejection({ emit, deviceId: 7 }), /^rewind option 'deviceId' must be a string of 1 to 128/);
  // 5,000 seeded random ids over the allowed characters and a few others.
  let seed = 7;
  const random = (n) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
  const alphabet = 'aZ09_-.|@:=/ é\u00a0\\\'😀';
  for (let i = 0; i < 5_000; i++) {
    const length = random(4) === 0 ? 125 + random(8) : random(6);
    const id = Array.from({ length }, () => Array.from(alphabet)[random(Array.from(alphabet).length)]).join('');
    assert.equal(idProblem('sessionId', id) === null, parseId(id) !== null, JSON.stringify(id));
  }
});

test('an unknown key is refused with the nearest known one, and the allowed list', () => {
  assert.equal(
    rejection({ maskAllInput: false }),
    "unknown rewind option 'maskAllInput' (did you mean 'maskAllInputs'?); allowed options: endpoint, apiKey, deviceId, sessionId, userIdAsDeviceId, sampleRate, mode, bufferMs, maxBufferBytes, errorSampleRate, captureConsole, maskAllInputs, maskAllText, maskTextSelector, blockSelector, ignoreSelector, checkoutEveryNms, checkoutEveryNth, flushIntervalMs, maxChunkBytes, sessionIdleTimeoutMs, maxSessionDurationMs, maxOutboxBytes, maxOutboxAgeMs, requestTimeoutMs, debug, emit",
  );
  assert.match(rejection({ emit, DEBGU: true }), /did you mean 'debug'/);
  assert.match(rejection({ emit, endpointUrl: 'x' }), /^unknown rewind option 'endpointUrl'; allowed/);
});

test('edit distance matches the textbook table over option names and mangled copies', () => {
  const textbook = (a, b) => {
    [a, b] = [a.toLowerCase(), b.toLowerCase()];
    const rows = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
    for (let i = 0; i <= a.length; i++) {
      for (let j = 0; j <= b.length; j++) {
        if (i === 0 || j === 0) {
          rows[i][j] = i + j;
          continue;
        }
        rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
    return rows[a.length][b.length];
  };
  assert.equal(editDistance('debgu', 'debug'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('MASKALLINPUT', 'maskAllInputs'), 1);
  const keys = KNOWN_OPTIONS.flatMap(([name]) => [name, name.slice(1), name.toUpperCase(), name + name, name[0] + name[2] + name[1] + name.slice(3)]);
  for (const key of keys) for (const [name] of KNOWN_OPTIONS) assert.equal(editDistance(key, name), textbook(key, name), `${key} / ${name}`);
});

test('events need somewhere to go; options must be an object; undefined values are not given', () => {
  const destination = "rewind needs somewhere to send events: pass 'endpoint' (a URL chunks are POSTed to) or 'emit' (a function called with each event)";
  assert.equal(rejection({ maskAllInputs: true }), destination);
  assert.equal(rejection(undefined), destination);
  assert.equal(rejection(null), destination);
  assert.equal(rejection({ emit: undefined }), destination);
  for (const [value, kind] of [['fast', 'string'], [[], 'array'], [emit, 'function'], [5, 'number'], [true, 'boolean']]) {
    assert.equal(rejection(value), `rewind options must be an object or undefined, got ${kind}`);
  }
  assert.deepEqual(check({ emit, sampleRate: undefined, endpoint: undefined }), { emit });
});

test('the endpoint is made absolute against the page, and must be http(s)', () => {
  assert.equal(check({ endpoint: '/ingest' }).endpoint, 'https://shop.example/ingest');
  assert.equal(check({ endpoint: ' ../v1/chunks ' }).endpoint, 'https://shop.example/v1/chunks');
  assert.equal(rejection({ endpoint: 'ftp://files.example/in' }), "rewind option 'endpoint' must be an http or https URL, got 'ftp://files.example/in' (ftp:)");
  assert.equal(rejection({ endpoint: 'http://[::1' }), "rewind option 'endpoint' 'http://[::1' is not a URL");
  // Without a page address only an absolute endpoint is a URL.
  assert.throws(() => checkOptions({ endpoint: 'in' }, {}), { message: "rewind option 'endpoint' 'in' is not a URL" });
  assert.equal(checkOptions({ endpoint: 'https://in.example/x' }, {}).endpoint, 'https://in.example/x');
});

test('selectors the page cannot parse are refused, each by its key', () => {
  for (const key of ['maskTextSelector', 'blockSelector', 'ignoreSelector']) {
    assert.equal(rejection({ emit, [key]: 'div[' }), `rewind option '${key}' 'div[' is not a valid CSS selector`);
    assert.equal(check({ emit, [key]: '.private, [data-secret]' })[key], '.private, [data-secret]');
  }
});

test("setSessionId()'s and setDeviceId()'s ids: strings for the wasm, or why not", () => {
  assert.deepEqual(checkReplayIds(1_700_000_000_000, 'device-2'), { sessionId: '1700000000000', deviceId: 'device-2' });
  assert.deepEqual(checkReplayIds(undefined, null), { sessionId: undefined, deviceId: undefined });
  assert.deepEqual(checkReplayIds('s-1'), { sessionId: 's-1', deviceId: undefined });
  const refusal = (...args) => {
    try {
      checkReplayIds(...args);
    } catch (error) {
      return error.message;
    }
    assert.fail(`${args.map(String)} must be refused`);
  };
  assert.equal(refusal('two words'), "rewind setSessionId(sessionId, deviceId): sessionId 'two words' contains ' ' at position 4: allowed are a-z A-Z 0-9 _ - . | @ : =");
  assert.equal(refusal(-2.5), 'rewind setSessionId(sessionId, deviceId): sessionId -2.5 is not a whole number from 0 to 2^53-1: pass a whole number or a string of a-z A-Z 0-9 _ - . | @ : =');
  assert.equal(refusal(true), 'rewind setSessionId(sessionId, deviceId): sessionId must be a whole number or a string, got boolean');
  assert.equal(refusal(undefined, 42), 'rewind setSessionId(sessionId, deviceId): deviceId must be a string of a-z A-Z 0-9 _ - . | @ : =, got number');
  assert.equal(refusal(undefined, 'a/b', 'setDeviceId(deviceId)'), "rewind setDeviceId(deviceId): deviceId 'a/b' contains '/' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : =");
});

test("identify()'s user id and addCustomEvent()'s tag: lengths in characters, and a device id where the user id becomes one", () => {
  assert.equal(checkUserId(42, false), '42');
  assert.equal(checkUserId('é'.repeat(256), false), 'é'.repeat(256));
  assert.equal(checkUserId('ada@example.com', true), 'ada@example.com');
  assert.throws(() => checkUserId('', false), { message: 'rewind identify(userId): the user id must be a string of 1 to 256 characters, got 0 characters' });
  assert.throws(() => checkUserId('é'.repeat(257), false), { message: /got 257 characters$/ });
  assert.equal(checkUserId('a/b', false), 'a/b', 'any text names a user');
  assert.throws(() => checkUserId('a/b', true), {
    message: "rewind identify(userId) with userIdAsDeviceId: deviceId 'a/b' contains '/' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : =",
  });
  assert.equal(checkCustomTag('segment'), 'segment');
  assert.equal(checkCustomTag('é'.repeat(100)), 'é'.repeat(100));
  assert.throws(() => checkCustomTag(''), { message: 'rewind addCustomEvent(tag, payload): the tag must be a string of 1 to 100 characters, got 0 characters' });
  assert.throws(() => checkCustomTag('x'.repeat(101)), { message: /got 101 characters$/ });
});

test("log()'s data, a Custom event's payload and identify()'s traits become the JSON the wasm records", () => {
  const cyclic = { name: 'loop' };
  cyclic.self = cyclic;
  const throwing = { toJSON() { throw new Error('no'); }, toString() { return 'throwing thing'; } };
  assert.equal(dataJson(undefined), undefined, 'no data given');
  assert.equal(dataJson(null), 'null');
  assert.equal(dataJson({ orders: [1, 2], note: 'a "quote"' }), '{"orders":[1,2],"note":"a \\"quote\\""}');
  assert.equal(dataJson('plain'), '"plain"');
  // What JSON.stringify cannot write is recorded as its string form.
  assert.equal(dataJson(cyclic), '"[object Object]"');
  assert.equal(dataJson(12n), '"12"');
  assert.equal(dataJson(throwing), '"throwing thing"');
  assert.equal(dataJson(Symbol('tag')), '"Symbol(tag)"');
  assert.equal(dataJson(Object.create(null)), '{}');
  const noString = Object.create(null);
  noString.toJSON = () => {
    throw new Error('no');
  };
  assert.equal(dataJson(noString), '"[object Object]"', 'neither JSON nor String(): the tag of its kind');
  assert.equal(traitsJson(undefined), undefined);
  assert.equal(traitsJson(null), undefined, 'null traits are none');
  assert.equal(traitsJson({ plan: 'pro' }), '{"plan":"pro"}');
  assert.equal(traitsJson(cyclic), undefined, 'traits that cannot be JSON are left out');
  assert.equal(traitsJson(() => {}), undefined);
});

test('in Chromium, the calls refuse bad arguments in the same words whether the session is recorded or not, and an early identify that cannot be the device is dropped', async () => {
  const site = await startStaticServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const outcomes = [];
    for (const sampleRate of [1, 0]) {
      const page = await browser.newPage();
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      outcomes.push(
        await page.evaluate(async (sampleRate) => {
          const seen = [];
          // Before start(): only the length is known to be wrong or right.
          await Rewind.identify('a/b');
          await Rewind.start({ emit: (event) => seen.push(event), sampleRate, userIdAsDeviceId: true, deviceId: 'browser-1' });
          const refusals = [];
          for (const call of [
            () => Rewind.setSessionId('two words'),
            () => Rewind.setDeviceId(7),
            () => Rewind.identify('a/b'),
            () => Rewind.addCustomEvent(''),
          ]) {
            try {
              await call();
              refusals.push('accepted');
            } catch (error) {
              refusals.push(error.message);
            }
          }
          await Rewind.stop();
          const identified = seen.filter((event) => event.type === 5 && event.data.tag === 'identify');
          return { refusals, identified: identified.length };
        }, sampleRate),
      );
      await page.close();
    }
    const [recorded, outside] = outcomes;
    assert.deepEqual(recorded.refusals, [
      "rewind setSessionId(sessionId, deviceId): sessionId 'two words' contains ' ' at position 4: allowed are a-z A-Z 0-9 _ - . | @ : =",
      'rewind setDeviceId(deviceId): deviceId must be a string of a-z A-Z 0-9 _ - . | @ : =, got number',
      "rewind identify(userId) with userIdAsDeviceId: deviceId 'a/b' contains '/' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : =",
      'rewind addCustomEvent(tag, payload): the tag must be a string of 1 to 100 characters, got 0 characters',
    ]);
    assert.deepEqual(outside.refusals, recorded.refusals, 'the same words outside sampleRate');
    assert.equal(recorded.identified, 0, "the early identify('a/b') could not be the device id: dropped");
  } finally {
    await browser.close();
    await site.close();
  }
});

test('in Chromium, start() with a bad option rejects before the wasm is fetched, and a good one then records', async () => {
  const site = await startStaticServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    // The server's log: the packed module is fetched by a worker
    // (js/unpack.js).
    const wasm = () => site.requests.filter((pathname) => pathname.includes('rewind_bg.wasm'));
    await page.goto(`${site.origin}/tests/fixtures/wire.html`);
    const refused = await page.evaluate(async () => {
      const messages = [];
      for (const options of [{ emit() {}, blockSelector: 'div[' }, { endpoint: 'ftp://x.example/' }, { emit() {}, sampleRat: 0.5 }]) {
        try {
          await window.Rewind.start(options);
          messages.push('started');
        } catch (error) {
          messages.push(error.message);
        }
      }
      return messages;
    });
    assert.deepEqual(refused, [
      "rewind option 'blockSelector' 'div[' is not a valid CSS selector",
      "rewind option 'endpoint' must be an http or https URL, got 'ftp://x.example/' (ftp:)",
      refused[2],
    ]);
    assert.match(refused[2], /^unknown rewind option 'sampleRat' \(did you mean 'sampleRate'\?\)/);
    assert.deepEqual(wasm(), [], 'no wasm fetched for options that were refused');
    const events = await page.evaluate(async () => {
      const seen = [];
      await window.Rewind.start({ emit: (event) => seen.push(event.type), blockSelector: '.ad', captureConsole: ['log'] });
      await window.Rewind.stop();
      return seen;
    });
    assert.deepEqual(events.slice(0, 2), [4, 2], 'Meta, then the full snapshot');
    assert.deepEqual(wasm(), ['/dist/rewind_bg.wasm.packed'], 'the packed module, once, and not the plain one');
  } finally {
    await browser.close();
    await site.close();
  }
});
