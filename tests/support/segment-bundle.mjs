// An app's own webpack bundle with Segment and rewind from npm, for the
// Segment tests (tests/e2e/segment.test.mjs) and bench/segment-cost.mjs:
// AnalyticsBrowser from @segment/analytics-next and createSegmentPlugin from
// 'rewind' (the package scripts/build.sh made in pkg/), built from
// node_modules only into `<outDir>/npm/segment-npm.js` (+ the wasm), which
// tests/fixtures/segment-npm.html loads.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from './static-server.mjs';
import { runWebpack, TEST_BUNDLE_OPTIONS } from './webpack-run.mjs';

export const SEGMENT_BUNDLE_DIR = path.join(repoRoot, 'test-results/segment');

// The app's entry. Besides the one line that matters
// (analytics.register(createSegmentPlugin(...))), the page's config may ask
// for Amplitude (Actions)' session plugin, which puts its session id into
// every event's integrations (a stand-in with the same effect, reading
// window.ampSession), the Amplitude Classic recipe (getSessionId), a plugin
// of its own that throws, or no rewind plugin at all (the bench's baseline).
const NPM_ENTRY = `import { AnalyticsBrowser } from '@segment/analytics-next';
import { createSegmentPlugin, getReplayId, isRecording, flush } from 'rewind';

const config = window.config;
const analytics = AnalyticsBrowser.load({ writeKey: 'test-key', cdnSettings: config.cdnSettings });
const enrichment = (name, run) => ({
  name, type: 'enrichment', version: '1.0.0', isLoaded: () => true, load: () => Promise.resolve(),
  track: run, page: run, screen: run, identify: run,
});
if (config.amplitude) {
  analytics.register(enrichment('Amplitude (Actions) session, as its destination adds it', (ctx) => {
    ctx.event.integrations = { ...ctx.event.integrations, 'Actions Amplitude': { session_id: window.ampSession } };
    return ctx;
  }));
}
if (config.throwingPlugin) {
  analytics.register(enrichment('A plugin of the page that throws', () => {
    throw new Error('the page plugin failed');
  }));
}
let plugin = null;
if (config.rewind !== null) {
  const options = { analytics, ...config.rewind };
  if (config.classicSession) options.getSessionId = () => window.classicSession;
  plugin = createSegmentPlugin(options);
  analytics.register(plugin);
}
window.app = { analytics, plugin, rewind: { getReplayId, isRecording, flush } };
`;

/** Builds the bundle (not minified: quick, and nobody downloads it). */
export async function buildSegmentBundle(outDir = SEGMENT_BUNDLE_DIR) {
  await mkdir(path.join(outDir, 'npm'), { recursive: true });
  await writeFile(path.join(outDir, 'npm-entry.js'), NPM_ENTRY);
  await runWebpack({
    ...TEST_BUNDLE_OPTIONS,
    entry: { 'segment-npm': path.join(outDir, 'npm-entry.js') },
    resolve: { alias: { rewind: path.join(repoRoot, 'pkg') } },
    output: { path: path.join(outDir, 'npm'), filename: '[name].js', publicPath: 'auto', assetModuleFilename: '[name][ext]', clean: true },
  });
}
