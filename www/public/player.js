// The player: lists the replays the reference collector holds (newest
// first), narrowed to one by a replay id pasted from an analytics event, and
// plays one with rrweb-player, fetching its gzip chunks and inflating them
// in the browser. The log events, console events (the page's errors and
// warnings, rrweb/console@1) and Segment events (Custom events tagged
// 'segment': the page's track/page/screen calls) are listed beside it;
// console and Segment events also get a marker on the player's progress
// bar, console ones coloured by level (errors red, warnings amber, other
// levels grey), Segment ones green diamonds. A click on a log or Segment
// entry or marker seeks to it; on a console one, 5 s before it (clamped to
// the start), to see what led there. Each error carries the link an error report
// would: ?replay=<id>&t=<epoch ms>, which opens a replay 5 s before t.
// Missing chunks are shown. When the collector demands a read key
// (REWIND_READ_KEYS), the page asks for one in a small form, keeps it in
// sessionStorage, sends it with every read and asks again when it is refused.
const api = (replayId) => `/api/replays/${encodeURIComponent(replayId)}`;
const $ = (selector) => document.querySelector(selector);
const KEY_STORAGE = 'rewind.readKey';
let player = null;
/** The open key form's answer, shared by every request that met a 401. */
let keyAnswer = null;
/** The key given in this page, for when sessionStorage is unavailable. */
let memoryKey = null;

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null; // storage disabled: the key is asked for on each load
  }
}

const currentKey = () => storedKey() ?? memoryKey;

/** Shows the key form (once, however many requests wait) and resolves when a key is given. */
function askForKey(reason) {
  keyAnswer ??= new Promise((resolve) => {
    const form = $('#key-form');
    const input = $('#read-key');
    const error = $('#key-error');
    $('#key-reason').textContent = reason;
    error.hidden = true;
    input.value = '';
    form.hidden = false;
    document.body.classList.add('locked');
    input.focus();
    form.onsubmit = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      // Sent in an HTTP header: printable ASCII only, as the server's keys are.
      if (!/^[\x21-\x7e]+$/.test(key)) {
        error.textContent = key ? 'A read key is printable ASCII, without spaces.' : 'Enter a read key.';
        error.hidden = false;
        return;
      }
      try {
        sessionStorage.setItem(KEY_STORAGE, key);
      } catch {
        // Storage disabled: the key still serves this page.
      }
      memoryKey = key;
      form.hidden = true;
      document.body.classList.remove('locked');
      keyAnswer = null;
      resolve();
    };
  });
  return keyAnswer;
}

/** GET from the read API with the read key; on 401, asks for a key (again) and retries. */
async function readApi(url) {
  for (;;) {
    const key = currentKey();
    const response = await fetch(url, key ? { headers: { Authorization: `Bearer ${key}` } } : {});
    if (response.status !== 401) return response;
    const { error } = await response.json().catch(() => ({}));
    // Another request got a new key meanwhile: try that one.
    if (currentKey() !== key) continue;
    if (key !== null) {
      try {
        sessionStorage.removeItem(KEY_STORAGE);
      } catch {
        // Storage disabled: nothing kept.
      }
      memoryKey = null;
    }
    await askForKey(
      key === null
        ? 'The replays on this collector are kept behind a read key: enter one of the keys in its REWIND_READ_KEYS.'
        : `That key was refused (${error ?? 'HTTP 401'}). Enter another.`,
    );
  }
}

async function inflate(response) {
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return JSON.parse(await new Response(stream).text());
}

function formatTime(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

async function listReplays() {
  const { replays } = await (await readApi('/api/replays')).json();
  const list = $('#replays');
  list.replaceChildren();
  $('#empty').hidden = replays.length > 0;
  listedIds = new Set(replays.map((replay) => replay.replayId));
  for (const replay of replays) {
    const item = document.createElement('li');
    item.dataset.replayId = replay.replayId;
    const user = replay.user?.userId ? ` · ${replay.user.userId}` : '';
    item.innerHTML = `<strong></strong><span class="meta"></span>`;
    item.querySelector('strong').textContent = new Date(replay.start).toLocaleString();
    item.querySelector('.meta').textContent =
      `${replay.replayId}${user} · ${formatTime(replay.durationMs)} · ${plural(replay.chunks, 'chunk')}`;
    if (replay.errors) {
      const errors = document.createElement('span');
      errors.className = 'meta errors';
      errors.textContent = `${replay.errors} error${replay.errors > 1 ? 's' : ''}`;
      item.append(errors);
    }
    item.addEventListener('click', () => openReplay(replay.replayId));
    list.append(item);
  }
  showFilter();
  return replays;
}

/** Ids as rewind allows them (the collector's rule): 1-128 of a-z A-Z 0-9 _ - . | @ : = */
const ID = /^[A-Za-z0-9_\-.|@:=]{1,128}$/;
/** The replay ids the list holds. */
let listedIds = new Set();
/** Bumped by each edit of the filter, so a slow answer for older text is dropped. */
let filterSerial = 0;

/**
 * The replay id in what was pasted: without the whitespace around it or
 * quotes a copy from an event's JSON brings, and decoded when URL-encoded
 * ('%' is no id character, so any '%' means encoded).
 */
function readPastedId(text) {
  let value = text.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  if (value.includes('%')) {
    try {
      value = decodeURIComponent(value).trim();
    } catch {
      // A malformed escape: kept as pasted, and refused below as no id.
    }
  }
  return value;
}

function isReplayId(value) {
  const slash = value.indexOf('/');
  return slash > 0 && ID.test(value.slice(0, slash)) && ID.test(value.slice(slash + 1));
}

/** Says `text` under the filter, as a problem (`problem`) or a note; nothing hides it. */
function filterStatus(text, problem = false) {
  const status = $('#filter-status');
  status.hidden = !text;
  status.textContent = text ?? '';
  status.classList.toggle('problem', problem);
}

/**
 * Shows the list as the filter asks, from what is listed now: every replay
 * for an empty filter, else only the one whose id it holds. Returns the id
 * wanted and whether the list holds it.
 */
function showFilter() {
  const wanted = readPastedId($('#replay-filter').value);
  const items = document.querySelectorAll('#replays li');
  for (const item of items) item.hidden = Boolean(wanted) && item.dataset.replayId !== wanted;
  if (!wanted) {
    filterStatus(null);
    return { wanted, valid: false, found: false };
  }
  if (!isReplayId(wanted)) {
    filterStatus(`Not a replay id: paste the "Session Replay ID" of an analytics event, <deviceId>/<sessionId> (each 1 to 128 of a-z A-Z 0-9 _ - . | @ : =).`, true);
    return { wanted, valid: false, found: false };
  }
  const found = listedIds.has(wanted);
  filterStatus(found ? `Showing replay ${wanted} (clear the field for all).` : null);
  return { wanted, valid: true, found };
}

/**
 * The filter's text changed: narrow the list, and open the replay it names.
 * An id the list lacks is asked of the collector (GET /api/replays/<id>):
 * a replay stored since the list was read is listed anew; else none matches,
 * and the page says so.
 */
async function filterChanged() {
  const serial = ++filterSerial;
  const { wanted, valid, found } = showFilter();
  if (!valid) return;
  if (!found) {
    filterStatus(`Looking for replay ${wanted}…`);
    const response = await readApi(api(wanted));
    if (serial !== filterSerial) return;
    if (response.ok) {
      await listReplays();
      if (serial !== filterSerial || !listedIds.has(wanted)) return;
    } else {
      const known = response.status === 404;
      filterStatus(
        known
          ? `No replay matches ${wanted}: this collector has stored none under that id (not sent yet, sampled out, or recorded elsewhere).`
          : `Could not look for ${wanted}: the collector answered HTTP ${response.status}.`,
        true,
      );
      return;
    }
  }
  if (window.currentReplay?.replayId !== wanted) await openReplay(wanted);
}

/**
 * The events of every stored chunk, in order, and the seqs that are missing:
 * never sent, or listed but not readable.
 */
async function loadEvents(replay) {
  const missing = [...replay.missingSeqs];
  const chunks = await Promise.all(
    replay.seqs.map(async (seq) => {
      try {
        const response = await readApi(`${api(replay.replayId)}/chunks/${seq}`);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return await inflate(response);
      } catch {
        missing.push(seq);
        return { events: [] };
      }
    }),
  );
  const events = chunks.flatMap((chunk) => chunk.events).sort((a, b) => a.timestamp - b.timestamp);
  return { events, missing: missing.sort((a, b) => a - b) };
}

/** How far before a console event (or a linked moment) the player opens. */
const LOOK_BACK_MS = 5000;
/** The colour of a console level: errors red, warnings amber, the rest neutral. */
const TONES = { error: 'error', assert: 'error', warn: 'warn' };
const PREVIEW_CHARS = 160;

/**
 * One console argument as the list shows it. rrweb/console@1 stores each
 * argument as its JSON text: a string shows bare, anything else as JSON on
 * one line; text that is not JSON shows as it is.
 */
function previewArgument(text) {
  if (typeof text !== 'string') return String(text);
  try {
    const value = JSON.parse(text);
    // Indented, then put on one line: spaces after ':' and ',' let it wrap.
    return typeof value === 'string' ? value : JSON.stringify(value, null, 1);
  } catch {
    return text;
  }
}

/** A console event's arguments on one line, at most PREVIEW_CHARS long. */
function consolePreview(args) {
  const parts = Array.isArray(args) ? args : args === undefined ? [] : [args];
  const text = parts.map(previewArgument).join(' ').replace(/\s+/g, ' ').trim();
  if (!text) return '(no message)';
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/** A Segment event's words in the list: its name, a page's category first. */
function segmentText({ type, name, category }) {
  const named = typeof name === 'string' && name ? name : `(unnamed ${type === 'track' ? 'event' : type})`;
  return typeof category === 'string' && category ? `${category} › ${named}` : named;
}

function describeEvent(event) {
  if (event.type === 5 && event.data?.tag === 'log') return { kind: 'log', text: event.data.payload.message };
  if (event.type === 5 && event.data?.tag === 'segment') {
    const payload = event.data.payload ?? {};
    const type = typeof payload.type === 'string' && payload.type ? payload.type : 'event';
    return { kind: 'segment', label: type, tone: 'segment', name: payload.name ?? null, category: payload.category ?? null, text: segmentText({ ...payload, type }) };
  }
  if (event.type === 5 && event.data?.tag === 'identify') return { kind: 'log', text: `identified as ${event.data.payload.userId}` };
  if (event.type === 6 && event.data?.plugin === 'rrweb/console@1') {
    const payload = event.data.payload ?? {};
    const level = typeof payload.level === 'string' && payload.level ? payload.level : 'log';
    return { kind: 'console', label: level, level, tone: TONES[level] ?? 'neutral', text: consolePreview(payload.payload) };
  }
  return null;
}

/** The link an error report carries: this player, 5 s before `timestamp`. */
function linkTo(replayId, timestamp) {
  return `player.html?replay=${encodeURIComponent(replayId)}&t=${timestamp}`;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The events that get a marker on the progress bar and a rich entry in the
 * list, by kind: how they are classed, and where a click plays from.
 */
const MARKED = {
  console: {
    markerClass: (entry) => `console-marker ${entry.tone}`,
    itemClass: (entry) => `console ${entry.tone}`,
    badgeClass: 'level',
    data: (entry) => ({ level: entry.label }),
    // 5 s before (never before the start): what led to an error matters.
    from: (offset) => Math.max(0, offset - LOOK_BACK_MS),
    hint: 'play from 5 s before',
  },
  segment: {
    markerClass: () => 'segment-marker',
    itemClass: () => 'segment',
    badgeClass: 'type',
    data: (entry) => ({ type: entry.label }),
    // The moment the page sent it: where an analyst jumps from the event.
    from: (offset) => offset,
    hint: 'play from here',
  },
};

/** Plays (paused) from where a click on `entry` leads, and marks it as looked at. */
function activate(entry) {
  player.goto(MARKED[entry.kind].from(entry.offset), false);
  select(entry);
}

/** Marks one marked event (its marker and its entry) as the one looked at. */
function select(entry) {
  for (const element of document.querySelectorAll('#timeline .selected, #stage .selected')) element.classList.remove('selected');
  if (!entry) return;
  entry.marker?.classList.add('selected');
  entry.item.classList.add('selected');
  entry.item.scrollIntoView({ block: 'nearest' });
}

/**
 * A list entry of a marked event: its badge (a console level, a Segment
 * call type), time and words; for console errors, the link an error report
 * carries. A click plays from where its marker does.
 */
function markedItem(replayId, entry) {
  const kind = MARKED[entry.kind];
  const item = document.createElement('li');
  item.className = kind.itemClass(entry);
  Object.assign(item.dataset, kind.data(entry));
  item.dataset.offset = String(entry.offset);
  item.title = `Click: ${kind.hint}`;
  const head = document.createElement('div');
  head.className = 'entry-head';
  const badge = document.createElement('span');
  badge.className = `badge ${kind.badgeClass}`;
  badge.textContent = entry.label;
  const time = document.createElement('time');
  time.textContent = formatTime(entry.offset);
  head.append(badge, time);
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = entry.text;
  item.append(head, text);
  item.addEventListener('click', () => activate(entry));
  if (entry.kind === 'console' && entry.tone === 'error') {
    const link = document.createElement('a');
    link.className = 'open-at';
    link.href = linkTo(replayId, entry.timestamp);
    link.textContent = 'open in player at this error';
    link.title = 'The link an error report carries (?replay=<id>&t=<epoch ms>): it opens the replay 5 s before the error';
    link.addEventListener('click', (event) => event.stopPropagation());
    item.append(link);
  }
  return item;
}

/**
 * The markers of console and Segment events, laid over rrweb-player's
 * progress bar at the same scale (offset / total time); a click plays from
 * where the event's kind says (MARKED), not where the bar was hit.
 */
function drawMarkers(entries) {
  const progress = $('#stage .rr-progress');
  if (!progress || entries.length === 0) return;
  const total = player.getReplayer().getMetaData().totalTime;
  const layer = document.createElement('div');
  layer.className = 'timeline-markers';
  for (const entry of entries) {
    const kind = MARKED[entry.kind];
    const marker = document.createElement('button');
    marker.type = 'button';
    marker.className = kind.markerClass(entry);
    Object.assign(marker.dataset, kind.data(entry));
    marker.dataset.offset = String(entry.offset);
    marker.style.left = `${total > 0 ? Math.min(100, (100 * entry.offset) / total) : 0}%`;
    marker.title = `${entry.label} at ${formatTime(entry.offset)}: ${entry.text}`;
    marker.setAttribute('aria-label', `${entry.label} at ${formatTime(entry.offset)}: ${entry.text}, ${kind.hint}`);
    marker.addEventListener('click', (event) => {
      event.stopPropagation(); // not the bar's own seek to where it was hit
      activate(entry);
    });
    entry.marker = marker;
    layer.append(marker);
  }
  progress.append(layer);
}

/** "Console: 1 error, 1 warning" under the player, or nothing. */
function summarize(entries) {
  const summary = $('#console-summary');
  const count = (tone) => entries.filter((entry) => entry.tone === tone).length;
  const parts = [
    [count('error'), 'error'],
    [count('warn'), 'warning'],
    [count('neutral'), 'other message'],
  ].filter(([n]) => n > 0);
  summary.hidden = parts.length === 0;
  summary.replaceChildren();
  if (summary.hidden) return;
  summary.append('Console: ');
  parts.forEach(([n, word], index) => {
    const part = document.createElement('span');
    part.className = `tally ${word === 'error' ? 'error' : word === 'warning' ? 'warn' : 'neutral'}`;
    part.textContent = plural(n, word);
    summary.append(...(index ? [', ', part] : [part]));
  });
  summary.append(' · a marker or an entry plays from 5 s before it');
}

async function openReplay(replayId, atTimestamp) {
  for (const item of document.querySelectorAll('#replays li')) item.classList.toggle('open', item.dataset.replayId === replayId);
  const replay = await (await readApi(api(replayId))).json();
  $('#title').textContent = replayId;
  const { events, missing } = await loadEvents(replay);
  const gaps = $('#gaps');
  // The collector lists the first 1,000 missing seqs; missingCount has them all.
  const unlisted = Math.max(0, (replay.missingCount ?? 0) - replay.missingSeqs.length);
  gaps.hidden = missing.length === 0;
  gaps.textContent =
    `Missing chunk${missing.length + unlisted > 1 ? 's' : ''} ${missing.join(', ')}` +
    `${unlisted ? ` and ${unlisted} more` : ''}: the replay jumps over what they held.`;
  const start = events[0]?.timestamp ?? 0;
  $('#stage').replaceChildren();
  player?.$destroy?.();
  // The UMD build exposes the player class as `default`.
  const Player = window.rrwebPlayer.default ?? window.rrwebPlayer;
  const width = Math.max(320, $('#stage').clientWidth);
  player = new Player({
    target: $('#stage'),
    // Sized to its column; rrweb-player scales the recorded viewport into it.
    props: { events, width, height: Math.round(width * 0.6), autoPlay: false, showWarning: false },
  });
  const timeline = $('#timeline');
  timeline.replaceChildren();
  const marked = [];
  for (const event of events) {
    const described = describeEvent(event);
    if (!described) continue;
    const offset = event.timestamp - start;
    if (MARKED[described.kind]) {
      const entry = { ...described, offset, timestamp: event.timestamp };
      entry.item = markedItem(replayId, entry);
      marked.push(entry);
      timeline.append(entry.item);
      continue;
    }
    const item = document.createElement('li');
    item.className = described.kind;
    item.dataset.offset = String(offset);
    item.textContent = `${formatTime(offset)}  ${described.text}`;
    item.addEventListener('click', () => player.goto(offset, false));
    timeline.append(item);
  }
  drawMarkers(marked);
  const entries = marked.filter((entry) => entry.kind === 'console');
  summarize(entries);
  if (atTimestamp !== undefined) {
    player.goto(Math.max(0, atTimestamp - LOOK_BACK_MS - start), false);
    // A link to an error (its time as the error report has it, within 1 s of
    // the recorded event): that error's entry is the one looked at.
    const linked = entries
      .filter((entry) => entry.tone === 'error' && Math.abs(entry.timestamp - atTimestamp) <= 1000)
      .sort((a, b) => Math.abs(a.timestamp - atTimestamp) - Math.abs(b.timestamp - atTimestamp))[0];
    select(linked);
  }
  window.currentReplay = {
    replayId,
    start,
    events: events.length,
    player,
    console: entries.map(({ level, tone, offset, timestamp, text }) => ({ level, tone, offset, timestamp, text })),
    segment: marked
      .filter((entry) => entry.kind === 'segment')
      .map(({ label, name, category, offset, timestamp, text }) => ({ type: label, name, category, offset, timestamp, text })),
  };
}

$('#replay-filter').addEventListener('input', () => {
  filterChanged().catch((error) => filterStatus(`Could not look for that replay: ${error.message}`, true));
});
$('#filter-form').addEventListener('submit', (event) => event.preventDefault());

const query = new URLSearchParams(location.search);
listReplays().then((replays) => {
  const wanted = query.get('replay');
  const at = query.has('t') ? Number(query.get('t')) : undefined;
  if (wanted) return openReplay(wanted, at);
  if (replays.length) return openReplay(replays[0].replayId);
  return undefined;
});
