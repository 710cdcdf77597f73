// Waiting on a page from the test process, for the browsers the tests
// drive (playwright-core's and puppeteer-core's pages, and playwright's
// frames, all have evaluate).

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

/**
 * Waits until the demo app (in `frame`, a page or a frame) records under
 * Segment's user. It starts rewind through Segment, once analytics.js has
 * loaded; when that takes over 3 s (a busy machine), rewind starts on its
 * own ids and moves to Segment's user when it loads: a new replay. (Rewind's stub answers with Promises
 * until its bundle loads, so this awaits each answer.)
 */
export async function untilRecordingAsSegmentUser(frame) {
  await frame.evaluate(async () => {
    const settled = async () => {
      if (!(await Rewind.isRecording()) || !window.analytics.initialized) return false;
      const replayId = await Rewind.getReplayId();
      return Boolean(replayId && replayId.startsWith(`${window.analytics.user().anonymousId()}/`));
    };
    const deadline = Date.now() + 15_000;
    while (!(await settled())) {
      if (Date.now() > deadline) throw new Error('the demo app is not recording under Segment\'s user after 15 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
}
