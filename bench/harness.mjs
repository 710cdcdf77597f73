// What `npm run bench` and `npm run bench:profile` share: the ingest
// endpoint rewind sends to, a page prepared for a scenario, and the part of
// a scenario driven from outside the page (real keyboard and mouse input).
import http from 'node:http';
import zlib from 'node:zlib';

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

/** A fresh context and page on bench/page.html, prepared for `scenario`. */
export async function openPrepared(browser, origin, scenario) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${origin}/bench/page.html`);
  await page.evaluate(async (name) => {
    await window.scenarios[name].prepare?.();
    // Let rewind's wasm finish loading (it starts at page load) so start()
    // measures recording, not the download.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }, scenario);
  return { context, page };
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
