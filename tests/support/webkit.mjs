// WebKit for the end-to-end tests: Debian's WebKitGTK MiniBrowser, driven by
// WebKitWebDriver over WebDriver classic (tests/support/webdriver.mjs), on
// an Xvfb display of its own. WebKitGTK is the engine family of Safari (the
// same WebCore, JavaScriptCore and WebAssembly), which is what rewind runs
// in on every iPhone; playwright's WebKit is a downloaded build, which this
// machine cannot fetch.
//
// It offers the page API the suites share with playwright-core (Chromium)
// and puppeteer-core (Firefox): a browser whose `newContext()` is a fresh
// profile, whose `newPage()` is a window; `goto`, `reload`, `evaluate(fn,
// arg)` (async functions awaited), `waitForFunction`, `click`, `type`,
// `addScriptTag`, `close`, and the 'pageerror' and 'close' events. And, for
// the fidelity scenarios, `openWebKitTab` performs the protocol's user
// actions through element references and WebDriver actions.
//
// What WebDriver classic cannot do, and what stands in for it:
// - No script runs before the page's own (no addInitScript): `addInitScript`
//   runs the script right after each navigation this page makes, before the
//   test's next command. The fidelity normalizer needs no more (it is read
//   after recording starts); a test that must act before the page's scripts
//   says so in the page itself (wire.html's `?denyIndexedDb`).
// - No console or error events: each page gets listeners for uncaught
//   errors and unhandled rejections after each navigation, and every
//   `evaluate` brings back what they heard, emitted as 'pageerror'. An error
//   thrown while the page loads, before the listeners, is not seen;
//   console.error is not watched (wrapping it would change what rewind's
//   console capture sees).
// - One current window per session: commands of the pages of one context
//   take turns, each switching to its own window first.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { startWebDriver, ELEMENT_KEY } from './webdriver.mjs';
import { ACTION_KEYS, ACTION_LIMIT_MS, checkAction, queryDeep, selectOption, fillInPage } from './actions.mjs';

export const WEBKIT_DRIVER_PATH = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';

/** The MiniBrowser of Debian's libwebkit2gtk-4.1-0 (in the arch's lib folder). */
export function miniBrowserPath() {
  if (process.env.MINIBROWSER_PATH) return process.env.MINIBROWSER_PATH;
  for (const dir of readdirSync('/usr/lib')) {
    const candidate = path.join('/usr/lib', dir, 'webkit2gtk-4.1/MiniBrowser');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('no WebKitGTK MiniBrowser in /usr/lib/*/webkit2gtk-4.1/: run scripts/setup.sh (it installs webkit2gtk-driver)');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Xvfb on the first free display (it picks it and tells through
 * -displayfd, what `xvfb-run -a` does by trying). Returns its DISPLAY and a
 * close function.
 */
async function startXvfb() {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  // Not left running when this process exits without close().
  const kill = () => xvfb.kill('SIGKILL');
  process.once('exit', kill);
  let errors = '';
  xvfb.stderr.on('data', (data) => (errors = (errors + data).slice(-2000)));
  const exited = new Promise((resolve) => xvfb.once('exit', resolve));
  const display = await Promise.race([
    new Promise((resolve) => {
      let text = '';
      xvfb.stdio[3].on('data', (data) => {
        text += data;
        if (text.includes('\n')) resolve(`:${text.trim()}`);
      });
    }),
    exited.then(() => {
      throw new Error(`Xvfb exited before it had a display (is the xvfb package installed?): ${errors}`);
    }),
    sleep(15000).then(() => {
      throw new Error(`Xvfb gave no display in 15 s: ${errors}`);
    }),
  ]);
  return {
    display,
    async close() {
      process.removeListener('exit', kill);
      xvfb.kill('SIGTERM');
      if (!(await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]))) xvfb.kill('SIGKILL');
    },
  };
}

/**
 * Runs in the page (serialized into it): listens once per document for
 * uncaught errors and unhandled rejections, and hands over what it heard
 * since the last call. The listeners are the harness's, not rewind's (they
 * are added before rewind starts, or by a test that never counts them).
 */
function drainPageErrors() {
  const key = '__webkitHarnessErrors';
  if (!window[key]) {
    const heard = [];
    Object.defineProperty(window, key, { value: heard, enumerable: false });
    window.addEventListener('error', (event) => heard.push(`pageerror: ${event.message}`));
    window.addEventListener('unhandledrejection', (event) => {
      const reason = event.reason;
      heard.push(`pageerror: unhandled rejection: ${reason && reason.message ? reason.message : String(reason)}`);
    });
  }
  return window[key].splice(0);
}

/**
 * Runs in the page: the middle of the part of `element` inside the viewport
 * (whole pixels), after scrolling it into view if none is; null if it has
 * none even then.
 */
function visiblePoint(element) {
  const visible = () => {
    const r = element.getBoundingClientRect();
    const left = Math.max(r.left, 0);
    const top = Math.max(r.top, 0);
    const right = Math.min(r.right, window.innerWidth);
    const bottom = Math.min(r.bottom, window.innerHeight);
    return right - left >= 1 && bottom - top >= 1 ? { x: Math.floor((left + right) / 2), y: Math.floor((top + bottom) / 2) } : null;
  };
  const point = visible();
  if (point) return point;
  element.scrollIntoView({ block: 'center', inline: 'center' });
  return visible();
}

/** WebDriver's key codes for the keys the fidelity scenarios press. */
const KEY_CODES = {
  Backspace: '\uE003',
  Tab: '\uE004',
  Enter: '\uE007',
  Escape: '\uE00C',
  ' ': ' ',
  PageUp: '\uE00E',
  PageDown: '\uE00F',
  End: '\uE010',
  Home: '\uE011',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
  Delete: '\uE017',
};

function keyCode(key) {
  if (key.length === 1) return key;
  const code = KEY_CODES[key];
  if (!code) throw new Error(`press: the WebKit driver knows no key '${key}' (known: ${Object.keys(KEY_CODES).join(', ')})`);
  return code;
}

/**
 * A page: one window of the context's WebDriver session. Its commands go
 * through `context.turn`, which makes the window current first.
 */
class WebKitPage extends EventEmitter {
  constructor(context, handle) {
    super();
    this.context = context;
    this.session = context.session;
    this.handle = handle;
    this.initScripts = [];
    this.closed = false;
  }

  turn(fn) {
    if (this.closed) return Promise.reject(new Error('the WebKit page is closed'));
    return this.context.turn(this.handle, fn);
  }

  /** After a navigation: the error listeners, then the "init" scripts. */
  async afterNavigation() {
    await this.evaluate(() => undefined);
    for (const source of this.initScripts) await this.evaluate((code) => (0, eval)(code), source);
  }

  async goto(url) {
    await this.turn(() => this.session.goto(url));
    await this.afterNavigation();
  }

  async reload() {
    await this.turn(() => this.session.reload());
    await this.afterNavigation();
  }

  /**
   * Runs `fn(arg)` in the page and returns its (awaited) result, as
   * playwright's evaluate does; the errors the page's listeners heard come
   * back with it and are emitted as 'pageerror'.
   */
  async evaluate(fn, arg) {
    // (No comment inside the script: the driver may join its lines.) A
    // failure says its message beside its stack, which JavaScriptCore writes
    // without it, under a key other than 'error', which the driver's client
    // reads as a WebDriver error.
    const source = typeof fn === 'function' ? String(fn) : `() => (${fn})`;
    const answer = await this.turn(() =>
      this.session.command('POST', '/execute/async', {
        script: `const done = arguments[arguments.length - 1];
          const drain = ${drainPageErrors};
          drain.heard = drain();
          Promise.resolve().then(() => (${source})(arguments[0]))
            .then((value) => done({ ok: true, value, errors: drain.heard.concat(drain()) }),
                  (error) => done({ ok: false, failure: String(error) + (error && error.stack ? ' @ ' + error.stack : ''), errors: drain.heard.concat(drain()) }));`,
        args: [arg === undefined ? null : arg],
      }),
    );
    for (const message of answer?.errors ?? []) this.emit('pageerror', new Error(message.replace(/^pageerror: /, '')));
    if (!answer?.ok) throw new Error(`script failed in the page: ${answer?.failure}`);
    return answer.value;
  }

  /** Polls `fn(arg)` in the page until it returns something truthy. */
  async waitForFunction(fn, arg, { timeout = 10000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn, arg);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${String(fn).slice(0, 80)}`);
      await sleep(50);
    }
  }

  /** The element `selector` matches (piercing open shadow roots), as a WebDriver reference; polled for. */
  async element(selector) {
    const deadline = Date.now() + ACTION_LIMIT_MS;
    for (;;) {
      const found = await this.turn(() =>
        this.session.command('POST', '/execute/sync', { script: `return (${queryDeep})(arguments[0]);`, args: [selector] }),
      );
      if (found?.[ELEMENT_KEY]) return found[ELEMENT_KEY];
      if (Date.now() > deadline) throw new Error(`no element matches '${selector}' after ${ACTION_LIMIT_MS} ms`);
      await sleep(50);
    }
  }

  async click(selector) {
    const id = await this.element(selector);
    await this.turn(() => this.session.command('POST', `/element/${id}/click`, {}));
  }

  async type(selector, text) {
    const id = await this.element(selector);
    await this.turn(() => this.session.command('POST', `/element/${id}/value`, { text }));
  }

  /** A <script> from `url`, or with the text of the file at `path`; resolves once it ran. */
  async addScriptTag({ url, path: file }) {
    const text = file ? await readFile(file, 'utf8') : null;
    await this.evaluate(
      ({ url, text }) =>
        new Promise((resolve, reject) => {
          const script = document.createElement('script');
          if (text !== null) {
            script.textContent = text;
            document.head.append(script);
            resolve();
            return;
          }
          script.src = url;
          script.onload = () => resolve();
          script.onerror = () => reject(new Error(`could not load ${url}`));
          document.head.append(script);
        }),
      { url: url ?? null, text },
    );
  }

  /**
   * What WebDriver classic allows instead of a script before the page's own:
   * `source` (a file path or a function) runs after every later navigation
   * of this page (see the note at the top).
   */
  async addInitScript(source) {
    const code = typeof source === 'function' ? `(${source})()` : await readFile(source.path ?? source, 'utf8');
    this.initScripts.push(code);
  }

  /** Sizes the window so the page's viewport is `width` x `height`. */
  async setViewportSize({ width, height }) {
    const inner = await this.evaluate(() => ({ width: window.innerWidth, height: window.innerHeight }));
    const outer = await this.turn(() => this.session.command('GET', '/window/rect'));
    await this.turn(() =>
      this.session.command('POST', '/window/rect', {
        width: outer.width + width - inner.width,
        height: outer.height + height - inner.height,
      }),
    );
  }

  /**
   * Closes the window with WebDriver classic's close. `runBeforeUnload` is
   * playwright's option; WebKit runs pagehide and unload on this close
   * either way.
   */
  async close() {
    if (this.closed) return;
    await this.turn(() => this.session.closeWindow()).catch(() => {});
    this.closed = true;
    this.context.forget(this);
    this.emit('close');
  }
}

/**
 * A context: one WebDriver session, hence one MiniBrowser process with a
 * fresh ephemeral profile (storage and IndexedDB start empty, as in
 * Safari's private browsing). Its first window stays open on about:blank, so
 * closing every page (a closed tab in the wire tests) never ends the session.
 */
class WebKitContext {
  constructor(session, firstHandle) {
    this.session = session;
    // The window that stays open; new windows are opened from it.
    this.keeper = firstHandle;
    this.current = firstHandle;
    this.queue = Promise.resolve();
    this.pages = new Set();
  }

  /** Runs `fn` with window `handle` current, after the commands before it. */
  turn(handle, fn) {
    const run = this.queue.then(async () => {
      if (this.current !== handle) {
        await this.session.switchTo(handle);
        this.current = handle;
      }
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  async newPage() {
    const handle = await this.turn(this.keeper, async () => {
      const { handle: opened } = await this.session.command('POST', '/window/new', { type: 'window' });
      return opened;
    });
    const page = new WebKitPage(this, handle);
    this.pages.add(page);
    return page;
  }

  forget(page) {
    this.pages.delete(page);
    // Its window is gone: the next turn switches to a live one.
    if (this.current === page.handle) this.current = null;
  }

  async close() {
    await this.queue;
    await this.session.close();
  }
}

/**
 * WebKit by the name 'webkit': `newContext()` opens a WebDriver session
 * (about 0.6 s) with its own MiniBrowser; `close()` ends them and Xvfb.
 */
export async function launchWebKit() {
  const binary = miniBrowserPath();
  const xvfb = await startXvfb();
  const contexts = new Set();
  return {
    name: 'webkit',
    async newContext() {
      const open = () =>
        startWebDriver({
          driverPath: WEBKIT_DRIVER_PATH,
          capabilities: {
            'webkitgtk:browserOptions': { binary, args: ['--automation'] },
            // A script may wait for delivery (whenDelivered(30000)) and more.
            timeouts: { script: 120000, pageLoad: 60000, implicit: 0 },
          },
          env: { DISPLAY: xvfb.display },
          // A session opens in about 0.6 s; one that has not in 15 s never
          // will (the MiniBrowser died while starting, and the driver waits
          // for it for good): a new driver is started instead, twice at most.
          sessionTimeoutMs: 15000,
        });
      let session;
      for (let attempt = 1; !session; attempt += 1) {
        try {
          session = await open();
        } catch (error) {
          if (attempt >= 3) throw error;
          process.stderr.write(`[webkit] attempt ${attempt} opened no session, trying again: ${error.message.slice(-600)}\n`);
        }
      }
      const [first] = await session.windowHandles();
      const context = new WebKitContext(session, first);
      contexts.add(context);
      const close = context.close.bind(context);
      context.close = async () => {
        contexts.delete(context);
        await close();
      };
      return context;
    },
    async close() {
      for (const context of [...contexts]) await context.close().catch(() => {});
      await xvfb.close();
    },
  };
}

/**
 * The fidelity protocol's user actions (tests/support/actions.mjs) in a
 * WebKit page: through element references (click, typing, keys sent to an
 * element) and WebDriver actions (keys at the focused element, the mouse,
 * the wheel); what the page does itself (fill, select) runs in the page, as
 * for Firefox. An action inside a same-origin iframe switches to that frame
 * for its commands and back.
 */
export async function openWebKitTab(context, viewport) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const { session } = context;
  const command = (method, suffix, body) => session.command(method, suffix, body);
  const ref = (id) => ({ [ELEMENT_KEY]: id });

  async function inFrame(action, fn) {
    if (!action.frame) return fn();
    const frameId = await page.element(action.frame);
    // Frame switches and the commands inside them run in one turn.
    return page.turn(async () => {
      await command('POST', '/frame', { id: ref(frameId) });
      try {
        return await fn(true);
      } finally {
        await command('POST', '/frame', { id: null });
      }
    });
  }

  /** The element of `selector` in the current (maybe framed) context. */
  async function find(selector, framed) {
    const run = () => command('POST', '/execute/sync', { script: `return (${queryDeep})(arguments[0]);`, args: [selector] });
    const deadline = Date.now() + ACTION_LIMIT_MS;
    for (;;) {
      const found = framed ? await run() : await page.turn(run);
      if (found?.[ELEMENT_KEY]) return found[ELEMENT_KEY];
      if (Date.now() > deadline) throw new Error(`no element matches '${selector}' after ${ACTION_LIMIT_MS} ms`);
      await sleep(50);
    }
  }

  const inPage = (framed, fn, ...args) => {
    const run = () => command('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments);`, args });
    return framed ? run() : page.turn(run);
  };
  const send = (framed, method, suffix, body) => (framed ? command(method, suffix, body) : page.turn(() => command(method, suffix, body)));

  async function actions(framed, sources) {
    await send(framed, 'POST', '/actions', { actions: sources });
    await send(framed, 'DELETE', '/actions');
  }

  async function run(action) {
    if ('wait' in action) return sleep(Math.min(action.wait, 5000));
    if ('keys' in action) {
      const steps = [...action.keys].flatMap((ch) => [{ type: 'keyDown', value: ch }, { type: 'keyUp', value: ch }]);
      return actions(false, [{ type: 'key', id: 'keyboard', actions: steps }]);
    }
    if ('mouse' in action) {
      const moves = action.mouse.map(([x, y]) => ({ type: 'pointerMove', x: Math.round(x), y: Math.round(y), duration: 16, origin: 'viewport' }));
      return actions(false, [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: moves }]);
    }
    const key = ACTION_KEYS.find((k) => k in action);
    const selector = action[key];
    return inFrame(action, async (framed = false) => {
      const id = await find(selector, framed);
      const element = ref(id);
      if (key === 'fill') return inPage(framed, fillInPage, element, action.text);
      if (key === 'type') return send(framed, 'POST', `/element/${id}/value`, { text: action.text });
      if (key === 'press') return send(framed, 'POST', `/element/${id}/value`, { text: keyCode(action.key) });
      if (key === 'select') return inPage(framed, selectOption, element, action.value);
      // Clicks, hovers and the wheel go where a user's pointer would, as
      // playwright's do: the element scrolled into view if it is not, then
      // the middle of its visible part. (WebDriver's element click refuses
      // an element inside a shadow root, "intercepted" by its host.)
      const point = async () => {
        const at = await inPage(framed, visiblePoint, element);
        if (!at) throw new Error(`'${selector}' has no visible part to point at`);
        return at;
      };
      const pointer = (steps) => ({ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: steps });
      const moveTo = ({ x, y }) => ({ type: 'pointerMove', x, y, duration: 16, origin: 'viewport' });
      const click = async () => {
        const at = await point();
        await actions(framed, [pointer([moveTo(at), { type: 'pointerDown', button: 0 }, { type: 'pointerUp', button: 0 }])]);
      };
      if (key === 'click') return click();
      if (key === 'check' || key === 'uncheck') {
        const wanted = key === 'check';
        const state = () => inPage(framed, (el) => el.checked, element);
        if ((await state()) === wanted) return undefined;
        await click();
        if ((await state()) !== wanted) throw new Error(`clicking '${selector}' did not make it ${wanted ? 'checked' : 'unchecked'}`);
        return undefined;
      }
      if (key === 'hover') return actions(framed, [pointer([moveTo(await point())])]);
      if (key === 'wheel') {
        // The mouse over the element, then the wheel there.
        const at = await point();
        await actions(framed, [pointer([moveTo(at)])]);
        return actions(framed, [
          { type: 'wheel', id: 'wheel', actions: [{ type: 'scroll', ...at, deltaX: action.dx ?? 0, deltaY: action.dy ?? 0, origin: 'viewport' }] },
        ]);
      }
      throw new Error(`unhandled action ${JSON.stringify(action)}`);
    });
  }

  return {
    browserName: 'webkit',
    page,
    addInitScript: (file) => page.addInitScript(file),
    async perform(action) {
      checkAction(action);
      const limit = 'wait' in action ? 5000 + ACTION_LIMIT_MS : ACTION_LIMIT_MS * 4;
      let timer;
      try {
        await Promise.race([
          run(action),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${JSON.stringify(action)} did not finish in ${limit} ms`)), limit);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
