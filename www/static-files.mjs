// Serving files from folders on 127.0.0.1, shared by the demo server and the
// end-to-end tests: MIME types browsers insist on (application/wasm for
// streaming compilation) and no path that escapes its folder.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Answers with the file at `relativePath` inside `folder`: 403 when the path
 * would leave the folder, 404 when there is no such file.
 */
export async function sendFile(response, folder, relativePath, extraHeaders = {}) {
  const root = path.resolve(folder);
  let decoded;
  try {
    decoded = decodeURIComponent(relativePath);
  } catch {
    response.writeHead(400).end('the path holds a malformed percent-encoding: each % must start a %XX escape, and the escapes must spell UTF-8');
    return;
  }
  const filePath = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (filePath !== root && !filePath.startsWith(root + path.sep)) {
    response.writeHead(403).end('outside the served folder');
    return;
  }
  try {
    const body = await readFile(filePath);
    const type = MIME_TYPES[path.extname(filePath)] ?? 'application/octet-stream';
    response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...extraHeaders });
    response.end(body);
  } catch {
    response.writeHead(404).end('not found');
  }
}
