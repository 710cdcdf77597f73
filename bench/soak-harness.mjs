// The soak test's one module, shared by `npm run soak` (bench/soak.mjs, the
// full run: about 10 minutes, the equivalent of 8 hours) and the short run
// in `npm test` (tests/e2e/soak.test.mjs): a page that never rests
// (tests/fixtures/soak.html) is recorded by rewind (dist/rewind.js) in
// headless Chromium into a local ingest endpoint, with time compressed by
// short options, while the driver types, clicks, scrolls and goes idle on
// a schedule. Every `sampleEveryMs` it samples the JS heap after a forced
// GC, rewind's wasm memory, the live DOM, the outbox and what arrived; at
// the end it stops rewind, waits for delivery and checks the invariants.
import { launchChromium } from '../tests/support/browser.mjs';
import { startIngestServer } from '../tests/support/ingest-server.mjs';
import { startStaticServer } from '../tests/support/static-server.mjs';

const MB = 1024 * 1024;
const HOUR_MS = 3600 * 1000;

/** rewind's defaults, which the compressed settings stand in for. */
export const DEFAULTS = {
  flushIntervalMs: 5000,
  maxSessionDurationMs: 4 * HOUR_MS,
  sessionIdleTimeoutMs: 30 * 60 * 1000,
};

/** The real-life figures the "8 hours" equivalence is counted against. */
export const EIGHT_HOURS = {
  durationMs: 8 * HOUR_MS,
  // rewind takes no periodic checkout by default; against a team's choice
  // of one every 5 minutes.
  checkoutEveryNms: 5 * 60 * 1000,
};

// Event kinds in rrweb's schema.
const META = 4;
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const PLUGIN = 6;
const SOURCE = { mutation: 0, mouseMove: 1, mouseInteraction: 2, scroll: 3, input: 5 };

/**
 * How far the wasm memory's high-water mark may rise in the second half of
 * a run over the first half's: four 64 KiB pages. Wasm memory never
 * shrinks, so once the recorder's working set has peaked it stays put; a
 * structure that grows with every node ever recorded (not with the live
 * DOM) needs ever larger blocks and shows up as steps past this (one was:
 * see the README's "Soak" paragraph).
 */
const WASM_MARGIN_BYTES = 4 * 64 * 1024;

/**
 * Two profiles. Option minimums (src/core/options.rs): flushIntervalMs 100,
 * checkoutEveryNms 1000, sessionIdleTimeoutMs 1000, maxSessionDurationMs
 * 60000. The driver alternates `activeMs` of input with `idleMs` of none;
 * an idle stretch longer than sessionIdleTimeoutMs rotates the session,
 * and an active stretch longer than maxSessionDurationMs does too.
 */
export const PROFILES = {
  full: {
    name: 'full',
    durationMs: 10 * 60 * 1000,
    sampleEveryMs: 15000,
    warmupMs: 60000,
    schedule: { activeMs: 85000, idleMs: 15000 },
    rewind: {
      flushIntervalMs: 100,
      checkoutEveryNms: 6000,
      sessionIdleTimeoutMs: 8000,
      maxSessionDurationMs: 60000,
      requestTimeoutMs: 5000,
    },
    page: { mutationEveryMs: 50, errorEveryMs: 2000, addPerTick: 1, minItems: 150, maxItems: 300 },
    memory: { heapGrowthLimit: 0.2, wasmMarginBytes: WASM_MARGIN_BYTES },
  },
  short: {
    name: 'short',
    durationMs: 80000,
    sampleEveryMs: 5000,
    warmupMs: 15000,
    // One active stretch past the maximum duration (a rotation at 60 s),
    // then an idle one past the idle timeout (a rotation at about 69 s).
    schedule: { activeMs: 64000, idleMs: 8000 },
    rewind: {
      flushIntervalMs: 100,
      checkoutEveryNms: 5000,
      sessionIdleTimeoutMs: 5000,
      maxSessionDurationMs: 60000,
      requestTimeoutMs: 5000,
    },
    page: { mutationEveryMs: 50, errorEveryMs: 2000, addPerTick: 1, minItems: 150, maxItems: 300 },
    memory: { heapGrowthLimit: 0.2, wasmMarginBytes: WASM_MARGIN_BYTES },
  },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or an error naming `what` after `ms`: no step may hang the run. */
async function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`soak: ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the driver gives input at `elapsedMs` into the run. */
function isActive(schedule, elapsedMs) {
  return elapsedMs % (schedule.activeMs + schedule.idleMs) < schedule.activeMs;
}

/**
 * What the run amounts to beside 8 hours of a tab at rewind's defaults,
 * figure by figure (planned from the settings; `measured` fills in what
 * actually happened).
 */
export function equivalence(profile, measured = {}) {
  const { durationMs, rewind, schedule } = profile;
  const flushes = Math.floor(durationMs / rewind.flushIntervalMs);
  const checkouts = Math.floor(durationMs / rewind.checkoutEveryNms);
  const eightHourFlushes = EIGHT_HOURS.durationMs / DEFAULTS.flushIntervalMs;
  const eightHourCheckouts = EIGHT_HOURS.durationMs / EIGHT_HOURS.checkoutEveryNms;
  const cycle = schedule.activeMs + schedule.idleMs;
  return {
    timeFactor: DEFAULTS.flushIntervalMs / rewind.flushIntervalMs,
    flushTicks: flushes,
    flushHours: (flushes * DEFAULTS.flushIntervalMs) / HOUR_MS,
    eightHourFlushTicks: eightHourFlushes,
    checkouts,
    checkoutHours: (checkouts * EIGHT_HOURS.checkoutEveryNms) / HOUR_MS,
    eightHourCheckouts,
    plannedRotations: plannedRotations(profile),
    eightHourRotationsAtDefaults: Math.floor(EIGHT_HOURS.durationMs / DEFAULTS.maxSessionDurationMs),
    sessionScale: DEFAULTS.maxSessionDurationMs / rewind.maxSessionDurationMs,
    idleScale: DEFAULTS.sessionIdleTimeoutMs / rewind.sessionIdleTimeoutMs,
    idleStretches: Math.floor(durationMs / cycle),
    ...measured,
  };
}

/** Rotations the schedule should cause (timers on time). */
function plannedRotations({ durationMs, schedule, rewind }) {
  const cycle = schedule.activeMs + schedule.idleMs;
  let rotations = 0;
  let sessionStart = 0;
  let lastActivity = 0;
  // Steps of one flush interval, as the flush timer checks.
  for (let t = 0; t <= durationMs; t += rewind.flushIntervalMs) {
    if (t - lastActivity >= rewind.sessionIdleTimeoutMs || t - sessionStart >= rewind.maxSessionDurationMs) {
      rotations += 1;
      sessionStart = t;
      lastActivity = t;
    }
    if (t % cycle < schedule.activeMs) lastActivity = t;
  }
  return rotations;
}

/** The profile `name`, with SOAK_MINUTES applied to the full one. */
export function profileFromEnv(name, env = process.env) {
  const base = PROFILES[name];
  if (!base) throw new Error(`unknown soak profile '${name}': use ${Object.keys(PROFILES).join(' or ')}`);
  const profile = structuredClone(base);
  if (name === 'full' && env.SOAK_MINUTES !== undefined) {
    const minutes = Number(env.SOAK_MINUTES);
    if (!Number.isFinite(minutes) || minutes < 2 || minutes > 120) {
      throw new Error(`SOAK_MINUTES='${env.SOAK_MINUTES}' is not allowed: a number of minutes from 2 to 120 (default 10)`);
    }
    profile.durationMs = Math.round(minutes * 60000);
    // A fifth of the run warms up, at most the default minute.
    profile.warmupMs = Math.min(base.warmupMs, Math.round(profile.durationMs / 5));
  }
  return profile;
}

/** Runs the driver's input until `deadline`, idle when the schedule says. */
async function driveInput(page, profile, startedAt, deadline, stats) {
  let step = 0;
  const words = ['alpha ', 'bravo ', 'charlie ', 'delta ', 'echo ', 'foxtrot '];
  while (Date.now() < deadline) {
    if (!isActive(profile.schedule, Date.now() - startedAt)) {
      stats.idleTicks += 1;
      await sleep(250);
      continue;
    }
    step += 1;
    const word = words[step % words.length];
    switch (step % 7) {
      case 0:
        await page.click('#name');
        await page.keyboard.type(word, { delay: 15 });
        break;
      case 1:
        await page.click('#notes');
        await page.keyboard.type(word, { delay: 15 });
        await page.keyboard.press('Enter');
        break;
      case 2:
        await page.click('#secret');
        await page.keyboard.type(word, { delay: 15 });
        break;
      case 3:
        await page.click('#agree');
        await page.selectOption('#plan', ['free', 'team', 'pro'][step % 3]);
        break;
      case 4: {
        // The static panel, not the live feed: scroll anchoring and clamping
        // in a scrolled feed fire scroll events with no user there, which
        // rewind counts as activity (so a session there never idles out).
        const box = await page.locator('#log-box').boundingBox();
        if (box) {
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
          await page.mouse.wheel(0, step % 2 ? 240 : -180);
        }
        break;
      }
      case 5:
        await page.mouse.move(200 + (step % 5) * 100, 600, { steps: 4 });
        await page.mouse.wheel(0, step % 3 ? 300 : -400);
        break;
      default:
        // The fields are emptied now and then, so their values stay short.
        for (const field of ['#name', '#notes', '#secret']) {
          await page.click(field);
          await page.keyboard.press('Control+A');
          await page.keyboard.press('Backspace');
        }
    }
    stats.actions += 1;
    await sleep(120);
  }
}

/**
 * Moves the mouse about every 50 ms while the schedule is active, as a
 * hand on the mouse does (rewind samples positions and sends them in
 * batches, so some are always pending, at a rotation too). Moves are not
 * user activity for rewind's idle timeout.
 */
async function driveMouse(page, profile, startedAt, deadline) {
  let step = 0;
  while (Date.now() < deadline) {
    if (isActive(profile.schedule, Date.now() - startedAt)) {
      step += 1;
      await page.mouse.move(400 + 300 * Math.sin(step / 7), 300 + 200 * Math.cos(step / 11));
    }
    await sleep(50);
  }
}

// Chunks are read once for their highest node id.
const highestIdOfChunk = new WeakMap();

/** What arrived at the endpoint so far. */
function received(ingest) {
  let chunks = 0;
  let events = 0;
  let nodeIds = 0;
  for (const byReplay of ingest.replays.values()) {
    chunks += byReplay.size;
    for (const chunk of byReplay.values()) {
      events += chunk.events.length;
      let highest = highestIdOfChunk.get(chunk);
      if (highest === undefined) {
        highest = Math.max(0, ...chunk.events.map(highestNodeId));
        highestIdOfChunk.set(chunk, highest);
      }
      nodeIds = Math.max(nodeIds, highest);
    }
  }
  let bytes = 0;
  for (const request of ingest.requests) if (request.seq !== undefined) bytes += request.bytes;
  return { replays: ingest.replays.size, chunks, events, bytes, nodeIds };
}

/**
 * The highest node id an event names: ids are handed out in order and
 * never reused in a recording, so this counts the nodes ever recorded.
 */
function highestNodeId(event) {
  if (event.type === INCREMENTAL && event.data?.source === SOURCE.mutation) {
    return Math.max(0, ...event.data.adds.map((add) => add.node.id));
  }
  if (event.type === FULL_SNAPSHOT) {
    let highest = 0;
    const stack = [event.data.node];
    while (stack.length) {
      const node = stack.pop();
      highest = Math.max(highest, node.id);
      if (node.childNodes) stack.push(...node.childNodes);
    }
    return highest;
  }
  return 0;
}

/** One sample: the heap after a forced GC, wasm, DOM, outbox, arrivals. */
async function sample(page, cdp, ingest, startedAt) {
  const inPage = await within(
    30000,
    'the page sample',
    page.evaluate(async () => ({
      wasmBytes: Rewind.memoryUsage().wasmBytes,
      domNodes: soak.domNodes(),
      outboxPending: await soak.outboxPending(),
      replayId: Rewind.getReplayId(),
    })),
  );
  await within(30000, 'a forced GC', cdp.send('HeapProfiler.collectGarbage'));
  const { metrics } = await within(30000, 'Performance.getMetrics', cdp.send('Performance.getMetrics'));
  const metric = (name) => metrics.find((entry) => entry.name === name)?.value ?? null;
  return {
    t: Math.round((Date.now() - startedAt) / 1000),
    heapBytes: metric('JSHeapUsedSize'),
    wasmBytes: inPage.wasmBytes,
    domNodes: inPage.domNodes,
    // CDP's own count: nodes alive in the renderer, detached ones included.
    rendererNodes: metric('Nodes'),
    listeners: metric('JSEventListeners'),
    outboxPending: inPage.outboxPending,
    replayId: inPage.replayId,
    ...received(ingest),
  };
}

/**
 * Runs one soak with `profile`; `log` hears progress. Returns the report
 * (settings, samples, replays, page counts, checks); never throws for a
 * broken invariant (see `checkSoak`), only when the run itself fails.
 */
export async function runSoak(profile, { log = () => {} } = {}) {
  const site = await startStaticServer();
  const ingest = await startIngestServer();
  const browser = await launchChromium();
  const startedWall = Date.now();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const pageErrors = { count: 0 };
    const rewindMessages = [];
    page.on('pageerror', () => {
      pageErrors.count += 1;
    });
    page.on('console', (message) => {
      // rewind is silent unless something went wrong (debug is off).
      if (message.text().includes('[rewind]') && rewindMessages.length < 20) {
        rewindMessages.push(`${message.type()}: ${message.text()}`);
      }
    });
    await page.goto(`${site.origin}/tests/fixtures/soak.html`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');

    const rewindOptions = { endpoint: ingest.endpoint, ...profile.rewind };
    await within(60000, 'soak.start()', page.evaluate((settings) => soak.start(settings), { ...profile.page, rewind: rewindOptions }));
    const startedAt = Date.now();
    const deadline = startedAt + profile.durationMs;

    const samples = [];
    const driverStats = { actions: 0, idleTicks: 0 };
    const takeSample = async () => {
      const next = await sample(page, cdp, ingest, startedAt);
      samples.push(next);
      log(formatRow(next));
    };
    log(formatHeader());
    await takeSample();
    const sampler = (async () => {
      while (Date.now() + profile.sampleEveryMs <= deadline) {
        const due = startedAt + samples.length * profile.sampleEveryMs;
        await sleep(Math.max(0, due - Date.now()));
        await takeSample();
      }
    })();
    await Promise.all([driveInput(page, profile, startedAt, deadline, driverStats), driveMouse(page, profile, startedAt, deadline), sampler]);

    // The end: timers off, a last sample while still recording, then stop
    // and wait until the outbox is empty.
    await page.evaluate(() => soak.stopTimers());
    await sleep(500);
    await takeSample();
    const ended = await within(
      90000,
      'stop and delivery',
      page.evaluate(async () => {
        await Rewind.stop();
        const delivered = await Rewind.whenDelivered(60000);
        return {
          delivered,
          outboxPending: await soak.outboxPending(),
          nextSeqs: soak.nextSeqs(),
          counts: { ...soak.counts },
        };
      }),
    );
    const runMs = Date.now() - startedAt;
    await context.close();
    return {
      profile,
      rewindOptions: { ...profile.rewind, endpoint: '(local ingest)' },
      runMs,
      wallMs: Date.now() - startedWall,
      samples,
      ended,
      driver: driverStats,
      pageErrors: pageErrors.count,
      rewindMessages,
      ingest: summarizeIngest(ingest),
    };
  } finally {
    await browser.close().catch(() => {});
    await ingest.close();
    await site.close();
  }
}

/** What the endpoint holds, per replay, in session order. */
function summarizeIngest(ingest) {
  const replays = [...ingest.replays.keys()]
    .map((replayId) => {
      const chunks = ingest.chunksOf(replayId);
      const events = chunks.flatMap((chunk) => chunk.events);
      const kinds = { fullSnapshots: 0, metaBeforeEverySnapshot: true, mutations: 0, inputs: 0, scrolls: 0, mouseMoves: 0, clicks: 0, errors: 0 };
      events.forEach((event, index) => {
        if (event.type === FULL_SNAPSHOT) {
          kinds.fullSnapshots += 1;
          if (events[index - 1]?.type !== META) kinds.metaBeforeEverySnapshot = false;
        } else if (event.type === INCREMENTAL) {
          const source = event.data?.source;
          if (source === SOURCE.mutation) kinds.mutations += 1;
          else if (source === SOURCE.input) kinds.inputs += 1;
          else if (source === SOURCE.scroll) kinds.scrolls += 1;
          else if (source === SOURCE.mouseMove) kinds.mouseMoves += 1;
          else if (source === SOURCE.mouseInteraction) kinds.clicks += 1;
        } else if (event.type === PLUGIN && event.data?.plugin === 'rrweb/console@1' && event.data.payload?.level === 'error') {
          kinds.errors += 1;
        }
      });
      const [deviceId, sessionId] = replayId.split('/');
      return {
        replayId,
        deviceId,
        sessionId,
        sessionStartMs: Number(sessionId),
        seqs: chunks.map((chunk) => chunk.seq),
        idsMatch: chunks.every((chunk) => chunk.replayId === `${chunk.deviceId}/${chunk.sessionId}` && chunk.replayId === replayId),
        firstTypes: events.slice(0, 2).map((event) => event.type),
        events: events.length,
        bytes: ingest.requests.filter((request) => request.replayId === replayId && request.seq !== undefined).reduce((sum, request) => sum + request.bytes, 0),
        startTimestamp: chunks[0]?.startTimestamp ?? null,
        endTimestamp: chunks.at(-1)?.endTimestamp ?? null,
        ...kinds,
      };
    })
    .sort((a, b) => a.sessionStartMs - b.sessionStartMs);
  return {
    replays,
    requests: ingest.requests.length,
    duplicates: ingest.duplicates,
    conflictingDuplicates: ingest.conflictingDuplicates,
  };
}

/** Why each rotation happened, from the session ids (their start times). */
export function rotations(report) {
  const { replays } = report.ingest;
  const limit = report.profile.rewind.maxSessionDurationMs;
  const list = [];
  for (let i = 1; i < replays.length; i++) {
    const lastedMs = replays[i].sessionStartMs - replays[i - 1].sessionStartMs;
    list.push({ atS: Math.round((replays[i].sessionStartMs - replays[0].sessionStartMs) / 1000), kind: lastedMs >= limit ? 'max duration' : 'idle' });
  }
  return list;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * The memory figures: start, after warm-up, end and max of the heap and
 * the wasm memory; the medians of the first and last third of the samples
 * after warm-up; the wasm memory at mid-run.
 */
export function memoryFigures(report) {
  const { samples, profile } = report;
  const warm = samples.filter((entry) => entry.t * 1000 >= profile.warmupMs);
  const third = Math.max(1, Math.floor(warm.length / 3));
  const first = warm.slice(0, third);
  const last = warm.slice(-third);
  const midT = (warm[0]?.t ?? 0) + ((samples.at(-1)?.t ?? 0) - (warm[0]?.t ?? 0)) / 2;
  const firstHalf = warm.filter((entry) => entry.t <= midT);
  const secondHalf = warm.filter((entry) => entry.t > midT);
  const figure = (key) => ({
    start: samples[0]?.[key] ?? null,
    afterWarmup: warm[0]?.[key] ?? null,
    end: samples.at(-1)?.[key] ?? null,
    max: Math.max(...samples.map((entry) => entry[key])),
    firstThirdMedian: first.length ? median(first.map((entry) => entry[key])) : null,
    lastThirdMedian: last.length ? median(last.map((entry) => entry[key])) : null,
    firstHalfMax: firstHalf.length ? Math.max(...firstHalf.map((entry) => entry[key])) : null,
    secondHalfMax: secondHalf.length ? Math.max(...secondHalf.map((entry) => entry[key])) : null,
  });
  return {
    warmSamples: warm.length,
    thirdSize: third,
    heap: figure('heapBytes'),
    wasm: figure('wasmBytes'),
    dom: figure('domNodes'),
    rendererNodes: figure('rendererNodes'),
    listeners: figure('listeners'),
  };
}

/**
 * The invariants, each `{ name, ok, detail }`. `memory: false` leaves out
 * the memory checks (a short run has too few samples after warm-up for
 * them to be stable).
 */
export function checkSoak(report, { memory = true } = {}) {
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
  const { replays } = report.ingest;
  const { ended, samples } = report;

  check('chunks arrived', replays.length > 0 && samples.at(-1).chunks > 0, `${samples.at(-1).chunks} chunks in ${replays.length} replays`);

  const gapped = replays.filter((replay) => !replay.seqs.every((seq, index) => seq === index));
  check(
    'gapless seqs 0..N in every replay',
    replays.length > 0 && gapped.length === 0,
    gapped.length ? gapped.map((replay) => `${replay.replayId}: seqs ${describeSeqs(replay.seqs)}`).join('; ') : `${replays.length} replays, each 0..N`,
  );

  const badStart = replays.filter((replay) => replay.firstTypes[0] !== META || replay.firstTypes[1] !== FULL_SNAPSHOT);
  check(
    'every replay starts at seq 0 with Meta + FullSnapshot',
    replays.length > 0 && badStart.length === 0 && replays.every((replay) => replay.seqs[0] === 0),
    badStart.length ? badStart.map((replay) => `${replay.replayId} starts with event types ${JSON.stringify(replay.firstTypes)}`).join('; ') : 'all',
  );

  const noMeta = replays.filter((replay) => !replay.metaBeforeEverySnapshot);
  check('every full snapshot (checkouts too) follows a Meta', noMeta.length === 0, noMeta.length ? noMeta.map((replay) => replay.replayId).join(', ') : `${replays.reduce((sum, replay) => sum + replay.fullSnapshots, 0)} full snapshots`);

  const mismatchedIds = replays.filter((replay) => !replay.idsMatch);
  check('chunk ids agree with their replay', mismatchedIds.length === 0, mismatchedIds.map((replay) => replay.replayId).join(', ') || 'all');

  // No chunk lost: the outbox emptied, and every seq the page sealed (rewind
  // keeps the next seq per replay in sessionStorage) arrived.
  const sealed = ended.nextSeqs;
  const arrived = Object.fromEntries(replays.map((replay) => [replay.replayId, replay.seqs.length]));
  const lost = Object.entries(sealed)
    .filter(([replayId, next]) => arrived[replayId] !== next)
    .map(([replayId, next]) => `${replayId}: sealed seqs 0..${next - 1}, arrived ${arrived[replayId] ?? 0}`);
  const unknown = Object.keys(arrived).filter((replayId) => !(replayId in sealed));
  check(
    'no chunk lost: outbox empty, every sealed seq arrived',
    ended.delivered === true && ended.outboxPending === 0 && lost.length === 0 && unknown.length === 0,
    `whenDelivered ${ended.delivered}, outbox ${ended.outboxPending} pending` + (lost.length ? `; lost: ${lost.join('; ')}` : '') + (unknown.length ? `; arrived but never sealed here: ${unknown.join(', ')}` : ''),
  );
  check('no conflicting resend', report.ingest.conflictingDuplicates === 0, `${report.ingest.duplicates} duplicates, ${report.ingest.conflictingDuplicates} conflicting`);

  const rotated = rotations(report);
  check('sessions rotated', rotated.length >= 1, `${rotated.length} rotations (${rotated.map((entry) => `${entry.kind} at ${entry.atS} s`).join(', ')}); planned ${equivalence(report.profile).plannedRotations}`);

  // Chunks keep flowing: every sample saw more chunks than the one before.
  const stalls = samples.slice(1).filter((entry, index) => entry.chunks <= samples[index].chunks);
  check('chunks kept flowing between samples', stalls.length === 0, stalls.length ? `no new chunk before t=${stalls.map((entry) => entry.t).join(', ')} s` : `${samples.length} samples`);

  const thrown = ended.counts.errors + ended.counts.rejections;
  const recordedErrors = replays.reduce((sum, replay) => sum + replay.errors, 0);
  check('every page error recorded once', thrown > 0 && recordedErrors === thrown, `${thrown} thrown (timer errors and unhandled rejections), ${recordedErrors} recorded`);

  const total = (key) => replays.reduce((sum, replay) => sum + replay[key], 0);
  const missing = ['mutations', 'inputs', 'scrolls', 'mouseMoves', 'clicks'].filter((key) => total(key) === 0);
  check('mutations, input, scrolls and mouse recorded', missing.length === 0, missing.length ? `none of: ${missing.join(', ')}` : ['mutations', 'inputs', 'scrolls', 'mouseMoves', 'clicks'].map((key) => `${key} ${total(key)}`).join(', '));
  check('checkouts taken', total('fullSnapshots') > replays.length, `${total('fullSnapshots')} full snapshots in ${replays.length} replays`);
  check('rewind said nothing', report.rewindMessages.length === 0, report.rewindMessages.join(' | ') || 'no [rewind] console line');

  if (memory) {
    const figures = memoryFigures(report);
    const { heap, wasm, dom } = figures;
    const enough = figures.warmSamples >= 3;
    check('enough samples after warm-up', enough, `${figures.warmSamples} samples (at least 3)`);
    // The premise: the page's live DOM is bounded, so memory may be too.
    check(
      'live DOM bounded',
      enough && dom.lastThirdMedian <= dom.firstThirdMedian * 1.2,
      `median nodes ${dom.firstThirdMedian} in the first third after warm-up, ${dom.lastThirdMedian} in the last`,
    );
    const limit = report.profile.memory.heapGrowthLimit;
    const growth = heap.lastThirdMedian / heap.firstThirdMedian - 1;
    check(
      `JS heap flat (last third within ${Math.round(limit * 100)}% of the first, after warm-up)`,
      enough && growth <= limit,
      `median ${mb(heap.firstThirdMedian)} MB -> ${mb(heap.lastThirdMedian)} MB (${(growth * 100).toFixed(1)}%), while the live DOM went ${dom.firstThirdMedian} -> ${dom.lastThirdMedian} nodes`,
    );
    const margin = report.profile.memory.wasmMarginBytes;
    check(
      `wasm memory stops growing (second half's high-water within ${mb(margin)} MB of the first half's)`,
      enough && wasm.secondHalfMax <= wasm.firstHalfMax + margin,
      `high-water ${mb(wasm.firstHalfMax)} MB in the first half after warm-up, ${mb(wasm.secondHalfMax)} MB in the second`,
    );
  }
  return checks;
}

function describeSeqs(seqs) {
  const missing = [];
  const max = Math.max(...seqs);
  const present = new Set(seqs);
  for (let seq = 0; seq <= max && missing.length < 10; seq++) if (!present.has(seq)) missing.push(seq);
  return `${seqs.length} chunks, max ${max}, missing ${missing.join(', ') || 'none'}`;
}

export const mb = (bytes) => (bytes / MB).toFixed(2);

/** The memory curve's table header and rows (one per sample). */
export function formatHeader() {
  return ['t s', 'heap MB', 'wasm MB', 'DOM nodes', 'node ids', 'listeners', 'outbox', 'replays', 'chunks', 'events', 'KB sent'].map((title) => title.padStart(9)).join(' ');
}

export function formatRow(entry) {
  return [
    entry.t,
    mb(entry.heapBytes),
    mb(entry.wasmBytes),
    entry.domNodes,
    entry.nodeIds,
    entry.listeners,
    entry.outboxPending ?? '?',
    entry.replays,
    entry.chunks,
    entry.events,
    Math.round(entry.bytes / 1024),
  ]
    .map((value) => String(value).padStart(9))
    .join(' ');
}

/** A readable summary: equivalence, memory figures, rotations, checks. */
export function formatSummary(report, checks) {
  const figures = memoryFigures(report);
  const last = report.samples.at(-1);
  const plan = equivalence(report.profile);
  const replays = report.ingest.replays;
  const fullSnapshots = replays.reduce((sum, replay) => sum + replay.fullSnapshots, 0);
  const rotated = rotations(report);
  const { rewind, schedule } = report.profile;
  const lines = [];
  lines.push(`soak (${report.profile.name}): ${(report.runMs / 60000).toFixed(1)} min recorded (${(report.wallMs / 60000).toFixed(1)} min with setup, stop and delivery)`);
  lines.push(
    `settings: flushIntervalMs ${rewind.flushIntervalMs} (default ${DEFAULTS.flushIntervalMs}), checkoutEveryNms ${rewind.checkoutEveryNms} (default none), ` +
      `maxSessionDurationMs ${rewind.maxSessionDurationMs} (default ${DEFAULTS.maxSessionDurationMs}), sessionIdleTimeoutMs ${rewind.sessionIdleTimeoutMs} (default ${DEFAULTS.sessionIdleTimeoutMs}); ` +
      `input ${schedule.activeMs / 1000} s on, ${schedule.idleMs / 1000} s off`,
  );
  lines.push(
    `equivalent of: ${plan.flushTicks} flush ticks = ${plan.flushHours.toFixed(1)} h at the default 5 s (8 h = ${plan.eightHourFlushTicks}); ` +
      `${report.samples.at(-1).chunks} chunks sealed and delivered; ${fullSnapshots} full snapshots (${fullSnapshots - replays.length} checkouts) = ${((fullSnapshots - replays.length) * EIGHT_HOURS.checkoutEveryNms / HOUR_MS).toFixed(1)} h of 5-minute checkouts (8 h = ${plan.eightHourCheckouts}); ` +
      `${rotated.length} session rotations (${rotated.filter((entry) => entry.kind === 'max duration').length} at the maximum duration, ${rotated.filter((entry) => entry.kind === 'idle').length} after idling), where 8 h at the defaults rotate ${plan.eightHourRotationsAtDefaults} times at the 4 h maximum plus once per 30-minute break; ` +
      `${last.events} events (${(last.events / 8 / 3600).toFixed(2)} a second over 8 h)`,
  );
  const row = (label, f) =>
    `${label}: start ${mb(f.start)} MB, after warm-up ${mb(f.afterWarmup)} MB, end ${mb(f.end)} MB, max ${mb(f.max)} MB (medians after warm-up: first third ${mb(f.firstThirdMedian)}, last third ${mb(f.lastThirdMedian)})`;
  lines.push(row('JS heap (after forced GC)', figures.heap));
  lines.push(row('wasm memory', figures.wasm));
  lines.push(`live DOM nodes: start ${figures.dom.start}, end ${figures.dom.end}, max ${figures.dom.max}; renderer nodes (detached included) start ${figures.rendererNodes.start}, end ${figures.rendererNodes.end}, max ${figures.rendererNodes.max}; JS event listeners start ${figures.listeners.start}, end ${figures.listeners.end}`);
  lines.push(`outbox: at most ${Math.max(...report.samples.map((entry) => entry.outboxPending ?? 0))} chunks pending at a sample; ${report.ingest.requests} requests, ${Math.round(last.bytes / 1024)} KB gzip received`);
  lines.push(`page: ${report.ended.counts.ticks} mutation ticks, ${report.ended.counts.added} items added, ${report.ended.counts.removed} removed, ${report.ended.counts.moved} moved; ${report.driver.actions} driver actions; ${report.ended.counts.errors} timer errors + ${report.ended.counts.rejections} unhandled rejections`);
  for (const entry of checks) lines.push(`${entry.ok ? 'ok  ' : 'FAIL'} ${entry.name}: ${entry.detail}`);
  return lines.join('\n');
}
