// Record -> rrweb Replayer round trip in headless Chromium: the fixture page
// is recorded by the built script-tag bundle (dist/rewind.js), its events are
// rebuilt by rrweb's Replayer, and both DOMs are compared after normalizing
// (tests/support/normalize-dom.js says what is normalized and why); a text
// selection is recorded by node ids and offsets and replays as the same
// selected text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { collectPageErrors } from '../support/browser.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';

const NORMALIZER = path.join(repoRoot, 'tests/support/normalize-dom.js');
const SECRETS = {
  name: 'Ada Lovelace',
  password: 'hunter2-secret',
  card: '4242 4242 4242 4242',
  notes: 'Ring twice',
};

const server = useStaticSite();
const freshPage = useFreshPages(useBrowser('chromium'));

/** Loads the fixture, fills the form as a user would, records it. */
async function recordShowcase(page, options = {}) {
  const errors = collectPageErrors(page);
  await page.goto(`${server.origin}/tests/fixtures/showcase.html`);
  await page.fill('#name', SECRETS.name);
  await page.fill('#password', SECRETS.password);
  await page.fill('#card', SECRETS.card);
  await page.check('#terms');
  await page.check('#ship-fast');
  await page.selectOption('#country', 'jp');
  await page.fill('#notes', SECRETS.notes);
  // The normalizer is injected before recording so both DOMs contain it.
  await page.addScriptTag({ path: NORMALIZER });
  await page.addScriptTag({ url: '/dist/rewind.js' });
  const events = await page.evaluate(async (options) => {
    const events = [];
    await window.Rewind.start({ ...options, emit: (event) => events.push(event) });
    await window.Rewind.stop();
    return events;
  }, options);
  const original = await page.evaluate(
    (maskAllInputs) => window.normalizeDocument(document, { maskAllInputs }),
    options.maskAllInputs ?? true,
  );
  assert.deepEqual(errors, [], 'the recorded page logged no errors');
  return { events, original };
}

/** Rebuilds `events` in rrweb's Replayer and normalizes the replayed DOM. */
async function replay(page, events) {
  const errors = collectPageErrors(page);
  await page.goto(`${server.origin}/tests/fixtures/replay.html`);
  await page.addScriptTag({ path: NORMALIZER });
  const result = await page.evaluate((events) => {
    const replayer = window.replayEvents(events);
    const mirror = replayer.getMirror();
    const replica = replayer.iframe.contentDocument;
    return {
      dom: window.normalizeDocument(replica, { replica: true, hasId: (node) => mirror.getId(node) !== -1 }),
      warnings: window.replayWarnings,
    };
  }, events);
  assert.deepEqual(errors, [], 'the replay page logged no errors');
  return result;
}

function find(nodes, predicate) {
  for (const node of nodes) {
    if (predicate(node)) return node;
    const hit = node.children && find(node.children, predicate);
    if (hit) return hit;
  }
  return null;
}

test('a recorded page replays to the same DOM in rrweb (default masking)', async () => {
  const { page } = await freshPage();
  const { events, original } = await recordShowcase(page);
  assert.deepEqual(events.map((e) => e.type), [4, 2], 'Meta then FullSnapshot');

  // The normalized original really holds the page (guards the comparison).
  const heading = find(original, (n) => n.tag === 'h1');
  assert.equal(heading.children[0].text, 'Checkout & pay — ünïcødé ✓');
  assert.deepEqual(find(original, (n) => n.attributes?.id === 'name').value, '*'.repeat(SECRETS.name.length));
  assert.ok(find(original, (n) => Array.isArray(n.sheet) && n.sheet.some((r) => typeof r === 'string' && r.includes('.from-cssom'))));
  assert.ok(find(original, (n) => Array.isArray(n.sheet) && n.sheet.some((r) => typeof r === 'string' && r.startsWith('.card {'))));

  const replayed = await replay(page, events);
  assert.deepEqual(replayed.warnings, []);
  if (process.env.REWIND_DUMP) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync('/tmp/original.json', JSON.stringify(original, null, 1));
    writeFileSync('/tmp/replica.json', JSON.stringify(replayed.dom, null, 1));
    writeFileSync('/tmp/events.json', JSON.stringify(events, null, 1));
  }
  assert.deepEqual(replayed.dom, original);
});

test('with maskAllInputs: false the replay shows typed values, but never the password or card', async () => {
  const { page } = await freshPage();
  const { events, original } = await recordShowcase(page, { maskAllInputs: false });
  assert.equal(find(original, (n) => n.attributes?.id === 'name').value, SECRETS.name);
  assert.equal(find(original, (n) => n.attributes?.id === 'country').selectedIndex, 2);

  const replayed = await replay(page, events);
  assert.deepEqual(replayed.warnings, []);
  assert.deepEqual(replayed.dom, original);
});

test('typed secrets and script contents appear in no recorded byte', async () => {
  const { page } = await freshPage();
  const masked = JSON.stringify((await recordShowcase(page)).events);
  const unmasked = JSON.stringify((await recordShowcase(page, { maskAllInputs: false })).events);
  for (const secret of Object.values(SECRETS)) {
    assert.ok(!masked.includes(secret), `${secret} leaked with default masking`);
  }
  for (const secret of [SECRETS.password, SECRETS.card, 'do-not-record-this-script', 'fixtureSecret']) {
    assert.ok(!unmasked.includes(secret), `${secret} leaked with maskAllInputs: false`);
  }
  assert.ok(unmasked.includes(SECRETS.name), 'sanity: unmasked values are recorded');
});

// What the visitor selected: rrweb's Selection events (incremental source
// 14) carry each range's ends as node ids and offsets; the replay selects
// the same text. A burst of changes ends with the last selection recorded.
test('a text selection is recorded by node ids and offsets, and the replay selects the same text', async () => {
  const { page } = await freshPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.origin}/tests/fixtures/showcase.html`);
  await page.addScriptTag({ url: '/dist/rewind.js' });
  const { events, selected } = await page.evaluate(async () => {
    const events = [];
    await window.Rewind.start({ emit: (event) => events.push(event) });
    const changed = () => new Promise((resolve) => document.addEventListener('selectionchange', resolve, { once: true }));
    const heading = document.querySelector('h1').firstChild;
    const paragraph = document.querySelector('h1 + p');
    const emphasis = paragraph.querySelector('em').firstChild;
    // One selection, then another across elements: from inside the
    // heading's text to inside the paragraph's <em>.
    let next = changed();
    document.getSelection().setBaseAndExtent(heading, 0, heading, 8);
    await next;
    await new Promise((resolve) => setTimeout(resolve, 150));
    next = changed();
    document.getSelection().setBaseAndExtent(heading, 2, emphasis, 3);
    await next;
    await new Promise((resolve) => setTimeout(resolve, 150));
    const selected = document.getSelection().toString();
    await window.Rewind.stop();
    return { events, selected };
  });
  assert.deepEqual(errors, []);
  assert.equal(selected, 'eckout & pay — ünïcødé ✓\nPlain emp', 'the live selection (guards the test)');

  // The ids the full snapshot gave the two text nodes.
  const snapshot = events.find((event) => event.type === 2);
  const idOfText = (text, node = snapshot.data.node) => {
    if (node.type === 3 && node.textContent === text) return node.id;
    for (const child of node.childNodes ?? []) {
      const id = idOfText(text, child);
      if (id) return id;
    }
    return undefined;
  };
  const headingId = idOfText('Checkout & pay — ünïcødé ✓');
  const emphasisId = idOfText('emphasis');
  assert.ok(headingId && emphasisId, 'both text nodes are in the snapshot');

  const selections = events.filter((event) => event.type === 3 && event.data.source === 14).map((event) => event.data.ranges);
  assert.deepEqual(selections, [
    [{ start: headingId, startOffset: 0, end: headingId, endOffset: 8 }],
    [{ start: headingId, startOffset: 2, end: emphasisId, endOffset: 3 }],
  ]);

  const replayedSelection = await (async () => {
    const replayErrors = collectPageErrors(page);
    await page.goto(`${server.origin}/tests/fixtures/replay.html`);
    const text = await page.evaluate((events) => {
      const replayer = window.replayEvents(events);
      return replayer.iframe.contentDocument.getSelection().toString();
    }, events);
    assert.deepEqual(replayErrors, []);
    return text;
  })();
  assert.equal(replayedSelection, selected, 'the replay selects what the visitor selected');
});

// Text reaches the wasm as UTF-8 written into its memory by the glue: byte
// by byte while it is ASCII, then by TextEncoder.encodeInto into a larger
// allocation from the first character that is not. Texts of lengths short
// and long, with two-, three- and four-byte characters at the start, the
// middle and the end, must arrive whole: in the snapshot, in a batch of
// text changes, a batch of attribute changes and in added nodes.
test('non-ASCII text of any length is recorded exactly, in snapshots and in each kind of change', async () => {
  const { page } = await freshPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.origin}/tests/fixtures/showcase.html`);
  await page.addScriptTag({ url: '/dist/rewind.js' });
  const { events, texts } = await page.evaluate(async () => {
    const texts = [];
    for (const length of [1, 63, 64, 65, 66, 100, 257, 5000]) {
      for (const wide of ['é', '€', '中', '😀']) {
        const ascii = 'x'.repeat(Math.max(0, length - wide.length));
        texts.push(ascii + wide, wide + ascii, ascii.slice(0, length >> 1) + wide + ascii.slice(length >> 1));
        texts.push(wide.repeat(Math.max(1, Math.floor(length / wide.length))));
      }
    }
    const unique = [...new Set(texts)];
    const box = document.createElement('div');
    const [inSnapshot, changed, inAttributes, added] = [0, 1, 2, 3].map((part) => unique.filter((_, index) => index % 4 === part));
    for (const text of [...inSnapshot, ...changed]) {
      const span = document.createElement('span');
      span.textContent = text.replace(/./gu, 'a');
      box.append(span);
    }
    document.body.append(box);
    const spans = [...box.children];
    inSnapshot.forEach((text, index) => { spans[index].firstChild.data = text; });
    const events = [];
    await window.Rewind.start({ emit: (event) => events.push(event) });
    changed.forEach((text, index) => { spans[inSnapshot.length + index].firstChild.data = text; });
    await new Promise((resolve) => setTimeout(resolve, 50));
    inAttributes.forEach((text, index) => spans[index].setAttribute('title', text));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const text of added) {
      const item = document.createElement('p');
      item.setAttribute('data-label', text);
      item.textContent = text;
      box.append(item);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    await window.Rewind.stop();
    return { events, texts: { inSnapshot, changed, inAttributes, added } };
  });
  assert.deepEqual(errors, []);
  const recorded = new Set();
  const walk = (node) => {
    if (node.textContent !== undefined) recorded.add(node.textContent);
    for (const value of Object.values(node.attributes ?? {})) recorded.add(value);
    for (const child of node.childNodes ?? []) walk(child);
  };
  for (const event of events) {
    if (event.type === 2) walk(event.data.node);
    if (event.type === 3 && event.data.source === 0) {
      for (const { value } of event.data.texts) recorded.add(value);
      for (const { attributes } of event.data.attributes) for (const value of Object.values(attributes)) recorded.add(value);
      for (const { node } of event.data.adds) walk(node);
    }
  }
  for (const [where, list] of Object.entries(texts)) {
    assert.ok(list.length >= 20, `${where}: the test has texts (${list.length})`);
    const missing = list.filter((text) => !recorded.has(text));
    assert.deepEqual(missing.map((text) => `${text.length}: ${text.slice(0, 8)}…${text.slice(-8)}`), [], `${where}: every text arrives whole`);
  }
});
