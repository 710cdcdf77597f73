// The README's demo: the shell page loads the recorded app, receives
// rewind's events and rebuilds them in rrweb's Replayer. This drives it as a
// person would and checks that the replay shows what the app shows, without
// the typed secrets. Screenshots land in test-results/.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { useDemoServer, useBrowser, useFreshPages } from '../support/harness.mjs';

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
