// Waiting on a page from the test process, for the browsers the tests
// drive (playwright-core's and puppeteer-core's pages both have evaluate).

/**
 * Evaluates `fn` in `page` every 100 ms until it returns something truthy,
 * and returns that; throws, naming `what`, after `timeoutMs`.
 */
export async function pageWaitFor(page, fn, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
