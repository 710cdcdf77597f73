// A small WebDriver classic client (the W3C HTTP protocol), for browsers
// that playwright-core and puppeteer-core do not drive the way a test needs:
// Firefox through geckodriver (its own `close`, not BiDi's), and WebKitGTK
// through WebKitWebDriver. It starts the driver on a free loopback port,
// opens one session, and offers what the tests use: navigation, scripts
// (async included), windows, element clicks and typing, and waiting.
import { spawn } from 'node:child_process';
import net from 'node:net';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The W3C element reference key.
export const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `driverPath` (geckodriver, WebKitWebDriver, ...) and opens a
 * session with `capabilities` (the `alwaysMatch` object).
 * `portArgs(port)` gives the driver's arguments for its port.
 */
export async function startWebDriver({
  driverPath,
  portArgs = (port) => [`--port=${port}`],
  capabilities,
  env,
  onOutput,
  sessionTimeoutMs = 60000,
}) {
  const port = await freePort();
  // In a process group of its own, with the browser it starts: ending the
  // group ends both, also when this process exits without close() (node's
  // --test-force-exit), which would otherwise leave them running.
  const driver = spawn(driverPath, portArgs(port), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  const endGroup = () => {
    try {
      process.kill(-driver.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', endGroup);
  let output = '';
  // `onOutput` hears what the driver and the browser it started print
  // (WebKit's MiniBrowser writes the page's console there, see webkit.mjs).
  const hear = (data) => {
    output = (output + data).slice(-4000);
    onOutput?.(String(data));
  };
  driver.stdout.on('data', hear);
  driver.stderr.on('data', hear);
  const exited = new Promise((resolve) => driver.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;

  async function command(method, path, body, timeoutMs) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
    });
    const text = await response.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new Error(`${driverPath} answered ${method} ${path} with ${response.status}: ${text.slice(0, 300)}`);
    }
    if (!response.ok || answer.value?.error) {
      const { error, message } = answer.value ?? {};
      throw new Error(`${method} ${path}: ${error ?? response.status}: ${message ?? text.slice(0, 300)}`);
    }
    return answer.value;
  }

  // The driver listens a moment after it starts.
  for (let attempt = 0; ; attempt++) {
    try {
      const status = await command('GET', '/status');
      if (status?.ready !== false) break;
    } catch (error) {
      if (attempt >= 100 || driver.exitCode !== null) {
        endGroup();
        throw new Error(`${driverPath} did not start: ${error.message}\n${output}`);
      }
    }
    await sleep(100);
  }

  // Bounded: a driver whose browser died while starting may wait for it
  // for good (seen with WebKitWebDriver, once in a few hundred sessions).
  let session;
  try {
    session = await command('POST', '/session', { capabilities: { alwaysMatch: capabilities } }, sessionTimeoutMs);
  } catch (error) {
    endGroup();
    process.removeListener('exit', endGroup);
    throw new Error(`${driverPath} opened no session: ${error.message}\n${output}`);
  }
  const sid = `/session/${session.sessionId}`;

  const client = {
    capabilities: session.capabilities,
    /** Any command of this session: `command('POST', '/frame', { id })`. */
    command: (method, path, body) => command(method, `${sid}${path}`, body),
    /** Loads `url` in the current window and waits for it. */
    goto: (url) => command('POST', `${sid}/url`, { url }),
    /** Runs `fn(...args)` in the page; its (awaited) result comes back. */
    evaluate: (fn, ...args) =>
      command('POST', `${sid}/execute/async`, {
        script: `const done = arguments[arguments.length - 1];
          Promise.resolve().then(() => (${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
            .then((value) => done({ ok: true, value }), (error) => done({ ok: false, error: String(error && error.stack || error) }));`,
        args,
      }).then((result) => {
        if (!result?.ok) throw new Error(`script failed in the page: ${result?.error}`);
        return result.value;
      }),
    /** Polls `fn` in the page until it returns something truthy. */
    async waitFor(fn, timeoutMs = 10000, what = 'the condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await client.evaluate(fn);
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(50);
      }
    },
    /** Reloads the current page and waits for it. */
    reload: () => command('POST', `${sid}/refresh`, {}),
    /** Opens a new tab (or `type: 'window'`) and switches to it; returns its handle. */
    async newWindow(type = 'tab') {
      const { handle } = await command('POST', `${sid}/window/new`, { type });
      await command('POST', `${sid}/window`, { handle });
      return handle;
    },
    windowHandles: () => command('GET', `${sid}/window/handles`),
    switchTo: (handle) => command('POST', `${sid}/window`, { handle }),
    /** Closes the current window (WebDriver classic's own close). */
    closeWindow: () => command('DELETE', `${sid}/window`),
    async findElement(selector) {
      const found = await command('POST', `${sid}/element`, { using: 'css selector', value: selector });
      return found[ELEMENT_KEY];
    },
    async click(selector) {
      await command('POST', `${sid}/element/${await client.findElement(selector)}/click`, {});
    },
    async type(selector, text) {
      await command('POST', `${sid}/element/${await client.findElement(selector)}/value`, { text });
    },
    async close() {
      await command('DELETE', sid, undefined, 20000).catch(() => {});
      driver.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      // Whatever the driver left behind in its group goes too.
      endGroup();
      process.removeListener('exit', endGroup);
      if (!killed) await exited;
    },
  };
  return client;
}

/** Firefox ESR through geckodriver, headless, with its background traffic off. */
export function startGeckoDriver({ firefoxPath = '/usr/bin/firefox-esr', prefs = {} } = {}) {
  return startWebDriver({
    driverPath: process.env.GECKODRIVER_PATH ?? 'geckodriver',
    portArgs: (port) => ['--port', String(port), '--host', '127.0.0.1'],
    capabilities: {
      browserName: 'firefox',
      'moz:firefoxOptions': { binary: firefoxPath, args: ['-headless'], prefs },
    },
    env: { PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` },
  });
}
