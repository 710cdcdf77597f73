import { launchChromium } from '../tests/support/browser.mjs';
import { startStaticServer } from '../tests/support/static-server.mjs';
import http from 'node:http';
const ingest = http.createServer((q, s) => { s.setHeader('Access-Control-Allow-Origin', '*'); if (q.method === 'OPTIONS') { s.writeHead(204, { 'Access-Control-Allow-Headers': 'content-type, content-encoding, authorization', 'Access-Control-Allow-Methods': 'POST' }).end(); return; } q.resume(); q.on('end', () => s.writeHead(200).end('{}')); });
await new Promise((r) => ingest.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${ingest.address().port}/ingest`;
const site = await startStaticServer();
const browser = await launchChromium();
const scenario = process.argv[2] ?? 'typing';
for (let run = 0; run < 3; run++) for (const recorder of ['none', 'rrweb', 'rewind']) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${site.origin}/bench/page.html`);
  await page.evaluate(async (name) => { await window.scenarios[name].prepare?.(); await new Promise((r) => setTimeout(r, 100)); }, scenario);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const m = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
  const t0 = await m();
  await page.evaluate(({ recorder, endpoint }) => window.bench.inTask(() => window.bench.startRecorder(recorder, endpoint)), { recorder, endpoint });
  const t1 = await m();
  if (scenario === 'typing') { await page.click('#field'); await page.keyboard.type('The quick brown fox jumps over the lazy dog. '.repeat(3), { delay: 5 }); }
  else await page.evaluate((name) => window.bench.inTask(() => window.scenarios[name].run()), scenario);
  const t2 = await m();
  await page.evaluate((recorder) => window.bench.inTask(() => window.bench.stopRecorder(recorder)), recorder);
  const t3 = await m();
  const d = (a, b, k) => ((b[k] - a[k]) * 1000).toFixed(0);
  console.log(recorder.padEnd(7), 'task start/run/stop', d(t0, t1, 'TaskDuration'), d(t1, t2, 'TaskDuration'), d(t2, t3, 'TaskDuration'), ' script', d(t0, t1, 'ScriptDuration'), d(t1, t2, 'ScriptDuration'), d(t2, t3, 'ScriptDuration'), ' layout', d(t0, t3, 'LayoutDuration'), 'style', d(t0, t3, 'RecalcStyleDuration'));
  await context.close();
}
await browser.close(); await site.close(); ingest.close();
