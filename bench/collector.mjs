// The reference collector's throughput: a local load generator posts real
// rewind-shaped chunks (gzip, ~200 events each) from many concurrent
// "replays" for a fixed time, over HTTP on 127.0.0.1, and counts the
// chunks stored per second. Data goes to a temporary folder.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { createCollector } from '../www/collector.mjs';

const SECONDS = Number(process.env.SECONDS_TO_RUN ?? 10);
const CLIENTS = Number(process.env.CLIENTS ?? 16);

function body(deviceId, seq) {
  const events = [];
  for (let i = 0; i < 200; i++) {
    events.push({
      type: 3,
      timestamp: 1_700_000_000_000 + seq * 1000 + i,
      data: { source: 0, texts: [{ id: 1000 + i, value: `price ${(100 + Math.random()).toFixed(2)}` }], attributes: [], removes: [], adds: [] },
    });
  }
  const chunk = {
    replayId: `${deviceId}/1700000000000`,
    deviceId,
    sessionId: '1700000000000',
    seq,
    startTimestamp: events[0].timestamp,
    endTimestamp: events.at(-1).timestamp,
    events,
    sdk: { name: 'rewind', version: 'bench' },
  };
  return zlib.gzipSync(JSON.stringify(chunk));
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rewind-collector-bench-'));
const collector = createCollector({ dataDir });
const server = http.createServer(async (request, response) => {
  if (!(await collector.handle(request, response))) response.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/ingest`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

function send(payload) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': payload.length } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

let stored = 0;
let bytes = 0;
let failures = 0;
const deadline = Date.now() + SECONDS * 1000;
const started = Date.now();
await Promise.all(
  Array.from({ length: CLIENTS }, async (_, client) => {
    for (let seq = 0; Date.now() < deadline; seq++) {
      const payload = body(`bench-${client}`, seq);
      const status = await send(payload);
      if (status === 201) {
        stored += 1;
        bytes += payload.length;
      } else failures += 1;
    }
  }),
);
const elapsed = (Date.now() - started) / 1000;
agent.destroy();
server.close();
await rm(dataDir, { recursive: true, force: true });
const result = {
  clients: CLIENTS,
  seconds: Number(elapsed.toFixed(1)),
  chunksStored: stored,
  failures,
  chunksPerSecond: Math.round(stored / elapsed),
  gzipKiBPerChunk: Number((bytes / stored / 1024).toFixed(1)),
  mibPerSecond: Number((bytes / elapsed / 1024 / 1024).toFixed(2)),
};
console.log(JSON.stringify(result, null, 2));
