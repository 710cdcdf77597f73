// The Sentry integration (issue 12, item 3) with the real clients: the
// @sentry/browser npm package (a global bundle, as Sentry's CDN gives, and
// an app's own webpack bundle importing `sentryIntegration` from 'rewind')
// and raven-js 3.27.2, each with the DSN http://key@127.0.0.1:PORT/1 of a
// local Sentry endpoint (tests/support/sentry-server.mjs), and rewind
// sending its chunks to a local ingest endpoint. A page error must reach
// Sentry carrying contexts.rewind (the replay whose chunks reached the
// ingest endpoint, the error's time, the replay's start, the replay URL)
// and the tag rewind.replay_id; a page's earlier Raven data callback keeps
// running; when rewind does not record (sampled out, stopped, failed to
// load) events arrive as they would without it; in buffer mode the event
// Sentry sends is what sends the replay.
//
// The bundles are built here, in before(), with webpack (already a dev
// dependency) into test-results/sentry/, from node_modules only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { startIngestServer } from '../support/ingest-server.mjs';
import { startSentryServer } from '../support/sentry-server.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';
import { pageWaitFor } from '../support/page-wait.mjs';
import { runWebpack, TEST_BUNDLE_OPTIONS } from '../support/webpack-run.mjs';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox').split(',');
const OUT = path.join(repoRoot, 'test-results/sentry');
const REPLAY_URL = 'https://replays.example/player.html?replay={replayId}&t={timestamp}&from={replayStartTimestamp}';

// An app's own entry, as its developers would write it: Sentry and rewind
// from npm, rewind started by Sentry's integration.
const NPM_ENTRY = `import * as Sentry from '@sentry/browser';
import { sentryIntegration, getReplayId, getReplayStartTimestamp, stop } from 'rewind';

Sentry.init({
  dsn: window.config.dsn,
  sendClientReports: false,
  integrations: [sentryIntegration(window.config.rewind)],
});
window.app = { Sentry, rewind: { getReplayId, getReplayStartTimestamp, stop } };
`;

// Sentry as a global, the way its CDN bundle defines window.Sentry.
const GLOBAL_ENTRY = `import * as Sentry from '@sentry/browser';
window.Sentry = Sentry;
`;

/** Builds test-results/sentry/sentry-global.js and npm/sentry-npm.js (+ wasm). */
async function buildBundles() {
  await mkdir(path.join(OUT, 'npm'), { recursive: true });
  await writeFile(path.join(OUT, 'global-entry.js'), GLOBAL_ENTRY);
  await writeFile(path.join(OUT, 'npm-entry.js'), NPM_ENTRY);
  const common = TEST_BUNDLE_OPTIONS;
  const configs = [
    { ...common, entry: { 'sentry-global': path.join(OUT, 'global-entry.js') }, output: { path: OUT, filename: '[name].js' } },
    {
      ...common,
      entry: { 'sentry-npm': path.join(OUT, 'npm-entry.js') },
      // As www/npm's build: 'rewind' is the package scripts/build.sh made in pkg/.
      resolve: { alias: { rewind: path.join(repoRoot, 'pkg') } },
      output: { path: path.join(OUT, 'npm'), filename: '[name].js', publicPath: 'auto', assetModuleFilename: '[name][ext]', clean: true },
    },
  ];
  await runWebpack(configs);
}

const site = useStaticSite();
let ingest;
let sentry;
let snippet;
before(async () => {
  [ingest, sentry, snippet] = await Promise.all([
    startIngestServer(),
    startSentryServer(),
    readFile(path.join(repoRoot, 'dist/snippet.min.js'), 'utf8'),
    buildBundles(),
  ]);
  // The script-tag fixtures get rewind's snippet (the README's), pointed at
  // the bundle (or at none, for a failed load).
  for (const [name, bundle] of [
    ['sentry-script-tag.html', '/dist/rewind.js'],
    ['sentry-raven.html', '/dist/rewind.js'],
    ['sentry-script-tag.html', '/dist/no-such-bundle.js'],
  ]) {
    const template = await readFile(path.join(repoRoot, 'tests/fixtures', name), 'utf8');
    const code = snippet.trim().replace('"/rewind/rewind.js"', JSON.stringify(bundle));
    assert.ok(template.includes('<!-- rewind snippet -->') && code.includes(JSON.stringify(bundle)));
    const out = bundle === '/dist/rewind.js' ? name : name.replace('.html', '-unloaded.html');
    await writeFile(path.join(OUT, out), template.replace('<!-- rewind snippet -->', `<script>${code}</script>`));
  }
}, { timeout: 180000 });
after(async () => {
  await ingest?.close();
  await sentry?.close();
});

let serial = 0;
/** A marker no other test's error holds. */
const markerOf = (what) => `[${what} ${process.pid}.${++serial}]`;

/** The URL of page `name` with `config` in its query. */
function pageUrl(name, config) {
  const folder = name === 'sentry-npm.html' ? 'tests/fixtures' : 'test-results/sentry';
  return `${site.origin}/${folder}/${name}?config=${encodeURIComponent(JSON.stringify({ dsn: sentry.dsn(), ...config }))}`;
}

/** The Sentry (or Raven) event whose error or message holds `marker`. */
function eventWith(marker) {
  return sentry.events.find(({ event }) =>
    (event.exception?.values ?? []).some((value) => String(value.value).includes(marker)) || String(event.message ?? '').includes(marker),
  );
}

async function waitForEvent(marker) {
  await sentry.waitFor(() => eventWith(marker), 20000, `the Sentry event of '${marker}'`);
  return eventWith(marker);
}

/**
 * Throws `message` uncaught from a timer of the page; resolves with the
 * page's clock just before the throw and just after it.
 */
function throwInPage(page, message) {
  return page.evaluate(
    (message) =>
      new Promise((resolve) => {
        setTimeout(() => {
          const before = Date.now();
          setTimeout(() => resolve({ before, after: Date.now() }), 0);
          throw new Error(message);
        }, 0);
      }),
    message,
  );
}

/** What the page logged as errors, bar the ones a test caused on purpose. */
const unexpected = (errors, ...expected) => errors.filter((line) => !expected.some((text) => line.includes(text)));

/** Polls the page until `expression` (a function run in it) is truthy. */
/** Every event of a replay that reached the ingest endpoint, in seq order. */
const replayEvents = (replayId) => ingest.chunksOf(replayId).flatMap((chunk) => chunk.events);

/**
 * Checks that `event` carries contexts.rewind and the tag for `replayId`,
 * with `timestamp` within [before, after] of the error (Sentry's own time
 * of the event) and the replay's start as its first chunk says.
 */
function checkTagged(event, { replayId, before, after, sentryTime = true }) {
  const context = event.contexts?.rewind;
  assert.ok(context, `the event carries contexts.rewind: ${JSON.stringify(event.contexts)}`);
  const [deviceId, sessionId] = replayId.split('/');
  assert.equal(context.replay_id, replayId);
  assert.equal(context.device_id, deviceId);
  assert.equal(context.session_id, sessionId);
  assert.equal(event.tags?.['rewind.replay_id'], replayId, 'the tag rewind.replay_id');
  assert.ok(ingest.chunksOf(replayId).length > 0, `chunks of ${replayId} reached the ingest endpoint (it holds ${[...ingest.replays.keys()].join(', ')})`);
  assert.ok(Number.isInteger(context.timestamp), 'timestamp: epoch ms');
  // performance.timeOrigin + now() (Sentry's clock) may stray a little from Date.now().
  assert.ok(context.timestamp >= before - 50 && context.timestamp <= after + 50, `timestamp ${context.timestamp} is the error's time, within [${before}, ${after}]`);
  if (sentryTime) assert.ok(Math.abs(context.timestamp - event.timestamp * 1000) <= 1, 'timestamp is the Sentry event\'s own time, in ms');
  const first = ingest.chunksOf(replayId)[0];
  assert.equal(first.seq, 0);
  assert.equal(context.replay_start_timestamp, first.events[0].timestamp, "replay_start_timestamp is the time of the replay's first event");
  assert.equal(
    context.replay_url,
    `https://replays.example/player.html?replay=${encodeURIComponent(replayId)}&t=${context.timestamp}&from=${context.replay_start_timestamp}`,
  );
  return context;
}

for (const browserName of BROWSERS) {
  describe(`Sentry integration in ${browserName}`, () => {
    const freshPage = useFreshPages(useBrowser(browserName));

    async function open(name, config) {
      const opened = await freshPage();
      await opened.page.goto(pageUrl(name, config));
      return opened;
    }

    test("script tag: an uncaught error reaches Sentry with contexts.rewind of the replay at the ingest endpoint, and seals the replay's chunk at once", async () => {
      const marker = markerOf('uncaught');
      const { page, errors } = await open('sentry-script-tag.html', {
        rewind: {
          endpoint: ingest.endpoint,
          // Characters a URL must escape, so replay_url shows the encoding.
          deviceId: `dev|${serial}@host:1`,
          // Ten minutes: only the Sentry event can seal the error's chunk soon.
          flushIntervalMs: 600000,
          sentry: { replayUrl: REPLAY_URL },
        },
      });
      assert.equal(await page.evaluate(() => window.started), 'started');
      const replayId = await page.evaluate(() => Rewind.getReplayId());
      assert.match(replayId, /^dev\|\d+@host:1\/\d+$/);
      await ingest.waitFor(() => ingest.chunksOf(replayId).length > 0, 15000, 'the first snapshot at the ingest endpoint');
      await page.evaluate(() => document.querySelector('#items').append(Object.assign(document.createElement('li'), { textContent: 'Spoons' })));
      const { before, after } = await throwInPage(page, marker);

      const { event, kind } = await waitForEvent(marker);
      assert.equal(kind, 'envelope');
      assert.equal(event.sdk?.name, 'sentry.javascript.browser');
      const context = checkTagged(event, { replayId, before, after });
      assert.match(context.replay_url, /replay=dev%7C\d+%40host%3A1%2F\d+&/, 'values are encodeURIComponent-ed');
      assert.equal(await page.evaluate(() => Rewind.getReplayStartTimestamp()), context.replay_start_timestamp);

      // Sentry's afterSendEvent sealed the chunk holding the error (the
      // flush interval is ten minutes): the replay shows it at that time.
      await ingest.waitFor(() => ingest.chunksOf(replayId).length > 1, 10000, 'the chunk the Sentry event sealed');
      const recorded = replayEvents(replayId).find((e) => e.type === 6 && JSON.stringify(e.data).includes(marker));
      assert.ok(recorded, 'the replay holds the error (rrweb/console@1)');
      assert.ok(Math.abs(recorded.timestamp - context.timestamp) < 1000, `the replay has the error at ${recorded.timestamp}, the event says ${context.timestamp}`);
      assert.ok(JSON.stringify(replayEvents(replayId)).includes('Spoons'), 'and what happened before it');
      assert.deepEqual(unexpected(errors, marker), []);
    });

    test('script tag: handled errors and messages Sentry captures are tagged too; other event types are not touched', async () => {
      const marker = markerOf('handled');
      const { page, errors } = await open('sentry-script-tag.html', {
        rewind: { endpoint: ingest.endpoint, flushIntervalMs: 600000, sentry: { replayUrl: REPLAY_URL } },
      });
      assert.equal(await page.evaluate(() => window.started), 'started');
      const replayId = await page.evaluate(() => Rewind.getReplayId());
      await ingest.waitFor(() => ingest.chunksOf(replayId).length > 0, 15000, 'the first snapshot');
      const times = await page.evaluate((marker) => {
        const before = Date.now();
        Sentry.captureException(new Error(`${marker} exception`));
        Sentry.captureMessage(`${marker} message`);
        return { before, after: Date.now() };
      }, marker);
      checkTagged((await waitForEvent(`${marker} exception`)).event, { replayId, ...times });
      checkTagged((await waitForEvent(`${marker} message`)).event, { replayId, ...times });
      // An event with a type (user feedback here; transactions, replays) is not an error: untouched.
      const feedbackMarker = `${marker} feedback`;
      await page.evaluate((message) => Sentry.captureFeedback({ message }), feedbackMarker);
      const feedbackItem = () =>
        sentry.received
          .flatMap((entry) => entry.envelope?.items ?? [])
          .find((item) => item.header.type === 'feedback' && item.payload?.contexts?.feedback?.message === feedbackMarker);
      await sentry.waitFor(feedbackItem, 20000, 'the feedback event');
      assert.equal(feedbackItem().payload.type, 'feedback');
      assert.equal(feedbackItem().payload.contexts.rewind, undefined, 'feedback gets no contexts.rewind');
      assert.equal(feedbackItem().payload.tags?.['rewind.replay_id'], undefined);
      assert.deepEqual(unexpected(errors), []);
    });

    test('script tag, Sentry set up after rewind has loaded: rewind attaches once the client exists', async () => {
      const marker = markerOf('late');
      const { page, errors } = await open('sentry-script-tag.html', {
        sentryAfterMs: 3000,
        rewind: { endpoint: ingest.endpoint, sentry: { replayUrl: REPLAY_URL } },
      });
      assert.equal(await page.evaluate(() => window.started), 'started');
      assert.equal(await page.evaluate(() => Sentry.getClient() === undefined), true, 'Sentry is not set up yet');
      await page.evaluate(() => window.sentryReady);
      // rewind looks again 100, 200, 400… ms after start(): until it has
      // found the client, a message goes out untagged.
      const probes = [];
      const tagged = () => probes.some((probe) => eventWith(probe)?.event.contexts?.rewind);
      await sentry.waitFor(
        () => {
          if (!tagged() && probes.length < 60 && probes.every((probe) => eventWith(probe))) {
            probes.push(markerOf('probe'));
            page.evaluate((message) => Sentry.captureMessage(message), probes.at(-1)).catch(() => {});
          }
          return tagged();
        },
        20000,
        'a tagged event once Sentry was set up',
      );
      const replayId = await page.evaluate(() => Rewind.getReplayId());
      await ingest.waitFor(() => ingest.chunksOf(replayId).length > 0, 15000, 'the first snapshot');
      const times = await throwInPage(page, marker);
      checkTagged((await waitForEvent(marker)).event, { replayId, ...times });
      assert.deepEqual(unexpected(errors, marker), []);
    });

    test('sampled out (sampleRate: 0), stopped, or rewind failed to load: events carry nothing and still arrive', async () => {
      // Sampled out.
      const sampled = markerOf('sampled-out');
      const deviceId = `sampled-out-${serial}`;
      const first = await open('sentry-script-tag.html', {
        rewind: { endpoint: ingest.endpoint, deviceId, sampleRate: 0, sentry: { replayUrl: REPLAY_URL } },
      });
      assert.equal(await first.page.evaluate(() => window.started), 'started');
      assert.equal(await first.page.evaluate(() => Rewind.getReplayId()), null);
      assert.equal(await first.page.evaluate(() => Rewind.getReplayStartTimestamp()), null);
      await throwInPage(first.page, sampled);
      const sampledEvent = (await waitForEvent(sampled)).event;
      assert.equal(sampledEvent.contexts?.rewind, undefined);
      assert.equal(sampledEvent.tags?.['rewind.replay_id'], undefined);
      await first.page.evaluate(() => Rewind.flush());
      assert.ok(![...ingest.replays.keys()].some((id) => id.startsWith(`${deviceId}/`)), 'a session outside sampleRate sends nothing');
      assert.deepEqual(unexpected(first.errors, sampled), []);

      // Stopped.
      const stopped = markerOf('stopped');
      const second = await open('sentry-script-tag.html', { rewind: { endpoint: ingest.endpoint, sentry: true } });
      assert.equal(await second.page.evaluate(() => window.started), 'started');
      const tagged = markerOf('before-stop');
      await second.page.evaluate((marker) => Sentry.captureException(new Error(marker)), tagged);
      const taggedContext = (await waitForEvent(tagged)).event.contexts?.rewind;
      assert.ok(taggedContext, 'while recording, events are tagged');
      assert.equal(taggedContext.replay_url, undefined, 'no replayUrl, no replay_url');
      await second.page.evaluate(() => Rewind.stop());
      await throwInPage(second.page, stopped);
      const stoppedEvent = (await waitForEvent(stopped)).event;
      assert.equal(stoppedEvent.contexts?.rewind, undefined);
      assert.equal(stoppedEvent.tags?.['rewind.replay_id'], undefined);
      assert.deepEqual(unexpected(second.errors, stopped), []);

      // The bundle cannot load (a 404): Sentry goes on as without rewind.
      const unloaded = markerOf('unloaded');
      const third = await open('sentry-script-tag-unloaded.html', { rewind: { endpoint: ingest.endpoint, sentry: { replayUrl: REPLAY_URL } } });
      assert.equal(await third.page.evaluate(() => window.started), 'started');
      await throwInPage(third.page, unloaded);
      const unloadedEvent = (await waitForEvent(unloaded)).event;
      assert.equal(unloadedEvent.contexts?.rewind, undefined);
      assert.deepEqual(unexpected(third.errors, unloaded, 'no-such-bundle', '404', 'Failed to load'), []);
    });

    test("start()'s sentry option is checked in JS, with a message naming what is wrong; a valid one never reaches the wasm", async () => {
      const { page, errors } = await open('sentry-script-tag.html', { rewind: null });
      const outcomes = await page.evaluate(async (endpoint) => {
        const attempt = (sentry) => Rewind.start({ endpoint, sentry }).then(() => 'started', (error) => error.message);
        return {
          typo: await attempt({ replayURL: 'https://x/' }),
          placeholder: await attempt({ replayUrl: 'https://x/?r={replay}' }),
          empty: await attempt({ replayUrl: '' }),
          string: await attempt('yes'),
          recording: await Rewind.isRecording(),
          valid: await attempt({ replayUrl: 'https://x/?r={replayId}', other: undefined }),
          recordingAfter: await Rewind.isRecording(),
        };
      }, ingest.endpoint);
      assert.match(outcomes.typo, /unknown key 'replayURL' in rewind option 'sentry'/);
      assert.match(outcomes.placeholder, /'sentry\.replayUrl' names \{replay\}, which is none of \{replayId\}, \{deviceId\}, \{sessionId\}, \{timestamp\}, \{replayStartTimestamp\}/);
      assert.match(outcomes.empty, /'sentry\.replayUrl' must be a URL template/);
      assert.match(outcomes.string, /rewind option 'sentry' must be true or \{ replayUrl/);
      assert.equal(outcomes.recording, false, 'an invalid sentry option starts nothing');
      assert.equal(outcomes.valid, 'started');
      assert.equal(outcomes.recordingAfter, true);
      assert.deepEqual(unexpected(errors), []);
    });

    test("Raven 3.27.2: rewind chains setDataCallback; the page's earlier callback still runs, and the store request carries contexts.rewind", async () => {
      const marker = markerOf('raven');
      const { page, errors } = await open('sentry-raven.html', {
        rewind: { endpoint: ingest.endpoint, flushIntervalMs: 600000, sentry: { replayUrl: REPLAY_URL } },
      });
      assert.equal(await page.evaluate(() => window.started), 'started');
      const replayId = await page.evaluate(() => Rewind.getReplayId());
      await ingest.waitFor(() => ingest.chunksOf(replayId).length > 0, 15000, 'the first snapshot');
      const times = await throwInPage(page, marker);
      const { event, kind } = await waitForEvent(marker);
      assert.equal(kind, 'store');
      const request = sentry.received.find((entry) => entry.event === event);
      assert.match(request.query.sentry_client, /^raven-js\/3\.27\.2$/);
      checkTagged(event, { replayId, ...times, sentryTime: false });
      assert.equal(event.tags['page.callback'], 'ran', "the page's own data callback ran");
      assert.equal(await page.evaluate(() => window.pageCallbackCalls), 1);
      // The Raven event sealed the chunk with the error too.
      await ingest.waitFor(() => JSON.stringify(replayEvents(replayId)).includes(marker), 10000, 'the error in the replay');
      assert.deepEqual(unexpected(errors, marker), []);
    });

    test('npm: Sentry.init({ integrations: [sentryIntegration(options)] }) in an app bundle starts rewind and tags its events', async () => {
      const marker = markerOf('npm');
      const { page, errors } = await open('sentry-npm.html', {
        rewind: { endpoint: ingest.endpoint, flushIntervalMs: 600000, sentry: { replayUrl: REPLAY_URL } },
      });
      const replayId = await pageWaitFor(page, () => window.app?.rewind.getReplayId(), 'the integration to start rewind');
      await ingest.waitFor(() => ingest.chunksOf(replayId).length > 0, 15000, 'the first snapshot');
      const times = await throwInPage(page, marker);
      const { event } = await waitForEvent(marker);
      checkTagged(event, { replayId, ...times });
      assert.ok(event.sdk?.integrations?.includes('Rewind'), `Sentry lists the integration: ${event.sdk?.integrations}`);
      assert.equal(await page.evaluate(() => window.app.Sentry.getClient().getIntegrationByName('Rewind')?.name), 'Rewind');
      await ingest.waitFor(() => JSON.stringify(replayEvents(replayId)).includes(marker), 10000, 'the error in the replay');
      assert.deepEqual(await page.evaluate(() => window.warnings), []);
      assert.deepEqual(unexpected(errors, marker), []);
    });

    test('npm: sampled out, events carry nothing; invalid options are a warning, and Sentry works on', async () => {
      const sampled = markerOf('npm-sampled-out');
      const first = await open('sentry-npm.html', { rewind: { endpoint: ingest.endpoint, sampleRate: 0 } });
      await pageWaitFor(first.page, () => window.app?.rewind, 'the bundle');
      await throwInPage(first.page, sampled);
      const sampledEvent = (await waitForEvent(sampled)).event;
      assert.equal(sampledEvent.contexts?.rewind, undefined);
      assert.equal(sampledEvent.tags?.['rewind.replay_id'], undefined);
      assert.deepEqual(unexpected(first.errors, sampled), []);

      const invalid = markerOf('npm-invalid');
      const second = await open('sentry-npm.html', { rewind: { endpoint: ingest.endpoint, sentry: { replayUrl: 'https://x/?r={id}' } } });
      await pageWaitFor(second.page, () => window.app?.rewind, 'the bundle');
      await throwInPage(second.page, invalid);
      assert.equal((await waitForEvent(invalid)).event.contexts?.rewind, undefined);
      const warnings = await second.page.evaluate(() => window.warnings);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /^\[rewind\] sentryIntegration: not recording: rewind option 'sentry\.replayUrl' names \{id\}/);
      assert.equal(await second.page.evaluate(() => window.app.rewind.getReplayId()), null);
      assert.deepEqual(unexpected(second.errors, invalid), []);
    });

    test(
      'buffer mode: nothing reaches the ingest endpoint before the error; the event Sentry sends flushes the replay',
      async () => {
        const marker = markerOf('buffer');
        const { page, errors } = await open('sentry-script-tag.html', {
          rewind: { endpoint: ingest.endpoint, mode: 'buffer', flushIntervalMs: 200, sentry: { replayUrl: REPLAY_URL } },
        });
        assert.equal(await page.evaluate(() => window.started), 'started');
        const replayId = await page.evaluate(() => Rewind.getReplayId());
        assert.ok(replayId, 'a buffering session has its replay id');
        const changesFrom = await page.evaluate(async () => {
          const from = Date.now();
          for (let n = 0; n < 20; n++) {
            document.querySelector('#items').append(Object.assign(document.createElement('li'), { textContent: `Buffered ${n}` }));
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return from;
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(ingest.chunksOf(replayId).length, 0, 'nothing reached the ingest endpoint before the error');
        // A handled error: only Sentry's event can trigger the flush.
        const times = await page.evaluate((marker) => {
          const before = Date.now();
          Sentry.captureException(new Error(marker));
          return { before, after: Date.now() };
        }, marker);
        const { event } = await waitForEvent(marker);
        assert.equal(event.contexts?.rewind?.replay_id, replayId);
        // Its chunks go one at a time: the last change before the error ends them.
        await ingest.waitFor(() => JSON.stringify(replayEvents(replayId)).includes('Buffered 19'), 15000, 'the buffered replay after the Sentry event');
        checkTagged(event, { replayId, ...times });
        const chunks = ingest.chunksOf(replayId);
        assert.deepEqual(chunks.map((chunk) => chunk.seq), chunks.map((_, index) => index), 'from seq 0, no gap');
        const events = replayEvents(replayId);
        assert.deepEqual(events.slice(0, 2).map((e) => e.type), [4, 2], 'from a Meta + FullSnapshot');
        assert.ok(events[0].timestamp <= changesFrom, 'the replay covers the time before the error');
        assert.ok(JSON.stringify(events).includes('Buffered 0'));
        // Then rewind goes on in normal mode.
        await page.evaluate(() => document.querySelector('#items').append('after the flush'));
        await ingest.waitFor(() => JSON.stringify(replayEvents(replayId)).includes('after the flush'), 10000, 'recording after the flush');
        assert.deepEqual(unexpected(errors), []);
      },
    );
  });
}
