// The main job end to end: the demo app, recorded through the snippet into
// the reference collector, then played back in the player page with
// rrweb-player. Screenshots of both land in test-results/. With read keys,
// the player asks for one in its own form, keeps it for the tab and asks
// again when it is refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';

import { createDemoServer } from '../../www/server.mjs';
import { repoRoot, listen } from '../support/static-server.mjs';
import { collectPageErrors } from '../support/browser.mjs';
import { useDemoServer, useBrowser, useFreshPages } from '../support/harness.mjs';

const SHOTS = path.join(repoRoot, 'test-results');
const VIEWPORT = { width: 1280, height: 800 };
const demo = useDemoServer({ tempPrefix: 'rewind-player-', apiKeys: [], readKeys: [] });
const freshPage = useFreshPages(useBrowser('chromium'));

before(() => mkdir(SHOTS, { recursive: true }));

/** Where the collector stores the chunks of `replayId`. */
function replayDir(replayId) {
  const [device, session] = replayId.split('/');
  return path.join(demo.dataDir, encodeURIComponent(device).replaceAll('.', '%2E'), session);
}

test('a session of the demo app is stored by the collector and plays back in the player', async () => {
  const { context, page: app, errors: appErrors } = await freshPage({ viewport: VIEWPORT });
  await app.goto(`${demo.origin}/app.html`);
  await app.fill('#note-text', 'Replay me in the player');
  await app.click('#add-note button');
  await app.fill('#email', 'grace@example.com');
  await app.fill('#password', 'never-recorded-pw');
  await app.click('a[href="#help"]');
  await app.locator('#activity').evaluate((panel) => panel.scrollTo(0, 200));
  await app.click('#boom');
  const { replayId, errorAt } = await app.evaluate(async () => {
    await Rewind.flush();
    await Rewind.whenDelivered(10000);
    return { replayId: Rewind.getReplayId(), errorAt: Date.now() };
  });
  await app.screenshot({ path: path.join(SHOTS, 'demo-app.png') });
  // The error the app threw is the page's own: the only one it logged.
  assert.equal(appErrors.filter((e) => e.includes('payment service is down')).length, 1);

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

  // Seek to the end: the rebuilt app shows the new note and the masked form.
  const lastOffset = Number(await player.locator('#timeline li.error').last().getAttribute('data-offset'));
  await player.evaluate((offset) => window.currentReplay.player.goto(offset + 50, false), lastOffset);
  const replayed = player.frameLocator('.replayer-wrapper iframe');
  await replayed.locator('#note-list li', { hasText: 'Replay me in the player' }).waitFor({ timeout: 10_000 });
  assert.equal(await replayed.locator('#password').inputValue(), '*'.repeat('never-recorded-pw'.length));
  await player.screenshot({ path: path.join(SHOTS, 'player.png') });

  // A link from an error report opens the replay 5 s before the moment.
  const linked = await context.newPage();
  await linked.goto(`${demo.origin}/player.html?replay=${encodeURIComponent(replayId)}&t=${errorAt}`);
  await linked.waitForFunction(() => window.currentReplay && window.currentReplay.events > 2);
  const position = await linked.evaluate(() => ({
    now: window.currentReplay.player.getReplayer().getCurrentTime(),
    start: window.currentReplay.start,
  }));
  const expected = Math.max(0, errorAt - 5000 - position.start);
  assert.ok(Math.abs(position.now - expected) < 1000, `opened at ${position.now} ms, expected about ${expected} ms`);
  assert.deepEqual(playerErrors, []);
});

test('a replay with a missing chunk says so in the player', async () => {
  const { context, page: app } = await freshPage();
  await app.goto(`${demo.origin}/app.html`);
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
