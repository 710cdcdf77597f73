// A static file server on 127.0.0.1 for the end-to-end tests: serves the
// repository root (dist/, tests/fixtures/, rrweb's UMD build).
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sendFile } from '../../www/static-files.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Starts the server on an ephemeral port. `headers(pathname)` may add
 * response headers (a CSP, say) per path. `requests` lists the paths
 * asked for, in order: what a page fetched, its workers' fetches included,
 * which its own performance entries leave out. `delayMs(pathname)` may
 * hold a response back that long (a slow network for one file).
 * @returns {Promise<{ origin: string, requests: string[], close: () => Promise<void> }>}
 */
export async function startStaticServer({ root = repoRoot, headers = () => ({}), delayMs = () => 0 } = {}) {
  const requests = [];
  const server = http.createServer((request, response) => {
    let pathname;
    try {
      ({ pathname } = new URL(request.url, 'http://127.0.0.1'));
    } catch {
      // A request target no URL parser takes ('http://[x/'): refused, never a crash.
      response.writeHead(400, { 'Content-Type': 'text/plain' }).end('malformed request target');
      return;
    }
    requests.push(pathname);
    const delay = delayMs(pathname);
    if (delay > 0) setTimeout(() => sendFile(response, root, pathname, headers(pathname)), delay);
    else sendFile(response, root, pathname, headers(pathname));
  });
  return { ...(await listen(server)), requests };
}

/**
 * Listens `server` (an http.Server) on an ephemeral port of 127.0.0.1.
 * `close()` ends its open connections too, so a keep-alive socket a browser
 * holds cannot keep the test process alive.
 * @returns {Promise<{ server: import('node:http').Server, port: number, origin: string, close: () => Promise<void> }>}
 */
export async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}
