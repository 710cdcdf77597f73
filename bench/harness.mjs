// What `npm run bench` and `npm run bench:profile` share: the ingest
// endpoint rewind sends to, the rrweb bundle the rrweb recorder loads, a
// page prepared for a scenario, loading a recorder into it, and the part
// of a scenario driven from outside the page (real keyboard and mouse
// input).
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The page's size in both, so scenarios lay out alike everywhere. */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * A local ingest endpoint that counts what arrives: `wire` holds the gzip
 * and the raw bytes since the last `reset()`.
 */
export async function startIngest() {
  const wire = { gzip: 0, raw: 0 };
  const server = http.createServer((request, response) => {
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { 'Access-Control-Allow-Headers': 'content-type, content-encoding, authorization', 'Access-Control-Allow-Methods': 'POST' }).end();
      return;
    }
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts);
      wire.gzip += body.length;
      wire.raw += zlib.gunzipSync(body).length;
      response.writeHead(200).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}/ingest`,
    wire,
    reset() {
      wire.gzip = 0;
      wire.raw = 0;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const RRWEB_BUNDLE = path.join(repoRoot, 'target/bench-rrweb-bundle/rrweb-recorder.js');
let rrwebBundle = null;

/**
 * rrweb's record() plus fflate's gzipSync as a page's webpack build would
 * ship them (tree-shaken, minified), at target/bench-rrweb-bundle/ where
 * bench/scenarios.js loads it from; resolves with its path. Built once per
 * process, and only when an input is newer than the bundle.
 */
export function bundleRrwebRecorder() {
  rrwebBundle ??= (async () => {
    const inputs = [
      path.join(repoRoot, 'bench/rrweb-bundle/entry.js'),
      path.join(repoRoot, 'node_modules/rrweb/package.json'),
      path.join(repoRoot, 'node_modules/fflate/package.json'),
      fileURLToPath(import.meta.url),
    ];
    const built = await stat(RRWEB_BUNDLE).then((s) => s.mtimeMs, () => 0);
    const newest = Math.max(...(await Promise.all(inputs.map((file) => stat(file).then((s) => s.mtimeMs)))));
    if (built > newest) return RRWEB_BUNDLE;
    const { default: webpack } = await import('webpack');
    const stats = await new Promise((resolve, reject) => webpack({
      mode: 'production',
      target: 'web',
      entry: inputs[0],
      output: { path: path.dirname(RRWEB_BUNDLE), filename: path.basename(RRWEB_BUNDLE) },
      performance: { hints: false },
      devtool: false,
    }, (error, result) => (error ? reject(error) : resolve(result))));
    if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
    return RRWEB_BUNDLE;
  })();
  return rrwebBundle;
}

/**
 * A new page of `context` on bench/page.html, prepared for `scenario`,
 * with no recorder loaded yet.
 */
export async function preparePage(context, origin, scenario) {
  const page = await context.newPage();
  await page.goto(`${origin}/bench/page.html`);
  await page.evaluate(async (name) => {
    await window.scenarios[name].prepare?.();
    // Let the page settle (React's first commit, layout) so what is
    // measured next starts on a quiet page.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }, scenario);
  return page;
}

/**
 * A fresh context and page on bench/page.html, prepared for `scenario`
 * (bench/profile.mjs; its startRecorder then loads the recorder too).
 */
export async function openPrepared(browser, origin, scenario) {
  await bundleRrwebRecorder();
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await preparePage(context, origin, scenario);
  return { context, page };
}

/**
 * Adds `recorder`'s script to `page` in a task of its own and waits until
 * it is ready to start (rewind: its wasm fetched, compiled and
 * instantiated). Resolves with bench.loadRecorder's `{ loadMs, script,
 * wasm, wasmAfterFetchMs }`.
 */
export function loadRecorder(page, recorder) {
  return page.evaluate((recorder) => window.bench.inTask(() => window.bench.loadRecorder(recorder)), recorder);
}

/** Runs the recorded part of `scenario`. */
export async function drive(page, scenario) {
  if (scenario === 'typing') {
    await page.click('#field');
    await page.keyboard.type('The quick brown fox jumps over the lazy dog. '.repeat(3), { delay: 5 });
  } else if (scenario === 'scroll-and-mouse') {
    for (let i = 0; i < 60; i++) {
      await page.mouse.move(50 + (i % 30) * 20, 100 + (i % 10) * 20);
      if (i % 3 === 0) await page.mouse.wheel(0, 120);
      await page.waitForTimeout(10);
    }
  } else {
    await page.evaluate((name) => window.bench.inTask(() => window.scenarios[name].run()), scenario);
  }
}
