// A full snapshot reads scroll offsets only of elements that something
// could make scroll containers (src/web/page.js, "Which elements a full
// snapshot reads scroll offsets of"): reading an offset forces the
// browser's layout check, and doing it for every element was most of a
// plain page's snapshot time. These tests hold both halves in Chromium
// (the first also in Firefox): an element scrolled by way of each source
// of overflow keeps its offsets in the snapshot, and elements nothing can
// make scroll containers are not read, unless a rule rewind cannot place
// (nesting, a cross-origin sheet) or too many rules make it read them all,
// as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, CHROMIUM_PATH, launchBrowser } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';

const FILLERS = 400;

/**
 * Opens the fixture, runs `prepare` in the page (then waits for its
 * stylesheets), scrolls every `.box` and the textarea, counts offset reads
 * of the filler paragraphs, records one full snapshot (a second after
 * `between`, if given) and returns the offsets each snapshot holds by
 * element id, with the reads counted during each.
 */
async function snapshotOffsets(browser, site, { prepare = () => {}, prepareArg = null, between } = {}) {
  const page = await (browser.newPage ? browser.newPage() : (await browser.newContext()).newPage());
  try {
    await page.goto(`${site.origin}/tests/fixtures/scroll-sources.html`);
    await page.evaluate(prepare, prepareArg);
    await page.waitForFunction(() => [...document.querySelectorAll('link[rel=stylesheet]')].every((link) => link.sheet));
    return await page.evaluate(async ({ fillers, between }) => {
      const plain = document.getElementById('plain');
      for (let i = 0; i < fillers; i++) {
        const filler = document.createElement('p');
        filler.className = 'filler';
        filler.textContent = `row ${i}`;
        plain.append(filler);
      }
      const reads = { filler: 0, all: 0 };
      for (const property of ['scrollTop', 'scrollLeft']) {
        const { get, set } = Object.getOwnPropertyDescriptor(Element.prototype, property);
        Object.defineProperty(Element.prototype, property, {
          configurable: true,
          get() {
            reads.all += 1;
            if (this.classList.contains('filler')) reads.filler += 1;
            return get.call(this);
          },
          set(value) {
            set.call(this, value);
          },
        });
      }
      const scrollAll = () => {
        const boxes = [...document.querySelectorAll('.box'), ...document.getElementById('host').shadowRoot.querySelectorAll('.box')];
        boxes.forEach((box, i) => {
          box.scrollTop = 20 + i;
          box.scrollLeft = 5 + i;
        });
        document.getElementById('textarea').scrollTop = 12;
      };
      scrollAll();
      const snapshots = [];
      const counts = [];
      await window.Rewind.start({ emit: (event) => event.type === 2 && snapshots.push(event) });
      for (let i = 0; i < 200 && snapshots.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      counts.push({ ...reads });
      if (between) {
        new Function(between)();
        scrollAll();
        reads.filler = 0;
        reads.all = 0;
        await window.Rewind.takeFullSnapshot();
        counts.push({ ...reads });
      }
      await window.Rewind.stop();
      const offsetsOf = (snapshot) => {
        const found = {};
        const visit = (node) => {
          const attributes = node.attributes ?? {};
          if (attributes.id && ('rr_scrollTop' in attributes || 'rr_scrollLeft' in attributes)) {
            found[attributes.id] = [attributes.rr_scrollLeft ?? 0, attributes.rr_scrollTop ?? 0];
          }
          for (const child of node.childNodes ?? []) visit(child);
        };
        visit(snapshot.data.node);
        return found;
      };
      return { offsets: snapshots.map(offsetsOf), counts };
    }, { fillers: FILLERS, between });
  } finally {
    await page.close();
  }
}

async function withChromium(run) {
  const site = await startStaticServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    await run(browser, site);
  } finally {
    await browser.close();
    await site.close();
  }
}

// The boxes of the fixture, each a scroll container by one source, in
// document order (the shadow root's two after the light DOM's).
const BOXES = ['by-class', 'by-media', 'by-layer', 'by-var', 'by-x', 'by-inline', 'by-adopted', 'by-insert-rule', 'slotted'];

/** The first test's body, for Chromium and Firefox. */
async function everySourceKeepsItsOffsets(browser, site) {
  {
    const { offsets, counts } = await snapshotOffsets(browser, site);
    const [snapshot] = offsets;
    const expected = {};
    BOXES.forEach((id, i) => {
      expected[id] = [5 + i, 20 + i];
    });
    // The box inside the open shadow root, styled by the root's own sheet.
    expected['in-shadow'] = [5 + BOXES.length, 20 + BOXES.length];
    expected.textarea = [0, 12];
    assert.deepEqual(snapshot, expected);
    assert.equal(counts[0].filler, 0, `none of the ${FILLERS} filler paragraphs had its offsets read`);
    assert.ok(counts[0].all < 60, `offsets read ${counts[0].all} times, for a few dozen candidates`);
  }
}

test('in Chromium, elements made scroll containers by each source of overflow keep their offsets, and no other element is read', async () => {
  await withChromium(everySourceKeepsItsOffsets);
});

test('in Firefox, elements made scroll containers by each source of overflow keep their offsets, and no other element is read', async () => {
  const site = await startStaticServer();
  const browser = await launchBrowser('firefox');
  try {
    await everySourceKeepsItsOffsets(browser, site);
  } finally {
    await browser.close();
    await site.close();
  }
});

test('in Chromium, a rule rewind cannot place (nesting) or a sheet it cannot read (cross-origin) makes it read every element, and the offsets are kept', async () => {
  await withChromium(async (browser, site) => {
    const nesting = await snapshotOffsets(browser, site, {
      prepare: () => {
        const style = document.createElement('style');
        style.textContent = '.outer { & .by-nesting { overflow: auto; } }';
        document.head.append(style);
        document.body.insertAdjacentHTML('beforeend', '<div class="outer"><div class="box by-nesting" id="by-nesting"><div class="tall"></div></div></div>');
      },
    });
    assert.ok(nesting.offsets[0]['by-nesting'], 'the nested rule\'s element has its offsets');
    assert.ok(nesting.counts[0].filler >= FILLERS, `every filler read (${nesting.counts[0].filler} reads)`);

    // The same server under another origin: its sheet's rules cannot be read.
    const crossOrigin = site.origin.replace('127.0.0.1', 'localhost');
    const cross = await snapshotOffsets(browser, site, {
      prepareArg: crossOrigin,
      prepare: (origin) => {
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = `${origin}/tests/fixtures/scroll-cross-origin.css`;
        document.head.append(link);
        document.body.insertAdjacentHTML('beforeend', '<div class="box" id="by-cross-origin"><div class="tall"></div></div>');
      },
    });
    assert.ok(cross.offsets[0]['by-cross-origin'], "the cross-origin sheet's element has its offsets");
    assert.ok(cross.counts[0].filler >= FILLERS, `every filler read (${cross.counts[0].filler} reads)`);
  });
});

test('in Chromium, a checkout matches the stylesheets again: a rule added since the last snapshot counts', async () => {
  await withChromium(async (browser, site) => {
    const { offsets, counts } = await snapshotOffsets(browser, site, {
      prepare: () => {
        document.body.insertAdjacentHTML('beforeend', '<div class="box" id="late"><div class="tall"></div></div>');
      },
      between: "document.styleSheets[0].insertRule('#late { overflow: auto; }', 0);",
    });
    assert.equal(offsets[0].late, undefined, 'not a scroll container at the first snapshot');
    assert.ok(offsets[1].late, 'scrolled under the new rule by the checkout');
    assert.equal(counts[1].filler, 0, 'still no filler read');
  });
});

test('in Chromium, a tree with more rules than a snapshot\'s scans may read (5,000) is read whole, and its offsets kept', async () => {
  await withChromium(async (browser, site) => {
    const { offsets, counts } = await snapshotOffsets(browser, site, {
      prepare: () => {
        // 60,000 rules, past the 5,000 a snapshot's scans read.
        const rules = [];
        for (let i = 0; i < 60_000; i++) rules.push(`.unused-${i} > p { color: rgb(${i % 255}, 0, 0); margin: ${i % 7}px; }`);
        const style = document.createElement('style');
        style.textContent = rules.join('\n');
        document.head.append(style);
      },
    });
    assert.ok(offsets[0]['by-class'] && offsets[0].textarea, 'the scroll containers keep their offsets');
    assert.ok(counts[0].filler >= FILLERS, `every filler read (${counts[0].filler} reads)`);
  });
});

test('in Chromium, a sheet adopted by many shadow roots is scanned once for the snapshot, and every root\'s plain elements are left unread', async () => {
  await withChromium(async (browser, site) => {
    const { offsets, counts } = await snapshotOffsets(browser, site, {
      prepare: () => {
        // 100 components adopting one sheet of 500 rules: scanned for each
        // root, 50,000 rules in all, past the 5,000 a snapshot's scans
        // read, and the later roots would be read whole.
        const rules = ['.panel { overflow: auto; height: 40px; width: 120px; }', '.panel > .tall { height: 400px; width: 600px; }'];
        for (let i = 0; i < 500; i++) rules.push(`.unused-${i} { color: rgb(${i % 255}, 0, 0); }`);
        const shared = new CSSStyleSheet();
        shared.replaceSync(rules.join('\n'));
        for (let i = 0; i < 100; i++) {
          const host = document.createElement('x-card');
          host.id = `card-${i}`;
          const root = host.attachShadow({ mode: 'open' });
          root.adoptedStyleSheets = [shared];
          root.innerHTML = `<div class="panel" id="panel-${i}"><div class="tall"></div></div>${'<p class="filler">plain</p>'.repeat(5)}`;
          document.body.append(host);
        }
        document.getElementById('card-99').shadowRoot.getElementById('panel-99').scrollTop = 33;
      },
    });
    assert.deepEqual(offsets[0]['panel-99'], [0, 33], "the last root's scrolled panel");
    assert.equal(counts[0].filler, 0, `no plain element of the page or of the 100 roots read (${counts[0].filler} reads)`);
  });
});
