// The player: lists the replays the reference collector holds (newest
// first), and plays one with rrweb-player, fetching its gzip chunks and
// inflating them in the browser. The log events and errors are listed
// beside it; a click seeks there. ?replay=<id>&t=<epoch ms> opens a replay
// 5 s before t (a link from an error report). Missing chunks are shown.
// When the collector demands a read key (REWIND_READ_KEYS), the page asks
// for one in a small form, keeps it in sessionStorage, sends it with every
// read and asks again when it is refused.
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
  for (const replay of replays) {
    const item = document.createElement('li');
    item.dataset.replayId = replay.replayId;
    const user = replay.user?.userId ? ` · ${replay.user.userId}` : '';
    item.innerHTML = `<strong></strong><span class="meta"></span>`;
    item.querySelector('strong').textContent = new Date(replay.start).toLocaleString();
    item.querySelector('.meta').textContent =
      `${replay.replayId}${user} · ${formatTime(replay.durationMs)} · ${replay.chunks} chunks`;
    if (replay.errors) {
      const errors = document.createElement('span');
      errors.className = 'meta errors';
      errors.textContent = `${replay.errors} error${replay.errors > 1 ? 's' : ''}`;
      item.append(errors);
    }
    item.addEventListener('click', () => openReplay(replay.replayId));
    list.append(item);
  }
  return replays;
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

function describeEvent(event) {
  if (event.type === 5 && event.data.tag === 'log') return { kind: 'log', text: event.data.payload.message };
  if (event.type === 5 && event.data.tag === 'identify') return { kind: 'log', text: `identified as ${event.data.payload.userId}` };
  if (event.type === 6 && event.data.plugin === 'rrweb/console@1' && event.data.payload.level === 'error') {
    let text = event.data.payload.payload?.[0] ?? 'error';
    try { text = JSON.parse(text); } catch { /* already plain */ }
    return { kind: 'error', text };
  }
  return null;
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
  for (const event of events) {
    const described = describeEvent(event);
    if (!described) continue;
    const item = document.createElement('li');
    item.className = described.kind;
    item.dataset.offset = String(event.timestamp - start);
    item.textContent = `${formatTime(event.timestamp - start)}  ${described.text}`;
    item.addEventListener('click', () => player.goto(event.timestamp - start, false));
    timeline.append(item);
  }
  if (atTimestamp !== undefined) player.goto(Math.max(0, atTimestamp - 5000 - start), false);
  window.currentReplay = { replayId, start, events: events.length, player };
}

const query = new URLSearchParams(location.search);
listReplays().then((replays) => {
  const wanted = query.get('replay');
  const at = query.has('t') ? Number(query.get('t')) : undefined;
  if (wanted) return openReplay(wanted, at);
  if (replays.length) return openReplay(replays[0].replayId);
  return undefined;
});
