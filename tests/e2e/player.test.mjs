// The main job end to end: the demo app, recorded through the snippet into
// the reference collector, then played back in the player page with
// rrweb-player. Screenshots of both land in test-results/. The page's
// console errors and warnings show as coloured markers on the player's
// progress bar and in its list; a click plays from 5 s before, and an error
// carries the link an error report would. The app's Segment calls (page and
// track, recorded as Custom events tagged 'segment') show as green markers
// and entries; a click plays from there. The replay list narrows to the
// replay whose id is pasted from an analytics event. With read keys, the
// player asks for one in its own form, keeps it for the tab and asks again
// when it is refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';

import { createDemoServer } from '../../www/server.mjs';
import { repoRoot, listen } from '../support/static-server.mjs';
import { collectPageErrors } from '../support/browser.mjs';
import { useDemoServer, useBrowser, useFreshPages } from '../support/harness.mjs';
import { untilRecordingAsSegmentUser } from '../support/page-wait.mjs';

const SHOTS = path.join(repoRoot, 'test-results');
const VIEWPORT = { width: 1280, height: 800 };
const demo = useDemoServer({ tempPrefix: 'rewind-player-', apiKeys: [], readKeys: [] });
const freshPage = useFreshPages(useBrowser('chromium'));

before(() => mkdir(SHOTS, { recursive: true }));

/** The player's position (ms from the replay's start), as its replayer has it. */
const playerTime = (page) => page.evaluate(() => window.currentReplay.player.getReplayer().getCurrentTime());

/** A console marker's computed colour and its centre as a fraction of the progress bar. */
function markerLook(marker) {
  const bar = marker.closest('.rr-progress').getBoundingClientRect();
  const box = marker.getBoundingClientRect();
  return {
    colour: getComputedStyle(marker).backgroundColor,
    at: (box.left + box.width / 2 - bar.left) / bar.width,
  };
}

/** Records the demo app in `page` until its chunks are stored; its replay id. */
async function storedReplay(page) {
  await untilRecordingAsSegmentUser(page);
  return page.evaluate(async () => {
    await Rewind.flush();
    await Rewind.whenDelivered(10000);
    return Rewind.getReplayId();
  });
}

/**
 * The demo app's own Meta and FullSnapshot, as rewind recorded them in a
 * page of `context` and the collector stored them, moved to `t0`: the
 * opening of a replay whose other events a test chooses.
 */
async function appOpening(context, t0) {
  const app = await context.newPage();
  await app.goto(`${demo.origin}/app.html`);
  const recordedId = await storedReplay(app);
  await app.close();
  const first = await fetch(`${demo.origin}/api/replays/${encodeURIComponent(recordedId)}/chunks/0`);
  assert.equal(first.status, 200);
  const { events } = JSON.parse(gunzipSync(Buffer.from(await first.arrayBuffer())));
  return [4, 2].map((type) => ({ ...events.find((event) => event.type === type), timestamp: t0 }));
}

/** A console event as rewind records it (rrweb/console@1: each argument as its JSON text). */
const consoleEvent = (timestamp, level, args) => ({
  type: 6,
  timestamp,
  data: { plugin: 'rrweb/console@1', payload: { level, trace: ['at HTMLButtonElement.<anonymous> (app.html:75:15)'], payload: args.map((arg) => JSON.stringify(arg)) } },
});

/** A Segment call as rewind's Segment plugin records it: a Custom event tagged 'segment'. */
const segmentEvent = (timestamp, payload) => ({ type: 5, timestamp, data: { tag: 'segment', payload } });

/** A mouse move at `timestamp`: the end of a made-up replay. */
const mouseMove = (timestamp) => ({ type: 3, timestamp, data: { source: 1, positions: [{ x: 40, y: 40, id: 1, timeOffset: 0 }] } });

/** Stores `events` as the one chunk of `replayId` through POST /ingest. */
async function ingest(replayId, events) {
  const [deviceId, sessionId] = replayId.split('/');
  const chunk = { replayId, deviceId, sessionId, seq: 0, startTimestamp: events[0].timestamp, endTimestamp: events.at(-1).timestamp, events };
  const stored = await fetch(`${demo.origin}/ingest`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    body: gzipSync(JSON.stringify(chunk)),
  });
  assert.equal(stored.status, 201, await stored.text());
}

/** Where the collector stores the chunks of `replayId`. */
function replayDir(replayId) {
  const [device, session] = replayId.split('/');
  return path.join(demo.dataDir, encodeURIComponent(device).replaceAll('.', '%2E'), session);
}

test('a session of the demo app is stored by the collector and plays back in the player', async (t) => {
  const { context, page: app, errors: appErrors } = await freshPage({ viewport: VIEWPORT });
  const appWarnings = [];
  app.on('console', (message) => {
    if (message.type() === 'warning') appWarnings.push(message.text());
  });
  await app.goto(`${demo.origin}/app.html`);
  await untilRecordingAsSegmentUser(app);
  await app.fill('#note-text', 'Replay me in the player');
  await app.click('#add-note button');
  await app.fill('#email', 'grace@example.com');
  await app.fill('#password', 'never-recorded-pw');
  await app.click('a[href="#help"]');
  await app.locator('#activity').evaluate((panel) => panel.scrollTo(0, 200));
  await app.click('#warn');
  await app.click('#boom');
  const { replayId, errorAt } = await app.evaluate(async () => {
    await Rewind.flush();
    await Rewind.whenDelivered(10000);
    return { replayId: Rewind.getReplayId(), errorAt: Date.now() };
  });
  await app.screenshot({ path: path.join(SHOTS, 'demo-app.png') });
  // The error the app threw is the page's own: the only one it logged.
  assert.equal(appErrors.filter((e) => e.includes('payment service is down')).length, 1);
  // The warning button's console.warn ran as the page wrote it.
  assert.deepEqual(appWarnings, ['Demo warning: notes sync is slow {pending: 3, retryInMs: 1500}']);

  const stored = await readdir(replayDir(replayId));
  assert.ok(stored.some((name) => name.endsWith('.json.gz')), `chunks stored: ${stored}`);

  const player = await context.newPage();
  const playerErrors = collectPageErrors(player);
  await player.goto(`${demo.origin}/player.html`);
  await player.locator(`#replays li[data-replay-id="${replayId}"]`).waitFor();
  assert.match(await player.locator(`#replays li[data-replay-id="${replayId}"] .errors`).textContent(), /1 error/);
  await player.waitForFunction(() => window.currentReplay && window.currentReplay.events > 2);
  const timeline = await player.locator('#timeline li').allTextContents();
  assert.ok(timeline.some((line) => line.includes('note added')), timeline.join('\n'));
  assert.ok(timeline.some((line) => line.includes('payment service is down')), timeline.join('\n'));
  // The app's Segment calls, recorded into its replay: the note as a track
  // call, the move to Help as a page call, each a green entry and marker.
  const segment = await player.evaluate(() => window.currentReplay.segment.map(({ type, name }) => `${type} ${name}`));
  assert.ok(segment.includes('track Note Added') && segment.includes('page Help'), JSON.stringify(segment));
  assert.ok(segment.indexOf('track Note Added') < segment.indexOf('page Help'), `in the order the app sent them: ${segment}`);
  assert.equal(await player.locator('#timeline li.segment').count(), segment.length);
  assert.equal(await player.locator('#stage .rr-progress .segment-marker').count(), segment.length);

  // Seek to the end: the rebuilt app shows the new note and the masked form.
  const lastOffset = Number(await player.locator('#timeline li.error').last().getAttribute('data-offset'));
  await player.evaluate((offset) => window.currentReplay.player.goto(offset + 50, false), lastOffset);
  const replayed = player.frameLocator('.replayer-wrapper iframe');
  await replayed.locator('#note-list li', { hasText: 'Replay me in the player' }).waitFor({ timeout: 10_000 });
  assert.equal(await replayed.locator('#password').inputValue(), '*'.repeat('never-recorded-pw'.length));
  await player.screenshot({ path: path.join(SHOTS, 'player.png') });

  // The thrown error is a red marker on the progress bar and an error entry
  // in the list, with the link an error report carries.
  const recorded = await player.evaluate(() => window.currentReplay.console);
  const errorsRecorded = recorded.filter((entry) => entry.level === 'error');
  assert.equal(errorsRecorded.length, 1, JSON.stringify(recorded));
  assert.match(errorsRecorded[0].text, /payment service is down/);
  const markers = player.locator('#stage .rr-progress .console-marker');
  assert.deepEqual(
    await markers.evaluateAll((all) => all.map((marker) => marker.dataset.level)),
    recorded.map((entry) => entry.level),
    'one marker per console event, in order',
  );
  assert.equal(await player.locator('#stage .console-marker.error').evaluate((marker) => getComputedStyle(marker).backgroundColor), 'rgb(217, 48, 37)');
  // The warning is recorded once captureConsole wraps console.warn (issue 12, item 1).
  const warningsRecorded = recorded.filter((entry) => entry.level === 'warn');
  if (warningsRecorded.length === 0) {
    t.diagnostic('console.warn is not recorded by this build (captureConsole): the warning marker is checked with a synthetic replay below');
  } else {
    assert.equal(warningsRecorded.length, 1, JSON.stringify(recorded));
    assert.match(warningsRecorded[0].text, /^Demo warning: notes sync is slow \{.*"pending": ?3.*"retryInMs": ?1500.*\}$/);
    assert.equal(await player.locator('#stage .console-marker.warn').evaluate((marker) => getComputedStyle(marker).backgroundColor), 'rgb(242, 153, 0)');
  }
  const link = player.locator('#timeline li.error a.open-at');
  assert.equal(await link.textContent(), 'open in player at this error');
  const linked = new URL(await link.evaluate((anchor) => anchor.href));
  assert.equal(linked.pathname, '/player.html');
  assert.equal(linked.searchParams.get('replay'), replayId);
  assert.equal(Number(linked.searchParams.get('t')), errorsRecorded[0].timestamp);
  assert.ok(errorsRecorded[0].timestamp <= errorAt);

  // The link opens the replay 5 s before the error (here: its start, which
  // is less than 5 s before).
  await link.click();
  await player.waitForURL(linked.href);
  await player.waitForFunction(() => window.currentReplay && window.currentReplay.events > 2);
  const start = await player.evaluate(() => window.currentReplay.start);
  const expected = Math.max(0, errorsRecorded[0].timestamp - 5000 - start);
  const now = await playerTime(player);
  assert.ok(Math.abs(now - expected) < 100, `opened at ${now} ms, expected ${expected} ms`);
  assert.equal(await player.locator('#timeline li.error.selected').count(), 1, "the linked error's entry is the one looked at");
  assert.deepEqual(playerErrors, []);
});

test('console errors and warnings are coloured markers on the timeline; a click plays from 5 s before; the error links there', async () => {
  // The demo app's own Meta and FullSnapshot, then console events at chosen
  // moments, shaped as rewind writes them (rrweb/console@1: each argument
  // as its JSON text): a warning 3 s in, an error 20 s in, the end at 30 s.
  const { context } = await freshPage({ viewport: VIEWPORT });
  const t0 = Date.now() - 60_000;
  const [meta, snapshot] = await appOpening(context, t0);
  const events = [
    meta,
    snapshot,
    consoleEvent(t0 + 3_000, 'warn', ['Demo warning: notes sync is slow', { pending: 3, retryInMs: 1500 }]),
    consoleEvent(t0 + 20_000, 'error', ['Uncaught Error: Demo error: the payment service is down']),
    mouseMove(t0 + 30_000),
  ];
  const replayId = 'console-timeline/1';
  await ingest(replayId, events);

  const player = await context.newPage();
  const playerErrors = collectPageErrors(player);
  await player.goto(`${demo.origin}/player.html?replay=${encodeURIComponent(replayId)}`);
  await player.waitForFunction(() => window.currentReplay?.console?.length === 2);

  // Two markers, in time order, coloured by level, where their events are.
  const markers = player.locator('#stage .rr-progress .console-marker');
  assert.deepEqual(await markers.evaluateAll((all) => all.map((marker) => [marker.dataset.level, marker.className])), [
    ['warn', 'console-marker warn'],
    ['error', 'console-marker error'],
  ]);
  const warnLook = await player.locator('#stage .console-marker.warn').evaluate(markerLook);
  const errorLook = await player.locator('#stage .console-marker.error').evaluate(markerLook);
  assert.equal(errorLook.colour, 'rgb(217, 48, 37)', 'errors are red');
  assert.equal(warnLook.colour, 'rgb(242, 153, 0)', 'warnings are amber');
  assert.ok(Math.abs(warnLook.at - 0.1) < 0.01, `the warning's marker sits at ${warnLook.at} of the bar, expected 0.1`);
  assert.ok(Math.abs(errorLook.at - 2 / 3) < 0.01, `the error's marker sits at ${errorLook.at} of the bar, expected 0.667`);
  assert.equal(await player.locator('#console-summary').textContent(), 'Console: 1 error, 1 warning · a marker or an entry plays from 5 s before it');

  // The list: level, time and message of each; only the error has a link.
  const items = player.locator('#timeline li.console');
  assert.deepEqual(
    await items.evaluateAll((all) =>
      all.map((item) => [item.dataset.level, item.querySelector('.level').textContent, item.querySelector('time').textContent, item.querySelector('.text').textContent]),
    ),
    [
      ['warn', 'warn', '0:03', 'Demo warning: notes sync is slow { "pending": 3, "retryInMs": 1500 }'],
      ['error', 'error', '0:20', 'Uncaught Error: Demo error: the payment service is down'],
    ],
  );
  assert.equal(await player.locator('#timeline li.warn a').count(), 0);
  const link = player.locator('#timeline li.error a.open-at');
  assert.equal(await link.textContent(), 'open in player at this error');
  const href = new URL(await link.evaluate((anchor) => anchor.href));
  assert.equal(href.pathname, '/player.html');
  assert.equal(href.searchParams.get('replay'), replayId);
  assert.equal(href.searchParams.get('t'), String(t0 + 20_000));

  // The error's marker plays from 15 s (5 s before it), paused.
  await player.locator('#stage .console-marker.error').click();
  assert.ok(Math.abs((await playerTime(player)) - 15_000) < 100, `at ${await playerTime(player)} ms after the error marker`);
  assert.equal(await player.locator('#timeline li.error.selected').count(), 1);
  assert.equal(await player.locator('#stage .console-marker.error.selected').count(), 1);
  await player.screenshot({ path: path.join(SHOTS, 'player-console.png') });
  await player.locator('#stage .rr-controller').screenshot({ path: path.join(SHOTS, 'player-console-markers.png') });

  // The warning's, 3 s in: from the start (5 s before, clamped).
  await player.locator('#stage .console-marker.warn').click();
  assert.equal(await playerTime(player), 0);
  // The error's entry in the list, as its marker.
  await player.locator('#timeline li.error .text').click();
  assert.ok(Math.abs((await playerTime(player)) - 15_000) < 100, `at ${await playerTime(player)} ms after the error entry`);

  // The error's link opens the player 5 s before the error, that error selected.
  await link.click();
  await player.waitForURL(href.href);
  await player.waitForFunction(() => window.currentReplay?.console?.length === 2);
  assert.ok(Math.abs((await playerTime(player)) - 15_000) < 100, `the link opened at ${await playerTime(player)} ms`);
  assert.equal(await player.locator('#timeline li.error.selected').count(), 1);
  assert.deepEqual(playerErrors, []);
});

test('Segment events are green markers and entries with their type and name; a click plays from there', async () => {
  // The demo app's opening, then Segment calls at chosen moments among a
  // console error: a page call 1 s in, a track call 9 s in, the error 15 s
  // in, a page call with a category 24 s in, an unnamed screen call 27 s
  // in, the end at 30 s.
  const { context } = await freshPage({ viewport: VIEWPORT });
  const t0 = Date.now() - 120_000;
  const events = [
    ...(await appOpening(context, t0)),
    segmentEvent(t0 + 1_000, { type: 'page', name: 'Notes' }),
    segmentEvent(t0 + 9_000, { type: 'track', name: 'Note Added' }),
    consoleEvent(t0 + 15_000, 'error', ['Uncaught Error: Demo error: the payment service is down']),
    segmentEvent(t0 + 24_000, { type: 'page', name: 'Help', category: 'Docs' }),
    segmentEvent(t0 + 27_000, { type: 'screen', name: null }),
    mouseMove(t0 + 30_000),
  ];
  const replayId = 'segment-timeline/1';
  await ingest(replayId, events);

  const player = await context.newPage();
  const playerErrors = collectPageErrors(player);
  await player.goto(`${demo.origin}/player.html?replay=${encodeURIComponent(replayId)}`);
  await player.waitForFunction(() => window.currentReplay?.segment?.length === 4);

  // A green diamond per Segment call, in time order, where its event
  // is; the console error keeps its own red marker.
  const markers = player.locator('#stage .rr-progress .segment-marker');
  assert.deepEqual(await markers.evaluateAll((all) => all.map((marker) => [marker.dataset.type, marker.className])), [
    ['page', 'segment-marker'],
    ['track', 'segment-marker'],
    ['page', 'segment-marker'],
    ['screen', 'segment-marker'],
  ]);
  const looks = [];
  for (const marker of await markers.all()) looks.push(await marker.evaluate(markerLook));
  const expectedAt = [1, 9, 24, 27].map((seconds) => seconds / 30);
  looks.forEach((look, index) => {
    assert.equal(look.colour, 'rgb(14, 159, 110)', `Segment marker ${index} is green`);
    assert.ok(Math.abs(look.at - expectedAt[index]) < 0.01, `Segment marker ${index} sits at ${look.at} of the bar, expected ${expectedAt[index]}`);
  });
  const consoleColours = ['rgb(217, 48, 37)', 'rgb(242, 153, 0)', 'rgb(138, 148, 166)'];
  assert.ok(!consoleColours.includes(looks[0].colour), 'a colour no console level has');
  const handleColour = await player.locator('#stage .rr-progress__handler').evaluate((handle) => getComputedStyle(handle).backgroundColor);
  assert.notEqual(looks[0].colour, handleColour, "nor rrweb-player's own handle");
  assert.equal(await player.locator('#stage .rr-progress .console-marker').count(), 1, 'Segment markers are no console markers');
  const errorLook = await player.locator('#stage .console-marker.error').evaluate(markerLook);
  assert.equal(errorLook.colour, 'rgb(217, 48, 37)');
  assert.ok(Math.abs(errorLook.at - 0.5) < 0.01, `the error's marker sits at ${errorLook.at}`);
  assert.equal(await player.locator('#console-summary').textContent(), 'Console: 1 error · a marker or an entry plays from 5 s before it');

  // The list, in time order with the error: type, time and name of each.
  assert.deepEqual(await player.locator('#timeline li').evaluateAll((all) => all.map((item) => item.className)), [
    'segment',
    'segment',
    'console error',
    'segment',
    'segment',
  ]);
  assert.deepEqual(
    await player.locator('#timeline li.segment').evaluateAll((all) =>
      all.map((item) => [item.dataset.type, item.querySelector('.badge').textContent, item.querySelector('time').textContent, item.querySelector('.text').textContent]),
    ),
    [
      ['page', 'page', '0:01', 'Notes'],
      ['track', 'track', '0:09', 'Note Added'],
      ['page', 'page', '0:24', 'Docs › Help'],
      ['screen', 'screen', '0:27', '(unnamed screen)'],
    ],
  );
  assert.equal(await player.locator('#timeline li.segment .badge').first().evaluate((badge) => getComputedStyle(badge).backgroundColor), 'rgb(14, 159, 110)');
  assert.deepEqual(
    (await player.evaluate(() => window.currentReplay.segment)).map(({ type, name, category, timestamp }) => [type, name, category, timestamp]),
    [
      ['page', 'Notes', null, t0 + 1_000],
      ['track', 'Note Added', null, t0 + 9_000],
      ['page', 'Help', 'Docs', t0 + 24_000],
      ['screen', null, null, t0 + 27_000],
    ],
  );

  // The track call's marker plays from its moment, paused; it and its entry
  // are the ones looked at.
  await markers.nth(1).click();
  assert.ok(Math.abs((await playerTime(player)) - 9_000) < 100, `at ${await playerTime(player)} ms after the track marker`);
  assert.equal(await player.evaluate(() => window.currentReplay.player.getReplayer().service.state.value), 'paused');
  assert.equal(await player.locator('#stage .segment-marker.selected').getAttribute('data-offset'), '9000');
  assert.equal(await player.locator('#timeline li.segment.selected .text').textContent(), 'Note Added');
  await player.screenshot({ path: path.join(SHOTS, 'player-segment.png') });
  await player.locator('#stage .rr-controller').screenshot({ path: path.join(SHOTS, 'player-segment-markers.png') });

  // The Help page call's entry, as its marker.
  await player.locator('#timeline li.segment', { hasText: 'Docs › Help' }).click();
  assert.ok(Math.abs((await playerTime(player)) - 24_000) < 100, `at ${await playerTime(player)} ms after the page entry`);
  assert.equal(await player.locator('#stage .segment-marker.selected').getAttribute('data-offset'), '24000');
  // The console error's marker still plays from 5 s before it.
  await player.locator('#stage .console-marker.error').click();
  assert.ok(Math.abs((await playerTime(player)) - 10_000) < 100, `at ${await playerTime(player)} ms after the error marker`);
  assert.equal(await player.locator('#stage .segment-marker.selected').count(), 0);
  assert.deepEqual(playerErrors, []);
});

test('the replay list narrows to the replay whose id is pasted from an analytics event', async () => {
  // Two sessions of the demo app in two profiles: two Segment users, two
  // replays. The id pasted is the one the second one's Segment page call
  // carried to the demo server's Segment endpoint.
  const first = await freshPage({ viewport: VIEWPORT });
  const second = await freshPage({ viewport: VIEWPORT });
  await Promise.all([first.page.goto(`${demo.origin}/app.html`), second.page.goto(`${demo.origin}/app.html`)]);
  const ids = [await storedReplay(first.page), await storedReplay(second.page)];
  assert.notEqual(ids[0], ids[1]);
  const anonymousId = await second.page.evaluate(() => analytics.user().anonymousId());
  const received = await (await fetch(`${demo.origin}/segment/events`)).json();
  const pageCall = received.find((event) => event.type === 'page' && event.anonymousId === anonymousId);
  assert.ok(pageCall, `the second app's page call reached the Segment endpoint: ${JSON.stringify(received.map((event) => [event.type, event.anonymousId]))}`);
  const pasted = pageCall.properties['Session Replay ID'];
  assert.equal(pasted, ids[1]);
  // A replay whose id starts with the pasted one: an exact match only.
  const decoy = `${pasted}0`;
  await ingest(decoy, [mouseMove(Date.now() - 3_600_000), mouseMove(Date.now() - 3_590_000)]);

  const player = await first.context.newPage();
  const playerErrors = collectPageErrors(player);
  await player.goto(`${demo.origin}/player.html`);
  await player.waitForFunction(() => window.currentReplay);
  const items = player.locator('#replays li');
  const visibleIds = () => items.evaluateAll((all) => all.filter((item) => item.checkVisibility()).map((item) => item.dataset.replayId));
  const all = await visibleIds();
  assert.ok([...ids, decoy].every((id) => all.includes(id)), `every replay listed at first: ${all}`);
  const filter = player.locator('#replay-filter');
  const status = player.locator('#filter-status');

  // Pasted with the whitespace a copy brings: that replay alone, opened.
  await filter.fill(`  ${pasted}\n`);
  await player.waitForFunction((id) => window.currentReplay?.replayId === id, pasted);
  assert.deepEqual(await visibleIds(), [pasted]);
  assert.equal(await status.textContent(), `Showing replay ${pasted} (clear the field for all).`);
  assert.equal(await player.locator('#title').textContent(), pasted);
  await player.screenshot({ path: path.join(SHOTS, 'player-filter.png') });

  // URL-encoded (as in a link or a query), and quoted (as copied from an
  // event's JSON): the same replay.
  await filter.fill('');
  assert.equal((await visibleIds()).length, all.length, 'an empty field lists every replay');
  assert.equal(await status.isVisible(), false);
  await filter.fill(encodeURIComponent(pasted));
  assert.ok(encodeURIComponent(pasted).includes('%2F'));
  assert.deepEqual(await visibleIds(), [pasted]);
  await filter.fill(` "${pasted}" `);
  assert.deepEqual(await visibleIds(), [pasted]);
  // Switching to the other replay's id opens that one.
  await filter.fill(ids[0]);
  await player.waitForFunction((id) => window.currentReplay?.replayId === id, ids[0]);
  assert.deepEqual(await visibleIds(), [ids[0]]);

  // A well-formed id the collector never stored: nothing listed, and said.
  const unknown = `${pasted.split('/')[0]}/1`;
  await filter.fill(unknown);
  await status.filter({ hasText: 'No replay matches' }).waitFor();
  assert.deepEqual(await visibleIds(), []);
  assert.equal(
    await status.textContent(),
    `No replay matches ${unknown}: this collector has stored none under that id (not sent yet, sampled out, or recorded elsewhere).`,
  );
  assert.equal(await status.evaluate((element) => element.classList.contains('problem')), true);
  await player.screenshot({ path: path.join(SHOTS, 'player-filter-none.png') });
  // Something that is no replay id at all.
  await filter.fill('Note Added');
  assert.deepEqual(await visibleIds(), []);
  assert.match(await status.textContent(), /^Not a replay id: paste the "Session Replay ID" of an analytics event, <deviceId>\/<sessionId>/);

  // A replay stored after the list was read is found all the same.
  const third = await freshPage();
  await third.page.goto(`${demo.origin}/app.html`);
  const later = await storedReplay(third.page);
  assert.ok(!all.includes(later));
  await filter.fill(later);
  await player.waitForFunction((id) => window.currentReplay?.replayId === id, later);
  assert.deepEqual(await visibleIds(), [later]);
  await filter.fill('');
  assert.equal((await visibleIds()).length, all.length + 1);
  // The browser logs the one 404 the unknown id met; nothing else.
  const notFound = playerErrors.filter((line) => line.includes('status of 404'));
  assert.equal(notFound.length, 1, playerErrors.join('\n'));
  assert.deepEqual(playerErrors.filter((line) => !notFound.includes(line)), []);
});

test('a replay with a missing chunk says so in the player', async () => {
  const { context, page: app } = await freshPage();
  await app.goto(`${demo.origin}/app.html`);
  await untilRecordingAsSegmentUser(app);
  const replayId = await app.evaluate(async () => {
    for (let i = 0; i < 3; i++) {
      Rewind.log(`step ${i}`);
      await Rewind.flush();
    }
    await Rewind.whenDelivered(10000);
    return Rewind.getReplayId();
  });
  await rm(path.join(replayDir(replayId), '1.json.gz'));
  // The summary still lists seq 1: the chunk file itself is what is lost.
  const player = await context.newPage();
  await player.goto(`${demo.origin}/player.html?replay=${encodeURIComponent(replayId)}`);
  await player.locator('#gaps').waitFor();
  assert.match(await player.locator('#gaps').textContent(), /Missing chunk 1/);
});

test("the demo app loads rewind with the README's snippet", async () => {
  const { readFile } = await import('node:fs/promises');
  const snippet = (await readFile(path.join(repoRoot, 'dist/snippet.min.js'), 'utf8')).trim();
  const app = await readFile(path.join(repoRoot, 'www/public/app.html'), 'utf8');
  assert.ok(app.includes(snippet.replace('"/rewind/rewind.js"', '"/dist/rewind.js"')), 'app.html holds the built snippet');
});

test('with read keys, the player asks for one in a form, keeps it for the tab and asks again when it is refused', async () => {
  const keyed = await listen(createDemoServer({ dataDir: demo.dataDir, apiKeys: [], readKeys: ['rk_read_player'] }));
  try {
    const { context, page: app } = await freshPage({ viewport: VIEWPORT });
    await app.goto(`${keyed.origin}/app.html`);
    await untilRecordingAsSegmentUser(app);
    const replayId = await app.evaluate(async () => {
      Rewind.log('behind a key');
      await Rewind.flush();
      await Rewind.whenDelivered(10000);
      return Rewind.getReplayId();
    });
    await app.close();

    const player = await context.newPage();
    const playerErrors = collectPageErrors(player);
    const dialogs = [];
    player.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      dialog.dismiss();
    });
    const readRequests = [];
    player.on('request', (request) => {
      if (request.url().includes('/api/replays')) readRequests.push(request.headers().authorization ?? null);
    });
    await player.goto(`${keyed.origin}/player.html`);
    const form = player.locator('#key-form');
    await form.waitFor({ state: 'visible' });
    assert.match(await player.locator('#key-reason').textContent(), /kept behind a read key.*REWIND_READ_KEYS/);
    assert.equal(await player.locator('#replays li').count(), 0, 'nothing listed without a key');
    await player.screenshot({ path: path.join(SHOTS, 'player-key-prompt.png') });

    // An empty key is refused in the page; a wrong one by the collector.
    await player.click('#key-form button[type=submit]');
    assert.equal(await player.locator('#key-error').textContent(), 'Enter a read key.');
    await player.fill('#read-key', 'rk_wrong');
    await player.click('#key-form button[type=submit]');
    await player.locator('#key-reason', { hasText: 'That key was refused' }).waitFor();
    assert.equal(await player.evaluate(() => sessionStorage.getItem('rewind.readKey')), null, 'a refused key is forgotten');
    await player.screenshot({ path: path.join(SHOTS, 'player-key-refused.png') });

    await player.fill('#read-key', 'rk_read_player');
    await player.press('#read-key', 'Enter');
    await form.waitFor({ state: 'hidden' });
    await player.locator(`#replays li[data-replay-id="${replayId}"]`).waitFor();
    await player.waitForFunction(() => window.currentReplay && window.currentReplay.events > 2);
    assert.ok((await player.locator('#timeline li').allTextContents()).some((line) => line.includes('behind a key')));
    assert.equal(await player.evaluate(() => sessionStorage.getItem('rewind.readKey')), 'rk_read_player');
    assert.ok(readRequests.includes('Bearer rk_read_player'), 'the key travels as a Bearer token');
    assert.equal(readRequests.filter((header) => header === 'Bearer rk_read_player').length, readRequests.length - 2, 'every read after the key was given carries it');

    // Asked once: a reload in the same tab goes straight to the replays.
    await player.reload();
    await player.waitForFunction(() => window.currentReplay && window.currentReplay.events > 2);
    assert.equal(await form.isVisible(), false);

    // A key the collector no longer takes (say, rotated) brings the form back.
    await player.evaluate(() => sessionStorage.setItem('rewind.readKey', 'rk_rotated_away'));
    await player.reload();
    await form.waitFor({ state: 'visible' });
    assert.match(await player.locator('#key-reason').textContent(), /That key was refused \(that read key is not one of the keys in REWIND_READ_KEYS\)/);
    assert.deepEqual(dialogs, [], 'no window.prompt or other dialog');
    // The browser logs each 401 it met (no key, the wrong key, the rotated key); nothing else.
    const refusals = playerErrors.filter((line) => line.includes('status of 401'));
    assert.equal(refusals.length, 3, playerErrors.join('\n'));
    assert.deepEqual(playerErrors.filter((line) => !refusals.includes(line)), []);
  } finally {
    await keyed.close();
  }
});
