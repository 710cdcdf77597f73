// The Segment plugin (issue 13) with the real @segment/analytics-next: an
// app's own webpack bundle (AnalyticsBrowser + createSegmentPlugin from
// 'rewind') and Segment's snippet form (analytics.js's standalone build
// from a local CDN, rewind started with `segment: window.analytics`).
// Segment's inline cdnSettings point its Segment.io destination at a local
// tracking API (tests/support/segment-server.mjs), and rewind sends its
// chunks to a local ingest endpoint. The replay id a Segment event carries
// must be a replay whose chunks reached the ingest endpoint, opening with a
// full snapshot; the replay follows Segment's user and the analytics
// session; Segment goes on whatever rewind does, and rewind whatever
// Segment does.
//
// The npm bundle is built here, in before(), with webpack into
// test-results/segment/npm/ (tests/support/segment-bundle.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir, copyFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { startIngestServer } from '../support/ingest-server.mjs';
import { startSegmentServer } from '../support/segment-server.mjs';
import { buildSegmentBundle, SEGMENT_BUNDLE_DIR as OUT } from '../support/segment-bundle.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';
import { pageWaitFor } from '../support/page-wait.mjs';

const PROPERTY = 'Session Replay ID';
const ANONYMOUS_ID = /^[0-9a-f-]{36}$/;

const site = useStaticSite();
const browser = useBrowser('chromium');
const freshPage = useFreshPages(browser);
let ingest;
let segment;
before(async () => {
  let snippet;
  [ingest, segment, snippet] = await Promise.all([
    startIngestServer(),
    startSegmentServer(),
    readFile(path.join(repoRoot, 'dist/snippet.min.js'), 'utf8'),
    buildSegmentBundle(),
  ]);
  const template = await readFile(path.join(repoRoot, 'tests/fixtures/segment-snippet.html'), 'utf8');
  const code = snippet.trim().replace('"/rewind/rewind.js"', JSON.stringify('/dist/rewind.js'));
  assert.ok(template.includes('<!-- rewind snippet -->') && code.includes('/dist/rewind.js'));
  await writeFile(path.join(OUT, 'segment-snippet.html'), template.replace('<!-- rewind snippet -->', `<script>${code}</script>`));
  // The same page with rewind.js and its wasm served without the Segment
  // chunk beside them.
  const lonely = path.join(OUT, 'lonely');
  await mkdir(lonely, { recursive: true });
  for (const file of ['rewind.js', 'rewind_bg.wasm']) await copyFile(path.join(repoRoot, 'dist', file), path.join(lonely, file));
  const lonelyCode = code.replace('/dist/rewind.js', '/test-results/segment/lonely/rewind.js');
  await writeFile(path.join(OUT, 'segment-snippet-lonely.html'), template.replace('<!-- rewind snippet -->', `<script>${lonelyCode}</script>`));
}, { timeout: 180000 });
after(async () => {
  await ingest?.close();
  await segment?.close();
});

let serial = 0;
/** An event name no other test sends. */
const nameOf = (what) => `${what} ${process.pid}.${++serial}`;

function npmPage(config) {
  return `${site.origin}/tests/fixtures/segment-npm.html?config=${encodeURIComponent(JSON.stringify({ cdnSettings: segment.cdnSettings, ...config }))}`;
}

function snippetPage(config, file = 'segment-snippet.html') {
  const full = { cdn: segment.cdn, ...config };
  return `${site.origin}/test-results/segment/${file}?config=${encodeURIComponent(JSON.stringify(full))}`;
}

const rewindOptions = (extra) => ({ endpoint: ingest.endpoint, flushIntervalMs: 300, debug: true, ...extra });

/** Sends `track(name)` through the page's Segment (either form). */
function track(page, name, properties) {
  return page.evaluate(([name, properties]) => (window.app?.analytics ?? window.analytics).track(name, properties), [name, properties]);
}

/** The track event named `name` that reached Segment. */
function trackedEvent(name) {
  return segment.waitFor((events) => events.find((event) => event.type === 'track' && event.event === name), 15000, `track "${name}"`);
}

/**
 * Checks that `replayId` is a replay the ingest endpoint holds from seq 0,
 * opening with a Meta and a full snapshot of the page.
 */
async function assertReplayArrived(replayId) {
  await ingest.waitFor(() => ingest.chunksOf(replayId).some((chunk) => chunk.seq === 0), 15000, `seq 0 of ${replayId}`);
  const [first] = ingest.chunksOf(replayId);
  assert.equal(first.seq, 0);
  assert.deepEqual(first.events.slice(0, 2).map((event) => event.type), [4, 2], `${replayId} opens with Meta + FullSnapshot`);
  assert.match(JSON.stringify(first.events[1]), /Buy tea/);
}

/** The rewind warnings (debug lines) that mention `text`. */
const warningsWith = (page, text) => page.evaluate((text) => window.warnings.filter((line) => line.includes(text)), text);

test('npm: a track event carries the replay id whose chunks reached the ingest endpoint', async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions() }));
  const name = nameOf('Note added');
  await track(page, name, { size: 3 });
  const event = await trackedEvent(name);
  const replayId = event.properties[PROPERTY];
  assert.equal(event.properties.size, 3, "the page's own properties stay");
  const [device, session] = replayId.split('/');
  assert.equal(device, event.anonymousId, 'no user yet: the device is the anonymous id');
  assert.match(device, ANONYMOUS_ID);
  assert.match(session, /^\d{13}$/, "rewind's own session id: epoch ms");
  assert.equal(await page.evaluate(() => window.app.rewind.getReplayId()), replayId);
  await assertReplayArrived(replayId);
  // The event is in the replay's timeline too.
  await page.evaluate(() => window.app.rewind.flush());
  await ingest.waitFor(
    () => ingest.chunksOf(replayId).some((chunk) => chunk.events.some((e) => e.type === 5 && e.data.tag === 'segment' && e.data.payload.name === name)),
    10000,
    'the Segment event in the replay',
  );
  assert.deepEqual(errors, []);
});

test('snippet: Rewind.start({ segment: window.analytics }) tags page and track events with the replay', async () => {
  const { page, errors } = await freshPage();
  await page.goto(snippetPage({ rewind: rewindOptions(), segmentLoad: 'after-rewind' }));
  assert.equal(await page.evaluate(() => window.started), 'started');
  // The snippet's page() call, queued before analytics.js and rewind loaded.
  const pageEvent = await segment.waitFor(
    (events) => events.find((event) => event.type === 'page' && event.name === 'Notes' && event.context?.page?.url === page.url()),
    15000,
    'the page() call',
  );
  const replayId = pageEvent.properties[PROPERTY];
  assert.ok(replayId, 'the first page() call, made before both loaded, is tagged');
  assert.equal(replayId.split('/')[0], pageEvent.anonymousId);
  const name = nameOf('Checkout');
  await track(page, name);
  assert.equal((await trackedEvent(name)).properties[PROPERTY], replayId);
  await assertReplayArrived(replayId);
  assert.deepEqual(errors, []);
});

/**
 * Holds the page's first request for `pattern` until `ready()` is true in
 * the page (polled every 50 ms, at most 10 s), then lets `answer` settle
 * it (by default it goes on): an order of loading that is a race on a real
 * page, made certain. Later requests go on at once: rewind.js's second is
 * its worker's importScripts, which `ready()` (about the page's globals
 * before the bundle ran) would otherwise hold for the whole 10 s.
 */
async function holdUntil(page, pattern, ready, answer = (route) => route.continue()) {
  let held = false;
  await page.route(pattern, async (route) => {
    if (held) return route.continue();
    held = true;
    for (let tries = 0; tries < 200; tries++) {
      if (await page.evaluate(ready).catch(() => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await answer(route);
  });
}

/**
 * analytics.js has replaced its stub when rewind is started with that stub
 * (the page kept `window.analytics` from before): the plugin must go to the
 * loaded instance at once, from rewind's snippet (the bundle not here yet)
 * and from the bundle alike, not after the 3 s rewind waits for Segment.
 */
async function startedWithAReplacedStub(page) {
  await page.goto(snippetPage({ rewind: rewindOptions(), segmentLoad: 'before-rewind' }));
  assert.equal(await page.evaluate(() => window.started), 'started');
  const startedAt = Date.now();
  const replayId = await pageWaitFor(page, () => window.Rewind.getReplayId(), 'recording');
  // Well before the 3 s after which rewind gives up waiting for Segment.
  assert.ok(Date.now() - startedAt < 2500, `recording after ${Date.now() - startedAt} ms`);
  const name = nameOf('After a late rewind');
  await track(page, name);
  const event = await trackedEvent(name);
  assert.equal(event.properties[PROPERTY], replayId);
  assert.equal(replayId.split('/')[0], event.anonymousId);
  assert.deepEqual(await warningsWith(page, 'has not loaded'), []);
}

test("snippet: analytics.js replaced its stub before rewind's bundle ran: rewind's snippet gives the plugin to the loaded instance", async () => {
  const { page, errors } = await freshPage();
  // The bundle comes once start() has been queued on rewind's snippet.
  await holdUntil(page, '**/dist/rewind.js', () => !Array.isArray(window.analytics) && window.Rewind._q?.length > 0);
  await startedWithAReplacedStub(page);
  assert.deepEqual(errors, []);
});

test('snippet: analytics.js replaced its stub after the bundle loaded: the bundle gives the plugin to the loaded instance', async () => {
  const { page, errors } = await freshPage();
  // analytics.js comes once the bundle has taken over rewind's global.
  await holdUntil(page, '**/analytics.min.js', () => Boolean(window.Rewind) && !window.Rewind._q);
  await startedWithAReplacedStub(page);
  assert.deepEqual(errors, []);
});

/**
 * Holds the request for rewind's bundle until analytics.js has loaded and
 * called Segment's plugins (the snippet's plugin holds that call: its
 * `_w`), then lets `answer` settle it: the order that used to leave the
 * first page() call untagged, made certain.
 */
function bundleAfterSegment(page, answer) {
  return holdUntil(page, '**/dist/rewind.js', () => (window.Rewind?._p?._w?.length ?? 0) > 0, answer);
}

/** The snippet's page('Notes') call as it reached Segment (the page's URL names one visit: its config's `visit`). */
const firstPageCall = (page) =>
  segment.waitFor(
    (events) => events.find((event) => event.type === 'page' && event.name === 'Notes' && event.context?.page?.url === page.url()),
    15000,
    'the page() call',
  );

test("snippet: rewind's bundle arrives after analytics.js has loaded: the first page() call still carries the replay", async () => {
  const { page, errors } = await freshPage();
  await bundleAfterSegment(page, (route) => route.continue());
  await page.goto(snippetPage({ rewind: rewindOptions(), visit: nameOf('visit') }));
  assert.equal(await page.evaluate(() => window.started), 'started');
  const pageEvent = await firstPageCall(page);
  const replayId = pageEvent.properties[PROPERTY];
  assert.ok(replayId, 'the page() call analytics.js made before rewind loaded is tagged');
  assert.equal(replayId.split('/')[0], pageEvent.anonymousId, "recording under Segment's user");
  assert.equal(await page.evaluate(() => window.Rewind.getReplayId()), replayId);
  await assertReplayArrived(replayId);
  assert.deepEqual(errors, []);
});

test("snippet: rewind's bundle fails once analytics.js waits on it: Segment's events go on untagged", async () => {
  const { page, errors } = await freshPage();
  await bundleAfterSegment(page, (route) => route.abort());
  await page.goto(snippetPage({ rewind: rewindOptions(), visit: nameOf('visit') }));
  const pageEvent = await firstPageCall(page);
  assert.equal(pageEvent.properties[PROPERTY], undefined);
  const name = nameOf('Without rewind');
  await track(page, name);
  assert.equal((await trackedEvent(name)).properties[PROPERTY], undefined);
  assert.equal(await page.evaluate(() => window.Rewind.getReplayId()), null);
  assert.deepEqual(errors.filter((error) => !/Failed to load resource|ERR_FAILED|rewind\.js/.test(error)), []);
});

test("snippet: rewind's bundle never comes: after 5 s Segment's held events go on, later ones at once", async () => {
  const { page, errors } = await freshPage();
  // Never answered while the test runs (the context closes after it).
  await bundleAfterSegment(page, () => new Promise(() => {}));
  await page.goto(snippetPage({ rewind: rewindOptions(), visit: nameOf('visit') }), { waitUntil: 'domcontentloaded' });
  const pageEvent = await firstPageCall(page);
  assert.equal(pageEvent.properties[PROPERTY], undefined);
  const name = nameOf('While rewind hangs');
  await track(page, name);
  assert.equal((await trackedEvent(name)).properties[PROPERTY], undefined);
  assert.deepEqual(errors, []);
});

test('snippet: a second start({ segment }) is ignored while recording; after stop() it records again under Segment\'s user', async () => {
  const { page, errors } = await freshPage();
  await page.goto(snippetPage({ rewind: rewindOptions(), segmentLoad: 'after-rewind' }));
  await pageWaitFor(page, () => window.Rewind.getReplayId(), 'recording');
  const first = nameOf('First');
  await track(page, first);
  const replayId = (await trackedEvent(first)).properties[PROPERTY];
  const again = (extra) => page.evaluate((options) => window.Rewind.start({ ...options, segment: window.analytics }), { ...rewindOptions(), ...extra });
  await again();
  assert.equal(await page.evaluate(() => window.Rewind.getReplayId()), replayId, 'still the same recording');
  await page.evaluate(() => window.Rewind.stop());
  const stopped = nameOf('While stopped');
  await track(page, stopped);
  assert.equal((await trackedEvent(stopped)).properties[PROPERTY], undefined);
  await again();
  await pageWaitFor(page, () => window.Rewind.getReplayId(), 'recording again');
  const resumed = nameOf('Resumed');
  await track(page, resumed);
  const event = await trackedEvent(resumed);
  assert.equal(event.properties[PROPERTY].split('/')[0], event.anonymousId);
  assert.deepEqual(errors, []);
});

test('identify() moves the replay to the user id; the new replay starts from a full snapshot', async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions() }));
  const before = nameOf('Before login');
  await track(page, before);
  const anonymousReplay = (await trackedEvent(before)).properties[PROPERTY];
  const userId = `user-${process.pid}-${serial}`;
  await page.evaluate((userId) => window.app.analytics.identify(userId, { email: 'someone@example.com' }), userId);
  const after = nameOf('After login');
  await track(page, after);
  const userReplay = (await trackedEvent(after)).properties[PROPERTY];
  const session = anonymousReplay.split('/')[1];
  assert.equal(userReplay, `${userId}/${session}`, 'same session, the user as device');
  await assertReplayArrived(anonymousReplay);
  await assertReplayArrived(userReplay);
  // The user is named in the new replay; the traits stay with Segment.
  await page.evaluate(() => window.app.rewind.flush());
  await ingest.waitFor(() => ingest.chunksOf(userReplay).some((chunk) => chunk.events.some((e) => e.data?.tag === 'identify')), 10000, 'the identify event');
  const identifyEvent = ingest.chunksOf(userReplay).flatMap((chunk) => chunk.events).find((e) => e.data?.tag === 'identify');
  assert.deepEqual(identifyEvent.data.payload, { userId });
  // analytics.reset(): a new anonymous user, a new replay at once.
  await page.evaluate(() => window.app.analytics.reset());
  const reset = nameOf('After logout');
  await track(page, reset);
  const resetEvent = await trackedEvent(reset);
  assert.equal(resetEvent.properties[PROPERTY], `${resetEvent.anonymousId}/${session}`);
  assert.notEqual(resetEvent.anonymousId, anonymousReplay.split('/')[0]);
  assert.deepEqual(errors, []);
});

test("Actions Amplitude's session id: a larger one rotates the replay and the cookie, a smaller one does not", async () => {
  const { page, errors } = await freshPage();
  const first = Date.now() - 60_000;
  await page.goto(npmPage({ rewind: rewindOptions(), amplitude: true }));
  await page.evaluate((first) => (window.ampSession = first), first);
  const a = nameOf('A');
  await track(page, a);
  const replayA = (await trackedEvent(a)).properties[PROPERTY];
  assert.equal(replayA.split('/')[1], String(first), "Amplitude's session replaces rewind's own, older or not");
  const larger = first + 30_000;
  await page.evaluate((larger) => (window.ampSession = larger), larger);
  const b = nameOf('B');
  await track(page, b);
  const replayB = (await trackedEvent(b)).properties[PROPERTY];
  assert.equal(replayB, `${replayA.split('/')[0]}/${larger}`);
  assert.match(await page.evaluate(() => document.cookie), new RegExp(`analytics_session_id=${larger}`));
  // Without the cookie (rewind reads it at most once a second), so that
  // only Amplitude's smaller id speaks.
  await page.evaluate((smaller) => {
    document.cookie = 'analytics_session_id=; path=/; max-age=0';
    window.ampSession = smaller;
  }, first - 5_000);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const c = nameOf('C');
  await track(page, c);
  assert.equal((await trackedEvent(c)).properties[PROPERTY], replayB, 'a smaller session id changes nothing');
  await assertReplayArrived(replayA);
  await assertReplayArrived(replayB);
  // The next page of the site starts in that session, from the cookie.
  await page.evaluate((larger) => (document.cookie = `analytics_session_id=${larger}; path=/`), larger);
  await page.reload();
  const d = nameOf('D');
  await page.evaluate((larger) => (window.ampSession = larger), larger);
  await track(page, d);
  assert.equal((await trackedEvent(d)).properties[PROPERTY], replayB);
  assert.deepEqual(errors, []);
});

test('Amplitude Classic recipe: getSessionId() names the session; a new one rotates the replay', async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions(), classicSession: true }));
  await page.evaluate(() => (window.classicSession = 1700000000001));
  const a = nameOf('A');
  await track(page, a);
  const replayA = (await trackedEvent(a)).properties[PROPERTY];
  assert.equal(replayA.split('/')[1], '1700000000001');
  await page.evaluate(() => (window.classicSession = 1700000000002));
  const b = nameOf('B');
  await track(page, b);
  const replayB = (await trackedEvent(b)).properties[PROPERTY];
  assert.equal(replayB, `${replayA.split('/')[0]}/1700000000002`);
  await assertReplayArrived(replayA);
  await assertReplayArrived(replayB);
  assert.deepEqual(errors, []);
});

test('a user id the replay id cannot hold: the identify reaches Segment, the replay keeps the anonymous id, said once', async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions() }));
  const badUserId = `Zoë Smith/${serial}`;
  await page.evaluate((id) => window.app.analytics.identify(id).then(() => window.app.analytics.identify(id)), badUserId);
  const identified = await segment.waitFor((events) => events.filter((event) => event.type === 'identify' && event.userId === badUserId).length === 2, 15000, 'both identify calls');
  assert.ok(identified);
  const name = nameOf('After a bad identify');
  await track(page, name);
  const event = await trackedEvent(name);
  assert.equal(event.userId, badUserId);
  assert.equal(event.properties[PROPERTY].split('/')[0], event.anonymousId);
  const said = await warningsWith(page, 'cannot be a replay');
  assert.equal(said.length, 1, `said once: ${JSON.stringify(said)}`);
  assert.match(said[0], /a-z A-Z 0-9/);
  assert.deepEqual(errors, []);
});

test('Segment fails to load (analytics.js is a 404): the page works and rewind records on its own ids', async () => {
  const { page, errors } = await freshPage();
  const cdn = `${segment.cdn}/blocked`;
  await page.goto(snippetPage({ cdn, rewind: rewindOptions() }));
  assert.equal(await page.evaluate(() => window.started), 'started');
  const replayId = await pageWaitFor(page, () => window.Rewind.getReplayId(), 'a replay on its own ids', 10000);
  assert.match(replayId, /^[\w-]+\/\d{13}$/);
  await assertReplayArrived(replayId);
  const said = await warningsWith(page, 'Segment has not loaded');
  assert.equal(said.length, 1, JSON.stringify(await page.evaluate(() => window.warnings)));
  // The page's own calls to the stub still queue without error.
  await page.evaluate(() => window.analytics.track('Queued forever'));
  assert.deepEqual(errors.filter((error) => !/analytics\.min\.js|404|Failed to load/.test(error)), []);
});

test('a Segment chunk that is not deployed: Segment\'s events go on untagged, and rewind records on its own ids', async () => {
  const { page, errors } = await freshPage();
  await page.goto(snippetPage({ rewind: rewindOptions(), segmentLoad: 'after-rewind' }, 'segment-snippet-lonely.html'));
  assert.equal(await page.evaluate(() => window.started), 'started');
  // The page() call queued before either loaded, which met the plugin
  // shell: it waited for the chunk, and went on as it came.
  const pageEvent = await segment.waitFor(
    (events) => events.find((event) => event.type === 'page' && event.name === 'Notes' && event.context?.page?.url === page.url()),
    15000,
    'the page() call',
  );
  assert.equal(pageEvent.properties[PROPERTY], undefined);
  const name = nameOf('Without the chunk');
  await track(page, name);
  assert.equal((await trackedEvent(name)).properties[PROPERTY], undefined);
  const replayId = await page.evaluate(() => window.Rewind.getReplayId());
  assert.match(replayId, /^[\w-]+\/\d{13}$/);
  assert.notEqual(replayId.split('/')[0], pageEvent.anonymousId, "rewind's own device id, not Segment's user");
  await assertReplayArrived(replayId);
  const said = await warningsWith(page, 'could not load its Segment integration');
  assert.equal(said.length, 1, JSON.stringify(await page.evaluate(() => window.warnings)));
  assert.deepEqual(errors.filter((error) => !/404|Failed to load resource|rewind-segment/.test(error)), []);
});

test("a page plugin that throws in Segment's chain: events still arrive, tagged, and rewind records", async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions(), throwingPlugin: true }));
  const name = nameOf('Despite a failing plugin');
  await track(page, name);
  const event = await trackedEvent(name);
  assert.ok(event.properties[PROPERTY]);
  await assertReplayArrived(event.properties[PROPERTY]);
  assert.equal(await page.evaluate(() => window.app.rewind.isRecording()), true);
  assert.deepEqual(errors, []);
});

test("rewind failing to start (an invalid option) never reaches Segment: events go on untagged, and rewind says why", async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions({ maskTextSelector: '[[not a selector' }) }));
  const name = nameOf('Despite rewind');
  await track(page, name);
  const event = await trackedEvent(name);
  assert.equal(event.properties[PROPERTY], undefined);
  assert.equal(await page.evaluate(() => window.app.rewind.isRecording()), false);
  const said = await warningsWith(page, 'Segment plugin: not recording');
  assert.equal(said.length, 1);
  assert.match(said[0], /maskTextSelector/);
  assert.deepEqual(errors, []);
});

test('sampleRate 0: no property, no chunks', async () => {
  const { page, errors } = await freshPage();
  const requestsBefore = ingest.requests.length;
  await page.goto(npmPage({ rewind: rewindOptions({ sampleRate: 0 }) }));
  const name = nameOf('Sampled out');
  await track(page, name);
  const event = await trackedEvent(name);
  assert.equal(event.properties[PROPERTY], undefined);
  assert.equal(await page.evaluate(() => window.app.rewind.getReplayId()), null);
  await new Promise((resolve) => setTimeout(resolve, 800));
  const mine = ingest.requests.slice(requestsBefore).filter((request) => request.replayId?.startsWith(event.anonymousId));
  assert.deepEqual(mine, []);
  assert.deepEqual(errors, []);
});

test('trackReplayCaptured: "Replay Captured" is sent once a replay\'s first chunk is accepted, once per replay', async () => {
  const { page, errors } = await freshPage();
  await page.goto(npmPage({ rewind: rewindOptions({ trackReplayCaptured: true }) }));
  const captured = await segment.waitFor(
    (events) => events.find((event) => event.type === 'track' && event.event === 'Replay Captured' && event.anonymousId && ingest.chunksOf(event.properties[PROPERTY]).length > 0),
    15000,
    '"Replay Captured"',
  );
  const replayId = captured.properties[PROPERTY];
  const [device, session] = replayId.split('/');
  assert.equal(captured.properties['Replay Device ID'], device);
  assert.equal(captured.properties['Replay Session ID'], session);
  // More chunks of the same replay: no second one.
  for (let i = 0; i < 3; i += 1) {
    await track(page, nameOf('More'));
    await page.evaluate(() => window.app.rewind.flush());
  }
  await ingest.waitFor(() => ingest.chunksOf(replayId).length >= 3, 10000, 'more chunks');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const sent = segment.events.filter((event) => event.event === 'Replay Captured' && event.properties[PROPERTY] === replayId);
  assert.equal(sent.length, 1);
  assert.deepEqual(errors, []);
});

test('invalid options: the plugin says what is wrong and what is allowed', async () => {
  const { page } = await freshPage();
  await page.goto(snippetPage({ rewind: rewindOptions() }));
  const messages = await page.evaluate(async () => {
    const results = [];
    for (const segmentOption of [42, [], { analytics: window.analytics, trackReplayCaptured: 'yes' }, { analytics: window.analytics, colour: 'red' }]) {
      results.push(await window.Rewind.start({ endpoint: '/ingest', segment: segmentOption }).then(() => 'resolved', (error) => error.message));
    }
    return results;
  });
  assert.match(messages[0], /'segment' must be window\.analytics .* got number/);
  assert.match(messages[1], /an array without register\(\)/);
  assert.match(messages[2], /'trackReplayCaptured' must be true or false, got string/);
  assert.match(messages[3], /unknown key 'colour' in rewind option 'segment': allowed are analytics, getSessionId, trackReplayCaptured, recordEvents/);
});
