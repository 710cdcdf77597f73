// The README's demo: the shell page loads the recorded app, receives
// rewind's events and rebuilds them in rrweb's Replayer. This drives it as a
// person would and checks that the replay shows what the app shows, without
// the typed secrets. The app's navigation and note events go through
// Segment's analytics.js to the demo server's local Segment endpoint, each
// naming the replay the collector stored; `npm start` says where that
// endpoint is and logs what it receives. Screenshots land in test-results/.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { createDemoServer } from '../../www/server.mjs';
import { repoRoot, listen } from '../support/static-server.mjs';
import { useDemoServer, useBrowser, useFreshPages } from '../support/harness.mjs';
import { untilRecordingAsSegmentUser } from '../support/page-wait.mjs';

const SHOTS = path.join(repoRoot, 'test-results');
const demo = useDemoServer();
const freshPage = useFreshPages(useBrowser('chromium'));

before(() => mkdir(SHOTS, { recursive: true }));

test('the demo replays the recorded app beside it, masking what was typed', async () => {
  const { page, errors } = await freshPage({ viewport: { width: 1200, height: 760 } });
  await page.goto(`${demo.origin}/`);
  const app = page.frameLocator('#app');
  await app.locator('#note-text').fill('Replay this note');
  await app.locator('#add-note button').click();
  await app.locator('#email').fill('ada@example.com');
  await app.locator('#password').fill('correct horse battery');
  await app.locator('#remember').check();
  await page.click('#snapshot');

  // The replay's iframe is rrweb's; wait for the new note to be rebuilt in it.
  const replayed = page.frameLocator('#player iframe');
  await replayed.locator('#note-list li', { hasText: 'Replay this note' }).waitFor({ timeout: 10_000 });
  assert.equal(await replayed.locator('#note-list li').count(), 4);
  assert.equal(await replayed.locator('h2').first().textContent(), 'Notes');
  assert.equal(await replayed.locator('#email').inputValue(), '*'.repeat('ada@example.com'.length));
  assert.equal(await replayed.locator('#password').inputValue(), '*'.repeat('correct horse battery'.length));
  assert.equal(await replayed.locator('#remember').isChecked(), true);
  // The app's stylesheet was inlined: the replayed top bar has its colour.
  const topbarColour = await replayed.locator('.topbar').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(topbarColour, 'rgb(36, 59, 107)');

  await page.screenshot({ path: path.join(SHOTS, 'demo.png') });
  assert.deepEqual(errors, []);
});

test("the app's warning button, beside 'Throw an error', logs a warning with a small object", async () => {
  const { page, errors } = await freshPage({ viewport: { width: 1200, height: 760 } });
  let warningCount = 0;
  page.on('console', (message) => {
    if (message.type() === 'warning') warningCount += 1;
  });
  await page.goto(`${demo.origin}/`);
  const app = page.frameLocator('#app');
  const warn = app.locator('#warn');
  assert.equal(await warn.textContent(), 'Log a warning');
  // Side by side, on one row.
  const [warnBox, boomBox] = [await warn.boundingBox(), await app.locator('#boom').boundingBox()];
  assert.ok(warnBox.x + warnBox.width <= boomBox.x && Math.abs(warnBox.y - boomBox.y) < 2, JSON.stringify({ warnBox, boomBox }));
  const warned = page.waitForEvent('console', { predicate: (message) => message.type() === 'warning', timeout: 5000 });
  await warn.click();
  const message = await warned;
  assert.deepEqual(await Promise.all(message.args().map((arg) => arg.jsonValue())), [
    'Demo warning: notes sync is slow',
    { pending: 3, retryInMs: 1500 },
  ]);
  assert.equal(warningCount, 1);
  assert.deepEqual(errors, [], 'a warning is no error');
});

test('the npm package, bundled by webpack 5 in www/, records the page', async () => {
  const { page, errors } = await freshPage();
  await page.goto(`${demo.origin}/npm.html`);
  await page.locator('#replay-id', { hasText: '/' }).waitFor({ timeout: 10_000 });
  const result = await page.evaluate(async () => {
    await window.npmDemo.identify('npm-user');
    await window.npmDemo.flush();
    return {
      types: window.npmDemo.events.map((event) => event.type),
      heading: JSON.stringify(window.npmDemo.events[1]).includes('rewind imported from npm'),
      sessionId: await window.npmDemo.getSessionId(),
    };
  });
  assert.deepEqual(result.types.slice(0, 2), [4, 2]);
  assert.ok(result.heading, 'the snapshot holds the page');
  assert.ok(result.types.filter((type) => type === 5).length >= 2, 'the log and identify events');
  assert.match(result.sessionId, /^\d+$/);
  assert.deepEqual(errors, []);
});

/** Polls `find(events)` on what the demo server's Segment endpoint received, until it answers. */
async function segmentReceived(origin, find, what) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const events = await (await fetch(`${origin}/segment/events`)).json();
    const found = find(events);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the Segment endpoint holds ${JSON.stringify(events.map((event) => [event.type, event.event ?? event.name]))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("the app's navigation and note events go through Segment to the demo server, each naming the replay the collector stored", async () => {
  const { page, errors } = await freshPage({ viewport: { width: 1200, height: 760 } });
  const origins = new Set();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'http:' || url.protocol === 'https:') origins.add(url.origin);
  });
  // The server a test creates logs nothing unless asked (`segmentLog`).
  const printed = [];
  const log = console.log;
  console.log = (...args) => {
    printed.push(args.join(' '));
    log.apply(console, args);
  };
  try {
    await page.goto(`${demo.origin}/`);
    const frame = page.frame({ url: (url) => url.pathname === '/app.html' });
    await untilRecordingAsSegmentUser(frame);
    const app = page.frameLocator('#app');
    await app.locator('#note-text').fill('Tell Segment');
    await app.locator('#add-note button').click();
    await app.locator('nav a[href="#account"]').click();
    await app.locator('#note-list li', { hasText: 'Buy oat milk' }).locator('button.remove').click();
    assert.deepEqual(await app.locator('#note-list li').allTextContents(), ['Tell Segment ×', 'Call the plumber home ×', 'Ship v0.1 of rewind work ×']);

    const anonymousId = await frame.evaluate(() => analytics.user().anonymousId());
    const mine = (events) => events.filter((event) => event.anonymousId === anonymousId);
    const wanted = ['page Notes', 'track Note Added', 'page Account', 'track Note Removed'];
    const calls = await segmentReceived(
      demo.origin,
      (events) => {
        const found = mine(events);
        return found.length >= wanted.length ? found : null;
      },
      wanted.join(', '),
    );
    assert.deepEqual(calls.map((event) => `${event.type} ${event.event ?? event.name}`), wanted, 'each call once, in order');
    const replayId = await frame.evaluate(() => Rewind.getReplayId());
    assert.match(replayId, /^[0-9a-f-]{36}\/\d+$/, "Segment's anonymous id is the replay's device id");
    assert.equal(replayId.split('/')[0], anonymousId);
    for (const event of calls) assert.equal(event.properties['Session Replay ID'], replayId, `${event.type} ${event.event ?? event.name}`);
    const [added, removed] = calls.filter((event) => event.type === 'track');
    assert.deepEqual([added.properties.length, added.properties.notes, removed.properties.notes], ['Tell Segment'.length, 4, 3]);
    assert.ok(!JSON.stringify(calls).includes('Tell Segment'), "a note's text never goes to Segment");

    // The replay the property names is the one the collector stored, with
    // the same calls on its timeline.
    await frame.evaluate(async () => {
      await Rewind.flush();
      await Rewind.whenDelivered(10000);
    });
    const replay = await fetch(`${demo.origin}/api/replays/${encodeURIComponent(replayId)}`);
    assert.equal(replay.status, 200);
    const { seqs } = await replay.json();
    assert.equal(seqs[0], 0);
    const recorded = [];
    for (const seq of seqs) {
      const chunk = await fetch(`${demo.origin}/api/replays/${encodeURIComponent(replayId)}/chunks/${seq}`);
      const { events } = JSON.parse(gunzipSync(Buffer.from(await chunk.arrayBuffer())));
      for (const event of events) if (event.type === 5 && event.data.tag === 'segment') recorded.push(`${event.data.payload.type} ${event.data.payload.name}`);
    }
    assert.deepEqual(recorded, wanted);

    // The replay pane beside the app still rebuilds it: the note added, the one removed.
    await page.click('#snapshot');
    const replayed = page.frameLocator('#player iframe');
    await replayed.locator('#note-list li', { hasText: 'Tell Segment' }).waitFor({ timeout: 10_000 });
    assert.equal(await replayed.locator('#note-list li', { hasText: 'Buy oat milk' }).count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'demo-segment.png') });

    // Segment's script, its settings and its events: all from and to the demo server.
    assert.deepEqual([...origins], [demo.origin]);
    assert.deepEqual(errors, []);
    assert.deepEqual(printed.filter((line) => line.includes('[segment]')), []);
  } finally {
    console.log = log;
  }
});

test('npm start names the local Segment endpoint and logs each event it receives', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rewind-demo-cli-'));
  const server = spawn(process.execPath, [path.join(repoRoot, 'www/server.mjs')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REWIND_DATA_DIR: dataDir, REWIND_API_KEYS: '', REWIND_READ_KEYS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => {
    server.kill();
    await rm(dataDir, { recursive: true, force: true });
  });
  let output = '';
  server.stderr.on('data', (data) => {
    output += data;
  });
  const lines = [];
  const waiters = [];
  server.stdout.setEncoding('utf8');
  let partial = '';
  server.stdout.on('data', (data) => {
    const parts = (partial + data).split('\n');
    partial = parts.pop();
    lines.push(...parts);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const lineWith = async (text) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const line = lines.find((candidate) => candidate.includes(text));
      if (line) return line;
      if (Date.now() > deadline) throw new Error(`no line with ${JSON.stringify(text)} in ${JSON.stringify(lines)} ${output}`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  await lineWith('Ctrl+C to stop.');
  const origin = /^rewind demo: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(await lineWith('rewind demo:'))?.[1];
  assert.ok(origin, lines.join('\n'));
  assert.match(await lineWith('segment:'), new RegExp(`^segment: +${origin.replaceAll('.', '\\.')}/segment/ +\\(a local stand-in for Segment.*GET /segment/events lists them\\)$`));

  const sent = await fetch(`${origin}/segment/v1/t`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ type: 'track', event: 'Printed Event', anonymousId: 'anon-cli', properties: { 'Session Replay ID': 'anon-cli/1796000000000' } }),
  });
  assert.equal(sent.status, 200);
  assert.equal(await lineWith('[segment]'), '[segment] track "Printed Event" Session Replay ID="anon-cli/1796000000000" (anonymous "anon-cli")');
  const listed = await (await fetch(`${origin}/segment/events`)).json();
  assert.deepEqual(listed.map((event) => event.event), ['Printed Event']);
});

test('with read keys, what the Segment endpoint received takes a key to list; pages still load analytics.js and send events', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rewind-demo-keys-'));
  const keyed = await listen(createDemoServer({ dataDir, apiKeys: [], readKeys: ['rk_segment'] }));
  try {
    const script = await fetch(`${keyed.origin}/segment/analytics.js/v1/rewind-demo/analytics.min.js`);
    assert.equal(script.status, 200);
    assert.ok((await script.text()).length > 10_000, "analytics.js's standalone build");
    const sent = await fetch(`${keyed.origin}/segment/v1/p`, {
      method: 'POST',
      body: JSON.stringify({ type: 'page', name: 'Keyed', anonymousId: 'anon-keyed' }),
    });
    assert.equal(sent.status, 200);
    const refused = await fetch(`${keyed.origin}/segment/events`);
    assert.equal(refused.status, 401);
    assert.match((await refused.json()).error, /needs a read key.*REWIND_READ_KEYS/);
    assert.equal((await fetch(`${keyed.origin}/segment/events`, { headers: { Authorization: 'Bearer rk_wrong' } })).status, 401);
    const listed = await fetch(`${keyed.origin}/segment/events`, { headers: { Authorization: 'Bearer rk_segment' } });
    assert.equal(listed.status, 200);
    assert.deepEqual((await listed.json()).map((event) => event.name), ['Keyed']);
  } finally {
    await keyed.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
