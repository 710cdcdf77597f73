// The Segment plugin the script-tag snippet registers in start()'s own turn
// (js/snippet.js), and the bundle taking it over (js/segment-start.js). On a
// real page analytics.js may load before rewind's bundle and send the first
// page() call; tests/e2e/segment.test.mjs checks that call is tagged, in
// Chromium with the real analytics.js. Here, in Node against a fake window,
// the rules that are hard to reach in a browser: which start() calls
// register, what Segment's held calls resolve to when the bundle fails or
// does not come, and the order in which the bundle hands them on.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { buildSnippet } from '../../scripts/snippet.mjs';
import { PLUGIN_IDENTITY, PLUGIN_METHODS } from '../../js/segment-start.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const snippetCode = await buildSnippet();

/** The snippet, run against a fake window: its global and the <script> it added. */
function runSnippet() {
  const added = [];
  const element = { appendChild: (node) => added.push(node) };
  const fakeWindow = {};
  const fakeDocument = { createElement: (tag) => ({ tagName: tag }), head: element, documentElement: element };
  new Function('window', 'document', snippetCode)(fakeWindow, fakeDocument);
  return { stub: fakeWindow.Rewind, script: added[0] };
}

/** A stand-in for Segment's snippet stub: an array with register(), which keeps what it was given. */
function fakeSegment({ registerThrows = null } = {}) {
  const analytics = [];
  analytics.plugins = [];
  analytics.register = (plugin) => {
    if (registerThrows) throw registerThrows;
    analytics.plugins.push(plugin);
    return analytics;
  };
  return analytics;
}

/** Whether `promise` has settled after the pending microtasks ran. */
async function settledNow(promise) {
  const marker = Symbol('pending');
  const result = await Promise.race([promise, new Promise((resolve) => setImmediate(() => resolve(marker)))]);
  return result === marker ? { pending: true } : { value: result };
}

test("start({ segment }) registers one plugin with Segment in the call's turn, named as the bundle's shell, and still queues the call", async () => {
  const { stub } = runSnippet();
  const analytics = fakeSegment();
  stub.start({ endpoint: '/ingest' });
  stub.start({ segment: undefined });
  stub.start({ segment: 'analytics' });
  stub.start(null);
  assert.equal(stub._p, undefined, 'no Segment given: nothing registered');
  const options = { endpoint: '/ingest', segment: analytics };
  stub.start(options);
  assert.equal(analytics.plugins.length, 1, 'registered before start() returned');
  const [plugin] = analytics.plugins;
  assert.deepEqual({ name: plugin.name, type: plugin.type, version: plugin.version }, PLUGIN_IDENTITY);
  for (const method of PLUGIN_METHODS) assert.equal(typeof plugin[method], 'function', method);
  assert.equal(plugin.isLoaded(), true);
  // The `{ analytics }` form, and a second start: no second plugin.
  stub.start({ segment: { analytics } });
  assert.equal(analytics.plugins.length, 1);
  assert.deepEqual(
    stub._q.map(([method, args]) => [method, args[0]]),
    [
      ['start', { endpoint: '/ingest' }],
      ['start', { segment: undefined }],
      ['start', { segment: 'analytics' }],
      ['start', null],
      ['start', options],
      ['start', { segment: { analytics } }],
    ],
    'every start() is queued for the bundle, in order',
  );
  assert.equal(await stub._p._r, undefined, "the stub's register() gave nothing to wait for");
});

test("a Segment whose register() throws: start() does not throw, and the bundle learns Segment's error", async () => {
  const { stub } = runSnippet();
  const failure = new Error('register failed');
  stub.start({ segment: fakeSegment({ registerThrows: failure }) });
  assert.equal(stub._q.length, 1);
  assert.deepEqual(await stub._p._r, { error: failure });
});

test('a bundle that cannot load lets each held call go on as it came, and later calls pass at once', async () => {
  const { stub, script } = runSnippet();
  const analytics = fakeSegment();
  stub.start({ segment: analytics });
  const [plugin] = analytics.plugins;
  const ctx = { event: { type: 'page' } };
  const loading = plugin.load(ctx, {});
  const paging = plugin.page(ctx);
  assert.deepEqual(await settledNow(paging), { pending: true }, 'held while the bundle loads');
  script.onerror();
  assert.equal(await paging, ctx);
  assert.equal(await loading, ctx);
  const later = { event: { type: 'track' } };
  assert.equal(await plugin.track(later), later);
  assert.equal(plugin._w.length, 0);
});

test('a bundle that does not come within 5 s: the held call goes on as it came, and later calls pass at once', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { stub } = runSnippet();
    const analytics = fakeSegment();
    stub.start({ segment: analytics });
    const [plugin] = analytics.plugins;
    const ctx = { event: { type: 'page' } };
    const paging = plugin.page(ctx);
    mock.timers.tick(4999);
    assert.deepEqual(await settledNow(paging), { pending: true }, 'still held before 5 s');
    mock.timers.tick(1);
    assert.deepEqual(await settledNow(paging), { value: ctx });
    const later = { event: { type: 'track' } };
    assert.equal(plugin.track(later), later, 'once one call went on, later ones are not held');
    assert.equal(plugin._w.length, 1, 'the call that went on stays for the bundle (its load, its event for the timeline)');
  } finally {
    mock.timers.reset();
  }
});

test("the bundle takes the snippet's plugin over: the held calls reach the plugin in Segment's order, later calls go straight to it", async () => {
  const { stub } = runSnippet();
  const analytics = fakeSegment();
  stub.start({ segment: analytics, endpoint: '/ingest' });
  const [held] = analytics.plugins;
  const instance = { name: 'analytics.js' };
  const calls = [];
  const seen = (ctx) => ({ ...ctx, seen: true });
  const loading = held.load({ event: null }, instance);
  const first = held.page({ event: { type: 'page', name: 'Notes' } });
  const second = held.track({ event: { type: 'track', event: 'Added' } });

  // A module of its own, so that its one-shell-a-page state is this test's.
  const segmentStart = await import(`${pathToFileURL(path.join(repoRoot, 'js/segment-start.js')).href}?takeover`);
  segmentStart.keepSnippetPlugin(stub._p);
  const real = {};
  for (const method of PLUGIN_METHODS) {
    real[method] = (ctx, ...rest) => {
      calls.push([method, ctx?.event?.name ?? ctx?.event?.event ?? null, ...rest]);
      return Promise.resolve(seen(ctx));
    };
  }
  let handed;
  const plugin = {
    startWithSegment(segment, options, registration) {
      handed = { segment, options, registration };
      registration.shell.attach(real);
    },
  };
  await segmentStart.startWithSegmentShell(analytics, { endpoint: '/ingest' }, async () => plugin, () => assert.fail('start() without Segment'));

  assert.equal(analytics.plugins.length, 1, 'the bundle registers nothing more');
  assert.equal(handed.registration.target, analytics);
  assert.equal(await handed.registration.outcome, undefined, 'Segment took it: no { error }');
  assert.deepEqual(handed.options, { endpoint: '/ingest' });
  assert.deepEqual(await Promise.all([loading, first, second]), [{ event: null, seen: true }, { event: { type: 'page', name: 'Notes' }, seen: true }, { event: { type: 'track', event: 'Added' }, seen: true }]);
  const later = await held.screen({ event: { type: 'screen', name: 'Home' } });
  assert.deepEqual(later, { event: { type: 'screen', name: 'Home' }, seen: true });
  assert.deepEqual(calls, [
    ['load', null, instance],
    ['page', 'Notes'],
    ['track', 'Added'],
    ['screen', 'Home'],
  ]);
});
