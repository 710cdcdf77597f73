// A local Segment for the Segment tests, on 127.0.0.1: www/segment-endpoint.mjs
// (the tracking API analytics.js posts to, and its CDN) on a port of its own,
// so the page's requests to it are cross-origin, as Segment's are.
import http from 'node:http';

import { createSegmentEndpoint, localCdnSettings, SEGMENT_PREFIX } from '../../www/segment-endpoint.mjs';
import { listen } from './static-server.mjs';

/**
 * @returns {Promise<{ origin: string, cdn: string, cdnSettings: object,
 *   events: object[], waitFor: Function, close: Function }>}
 *   `cdn` is what the snippet's `analytics._cdn` names; `cdnSettings` points
 *   Segment.io's destination here; `events` lists what arrived.
 */
export async function startSegmentServer() {
  const endpoint = createSegmentEndpoint();
  const server = http.createServer(async (request, response) => {
    if (!(await endpoint.handle(request, response))) response.writeHead(404).end();
  });
  const { origin, port, close } = await listen(server);
  return {
    origin,
    cdn: `${origin}${SEGMENT_PREFIX}`,
    cdnSettings: localCdnSettings(`127.0.0.1:${port}`, 'test-key'),
    events: endpoint.events,
    /** Polls `find` (given the events) every 50 ms until it returns something, or throws after `timeoutMs`. */
    async waitFor(find, timeoutMs = 15000, what = 'the event') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find(endpoint.events);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = endpoint.events.map((event) => `${event.type} ${event.event ?? event.name ?? ''}`.trim());
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; Segment received: ${seen.join(', ') || 'nothing'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close,
  };
}
