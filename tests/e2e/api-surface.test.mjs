// One source for the API surface: js/api.js lists rewind's functions, and
// everything else that names them must agree with it. js/index.js exports
// exactly those and api.js's NPM_ONLY ones (bar an explicit allow-list of
// internal exports), js/index.d.ts declares each, js/bundle.js builds
// window.Rewind from api.js's lists (without NPM_ONLY's), and
// the snippet's stub (written from api.js by scripts/snippet.mjs) offers each
// of them, in the build, in dist/snippet.min.js and in the copies of it in
// the README and the demo app. No browser: files are read and, where that
// is cheaper than parsing, run in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { QUEUED, DIRECT, METHODS, UNLOADED, NPM_ONLY } from '../../js/api.js';
import { buildSnippet } from '../../scripts/snippet.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Exports of js/index.js that are not public API: js/segment.js's and
// js/sentry.js's view of
// the recording. One added here must not be in api.js, index.d.ts or the
// snippet.
const INTERNAL_EXPORTS = ['onChunkDelivered', 'currentIds', 'warn'];

const read = (file) => readFile(path.join(repoRoot, file), 'utf8');
const sorted = (names) => [...names].sort();
// js/index.js imports wasm-pack's glue; without a build there is none to run.
const NO_PKG = existsSync(path.join(repoRoot, 'pkg/rewind.js')) ? false : 'pkg/rewind.js is missing: run scripts/build.sh';

/** Names a module's source exports (declarations, `export { … }` lists, default). */
function exportedNames(source) {
  const names = [];
  for (const match of source.matchAll(/^export\s+(?:async\s+)?(?:function\s*\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/gm)) names.push(match[1]);
  for (const match of source.matchAll(/^export\s*\{([^}]*)\}/gm)) {
    for (const item of match[1].split(',').map((part) => part.trim()).filter(Boolean)) names.push(item.split(/\s+as\s+/).pop());
  }
  if (/^export\s+default\b/m.test(source)) names.push('default');
  return names;
}

/** Arguments each function is called with in the checks below. */
const ARGS = { start: [{ emit() {} }], identify: ['user-1'], log: ['a line'], whenDelivered: [10] };

/**
 * Runs snippet `code` against a fake window and document. Returns the
 * global it defined and the <script> element it added.
 */
function runSnippet(code) {
  const added = [];
  const element = { appendChild: (node) => added.push(node) };
  const fakeWindow = {};
  const fakeDocument = { createElement: (tag) => ({ tagName: tag }), head: element, documentElement: element };
  new Function('window', 'document', code)(fakeWindow, fakeDocument);
  assert.equal(added.length, 1, 'the snippet adds one <script>');
  return { global: fakeWindow[fakeWindow.RewindObject], script: added[0] };
}

/** Checks the snippet `code` offers every function of api.js, and how each settles if the bundle cannot load. */
async function checkSnippet(code, where) {
  const { global: stub, script } = runSnippet(code);
  assert.equal(script.src, '/rewind/rewind.js', `${where}: loads the bundle from the README's path`);
  assert.deepEqual(sorted(Object.keys(stub).filter((key) => key !== '_q')), sorted(METHODS), `${where}: the stub offers exactly api.js's functions`);
  const pending = METHODS.map((method) => stub[method](...(ARGS[method] ?? [])));
  for (const [index, result] of pending.entries()) {
    assert.equal(typeof result?.then, 'function', `${where}: the stub's ${METHODS[index]}() returns a promise before the bundle loads`);
  }
  assert.deepEqual(
    stub._q.map((call) => call[0]),
    METHODS,
    `${where}: each call is queued, in call order, for the bundle`,
  );
  // The bundle cannot load: queued calls and later ones settle as js/index.js
  // would without its wasm (UNLOADED), getSessionId() rejects.
  script.onerror();
  for (const [index, outcome] of (await Promise.allSettled(pending)).entries()) {
    const method = METHODS[index];
    if (method === 'getSessionId') assert.match(outcome.reason?.message, /rewind could not load \/rewind\/rewind\.js/, where);
    else assert.deepEqual(outcome.value, UNLOADED[method], `${where}: a queued ${method}() when the bundle cannot load`);
  }
  for (const method of METHODS) {
    const later = stub[method](...(ARGS[method] ?? [])).then((value) => ({ value }), (error) => ({ error: error.message }));
    const { value, error } = await later;
    if (method === 'getSessionId') assert.match(error, /could not load/, where);
    else assert.deepEqual(value, UNLOADED[method], `${where}: ${method}() after the bundle failed to load`);
  }
}

test('api.js: each function once, in QUEUED or DIRECT', () => {
  assert.deepEqual(METHODS, [...QUEUED, ...DIRECT]);
  assert.equal(new Set(METHODS).size, METHODS.length, 'no name twice, nor in both lists');
  for (const name of METHODS) assert.match(name, /^[a-z][A-Za-z]*$/, 'a plain identifier (the snippet joins the names with spaces)');
  for (const name of Object.keys(UNLOADED)) assert.ok(METHODS.includes(name), `UNLOADED names ${name}, which api.js does not list`);
  for (const name of NPM_ONLY) assert.ok(!METHODS.includes(name), `${name} is NPM_ONLY, yet QUEUED or DIRECT lists it`);
  assert.ok(!('getSessionId' in UNLOADED), 'getSessionId() rejects when rewind cannot load');
});

test('js/index.js exports every function of api.js, and api.js lists every public export', async () => {
  const exported = exportedNames(await read('js/index.js'));
  const publicExports = exported.filter((name) => !INTERNAL_EXPORTS.includes(name));
  for (const name of INTERNAL_EXPORTS) {
    assert.ok(exported.includes(name), `INTERNAL_EXPORTS names ${name}, which js/index.js no longer exports`);
    assert.ok(!METHODS.includes(name) && !NPM_ONLY.includes(name), `${name} is internal, yet api.js lists it`);
  }
  assert.deepEqual(sorted(publicExports), sorted([...METHODS, ...NPM_ONLY]), 'js/index.js exports (bar INTERNAL_EXPORTS) = api.js (METHODS and NPM_ONLY)');
});

test('js/index.js, run, has those functions and returns UNLOADED when its wasm cannot load', { skip: NO_PKG }, async () => {
  // In Node the wasm cannot be fetched: js/index.js is then the quiet no-op
  // the snippet imitates when the bundle cannot load.
  const api = await import(pathToFileURL(path.join(repoRoot, 'js/index.js')).href);
  assert.deepEqual(sorted(Object.keys(api).filter((name) => !INTERNAL_EXPORTS.includes(name))), sorted([...METHODS, ...NPM_ONLY]));
  for (const name of NPM_ONLY) assert.equal(typeof api[name], 'function', name);
  for (const method of METHODS) {
    assert.equal(typeof api[method], 'function', method);
    if (method === 'getSessionId') {
      await assert.rejects(api.getSessionId(), /could not load its WebAssembly module/);
      continue;
    }
    const result = api[method](...(ARGS[method] ?? []));
    assert.equal(typeof result?.then === 'function', QUEUED.includes(method) || method === 'attachedCounts', `${method}() returns a promise iff it is QUEUED (or attachedCounts)`);
    assert.deepEqual(await result, UNLOADED[method], `${method}() without the wasm`);
  }
});

test('js/index.d.ts declares every function of api.js, and no other', async () => {
  const types = await read('js/index.d.ts');
  const declared = [...types.matchAll(/^export\s+(?:declare\s+)?function\s+([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]);
  assert.deepEqual(sorted(new Set(declared)), sorted([...METHODS, ...NPM_ONLY]));
  assert.doesNotMatch(types, /^export\s+(?:declare\s+)?(?:const|let|var|class)\b/m, 'index.d.ts declares values only as functions');
});

test('js/bundle.js takes its lists from api.js and holds none of its own', async () => {
  const source = await read('js/bundle.js');
  assert.match(source, /^import\s*\{\s*QUEUED\s*,\s*DIRECT\s*\}\s*from\s*'\.\/api\.js';/m);
  for (const name of METHODS) {
    assert.doesNotMatch(source, new RegExp(`['"\`]${name}['"\`]`), `js/bundle.js names '${name}' itself: take it from api.js`);
  }
});

test("js/bundle.js, run, defines every function of api.js and settles the snippet's queue with the loaded results", { skip: NO_PKG }, async () => {
  const saved = { window: globalThis.window, document: globalThis.document };
  const queue = [];
  const settled = METHODS.map(
    (method) => new Promise((resolve) => queue.push([method, ARGS[method] ?? [], (value) => resolve({ method, value }), (error) => resolve({ method, error })])),
  );
  globalThis.window = { RewindObject: 'Recorder', Recorder: { _q: queue }, addEventListener() {} };
  globalThis.document = { readyState: 'loading' };
  try {
    await import(pathToFileURL(path.join(repoRoot, 'js/bundle.js')).href);
    const facade = globalThis.window.Recorder;
    assert.deepEqual(sorted(Object.keys(facade)), sorted(METHODS), 'window[RewindObject] has exactly api.js\'s functions');
    assert.equal(queue.length, 0, 'the queue was taken');
    const api = await import(pathToFileURL(path.join(repoRoot, 'js/index.js')).href);
    for (const { method, value, error } of await Promise.all(settled)) {
      if (method === 'getSessionId') {
        assert.match(error?.message, /could not load/);
        continue;
      }
      // Each queued call, DIRECT ones included, settles with what the loaded
      // function returns (here, in Node, rewind without its wasm).
      assert.deepEqual(value, await api[method](...(ARGS[method] ?? [])), `queued ${method}()`);
      if (DIRECT.includes(method)) assert.deepEqual(value, await facade[method](), `queued ${method}() = the loaded ${method}()`);
    }
  } finally {
    globalThis.window = saved.window;
    globalThis.document = saved.document;
    if (saved.window === undefined) delete globalThis.window;
    if (saved.document === undefined) delete globalThis.document;
  }
});

test("the snippet's stub offers every function of api.js: js/snippet.js takes api.js's lists", async () => {
  const source = await read('js/snippet.js');
  assert.match(source, /\bREWIND_METHODS\b/, 'js/snippet.js takes its list from the build (scripts/snippet.mjs)');
  for (const name of METHODS.filter((name) => name !== 'getSessionId')) {
    assert.doesNotMatch(source, new RegExp(`['"]${name}['"]|['"][^'"\\n]*\\b${name}\\b[^'"\\n]*['"]`), `js/snippet.js names ${name} in a string of its own: leave the list to api.js`);
  }
  await checkSnippet(await buildSnippet(), 'the snippet built now');
});

test('dist/snippet.min.js, the README and the demo app hold the current snippet', async () => {
  const built = await buildSnippet();
  if (existsSync(path.join(repoRoot, 'dist/snippet.min.js'))) {
    const dist = (await read('dist/snippet.min.js')).trim();
    await checkSnippet(dist, 'dist/snippet.min.js');
    assert.equal(dist, built, 'dist/snippet.min.js is stale: run scripts/build.sh');
  }
  const readme = await read('README.md');
  assert.ok(readme.includes(`<script>\n${built}\n`), "the README's snippet is the one the build writes (scripts/snippet.mjs)");
  for (const name of [...METHODS, ...NPM_ONLY]) assert.match(readme, new RegExp(`^\\| \`${name}\\(`, 'm'), `the README's table of functions has ${name}()`);
  const app = await read('www/public/app.html');
  assert.ok(app.includes(built.replace('"/rewind/rewind.js"', '"/dist/rewind.js"')), "www/public/app.html holds the snippet the build writes");
});
