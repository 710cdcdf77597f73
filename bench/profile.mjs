// `npm run bench:profile -- <scenario> [recorder]` (rewind, rrweb or none): where a recorder's
// main-thread time goes in one bench scenario. Runs the scenario under the
// V8 sampling profiler (CDP Profiler) and prints self time by function,
// summed over BENCH_RUNS runs, for the part after the page was prepared.
// Build with `REWIND_PROFILING=1 npm run build` first to see the wasm's
// function names. PROFILE_COLUMNS=1 adds each function's line and column,
// which names a function of the minified rewind.js (`m [rewind.js:1:2384]`).
import { launchChromium } from '../tests/support/browser.mjs';
import { startStaticServer } from '../tests/support/static-server.mjs';
import { drive, openPrepared, startIngest } from './harness.mjs';

const [scenario = 'snapshot-10k', recorder = 'rewind'] = process.argv.slice(2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TOP = Number(process.env.PROFILE_TOP ?? 40);

const ingest = await startIngest();
const { endpoint } = ingest;
const site = await startStaticServer();
const browser = await launchChromium();

const selfMs = new Map();
let totalMs = 0;
let programMs = 0;
for (let run = 0; run < RUNS; run++) {
  const { context, page } = await openPrepared(browser, site.origin, scenario);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.evaluate(({ recorder, endpoint }) => window.bench.inTask(() => window.bench.startRecorder(recorder, endpoint)), { recorder, endpoint });
  await drive(page, scenario);
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
    const at = process.env.PROFILE_COLUMNS === '1' ? `:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${url ? `[${url}${at}]` : ''}`;
    if (frame.functionName === '(idle)') continue;
    if (frame.functionName === '(program)') {
      // The engine's own work outside any function: compiling, among
      // others, each wasm function at its first call.
      programMs += ms;
      continue;
    }
    selfMs.set(name, (selfMs.get(name) ?? 0) + ms);
    totalMs += ms;
  }
}
await browser.close();
await site.close();
await ingest.close();

console.log(`${scenario} with ${recorder}: ${(totalMs / RUNS).toFixed(1)} ms of sampled script per run, and ${(programMs / RUNS).toFixed(1)} ms (program) (idle left out; (program) is the engine outside any function, lazy wasm compiles among it), self time per run:`);
for (const [name, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(ms / RUNS).toFixed(1).padStart(8)} ms  ${name}`);
}
