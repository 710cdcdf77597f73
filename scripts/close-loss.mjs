// How often closing a tab loses what rewind recorded in its last moments,
// per browser and per way of closing it. Each trial uses a fresh profile:
//
//   keepalive — the endpoint is up; the page logs a line and the tab is
//     closed at once. Sent by the closing tab itself (pagehide's keepalive
//     request) or, failing that, by the next page load of the site (the
//     chunk parked in localStorage); lost if neither.
//   parked — the endpoint answers 503 (Retry-After: 60) while the tab
//     closes, so only the parked copy can survive; then it is back up and
//     the next page load of the site must deliver the line.
//
// Ways of closing: Chromium through playwright-core (page.close with
// runBeforeUnload, as a user's close runs unload handlers), Firefox ESR
// through WebDriver BiDi (puppeteer-core, browsingContext.close) and
// through WebDriver classic (geckodriver's own DELETE /window), and by the
// page itself (window.close(), the browser's own close path).
//
//   node scripts/close-loss.mjs [trials=20]
//   CLOSE_METHODS=firefox-bidi,firefox-classic node scripts/close-loss.mjs 10
//   CLOSE_SCENARIOS=keepalive CLOSE_METHODS=firefox-self node scripts/close-loss.mjs 40
//
// Prints a table and writes test-results/close-loss.json. Needs a build.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { startStaticServer, repoRoot } from '../tests/support/static-server.mjs';
import { startIngestServer } from '../tests/support/ingest-server.mjs';
import { launchBrowser, FIREFOX_PATH, FIREFOX_PREFS } from '../tests/support/browser.mjs';
import { startGeckoDriver } from '../tests/support/webdriver.mjs';

const trials = Number(process.argv[2] ?? 20);
if (!Number.isInteger(trials) || trials < 1) {
  console.error(`close-loss: trials must be a whole number from 1, got '${process.argv[2]}'`);
  process.exit(2);
}
const METHODS = (process.env.CLOSE_METHODS ?? 'chromium-playwright,firefox-self,firefox-bidi,firefox-classic').split(',');
const SCENARIOS = (process.env.CLOSE_SCENARIOS ?? 'keepalive,parked').split(',');
for (const scenario of SCENARIOS) {
  if (scenario !== 'keepalive' && scenario !== 'parked') {
    console.error(`close-loss: CLOSE_SCENARIOS takes keepalive and parked, got '${scenario}'`);
    process.exit(2);
  }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A browser launched by tests/support/browser.mjs whose pages close with
 * `closePage(page)`: a fresh profile (context) per trial.
 */
async function launchedDriver(browserName, closePage) {
  const browser = await launchBrowser(browserName);
  return {
    async profile() {
      const context = await browser.newContext();
      return {
        async open(url) {
          const page = await context.newPage();
          await page.goto(url);
          return { evaluate: (fn, ...args) => page.evaluate(fn, ...args), close: () => closePage(page) };
        },
        dispose: () => context.close().catch(() => {}),
      };
    },
    close: () => browser.close(),
  };
}

/** Closes through the driver, running unload handlers as a user's close does. */
const driverClose = (page) => page.close({ runBeforeUnload: true });

/**
 * The browser's own close path: the page calls window.close() (allowed by
 * the test prefs), as a user's close button closes the tab; no driver
 * command closes it.
 */
async function selfClose(page) {
  const closed = new Promise((resolve) => page.once('close', resolve));
  await page.evaluate(() => {
    setTimeout(() => window.close(), 0);
  });
  await Promise.race([closed, sleep(10000)]);
}

/** Each way of closing: open a fresh profile, then pages in it. */
const drivers = {
  'chromium-playwright': () => launchedDriver('chromium', driverClose),
  'firefox-bidi': () => launchedDriver('firefox', driverClose),
  'firefox-self': () => launchedDriver('firefox', selfClose),
  async 'firefox-classic'() {
    // One geckodriver session per profile: a session is one profile.
    return {
      async profile() {
        const driver = await startGeckoDriver({ firefoxPath: FIREFOX_PATH, prefs: FIREFOX_PREFS });
        // A first tab stays open: closing a session's last window ends it.
        const [home] = await driver.windowHandles();
        return {
          async open(url) {
            const handle = await driver.newWindow();
            await driver.goto(url);
            return {
              evaluate: async (fn, ...args) => {
                await driver.switchTo(handle);
                return driver.evaluate(fn, ...args);
              },
              close: async () => {
                await driver.switchTo(handle);
                await driver.closeWindow();
                await driver.switchTo(home);
              },
            };
          },
          dispose: () => driver.close(),
        };
      },
      close: async () => {},
    };
  },
};

function hasLine(ingest, replayId, message) {
  return ingest.chunksOf(replayId).some((c) => c.events.some((e) => e.data?.payload?.message === message));
}

async function waitUntil(predicate, ms) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** One trial; returns 'closing tab', 'next load' or 'lost'. */
async function trial(driver, site, scenario) {
  const ingest = await startIngestServer();
  const profile = await driver.profile();
  try {
    if (scenario === 'parked') {
      ingest.failNext(...Array.from({ length: 50 }, () => ({ status: 503, retryAfter: 60 })));
    }
    const page = await profile.open(`${site.origin}/tests/fixtures/wire.html`);
    const replayId = await page.evaluate(
      async ({ endpoint, waitForFirst }) => {
        await Rewind.start({ endpoint, flushIntervalMs: 600000, emit: () => {} });
        // With the endpoint up, the first chunk is delivered before the
        // line is logged, so the closing tab's chunk has nothing before it.
        if (waitForFirst) await Rewind.whenDelivered(5000);
        Rewind.log('last words');
        return Rewind.getReplayId();
      },
      { endpoint: ingest.endpoint, waitForFirst: scenario === 'keepalive' },
    );
    if (scenario === 'parked') await sleep(300);
    await page.close();
    if (scenario === 'keepalive' && (await waitUntil(() => hasLine(ingest, replayId, 'last words'), 3000))) {
      return 'closing tab';
    }
    ingest.clearFaults();
    await profile.open(`${site.origin}/tests/fixtures/wire.html`);
    return (await waitUntil(() => hasLine(ingest, replayId, 'last words'), 10000)) ? 'next load' : 'lost';
  } finally {
    await profile.dispose();
    await ingest.close();
  }
}

const site = await startStaticServer();
const results = [];
try {
  for (const method of METHODS) {
    if (!drivers[method]) throw new Error(`unknown method '${method}': use ${Object.keys(drivers).join(', ')}`);
    const driver = await drivers[method]();
    try {
      for (const scenario of SCENARIOS) {
        const counts = { 'closing tab': 0, 'next load': 0, lost: 0, error: 0 };
        const errors = [];
        for (let i = 0; i < trials; i++) {
          try {
            counts[await trial(driver, site, scenario)] += 1;
          } catch (error) {
            counts.error += 1;
            errors.push(error.message.split('\n')[0]);
          }
          process.stdout.write(`\r${method} ${scenario}: ${i + 1}/${trials}`);
        }
        process.stdout.write('\n');
        results.push({ method, scenario, trials, ...counts, errors });
      }
    } finally {
      await driver.close();
    }
  }
} finally {
  await site.close();
}

console.log('\n| way of closing | scenario | sent by the closing tab | by the next load | lost | driver errors |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.method} | ${r.scenario} | ${r['closing tab']}/${r.trials} | ${r['next load']}/${r.trials} | ${r.lost}/${r.trials} | ${r.error} |`);
  for (const error of [...new Set(r.errors)]) console.log(`    error: ${error}`);
}
await mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
await writeFile(path.join(repoRoot, 'test-results/close-loss.json'), JSON.stringify(results, null, 2));
