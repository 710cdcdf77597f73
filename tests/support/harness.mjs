// The set-ups the end-to-end tests share: each `use…` registers node:test
// hooks in the suite it is called in (the file, or a describe) that start
// something before its tests and close it after them, passed or not, and
// returns a handle whose fields are read once the tests run.
import { before, after, afterEach } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { createDemoServer } from '../../www/server.mjs';
import { startStaticServer, listen } from './static-server.mjs';
import { launchBrowser, collectPageErrors } from './browser.mjs';

/** The repository's static server (static-server.mjs): `site.origin`. */
export function useStaticSite(options) {
  let site;
  before(async () => {
    site = await startStaticServer(options);
  });
  after(async () => {
    await site?.close();
  });
  return {
    get origin() {
      return site.origin;
    },
    /** The paths asked for so far (static-server.mjs). */
    get requests() {
      return site.requests;
    },
  };
}

/**
 * The demo server of www/server.mjs (`createDemoServer(options)`) storing
 * into a fresh temporary folder (named `tempPrefix`…), removed after:
 * `demo.origin`, `demo.dataDir`.
 */
export function useDemoServer({ tempPrefix = 'rewind-demo-', ...options } = {}) {
  let dataDir;
  let demo;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), tempPrefix));
    demo = await listen(createDemoServer({ dataDir, ...options }));
  });
  after(async () => {
    await demo?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return {
    get origin() {
      return demo.origin;
    },
    get dataDir() {
      return dataDir;
    },
  };
}

/**
 * The browsers `names` names, launched once (browser.mjs launchBrowser):
 * an object filled by name before the tests run.
 */
export function useBrowsers(names) {
  const browsers = {};
  before(async () => {
    for (const name of names) browsers[name] = await launchBrowser(name);
  });
  after(async () => {
    for (const launched of Object.values(browsers)) await launched.close();
  });
  return browsers;
}

/** One browser by name: `browser.newContext(options)`. */
export function useBrowser(name) {
  const browsers = useBrowsers([name]);
  return {
    name,
    newContext: (options) => browsers[name].newContext(options),
  };
}

/**
 * A fresh profile per test: `freshPage(options)` opens a context of
 * `browser` (`options` as `newContext` takes them) and a page in it, whose
 * errors it collects (browser.mjs collectPageErrors). The contexts a test
 * opened are closed after it, passed or not.
 * @returns {(options?: object) => Promise<{ context: any, page: any, errors: string[] }>}
 */
export function useFreshPages(browser) {
  const open = [];
  afterEach(async () => {
    for (const context of open.splice(0)) await context.close().catch(() => {});
  });
  return async function freshPage(options) {
    const context = await browser.newContext(options);
    open.push(context);
    const page = await context.newPage();
    return { context, page, errors: collectPageErrors(page) };
  };
}
