// `npm run bench:profile -- <scenario> [recorder]`: where a recorder's
// main-thread time goes in one bench scenario. Runs the scenario under the
// V8 sampling profiler (CDP Profiler) and prints self time by function,
// summed over BENCH_RUNS runs, for the part after the page was prepared.
// Build with `REWIND_PROFILING=1 npm run build` first to see the wasm's
// function names.
import { launchChromium } from '../tests/support/browser.mjs';
import { startStaticServer } from '../tests/support/static-server.mjs';
import http from 'node:http';

const [scenario = 'snapshot-10k', recorder = 'rewind'] = process.argv.slice(2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TOP = Number(process.env.PROFILE_TOP ?? 40);

const ingest = http.createServer((request, response) => {
  response.setHeader('Access-Control-Allow-Origin', '*');
  if (request.method === 'OPTIONS') {
    response.writeHead(204, { 'Access-Control-Allow-Headers': 'content-type, content-encoding, authorization', 'Access-Control-Allow-Methods': 'POST' }).end();
    return;
  }
  request.resume();
  request.on('end', () => response.writeHead(200).end('{}'));
});
await new Promise((resolve) => ingest.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${ingest.address().port}/ingest`;
const site = await startStaticServer();
const browser = await launchChromium();

const selfMs = new Map();
let totalMs = 0;
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${site.origin}/bench/page.html`);
  await page.evaluate(async (name) => {
    await window.scenarios[name].prepare?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }, scenario);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.evaluate(({ recorder, endpoint }) => window.bench.inTask(() => window.bench.startRecorder(recorder, endpoint)), { recorder, endpoint });
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
  await page.evaluate((recorder) => window.bench.inTask(() => window.bench.stopRecorder(recorder)), recorder);
  const { profile } = await cdp.send('Profiler.stop');
  await context.close();
  // Self time per node: samples whose top frame is the node, times their
  // intervals.
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const frame = node.callFrame;
    const url = frame.url.split('/').pop();
    const name = `${frame.functionName || '(anonymous)'} ${url ? `[${url}]` : ''}`;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    selfMs.set(name, (selfMs.get(name) ?? 0) + ms);
    totalMs += ms;
  }
}
await browser.close();
await site.close();
ingest.close();

console.log(`${scenario} with ${recorder}: ${(totalMs / RUNS).toFixed(1)} ms of sampled script per run (idle and (program) left out), self time per run:`);
for (const [name, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(ms / RUNS).toFixed(1).padStart(8)} ms  ${name}`);
}
