// The demo server: serves the demo shell, the recorded app, rewind's built
// bundle and rrweb's Replayer on 127.0.0.1, port $PORT (default 8080), and
// the reference collector (www/collector.mjs: POST /ingest, GET
// /api/replays...), storing chunks in $REWIND_DATA_DIR (default ./data),
// with optional API keys from $REWIND_API_KEYS (comma-separated).
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createCollector } from './collector.mjs';
import { sendFile } from './static-files.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// URL prefix -> folder. Longest prefix first.
const MOUNTS = [
  ['/dist/', path.join(repoRoot, 'dist')],
  ['/www-dist/', path.join(repoRoot, 'www/dist')],
  ['/vendor/rrweb/', path.join(repoRoot, 'node_modules/rrweb/dist')],
  ['/vendor/rrweb-player/', path.join(repoRoot, 'node_modules/rrweb-player/dist')],
  ['/', path.join(repoRoot, 'www/public')],
];

/**
 * @param {{ dataDir?: string, apiKeys?: string[] }} options where the
 *   collector stores chunks (default $REWIND_DATA_DIR or ./data) and the API
 *   keys it demands (default $REWIND_API_KEYS; none: no key needed).
 */
export function createDemoServer({
  dataDir = process.env.REWIND_DATA_DIR || path.join(repoRoot, 'data'),
  apiKeys = (process.env.REWIND_API_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean),
} = {}) {
  const collector = createCollector({ dataDir, apiKeys });
  return http.createServer(async (request, response) => {
    if (await collector.handle(request, response)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end('only GET and HEAD');
      return;
    }
    let { pathname } = new URL(request.url, 'http://127.0.0.1');
    if (pathname.endsWith('/')) pathname += 'index.html';
    const [prefix, folder] = MOUNTS.find(([prefix]) => pathname.startsWith(prefix));
    sendFile(response, folder, pathname.slice(prefix.length));
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number from 0 to 65535, got '${process.env.PORT}'`);
    process.exit(1);
  }
  const dataDir = process.env.REWIND_DATA_DIR || path.join(repoRoot, 'data');
  const server = createDemoServer({ dataDir });
  server.on('error', (error) => {
    console.error(`cannot listen on 127.0.0.1:${port}: ${error.message} (set PORT to use another port)`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    const origin = `http://127.0.0.1:${server.address().port}`;
    console.log(`rewind demo:   ${origin}/  (the app recorded, replayed live beside it)`);
    console.log(`rewind player: ${origin}/player.html  (sessions stored by the collector)`);
    console.log(`collector:     POST ${origin}/ingest, chunks in ${dataDir}  (Ctrl+C to stop)`);
  });
}
