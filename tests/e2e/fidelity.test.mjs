// Fidelity suite: does a page recorded by rewind (dist/rewind.js) replay in
// rrweb 2.2.2's Replayer as the user saw it, at every moment of a scenario?
//
// For each page in tests/fixtures/fidelity/*.html and each browser of
// FIDELITY_BROWSERS (default "chromium,firefox,webkit"): load it in that
// browser (Chromium through playwright-core, Firefox ESR through
// puppeteer-core over WebDriver BiDi, WebKitGTK through WebDriver classic;
// tests/support/actions.mjs drives all three), start recording,
// take checkpoint 0, then run the page's scenario step by step; after each
// step wait until things settle (two animation frames +
// 700 ms, so throttled scroll / mouse batches are emitted) and take a
// checkpoint = { name, timestamp: Date.now(), dom: normalizeDocument(...) }
// of the live page. At the end stop() and collect the events. Then ONE
// Replayer (tests/fixtures/replay.html) is built over all events, always in
// Chromium as a user's player would be, whichever browser recorded, and, for
// each checkpoint in order, paused there — pause(checkpoint.timestamp + 1 -
// first event's timestamp) applies every event stamped at or before the
// checkpoint's millisecond; the next step starts only in a later one — and
// its replica DOM normalized the same way (tests/support/normalize-dom.js
// says what is normalized and why) and compared. One test per fixture:
// every checkpoint must match, the Replayer must warn nothing ("Node with
// id '…' not found", …), neither page may log an error, and no string the
// page lists as secret may occur in the events. A score table goes to
// test-results/fidelity.json and is printed at the end, a column per
// browser. Plus one privacy test per browser: typed secrets never reach the
// events.
//
// FIXTURE PROTOCOL — what a page in tests/fixtures/fidelity/ defines:
//   window.scenario = [{ name, input?, run? }, ...]   (required)
//     Each step: first the harness performs `input` (user actions, below)
//     with the browser's driver, then calls `await run()` in the page; `run`
//     may return more actions (one or an array), performed after it. Then
//     the page settles and a checkpoint named `name` is taken.
//   window.fixtureReady      optional promise awaited before recording
//                            starts (React mounted, iframes loaded, …).
//   window.recordOptions     optional options for Rewind.start (besides
//                            emit); privacy options in it (maskAllInputs,
//                            maskAllText, maskTextSelector, blockSelector,
//                            ignoreSelector) also tell the normalizer the
//                            masked / blocked result to expect.
//   window.neverRecorded     optional strings that must not occur anywhere
//                            in JSON.stringify(events) (expected privacy).
//   window.expectFullSnapshots  optional minimum number of FullSnapshot
//                            events (checkouts).
// Actions (plain objects; `frame: '<iframe selector>'` runs one inside that
// same-origin iframe; selectors pierce open shadow roots; the same in both
// browsers, see tests/support/actions.mjs):
//   { fill: sel, text }          replace the value (one input event)
//   { type: sel, text, delay? }  key by key
//   { press: sel, key }          one key, e.g. 'Backspace'
//   { keys: text }               type at the focused element
//   { check: sel } / { uncheck: sel } / { select: sel, value }
//   { click: sel } / { hover: sel }
//   { wheel: sel, dx?, dy? }     mouse over sel, then the wheel
//   { mouse: [[x, y], ...] }     mouse moves along a path
//   { wait: ms }                 at most 5000
//
// Run one fixture (or several, comma-separated substrings of file names),
// in one browser:
//   FIDELITY_FIXTURE=react FIDELITY_BROWSERS=firefox node --test --test-force-exit tests/e2e/fidelity.test.mjs
// FIDELITY_DUMP=1 writes, per fixture, the events, and the original and
// replica DOM of the first mismatching checkpoint (else of the last one),
// to test-results/fidelity/<fixture>.<browser>.{events,original,replica}.json,
// and the checkpoints' times to <fixture>.<browser>.checkpoints.json.
// FIDELITY_CONCURRENCY (default 2) fixtures run at once; in Firefox, one
// records at a time (keyboard focus is one window's, see actions.mjs).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { collectPageErrors } from '../support/browser.mjs';
import { useStaticSite, useBrowsers } from '../support/harness.mjs';
import { openTab, oneAtATime } from '../support/actions.mjs';
import { checkStream } from '../support/stream-check.mjs';

const NORMALIZER = path.join(repoRoot, 'tests/support/normalize-dom.js');
const FIXTURE_DIR = 'tests/fixtures/fidelity';
const RESULTS = path.join(repoRoot, 'test-results');
const SETTLE_MS = 700;
const FRAME_LIMIT_MS = 10_000;
const STEP_LIMIT_MS = 15_000;
const VIEWPORT = { width: 1024, height: 720 };
const PRIVACY_KEYS = ['maskAllInputs', 'maskAllText', 'maskTextSelector', 'blockSelector', 'ignoreSelector'];
const CONCURRENCY = Math.max(1, Number(process.env.FIDELITY_CONCURRENCY) || 2);
const DUMP = Boolean(process.env.FIDELITY_DUMP);
// The browsers that record; the replay is always in Chromium.
const KNOWN_BROWSERS = ['chromium', 'firefox', 'webkit'];
const BROWSERS = (process.env.FIDELITY_BROWSERS ?? KNOWN_BROWSERS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of BROWSERS) {
  if (!KNOWN_BROWSERS.includes(name)) {
    throw new Error(`FIDELITY_BROWSERS names '${name}': allowed are ${KNOWN_BROWSERS.join(', ')} (comma-separated)`);
  }
}
if (!BROWSERS.length) throw new Error(`FIDELITY_BROWSERS is empty: name one or more of ${KNOWN_BROWSERS.join(', ')}`);

const filters = (process.env.FIDELITY_FIXTURE ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const fixtures = readdirSync(path.join(repoRoot, FIXTURE_DIR))
  .filter((file) => file.endsWith('.html'))
  .map((file) => file.slice(0, -'.html'.length))
  .filter((name) => !filters.length || filters.some((f) => name.includes(f)))
  .sort();

const server = useStaticSite();
// name -> launched browser (tests/support/browser.mjs); Chromium always, as
// the player.
const browsers = useBrowsers(new Set(['chromium', ...BROWSERS]));
const scores = [];

// After the browsers and the server are closed.
after(async () => {
  if (!scores.length) return;
  scores.sort((a, b) => a.fixture.localeCompare(b.fixture) || BROWSERS.indexOf(a.browser) - BROWSERS.indexOf(b.browser));
  await mkdir(RESULTS, { recursive: true });
  const sum = (rows, key) => rows.reduce((n, s) => n + s[key], 0);
  const byBrowser = Object.fromEntries(
    BROWSERS.map((name) => {
      const rows = scores.filter((s) => s.browser === name);
      return [name, { matched: sum(rows, 'matched'), total: sum(rows, 'total'), fixtures: rows.length }];
    }),
  );
  const summary = {
    when: new Date().toISOString(),
    replayedIn: 'chromium',
    matched: sum(scores, 'matched'),
    total: sum(scores, 'total'),
    browsers: byBrowser,
    fixtures: scores,
  };
  await writeFile(path.join(RESULTS, 'fidelity.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(scoreTable(scores, summary));
});

/**
 * The printed score table: one row per fixture, a column per recording
 * browser (checkpoints matched, then warnings and errors when there are
 * any), and where each browser first failed.
 */
function scoreTable(rows, summary) {
  const cell = (s) => {
    if (!s) return '-';
    const extra = [s.warnings ? `${s.warnings} warn` : '', s.errors.length ? `${s.errors.length} err` : ''].filter(Boolean);
    return `${s.matched}/${s.total}${extra.length ? ` (${extra.join(', ')})` : ''}`;
  };
  const firstFailure = (s) => s.checkpoints.find((c) => !c.matched)?.name ?? (s.errors[0] ? s.errors[0].slice(0, 60) : '');
  const names = [...new Set(rows.map((s) => s.fixture))];
  const header = ['fixture', ...BROWSERS, 'first failing checkpoint'];
  const body = names.map((fixture) => {
    const of = BROWSERS.map((name) => rows.find((s) => s.fixture === fixture && s.browser === name));
    const failures = of
      .map((s, i) => (s && firstFailure(s) ? `${BROWSERS[i]}: ${firstFailure(s)}` : ''))
      .filter(Boolean);
    return [fixture, ...of.map(cell), failures.join('; ')];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const totals = BROWSERS.map((name) => `${name} ${summary.browsers[name].matched}/${summary.browsers[name].total}`);
  return [
    '',
    `fidelity (replayed in Chromium): ${totals.join(', ')} checkpoints match (test-results/fidelity.json)`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
  ].join('\n');
}

/** A value, short enough for an assertion message. */
function brief(value, limit = 240) {
  const text = value === undefined ? '(nothing)' : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** How a normalized node reads in a path: `li#item-3.done`, `text`. */
function label(node) {
  if (!node || typeof node !== 'object') return '';
  if (node.tag) {
    const id = node.attributes?.id ? `#${node.attributes.id}` : '';
    const cls = node.attributes?.class ? `.${node.attributes.class.trim().split(/\s+/).join('.')}` : '';
    return `${node.tag}${id}${cls}`;
  }
  if ('sheet' in node) return node.id ? `style#${node.id}` : 'style';
  if ('text' in node) return 'text';
  if ('comment' in node) return 'comment';
  if ('doctype' in node) return 'doctype';
  if ('adopted' in node) return 'adoptedStyleSheets';
  return '';
}

/**
 * Walks expected and actual together; returns the first difference (path,
 * expected, actual) and how many differing leaves there are (up to a cap).
 */
function compare(expected, actual) {
  let first = null;
  let count = 0;
  const CAP = 10_000;
  const walk = (a, b, trail) => {
    if (count >= CAP || Object.is(a, b)) return;
    const bothObjects = a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
    if (!bothObjects) {
      count += 1;
      first ??= { trail, expected: a, actual: b };
      return;
    }
    if (Array.isArray(a)) {
      for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
        const name = label(a[i] ?? b[i]);
        walk(a[i], b[i], [...trail, name ? `${name}[${i}]` : `[${i}]`]);
      }
      return;
    }
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      if (a[key] === undefined && b[key] === undefined) continue;
      // `children` is implied by the node labels in the path.
      walk(a[key], b[key], key === 'children' ? trail : [...trail, key]);
    }
  };
  walk(expected, actual, []);
  return { first, count };
}

function describeMismatch(checkpoint, index, { first, count }) {
  const where = first.trail.join(' > ') || '(document)';
  const more = count > 1 ? ` (and ${count >= 10_000 ? 'over 10000' : count - 1} more differences)` : '';
  return (
    `checkpoint ${index} "${checkpoint.name}": first difference at ${where}\n` +
    `      expected ${brief(first.expected)}\n      replayed ${brief(first.actual)}${more}`
  );
}

/**
 * Resolves after two animation frames and `ms` more, with 'frames'; or,
 * when the page renders no frame for FRAME_LIMIT_MS, with 'no frame'.
 * Scroll events are dispatched when a frame is rendered, so a checkpoint
 * taken without one may hold a scroll the recorder could not see yet; on a
 * machine loaded enough to starve rendering, waiting longer for the frames
 * beats a false mismatch.
 */
async function settle(page, ms = SETTLE_MS) {
  return page.evaluate(
    ({ ms, frameLimitMs }) =>
      new Promise((resolve) => {
        const fallback = setTimeout(() => resolve('no frame'), frameLimitMs);
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            clearTimeout(fallback);
            setTimeout(() => resolve('frames'), ms);
          }),
        );
      }),
    { ms, frameLimitMs: FRAME_LIMIT_MS },
  );
}

/** The normalizer options a recording's options imply. */
function privacyOf(recordOptions = {}) {
  const privacy = {};
  for (const key of PRIVACY_KEYS) if (recordOptions[key] !== undefined) privacy[key] = recordOptions[key];
  return privacy;
}

/**
 * Records the fixture's scenario. Returns the checkpoints, the events, what
 * the fixture declared, and the problems met (harness-level failures).
 */
async function record(browserName, context, name) {
  const tab = await openTab(browserName, context, VIEWPORT);
  const { page } = tab;
  const errors = collectPageErrors(page);
  const problems = [];
  // Injected before the page's own scripts and without a DOM node, so it is
  // there in every frame and never part of what is recorded.
  await tab.addInitScript(NORMALIZER);
  await page.goto(`${server.origin}/${FIXTURE_DIR}/${name}.html`);
  const setup = await page.evaluate(async (limitMs) => {
    if (!Array.isArray(window.scenario)) return { error: 'the page defines no window.scenario array' };
    let timer;
    try {
      await Promise.race([
        window.fixtureReady,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`fixtureReady not resolved in ${limitMs} ms`)), limitMs);
        }),
      ]);
    } catch (error) {
      return { error: `fixtureReady: ${error?.message ?? error}` };
    } finally {
      clearTimeout(timer);
    }
    return {
      steps: window.scenario.map((step) => ({ name: String(step.name), input: step.input ?? [] })),
      recordOptions: window.recordOptions ?? {},
      neverRecorded: window.neverRecorded ?? [],
      expectFullSnapshots: window.expectFullSnapshots ?? 1,
    };
  }, STEP_LIMIT_MS);
  if (setup.error) throw new Error(`fixture ${name}: ${setup.error}`);
  // WebKit writes declaration blocks back with fewer shorthands than the
  // Chromium player, and keeps a scroll offset past shrunk content: compared
  // as longhands and clamped (normalize-dom.js says why).
  const webkitForms = browserName === 'webkit' ? { longhands: true, clampScroll: true } : {};
  const normalizeOptions = { ...privacyOf(setup.recordOptions), ...webkitForms };

  await page.addScriptTag({ url: '/dist/rewind.js' });
  const startError = await page.evaluate(async (options) => {
    window.__fidelityEvents = [];
    try {
      await window.Rewind.start({ ...options, emit: (event) => window.__fidelityEvents.push(event) });
      return null;
    } catch (error) {
      return String(error?.message ?? error);
    }
  }, setup.recordOptions);
  if (startError) {
    problems.push(`Rewind.start(${brief(setup.recordOptions, 160)}) rejected: ${startError}`);
    await page.close();
    return { setup, checkpoints: [], events: [], problems, errors, normalizeOptions };
  }

  const checkpoints = [];
  const takeCheckpoint = async (checkpointName) => {
    const settled = await settle(page);
    // As JSON text: WebDriver BiDi serializes a returned object only so
    // many levels deep, and a DOM tree is deeper.
    const json = await page.evaluate(
      ({ checkpointName, normalizeOptions }) =>
        JSON.stringify({
          name: checkpointName,
          timestamp: Date.now(),
          dom: window.normalizeDocument(document, normalizeOptions),
        }),
      { checkpointName, normalizeOptions },
    );
    const checkpoint = JSON.parse(json);
    if (settled !== 'frames') checkpoint.note = `taken after ${FRAME_LIMIT_MS} ms without a rendered frame`;
    checkpoints.push(checkpoint);
    // The next step starts in a later millisecond, so an event at the
    // checkpoint's millisecond belongs to it (the replay applies <= it).
    await page.evaluate(
      (ts) =>
        new Promise((resolve) => {
          const tick = () => (Date.now() > ts ? resolve() : setTimeout(tick, 1));
          tick();
        }),
      checkpoint.timestamp,
    );
  };

  await takeCheckpoint('start');
  for (const [index, step] of setup.steps.entries()) {
    try {
      for (const action of step.input) await tab.perform(action);
      const outcome = await page.evaluate(
        async ({ index, limitMs }) => {
          const step = window.scenario[index];
          if (!step.run) return { actions: [] };
          let timer;
          try {
            const actions = await Promise.race([
              step.run(),
              new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`step still running after ${limitMs} ms`)), limitMs);
              }),
            ]);
            return { actions: actions === undefined || actions === null ? [] : [actions].flat() };
          } catch (error) {
            return { error: String(error?.stack ?? error) };
          } finally {
            clearTimeout(timer);
          }
        },
        { index, limitMs: STEP_LIMIT_MS },
      );
      if (outcome.error) throw new Error(outcome.error);
      for (const action of outcome.actions) await tab.perform(action);
    } catch (error) {
      // A broken scenario is the fixture's bug, not the recorder's: stop
      // here and say so; the checkpoints taken so far are still compared.
      problems.push(`step ${index + 1} "${step.name}" failed in the page: ${error.message.split('\n').slice(0, 3).join(' | ')}`);
      break;
    }
    await takeCheckpoint(step.name);
  }

  // Still recording at the end: a recorder that stopped itself (an
  // internal failure stops rewind, quietly, not the page) is named as such
  // rather than left to look like a replay that lost every later change.
  const stillRecording = await page.evaluate(() => window.Rewind.getReplayId() !== null);
  if (!stillRecording) problems.push('rewind was no longer recording when the scenario ended (getReplayId() is null): it stopped itself on the way');
  const stopError = await page.evaluate(async () => {
    try {
      await window.Rewind.stop();
      return null;
    } catch (error) {
      return String(error?.message ?? error);
    }
  });
  if (stopError) problems.push(`Rewind.stop() rejected: ${stopError}`);
  const events = JSON.parse(await page.evaluate(() => JSON.stringify(window.__fidelityEvents)));
  await page.close();
  return { setup, checkpoints, events, problems, errors, normalizeOptions };
}

/** Replays `events` once, pausing at each checkpoint; returns replica DOMs. */
async function replay(context, events, checkpoints, normalizeOptions) {
  const { page } = await openTab('chromium', context, { width: VIEWPORT.width + 200, height: VIEWPORT.height + 200 });
  const errors = collectPageErrors(page);
  const consoleWarnings = [];
  page.on('console', (message) => {
    if (message.type() === 'warning') consoleWarnings.push(`console.warn: ${message.text().slice(0, 300)}`);
  });
  await page.goto(`${server.origin}/tests/fixtures/replay.html`);
  await page.addScriptTag({ path: NORMALIZER });
  const replicas = await page.evaluate(
    ({ events, timestamps, normalizeOptions }) => {
      const { replayer, warnings } = window.createReplayer(events);
      const mirror = replayer.getMirror();
      const options = {
        ...normalizeOptions,
        replica: true,
        // rrdom gives nodes it made itself (its injected <style>) negative ids.
        hasId: (node) => mirror.getId(node) > 0,
        // A blocked element's serialized node carries rr_width / rr_height,
        // which the Replayer turns into the placeholder's style size.
        placeholderSize: (element) => {
          const attributes = mirror.getMeta(element)?.attributes;
          if (!attributes || attributes.rr_width === undefined) return null;
          return { width: element.style.width, height: element.style.height };
        },
      };
      const first = events.reduce((min, event) => Math.min(min, event.timestamp), Infinity);
      return timestamps.map((timestamp) => {
        const before = warnings.length;
        try {
          // rrweb 2.2.2 seeks forward through a virtual document it keeps
          // between seeks, and destroyTree() empties it but keeps its page
          // scroll (scrollData): a later seek that applies mutations there
          // scrolls the page back to a position from an earlier seek,
          // undoing a page scroll applied directly in between (seen in the
          // forms page, in both browsers, whenever the events' order puts
          // a mutation before one page scroll and none before the next).
          // A player's seek bug, not the recording's: forget it each time.
          if (replayer.virtualDom) replayer.virtualDom.scrollData = null;
          replayer.pause(timestamp + 1 - first);
          const dom = window.normalizeDocument(replayer.iframe.contentDocument, options);
          return { dom, warnings: warnings.slice(before) };
        } catch (error) {
          return { error: String(error?.stack ?? error).slice(0, 500), warnings: warnings.slice(before) };
        }
      });
    },
    { events, timestamps: checkpoints.map((c) => c.timestamp), normalizeOptions },
  );
  await page.close();
  return { replicas, errors, consoleWarnings };
}

/** Records `name` in `browserName`, replays it in Chromium, compares. */
async function runFixture(browserName, name) {
  const context = await browsers[browserName].newContext();
  // The player is Chromium whichever browser recorded.
  const replayContext = browserName === 'chromium' ? context : await browsers.chromium.newContext();
  let closed = false;
  const closeContexts = async () => {
    if (closed) return;
    closed = true;
    await context.close();
    if (replayContext !== context) await replayContext.close();
  };
  const startedAt = Date.now();
  const stem = `${name}.${browserName}`;
  let recording;
  try {
    recording = await oneAtATime(browserName, async () => {
      try {
        return await record(browserName, context, name);
      } catch (error) {
        // Its window closes before the next recording's turn.
        await closeContexts();
        throw error;
      }
    });
  } catch (error) {
    // The harness or the page broke before there was anything to compare.
    scores.push({ fixture: name, browser: browserName, matched: 0, total: 0, warnings: 0, errors: [`harness: ${error.message}`], checkpoints: [] });
    await closeContexts();
    throw error;
  }
  try {
    const recordedAt = Date.now();
    const { setup, checkpoints, events, problems, normalizeOptions } = recording;
    const score = {
      fixture: name,
      browser: browserName,
      matched: 0,
      total: setup.steps.length + 1,
      warnings: 0,
      errors: [],
      events: events.length,
      eventBytes: 0,
      recordMs: recordedAt - startedAt,
      replayMs: 0,
      checkpoints: [],
    };
    scores.push(score);
    score.errors.push(...problems, ...recording.errors.map((e) => `recorded page: ${e}`));

    const fullSnapshots = events.filter((event) => event.type === 2).length;
    if (events.length && fullSnapshots < setup.expectFullSnapshots) {
      score.errors.push(`expected at least ${setup.expectFullSnapshots} full snapshots (checkouts), got ${fullSnapshots}`);
    }
    const json = JSON.stringify(events);
    score.eventBytes = json.length;
    for (const secret of setup.neverRecorded) {
      if (json.includes(secret)) score.errors.push(`privacy: ${JSON.stringify(secret)} occurs in the recorded events`);
    }

    // The node ids every event names, followed as the Replayer keeps them:
    // an id it would not have is the recording's fault whatever the DOM
    // looks like afterwards (tests/support/stream-check.mjs).
    const streamProblems = checkStream(events);
    for (const problem of streamProblems.slice(0, 3)) {
      score.errors.push(`event #${problem.index}: ${problem.what} (its history: ${problem.history.join('; ')})`);
    }
    if (streamProblems.length > 3) score.errors.push(`… ${streamProblems.length - 3} more problems in the recording's events (see tests/support/stream-check.mjs)`);

    const replayed = events.length >= 2 ? await replay(replayContext, events, checkpoints, normalizeOptions) : null;
    score.replayMs = Date.now() - recordedAt;
    if (!replayed && !problems.length) score.errors.push(`only ${events.length} events were recorded; the Replayer needs two`);
    if (replayed) {
      score.errors.push(...replayed.errors.map((e) => `replay page: ${e}`));
      score.consoleWarnings = replayed.consoleWarnings;
    }

    const messages = [];
    let dumped = false;
    checkpoints.forEach((checkpoint, index) => {
      const replica = replayed?.replicas[index];
      const entry = { name: checkpoint.name, matched: false, warnings: replica?.warnings ?? [] };
      score.warnings += entry.warnings.length;
      if (!replica) entry.diff = 'not replayed';
      else if (replica.error) entry.diff = `the Replayer threw: ${replica.error}`;
      else {
        const difference = compare(checkpoint.dom, replica.dom);
        entry.matched = difference.first === null;
        if (!entry.matched) entry.diff = describeMismatch(checkpoint, index, difference);
        if (!entry.matched && checkpoint.note) entry.diff += `\n      (${checkpoint.note})`;
        if (!entry.matched && DUMP && !dumped) {
          dumped = true;
          const dir = path.join(RESULTS, 'fidelity');
          // Written before the assertion fails; awaited below.
          entry.dump = mkdir(dir, { recursive: true }).then(() =>
            Promise.all([
              writeFile(path.join(dir, `${stem}.original.json`), JSON.stringify(checkpoint.dom, null, 1)),
              writeFile(path.join(dir, `${stem}.replica.json`), JSON.stringify(replica.dom, null, 1)),
            ]),
          );
        }
      }
      if (entry.matched) score.matched += 1;
      else if (entry.diff.startsWith('checkpoint')) messages.push(entry.diff);
      else messages.push(`checkpoint ${index} "${checkpoint.name}": ${entry.diff}`);
      if (entry.warnings.length) {
        const first = entry.warnings[0].slice(0, 300);
        messages.push(`checkpoint ${index} "${checkpoint.name}": ${entry.warnings.length} Replayer warning(s), first: ${first}`);
      }
      score.checkpoints.push(entry);
    });
    const suspect = score.warnings > 0 || streamProblems.length > 0 || score.matched < checkpoints.length || score.errors.length > 0;
    if (DUMP || suspect) {
      // Kept whenever the page failed, warned or an id went astray, so a rare
      // case can be traced from the run that saw it.
      const dir = path.join(RESULTS, 'fidelity');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, `${stem}.events.json`), JSON.stringify(events, null, 1));
      const times = checkpoints.map(({ name: step, timestamp, note }) => ({ name: step, timestamp, note }));
      await writeFile(path.join(dir, `${stem}.checkpoints.json`), JSON.stringify(times, null, 1));
      if (suspect) console.log(`events kept: test-results/fidelity/${stem}.events.json`);
    }
    if (DUMP) {
      const dir = path.join(RESULTS, 'fidelity');
      const last = checkpoints.length - 1;
      if (!dumped && last >= 0 && replayed?.replicas[last]?.dom) {
        // All matched: the last checkpoint, to look at.
        await writeFile(path.join(dir, `${stem}.original.json`), JSON.stringify(checkpoints[last].dom, null, 1));
        await writeFile(path.join(dir, `${stem}.replica.json`), JSON.stringify(replayed.replicas[last].dom, null, 1));
      }
    }
    for (const entry of score.checkpoints) {
      if (entry.dump) {
        await entry.dump;
        delete entry.dump;
      }
    }
    const unreached = [{ name: 'start' }, ...setup.steps].slice(checkpoints.length);
    for (const step of unreached) score.checkpoints.push({ name: step.name, matched: false, diff: 'not reached' });
    if (replayed?.consoleWarnings.length) {
      score.warnings += replayed.consoleWarnings.length;
      const count = replayed.consoleWarnings.length;
      messages.push(`${count} console warning(s) in the replay page, first: ${replayed.consoleWarnings[0]}`);
    }

    const failures = [...score.errors, ...messages];
    const MAX_LINES = 12;
    const shown = failures.slice(0, MAX_LINES);
    if (failures.length > MAX_LINES) shown.push(`… ${failures.length - MAX_LINES} more (see test-results/fidelity.json)`);
    assert.ok(
      failures.length === 0,
      `${name} recorded in ${browserName}: ${score.matched}/${score.total} checkpoints match, ${score.warnings} warning(s)\n  ${shown.join('\n  ')}`,
    );
  } finally {
    await closeContexts();
  }
}

// The suite's own limit. Each fixture has its own (180 s: the slowest,
// sliced-snapshot, took 59 s in Chromium on a busy machine and over 120 s
// on a busier one, and a Firefox recording may first wait for the one
// before it); recorded in both browsers, the 22 pages took 299 s and 513 s
// two at a time on this 2-core machine shared with other work. node's
// runner also applies its --test-timeout to each test file as a whole, so
// scripts/test.sh gives the e2e files more than this.
const SUITE_LIMIT_MS = 900_000;
const FIXTURE_LIMIT_MS = 180_000;

// What a browser cannot record today, with the reason, beside the skip.
// None now. (sliced-snapshot was skipped in WebKit, which never settled
// rewind's asynchronous WebAssembly compile while that page churns in
// back-to-back timers; js/index.js compiles on the main thread when the
// asynchronous compile has not settled within a second.)
const SKIPPED = {};

describe('fidelity: record with rewind, replay in rrweb, compare at every checkpoint', { concurrency: CONCURRENCY, timeout: SUITE_LIMIT_MS }, () => {
  // Fixture by fixture, each browser in turn: two at a time, one recording
  // in each browser most of the time.
  for (const name of fixtures) {
    for (const browserName of BROWSERS) {
      const skip = SKIPPED[browserName]?.[name] ?? false;
      test(`${name}, recorded in ${browserName}`, { timeout: FIXTURE_LIMIT_MS, skip }, () => runFixture(browserName, name));
    }
  }

  // Skipped only when FIDELITY_FIXTURE names other fixtures, so a run of one
  // fixture runs just that one.
  const privacySkipped = filters.length > 0 && !filters.some((f) => 'privacy-typing'.includes(f));
  for (const browserName of BROWSERS) {
    const title = `privacy-typing, in ${browserName}: typed password, card number and text never reach the events (default options)`;
    test(title, { timeout: 60_000, skip: privacySkipped }, () => oneAtATime(browserName, () => typedSecretsStayOut(browserName)));
  }
});

async function typedSecretsStayOut(browserName) {
  const secrets = {
    password: 'Zq8vortex-Pass!',
    card: '4012888888881881',
    cardSpaced: '4012 8888 8888 1881',
    text: 'Marguerite Yourcenar',
  };
  const context = await browsers[browserName].newContext();
  try {
    const tab = await openTab(browserName, context, VIEWPORT);
    const { page } = tab;
    const errors = collectPageErrors(page);
    await page.goto(`${server.origin}/${FIXTURE_DIR}/forms-masked.html`);
    await page.addScriptTag({ url: '/dist/rewind.js' });
    await page.evaluate(async () => {
      window.__fidelityEvents = [];
      await window.Rewind.start({ emit: (event) => window.__fidelityEvents.push(event) });
    });
    await tab.perform({ type: '#password', text: secrets.password });
    await tab.perform({ type: '#card', text: secrets.cardSpaced });
    await tab.perform({ type: '#full-name', text: secrets.text });
    await tab.perform({ fill: '#password', text: `${secrets.password}!` });
    await tab.perform({ fill: '#card', text: secrets.card });
    await tab.perform({ fill: '#full-name', text: `${secrets.text} Jr` });
    await settle(page);
    // The typing reached the fields, so the events had the chance to leak it.
    const typed = await page.evaluate(() => ['#password', '#card', '#full-name'].map((s) => document.querySelector(s).value));
    assert.deepEqual(typed, [`${secrets.password}!`, secrets.card, `${secrets.text} Jr`], 'the fields hold what was typed');
    const json = await page.evaluate(async () => {
      await window.Rewind.stop();
      return JSON.stringify(window.__fidelityEvents);
    });
    assert.deepEqual(errors, [], 'the recorded page logged no errors');
    const leaks = [];
    for (const secret of [...Object.values(secrets), secrets.text.slice(0, 10), secrets.password.slice(0, 8)]) {
      if (json.includes(secret)) leaks.push(secret);
    }
    assert.deepEqual(leaks, [], 'no typed secret (or a prefix of one) occurs in the recorded events');
  } finally {
    await context.close();
  }
}
