// One scenario protocol, three drivers: the user actions a fidelity fixture
// asks for (see tests/e2e/fidelity.test.mjs), performed in Chromium through
// playwright-core, in Firefox through puppeteer-core over WebDriver BiDi,
// and in WebKit over WebDriver classic (tests/support/webkit.mjs, which
// reuses the in-page helpers below: queryDeep, selectOption, fillInPage).
//
// What is shared: finding the element (a CSS selector that pierces open
// shadow roots, optionally inside a same-origin iframe, polled until it
// exists), check / uncheck (a click, then the state is verified), select
// (what Playwright's selectOption does in the page: pick the option by value
// or label, fire input and change), and everything both drivers spell alike
// (click, hover, press, type, keyboard, mouse moves). What differs is only
// what a driver spells differently or lacks: opening a page of a given
// size, scripts injected before the page's own, the wheel, and fill
// (Playwright's own in Chromium; in Firefox, where WebDriver BiDi has no
// "insert text", what Playwright's fill does, done in the page with
// execCommand('insertText'), as puppeteer's own sendCharacter does).
import { readFile } from 'node:fs/promises';

import { openWebKitTab } from './webkit.mjs';

export const ACTION_KEYS = ['fill', 'type', 'press', 'keys', 'check', 'uncheck', 'select', 'click', 'hover', 'wheel', 'mouse', 'wait'];
export const ACTION_LIMIT_MS = 5_000;
const MAX_WAIT_MS = 5_000;
const POLL_MS = 50;

/** Throws, saying what is allowed, unless `action` is one protocol action. */
export function checkAction(action) {
  if (!action || typeof action !== 'object' || !ACTION_KEYS.some((key) => key in action)) {
    throw new Error(
      `${JSON.stringify(action)} is not an action (a step's input, and what its run() returns, ` +
        `are objects with one of: ${ACTION_KEYS.join(', ')})`,
    );
  }
  const key = ACTION_KEYS.find((k) => k in action);
  const fail = (what) => {
    throw new Error(`${JSON.stringify(action)}: ${what}`);
  };
  if (key === 'mouse') {
    const isPoint = (p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite);
    if (!Array.isArray(action.mouse) || !action.mouse.every(isPoint)) fail('mouse takes a path of [x, y] points');
  } else if (key === 'wait') {
    if (!Number.isFinite(action.wait) || action.wait < 0) fail(`wait takes milliseconds (at most ${MAX_WAIT_MS})`);
  } else if (typeof action[key] !== 'string' || !action[key]) {
    fail(`${key} takes ${key === 'keys' ? 'the text to type' : 'a CSS selector'}`);
  }
  if (['fill', 'type'].includes(key) && typeof action.text !== 'string') fail(`${key} needs the text to enter`);
  if (key === 'press' && typeof action.key !== 'string') fail("press needs a key, e.g. 'Enter'");
  if (key === 'select' && typeof action.value !== 'string') fail('select needs the value (or label) of an option');
  if ('frame' in action && typeof action.frame !== 'string') fail('frame takes the CSS selector of a same-origin iframe');
}

/**
 * Runs in the page (and is serialized there): the first element matching
 * `selector` in `document` and every open shadow root below it, in tree
 * order (a host's shadow tree before its light children). A selector made
 * of descendant combinators only (`my-form input.name`) also matches across
 * shadow boundaries, an element's host standing for its parent, as
 * Playwright's CSS engine does; other combinators match within one tree.
 */
export function queryDeep(selector) {
  const compounds = (() => {
    const parts = [];
    let current = '';
    let depth = 0;
    let quote = null;
    for (const ch of selector.trim()) {
      if (quote) {
        current += ch;
        if (ch === quote) quote = null;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(' || ch === '[') depth += 1;
      else if (ch === ')' || ch === ']') depth -= 1;
      else if (depth === 0 && /\s/.test(ch)) {
        if (current) parts.push(current);
        current = '';
        continue;
      } else if (depth === 0 && ',>+~'.includes(ch)) return null;
      current += ch;
    }
    if (current) parts.push(current);
    return parts.length > 1 ? parts : null;
  })();
  const composedParent = (node) => node.parentElement ?? (node.parentNode instanceof ShadowRoot ? node.parentNode.host : null);
  // Descendant combinators only: matching each compound at the nearest
  // ancestor that fits is complete (a later fit is never needed).
  const matchesAcrossRoots = (element) => {
    if (!compounds || !element.matches(compounds[compounds.length - 1])) return false;
    let index = compounds.length - 2;
    for (let node = composedParent(element); node && index >= 0; node = composedParent(node)) {
      if (node.matches(compounds[index])) index -= 1;
    }
    return index < 0;
  };
  try {
    document.createDocumentFragment().querySelector(selector);
  } catch {
    throw new Error(`'${selector}' is not a valid CSS selector`);
  }
  const stack = [document.documentElement];
  while (stack.length) {
    const element = stack.pop();
    if (!element) continue;
    if (element.matches(selector) || matchesAcrossRoots(element)) return element;
    const light = Array.from(element.children);
    const shadow = element.shadowRoot ? Array.from(element.shadowRoot.children) : [];
    // Popped last-in first-out: the shadow tree is visited first.
    stack.push(...light.reverse(), ...shadow.reverse());
  }
  return null;
}

/** Runs in the page: picks the option whose value, else label, is `wanted`. */
export function selectOption(select, wanted) {
  if (select.localName !== 'select') throw new Error(`select: the element is a <${select.localName}>, not a <select>`);
  const options = Array.from(select.options);
  const option = options.find((o) => o.value === wanted) ?? options.find((o) => o.label === wanted);
  if (!option) {
    const known = options.map((o) => JSON.stringify(o.value)).join(', ');
    throw new Error(`select: no option has the value or label ${JSON.stringify(wanted)} (values: ${known})`);
  }
  option.selected = true;
  select.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

/**
 * Runs in the page: Playwright's fill without its driver. Fields whose value
 * is not typed (date, colour, range, …) get it set and an input and a change
 * event; others are focused, their content selected and replaced by one
 * insertText (one input event, no change event until blur), or deleted.
 */
export function fillInPage(element, text) {
  const SET_DIRECTLY = ['color', 'date', 'time', 'datetime-local', 'month', 'range', 'week'];
  const TYPED = ['', 'text', 'search', 'url', 'tel', 'password', 'email', 'number'];
  const tag = element.localName;
  if (tag === 'input') {
    const type = element.type.toLowerCase();
    if (SET_DIRECTLY.includes(type)) {
      element.focus();
      element.value = text;
      if (element.value !== text) throw new Error(`fill: <input type=${type}> did not accept ${JSON.stringify(text)}`);
      element.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      element.dispatchEvent(new Event('change', { bubbles: true }));
      return;
    }
    if (!TYPED.includes(type)) throw new Error(`fill: <input type=${type}> cannot be filled`);
  } else if (tag !== 'textarea' && !element.isContentEditable) {
    throw new Error(`fill: a <${tag}> is not an input, textarea or contenteditable element`);
  }
  element.focus();
  if (element.isContentEditable) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = element.getRootNode().getSelection?.() ?? window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  } else {
    element.select();
  }
  const done = text ? document.execCommand('insertText', false, text) : document.execCommand('delete');
  if (!done) throw new Error('fill: the browser refused execCommand (is the element editable and focused?)');
}

/** What the two drivers spell differently; everything else is shared. */
const DRIVERS = {
  // Playwright's Page / ElementHandle.
  chromium: {
    async newPage(context, viewport) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    addInitScript: (page, path) => page.addInitScript({ path }),
    fill: (page, handle, text) => handle.fill(text, { timeout: ACTION_LIMIT_MS }),
    wheel: (page, dx, dy) => page.mouse.wheel(dx, dy),
  },
  // puppeteer's Page / ElementHandle over WebDriver BiDi. Each page opens in
  // a window of its own, brought to the front: a background tab gets no
  // animation frames and slowed timers. And one page is driven at a time
  // (see oneAtATime): keys sent to a window without focus miss the focused
  // element (End scrolls the page instead of moving the caret), and a
  // window opened by another test takes the focus.
  firefox: {
    oneAtATime: true,
    async newPage(context, viewport) {
      const page = await context.newPage({ type: 'window' });
      await page.setViewport(viewport);
      await page.bringToFront();
      return page;
    },
    addInitScript: async (page, path) => page.evaluateOnNewDocument(await readFile(path, 'utf8')),
    fill: (page, handle, text) => handle.evaluate(fillInPage, text),
    wheel: (page, dx, dy) => page.mouse.wheel({ deltaX: dx, deltaY: dy }),
  },
  // WebKitGTK over WebDriver classic: its own tab (openWebKitTab). Each
  // recording is a MiniBrowser of its own, whose synthesized keys reach its
  // web view whatever window has the X focus, so pages record side by side.
  webkit: { openTab: openWebKitTab },
};

const turns = new Map();

/**
 * Runs `fn` (which opens, drives and closes pages of `browserName`) when no
 * other such run of that browser is under way, if the browser needs it
 * (Firefox, see above); at once otherwise.
 */
export async function oneAtATime(browserName, fn) {
  if (!driverFor(browserName).oneAtATime) return fn();
  const previous = turns.get(browserName) ?? Promise.resolve();
  let release;
  const mine = new Promise((resolve) => {
    release = resolve;
  });
  turns.set(browserName, previous.then(() => mine));
  await previous;
  try {
    return await fn();
  } finally {
    release();
  }
}

/** A browser name the adapter drives, or a clear error. */
export function driverFor(browserName) {
  const driver = DRIVERS[browserName];
  if (!driver) throw new Error(`unknown browser '${browserName}': allowed are ${Object.keys(DRIVERS).join(', ')}`);
  return driver;
}

/** Rejects with `message` after `ms` unless `promise` settles first. */
async function within(ms, message, promise) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A page of `browserName` ('chromium' or 'firefox') opened in `context`
 * (from tests/support/browser.mjs launchBrowser), sized `viewport`, that
 * performs protocol actions. `page` is the driver's own page: goto,
 * evaluate(fn, arg), addScriptTag, close and the console / pageerror
 * events are spelled alike in both.
 */
export async function openTab(browserName, context, viewport) {
  const driver = driverFor(browserName);
  if (driver.openTab) return driver.openTab(context, viewport);
  const page = await driver.newPage(context, viewport);

  /** The frame `action.frame` names (an iframe selector), else the page's. */
  async function frameOf(action) {
    const main = page.mainFrame();
    if (!action.frame) return main;
    const iframe = await locate(main, action.frame);
    const frame = await iframe.contentFrame();
    if (!frame) throw new Error(`frame: '${action.frame}' is not a same-origin iframe`);
    return frame;
  }

  /** The first element matching `selector`, polled for until it exists. */
  async function locate(frame, selector) {
    const deadline = Date.now() + ACTION_LIMIT_MS;
    for (;;) {
      const handle = await frame.evaluateHandle(queryDeep, selector);
      const element = handle.asElement();
      if (element) return element;
      await handle.dispose();
      if (Date.now() > deadline) throw new Error(`no element matches '${selector}' after ${ACTION_LIMIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async function setChecked(handle, wanted, selector) {
    const state = () => handle.evaluate((el) => el.checked);
    if ((await state()) === wanted) return;
    await handle.click();
    if ((await state()) !== wanted) throw new Error(`clicking '${selector}' did not make it ${wanted ? 'checked' : 'unchecked'}`);
  }

  async function run(action) {
    if ('keys' in action) return page.keyboard.type(action.keys);
    if ('wait' in action) return new Promise((resolve) => setTimeout(resolve, Math.min(action.wait, MAX_WAIT_MS)));
    if ('mouse' in action) {
      for (const [x, y] of action.mouse) await page.mouse.move(x, y, { steps: 2 });
      return undefined;
    }
    const selector = action[ACTION_KEYS.find((key) => key in action)];
    const handle = await locate(await frameOf(action), selector);
    try {
      if ('fill' in action) await driver.fill(page, handle, action.text);
      else if ('type' in action) await handle.type(action.text, { delay: action.delay ?? 0 });
      else if ('press' in action) await handle.press(action.key);
      else if ('check' in action) await setChecked(handle, true, selector);
      else if ('uncheck' in action) await setChecked(handle, false, selector);
      else if ('select' in action) await handle.evaluate(selectOption, action.value);
      else if ('click' in action) await handle.click();
      else if ('hover' in action) await handle.hover();
      else if ('wheel' in action) {
        await handle.hover();
        await driver.wheel(page, action.dx ?? 0, action.dy ?? 0);
      }
    } finally {
      await handle.dispose();
    }
    return undefined;
  }

  return {
    browserName,
    page,
    addInitScript: (path) => driver.addInitScript(page, path),
    /** Performs one protocol action (see tests/e2e/fidelity.test.mjs). */
    async perform(action) {
      checkAction(action);
      // A step may type for long; the limit is per action and generous.
      const limit = 'wait' in action ? MAX_WAIT_MS + ACTION_LIMIT_MS : ACTION_LIMIT_MS * 4;
      await within(limit, `${JSON.stringify(action)} did not finish in ${limit} ms`, run(action));
    },
  };
}
