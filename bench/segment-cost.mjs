// What rewind's Segment plugin costs an analytics event, in headless
// Chromium, with the real @segment/analytics-next (an app's webpack bundle,
// tests/support/segment-bundle.mjs) posting to a local Segment endpoint:
//
// - the plugin alone: its track() hook called directly EVENTS times on a
//   recording page (all of its work is synchronous once rewind runs:
//   follow the user and session, read the replay id, set the property,
//   record the event in the replay), with and without `recordEvents`;
// - the whole event: main-thread task time (Chrome's Performance metrics)
//   of TRACKS analytics.track() calls, each through Segment's pipeline to
//   its delivery, on a page with the plugin and on one without it, side by
//   side in one browser, alternating, ROUNDS rounds; the medians and their
//   ratio.
//
// Run with `node bench/segment-cost.mjs` after `npm run build`.
import { startStaticServer } from '../tests/support/static-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';
import { startSegmentServer } from '../tests/support/segment-server.mjs';
import { startIngestServer } from '../tests/support/ingest-server.mjs';
import { buildSegmentBundle } from '../tests/support/segment-bundle.mjs';

const EVENTS = Number(process.env.EVENTS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TRACKS = Number(process.env.TRACKS ?? 300);

const [site, segment, ingest] = await Promise.all([startStaticServer(), startSegmentServer(), startIngestServer(), buildSegmentBundle()]);
const browser = await launchChromium();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function openPage(rewind) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const config = { cdnSettings: segment.cdnSettings, rewind };
  await page.goto(`${site.origin}/tests/fixtures/segment-npm.html?config=${encodeURIComponent(JSON.stringify(config))}`);
  // Loaded, and (with the plugin) recording.
  await page.evaluate(() => window.app.analytics.track('warm-up'));
  if (rewind) await page.waitForFunction(() => window.app.rewind.getReplayId() !== null);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { context, page, cdp };
}

async function taskMs(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((metric) => metric.name === 'TaskDuration').value * 1000;
}

/** Main-thread task time (ms) per track() call, sent and delivered, over TRACKS calls. */
async function trackCost({ page, cdp }) {
  const before = await taskMs(cdp);
  // One after another, as a page sends them: a burst of thousands would
  // measure Segment's persisted queue (rewritten to localStorage on every
  // change) more than anything per event.
  await page.evaluate(async (count) => {
    for (let i = 0; i < count; i += 1) await window.app.analytics.track('Item Viewed', { id: i, list: 'teas' });
  }, TRACKS);
  return ((await taskMs(cdp)) - before) / TRACKS;
}

/** Microseconds per direct call of the plugin's track() on a recording page. */
function pluginCost({ page }) {
  return page.evaluate((count) => {
    const { plugin, analytics } = window.app;
    const anonymousId = analytics.instance.user().anonymousId();
    const contexts = Array.from({ length: count }, (_, i) => ({
      event: { type: 'track', event: 'Item Viewed', properties: { id: i }, anonymousId, userId: null, integrations: {} },
    }));
    const start = performance.now();
    for (const ctx of contexts) plugin.track(ctx);
    const elapsed = performance.now() - start;
    if (!contexts.every((ctx) => ctx.event.properties['Session Replay ID'])) throw new Error('an event was not tagged');
    return (elapsed / count) * 1000;
  }, EVENTS);
}

const withPlugin = await openPage({ endpoint: ingest.endpoint });
const withoutRecording = await openPage({ endpoint: ingest.endpoint, recordEvents: false });
const withoutPlugin = await openPage(null);

const direct = { recorded: [], tagged: [] };
const tracked = { plain: [], plugin: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  direct.recorded.push(await pluginCost(withPlugin));
  direct.tagged.push(await pluginCost(withoutRecording));
  tracked.plain.push(await trackCost(withoutPlugin));
  tracked.plugin.push(await trackCost(withPlugin));
}

const plain = median(tracked.plain);
const plugin = median(tracked.plugin);
console.log(`Segment plugin, ${EVENTS} events, median of ${ROUNDS} rounds (headless Chromium, analytics-next 1.84.3):`);
console.log(`  the plugin's track() alone:        ${median(direct.recorded).toFixed(1)} us per event (tag + record in the replay)`);
console.log(`                                      ${median(direct.tagged).toFixed(1)} us per event (recordEvents: false, tag only)`);
console.log(`  analytics.track(), whole pipeline (${TRACKS} calls, one after another): ${(plain * 1000).toFixed(0)} us of main-thread task time per event without rewind,`);
console.log(`                                      ${(plugin * 1000).toFixed(0)} us with rewind's plugin (recording): ${(plugin / plain).toFixed(2)}x`);

for (const { context } of [withPlugin, withoutRecording, withoutPlugin]) await context.close();
await browser.close();
await Promise.all([site.close(), segment.close(), ingest.close()]);
