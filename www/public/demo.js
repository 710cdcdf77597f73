// The demo shell: receives the app frame's events and shows the newest
// snapshot in rrweb's Replayer.
const app = document.getElementById('app');
const player = document.getElementById('player');
const stats = document.getElementById('stats');
let eventCount = 0;
let eventBytes = 0;
let lastMeta = null;
let replayer = null;

window.addEventListener('message', (message) => {
  if (message.origin !== location.origin || message.data?.source !== 'rewind-demo') return;
  const event = message.data.event;
  eventCount += 1;
  eventBytes += JSON.stringify(event).length;
  if (event.type === 4) lastMeta = event;
  if (event.type === 2 && lastMeta) showSnapshot([lastMeta, event]);
  stats.textContent = `${eventCount} events, ${(eventBytes / 1024).toFixed(1)} KiB of JSON recorded`;
});

function showSnapshot(events) {
  replayer?.destroy();
  player.replaceChildren();
  replayer = new rrweb.Replayer(events, { root: player, mouseTail: false, showWarning: true });
  // Apply both events now (pause(offset) replays everything before it).
  replayer.pause(1);
}

function requestSnapshot() {
  app.contentWindow.postMessage('rewind-demo:checkout', location.origin);
}

document.getElementById('snapshot').addEventListener('click', requestSnapshot);
setInterval(() => {
  if (document.getElementById('follow').checked) requestSnapshot();
}, 2000);
