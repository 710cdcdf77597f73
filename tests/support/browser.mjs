// Launches the test browsers from Debian's packages (no downloaded
// browser): Chromium through playwright-core, Firefox ESR through
// puppeteer-core over WebDriver BiDi, WebKitGTK through WebKitWebDriver
// (tests/support/webkit.mjs). The three page APIs share what the tests use
// (goto, evaluate, reload, click, close, pageerror events; console events
// in Chromium and Firefox).
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

import { launchWebKit } from './webkit.mjs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// Firefox's own background traffic, off: the machine has no network.
export const FIREFOX_PREFS = {
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'extensions.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'toolkit.telemetry.enabled': false,
  // Lets a test page close its own tab with window.close(), the browser's
  // own close path (tests/e2e/wire.test.mjs says why).
  'dom.allow_scripts_to_close_windows': true,
};

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

// Firefox ESR prints its WebDriver BiDi address only once its new profile
// is set up, which on a loaded two-core CI machine once took over
// puppeteer's default 30 s (fresh-clone CI, December 3: 'Timed out after
// 30000 ms while waiting for the WS endpoint URL'). Both attempts are
// bounded, and a second failure is reported with the first one's reason.
const FIREFOX_LAUNCH_TIMEOUT_MS = 90_000;

async function launchFirefox() {
  const options = {
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
    timeout: FIREFOX_LAUNCH_TIMEOUT_MS,
  };
  try {
    return await puppeteer.launch(options);
  } catch (first) {
    console.warn(`[browser] Firefox did not start (${first.message}); launching it once more`);
    try {
      return await puppeteer.launch(options);
    } catch (second) {
      throw new Error(`Firefox did not start twice: first ${first.message}; then ${second.message}`);
    }
  }
}

/**
 * A browser by name ('chromium', 'firefox' or 'webkit') with `newContext()`
 * giving a fresh profile (storage, IndexedDB) whose `newPage()` the tests
 * drive. In Chromium, `newContext(options)` takes playwright's context
 * options (a viewport, say); the others take none.
 */
export async function launchBrowser(name) {
  if (name === 'chromium') {
    const browser = await launchChromium();
    return {
      name,
      newContext: (options) => browser.newContext(options),
      close: () => browser.close(),
    };
  }
  if (name === 'firefox') {
    const browser = await launchFirefox();
    return {
      name,
      newContext: () => browser.createBrowserContext(),
      close: () => browser.close(),
    };
  }
  if (name === 'webkit') return launchWebKit();
  throw new Error(`unknown browser '${name}': use chromium, firefox or webkit`);
}

/** Fails the test with the page's console errors and uncaught exceptions. */
export function collectPageErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  return errors;
}
